"""`python -m tools.lint_dbt lint|fix [paths]`: sqlfluff over the dbt models, compiled by dbt itself.

sqlfluff's dbt templater runs dbt in this process, and the dbt profile reads the pipeline's resolved
settings from the environment (`settings.dbt_environment`), so they are set here first, with an
in-memory database: compiling needs a connection, not the warehouse (a clean clone has none).
"""

import os
import sys

from sqlfluff.cli.commands import cli

from orchestration.lib import settings

if __name__ == "__main__":
    os.environ.update({**settings.dbt_environment(), "LIFECYCLE_WAREHOUSE": ":memory:"})
    sys.exit(cli(sys.argv[1:] or ["lint", "dbt_project/models"]))
