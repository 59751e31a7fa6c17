import gc
import sys

from orchestration.cli.arguments import main

code = main()
# A run leaves some 450,000 objects (Dagster's definitions, dbt's manifest, the run's events): the interpreter's
# teardown would walk them all in garbage collections, over a second, for memory the process returns anyway.
gc.freeze()
sys.exit(code)
