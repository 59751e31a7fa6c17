import logging
import os
import sys

from orchestration.cli.arguments import main

code = main()
# The command has closed what it opened (the warehouse, the instance); what remains is the interpreter's
# teardown, which after a run spends over a second collecting its ~450,000 objects (Dagster's definitions,
# dbt's manifest, the run's events) for memory the process returns anyway.
logging.shutdown()
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
