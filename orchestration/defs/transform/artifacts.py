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
    """Start the invocation from the newest parse cache of this warehouse's dbt steps, else the project's.

    dbt keeps a parse cache only for the vars and profile it was written with, and the build's paths are
    vars: the cache of another warehouse's build (another LIFECYCLE_WAREHOUSE, a test's) costs a full
    parse. The steps' folders beside the warehouse hold the caches of its own last build; the project's
    (`make manifest`, then the last step of any build) serves a warehouse's first. dagster-dbt would copy
    the project's only into a folder that has none.
    """
    own = [cache for cache in target_path.parent.glob(f"*/{PARTIAL_PARSE_FILE}") if cache.is_file()]
    newest = max(own, key=lambda cache: cache.stat().st_mtime_ns, default=_parse_cache())
    if not newest.exists():
        return
    target_path.mkdir(parents=True, exist_ok=True)
    if newest != target_path / PARTIAL_PARSE_FILE:
        shutil.copyfile(newest, target_path / PARTIAL_PARSE_FILE)


def keep_partial_parse(target_path: Path) -> None:
    """Hand this invocation's parse cache to the project, for the first build of another warehouse (and
    dagster-dbt's own use of the project's target folder).
    """
    produced = target_path / PARTIAL_PARSE_FILE
    if not produced.exists():
        return
    cache = _parse_cache()
    cache.parent.mkdir(parents=True, exist_ok=True)
    staged = cache.with_suffix(f".{os.getpid()}.tmp")
    shutil.copyfile(produced, staged)
    os.replace(staged, cache)  # atomic: a concurrent reader sees the old or the new file
