"""The garbage collector's pace in a process that runs the pipeline.

A run's process holds many objects that live as long as it does (Dagster's definitions, dbt's imports and
manifest, the run's records) and makes many short-lived ones at each dbt node. At CPython's default
thresholds a full collection, which walks every one of the long-lived objects, comes often and finds little:
the young generations free what a node leaves. Here the young ones are collected less often and full
collections rarely. On DuckDB the dbt step collects in full itself when its invocation ends, when dbt's
manifest becomes garbage; on Spark dbt keeps its manifest in its own process.

The command line sets this pace before its imports; the definitions set it in any other process that loads
them (the UI's run worker, the code server, a test), and once loaded leave every object made so far out of
the collections to come. Why, and what it changed: docs/decisions/0015-a-runs-garbage-collector-pace.md.
"""

import atexit
import gc

YOUNG_ALLOCATIONS = 2000  # objects allocated (net of those freed) between two collections of the youngest generation
MIDDLE_EVERY = 20  # youngest-generation collections per collection of the middle one
FULL_EVERY = 100  # middle-generation collections before a full collection is considered


def pace_for_runs() -> None:
    gc.set_threshold(YOUNG_ALLOCATIONS, MIDDLE_EVERY, FULL_EVERY)


def spare_what_lives_on() -> None:
    """Leave every object made so far out of every later collection (`gc.freeze`).

    Called once the definitions are loaded: what the imports and the definitions made (Dagster, dbt's
    modules, pandas, the definitions themselves) lives as long as the process, and each full collection,
    the dbt step's own among them, would otherwise walk all of it again to free only what came after.
    At the interpreter's exit they are handed back, so its last collection frees them as before: DuckDB's
    bindings report each of their objects left unfreed as a leak, on the terminal. (The command line exits
    without that collection: `os._exit`.)
    """
    gc.freeze()
    atexit.register(gc.unfreeze)
