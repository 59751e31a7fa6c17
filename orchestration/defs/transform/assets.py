import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.defs.resources import WAREHOUSE_POOL
from orchestration.defs.transform.project import dbt_project
from orchestration.lib import settings

PARTIAL_PARSE_FILE = "partial_parse.msgpack"


class LifecycleTranslator(DagsterDbtTranslator):
    """Groups dbt models by their layer folder (staging, intermediate, marts)."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id) or manifest["sources"].get(unique_id)
        if node and node["resource_type"] == "model" and len(node["fqn"]) > 2:
            spec = spec.replace_attributes(group_name=node["fqn"][1])
        return spec


def _step_target_path(context: dg.AssetExecutionContext) -> Path:
    """The dbt step's artifacts folder, the same for every run (each run overwrites the last one's).

    dagster-dbt's default is a new folder per invocation (~3 MB: manifest, run results, compiled SQL),
    two a run, which a daily schedule grows by ~2 GB a year. The warehouse pool runs one dbt step at
    a time within an instance; two processes of one checkout at once (tests beside `make run`) may mix
    their artifacts, and a parse cache read mid-write only costs dbt a full parse.
    """
    return _target_dir() / "steps" / context.op_execution_context.op.name


def _target_dir() -> Path:
    return dbt_project().project_dir / dbt_project().target_path


def _parse_cache() -> Path:
    """The parse cache every dbt call starts from (`make manifest` writes it, each call replaces it)."""
    return _target_dir() / PARTIAL_PARSE_FILE


def _seed_partial_parse(target_path: Path) -> None:
    """Start the invocation from the newest parse cache, whichever step or `make manifest` wrote it.

    dagster-dbt copies `target/partial_parse.msgpack` into the folder only when the folder has none;
    the step's own from its previous run may be for another profile (another LIFECYCLE_WAREHOUSE),
    which dbt discards for a full parse.
    """
    if _parse_cache().exists():
        target_path.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_parse_cache(), target_path / PARTIAL_PARSE_FILE)


def _keep_partial_parse(invocation) -> None:
    """Hand this invocation's parse cache to the next one.

    dbt discards a parse cache written with another profile, and a run calls dbt twice (before and
    after the CLV fit): without this the second call would parse fully whenever the first did.
    """
    produced = invocation.target_path / PARTIAL_PARSE_FILE
    if not produced.exists():
        return
    cache = _parse_cache()
    cache.parent.mkdir(parents=True, exist_ok=True)
    staged = cache.with_suffix(f".{os.getpid()}.tmp")
    shutil.copyfile(produced, staged)
    os.replace(staged, cache)  # atomic: a concurrent reader sees the old or the new file


class DbtBuildConfig(dg.Config):
    """Launchpad config of the dbt step."""

    full_refresh: bool = False  # rebuild the incremental models from scratch (after a model change)
    # dbt's advice: unit tests check the SQL's logic on fixed rows, so they belong to development and
    # CI (`make test` runs them); a production build runs the data tests on the data.
    unit_tests: bool = False


@contextmanager
def _resolved_paths() -> Iterator[None]:
    """Hand dbt the folders exactly as the pipeline resolves them (absolute, `~` expanded), so Spark's
    tables point where the ingest and CLV steps write. The dbt process inherits them when it starts."""
    resolved = {"LIFECYCLE_LAKE_DIR": str(settings.lake_dir()), "LIFECYCLE_SPARK_DIR": str(settings.spark_dir())}
    previous = {name: os.environ.get(name) for name in resolved}
    os.environ.update(resolved)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=LifecycleTranslator(),
    pool=WAREHOUSE_POOL,
)
def lifecycle_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
    # The engine is the dbt target; settings.engine() validates it (profiles.yml only defaults to it).
    arguments = ["build", "--target", settings.engine()]
    arguments += ["--full-refresh"] if config.full_refresh else []
    arguments += [] if config.unit_tests else ["--exclude-resource-type", "unit_test"]
    target_path = _step_target_path(context)
    _seed_partial_parse(target_path)
    with _resolved_paths():
        invocation = dbt.cli(arguments, context=context, target_path=target_path)
    yield from invocation.stream()
    _keep_partial_parse(invocation)
