"""The garbage collector's pace in a process that runs the pipeline (docs/performance.md, *Fixed cost at S*).

A run's process holds a few hundred thousand objects that live as long as it does (Dagster's definitions,
dbt's imports and manifest, the run's records) and makes many short-lived ones at each dbt node. At CPython's
default thresholds a full collection, which walks every one of those objects, comes every few dozen nodes and
finds little: the young generations, collected as before, free what a node leaves. Full collections are
made rarer; the dbt step collects in full itself when its invocation ends, when dbt's manifest becomes
garbage.
"""

import gc

YOUNG_ALLOCATIONS = 2000  # objects allocated (net of those freed) between two collections of the youngest generation
MIDDLE_EVERY = 20  # youngest-generation collections per collection of the middle one
FULL_EVERY = 100  # middle-generation collections before a full collection is considered


def pace_for_runs() -> None:
    gc.set_threshold(YOUNG_ALLOCATIONS, MIDDLE_EVERY, FULL_EVERY)
