"""Where each dbt step writes its artifacts, and the parse cache handed from one dbt call to the next."""

import os
import shutil
from pathlib import Path

import dagster as dg

from orchestration.defs.transform.project import dbt_project

PARTIAL_PARSE_FILE = "partial_parse.msgpack"


def step_target_path(context: dg.AssetExecutionContext) -> Path:
    """The dbt step's artifacts folder, the same for every run (each run overwrites the last one's).

    dagster-dbt's default is a new folder per invocation (manifest, run results, compiled SQL), two a
    run, which a daily schedule grows without end. The warehouse pool runs one dbt step at a time
    within an instance; two processes of one checkout at once (tests beside `make run`) may mix
    their artifacts, and a parse cache read mid-write only costs dbt a full parse.
    """
    return _target_dir() / "steps" / context.op_execution_context.op.name


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
