import logging
import os
import sys

from orchestration.garbage_collection import pace_for_runs

pace_for_runs()  # before the imports, which make most of the objects a run holds to its end
from orchestration.cli.arguments import main  # noqa: E402

code = main()
# The command has closed what it opened (the warehouse, the instance); what remains is the interpreter's
# teardown, which after a run collects every object it holds (Dagster's definitions, dbt's manifest, the
# run's events) for memory the process returns anyway (docs/performance.md, *Fixed cost at S*). Exit
# handlers do not run: nothing of the project's may count on one.
logging.shutdown()
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
