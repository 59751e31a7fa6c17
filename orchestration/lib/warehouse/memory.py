"""How much memory DuckDB may use, where it spills beyond that, and what to say when a model needs more."""

import os
from pathlib import Path

# The pipeline's DuckDB work runs one connection or one dbt model at a time, beside the Python processes that
# drive it (Dagster, dbt, the CLV fit's frames). Its per-customer models spill to disk, so memory beyond their
# working set buys little time but raises the peak one for one (docs/performance.md): an eighth of the machine
# (3 GiB on 24 GiB) leaves the rest to those processes and to whatever else runs; DuckDB's own default (80%)
# assumes it is alone.
SHARE_OF_MACHINE = 1 / 8
FLOOR_MIB = 1024
# Where Linux says how much memory a container may use (cgroup v2, then v1).
CGROUP_LIMITS = (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"))

OUT_OF_MEMORY = "Out of Memory Error"


def machine_memory_bytes() -> int:
    """The memory this process may use: the machine's, or its container's limit when that is lower."""
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for path in CGROUP_LIMITS:
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            return min(physical, int(text))
    return physical


def default_memory_limit(machine_bytes: int) -> str:
    """DuckDB's `memory_limit` for a machine of `machine_bytes`, as DuckDB reads it."""
    return f"{max(FLOOR_MIB, int(machine_bytes * SHARE_OF_MACHINE) // 2**20)}MiB"


def out_of_memory_models(run_results: dict) -> list[str]:
    """The dbt nodes of a `run_results.json` that failed for want of memory, by name."""
    return [
        result["unique_id"].rsplit(".", 1)[-1]
        for result in run_results.get("results", [])
        if result.get("status") == "error" and OUT_OF_MEMORY in (result.get("message") or "")
    ]


def out_of_memory_message(where: str, memory_limit: str) -> str:
    """One line: where memory ran out ("building customers"), the setting to raise, and its current value."""
    return (
        f"Out of memory {where}: DuckDB may use {memory_limit} "
        f"(LIFECYCLE_DUCKDB_MEMORY_LIMIT); set it higher, e.g. LIFECYCLE_DUCKDB_MEMORY_LIMIT=8GB make run, "
        "or free memory on this machine, and run again."
    )
