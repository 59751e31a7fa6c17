"""Where each dbt step writes its artifacts, and the parse cache handed from one dbt call to the next."""

import os
import shutil
from pathlib import Path

import dagster as dg

from orchestration.defs.transform.project import dbt_project
from orchestration.lib import settings

PARTIAL_PARSE_FILE = "partial_parse.msgpack"


def step_target_path(context: dg.AssetExecutionContext) -> Path:
    """The dbt step's artifacts folder, beside the warehouse it builds and the same for every run (each run
    overwrites the last one's).

    dagster-dbt's default is a new folder per invocation (manifest, run results, compiled SQL), two a
    run, which a daily schedule grows without end. Beside the warehouse, like the run's log: one writer
    at a time has that folder (the warehouse's own rule), so two builds of other warehouses at once
    (tests side by side, a second checkout's settings) never read each other's run results; a parse
    cache read mid-write only costs dbt a full parse.
    """
    return step_artifacts_dir() / context.op_execution_context.op.name


def step_artifacts_dir() -> Path:
    """Where the dbt steps of a build of the configured warehouse keep their artifacts."""
    return settings.warehouse_path().parent / "dbt"


def _target_dir() -> Path:
    return dbt_project().project_dir / dbt_project().target_path


def _parse_cache() -> Path:
    """The parse cache every dbt call starts from (`make manifest` writes it, each call replaces it)."""
    return _target_dir() / PARTIAL_PARSE_FILE


def seed_partial_parse(target_path: Path) -> None:
    """Start the invocation from the newest parse cache, whichever step or `make manifest` wrote it.

    dagster-dbt copies `target/partial_parse.msgpack` into the folder only when the folder has none;
    the step's own from its previous run may be for another profile (another LIFECYCLE_WAREHOUSE),
    which dbt discards for a full parse.
    """
    if _parse_cache().exists():
        target_path.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_parse_cache(), target_path / PARTIAL_PARSE_FILE)


def keep_partial_parse(target_path: Path) -> None:
    """Hand this invocation's parse cache to the next one.

    dbt discards a parse cache written with another profile, and a run calls dbt twice (before and
    after the CLV fit): without this the second call would parse fully whenever the first did.
    """
    produced = target_path / PARTIAL_PARSE_FILE
    if not produced.exists():
        return
    cache = _parse_cache()
    cache.parent.mkdir(parents=True, exist_ok=True)
    staged = cache.with_suffix(f".{os.getpid()}.tmp")
    shutil.copyfile(produced, staged)
    os.replace(staged, cache)  # atomic: a concurrent reader sees the old or the new file
