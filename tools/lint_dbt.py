"""`python -m tools.lint_dbt lint|fix [paths]`: sqlfluff over the dbt models, compiled by dbt itself.

sqlfluff's dbt templater runs dbt in this process, and the dbt profile reads the pipeline's resolved
settings as dbt vars (`settings.dbt_vars`), which the templater takes from its `context` section: they are
written into an extra config file here, with an in-memory database, since compiling needs a connection,
not the warehouse (a clean clone has none).
"""

import sys
import tempfile
from pathlib import Path

from sqlfluff.cli.commands import cli

from orchestration.lib import settings


def _context_config(folder: Path) -> Path:
    resolved = {**settings.dbt_vars(), "warehouse": ":memory:"}
    config = folder / "dbt_vars.cfg"
    config.write_text(
        "[sqlfluff:templater:dbt:context]\n" + "".join(f"{name} = {value}\n" for name, value in resolved.items())
    )
    return config


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="lint-dbt-") as folder:
        arguments = sys.argv[1:] or ["lint", "dbt_project/models"]
        config = ["--config", str(_context_config(Path(folder)))] if arguments[0] in ("lint", "fix") else []
        sys.exit(cli([*arguments[:1], *config, *arguments[1:]]))
