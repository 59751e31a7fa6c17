import os
import shutil
from collections.abc import Mapping
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


def _keep_partial_parse(invocation) -> None:
    """Hand this invocation's parse cache to the next one.

    dagster-dbt seeds every invocation with `target/partial_parse.msgpack`, but dbt discards it
    when the profile differs from the one it was written with (another LIFECYCLE_WAREHOUSE), and
    a run calls dbt twice (before and after the CLV fit): without this each call re-parses fully.
    """
    produced = invocation.target_path / PARTIAL_PARSE_FILE
    if not produced.exists():
        return
    cache = dbt_project().project_dir / dbt_project().target_path / PARTIAL_PARSE_FILE
    cache.parent.mkdir(parents=True, exist_ok=True)
    staged = cache.with_suffix(f".{os.getpid()}.tmp")
    shutil.copyfile(produced, staged)
    os.replace(staged, cache)  # atomic: a concurrent reader sees the old or the new file


class DbtBuildConfig(dg.Config):
    """Launchpad config of the dbt step."""

    full_refresh: bool = False  # rebuild the incremental models from scratch (after a model change)


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=LifecycleTranslator(),
    pool=WAREHOUSE_POOL,
)
def lifecycle_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
    context.log.info(f"dbt target: {settings.engine()}")  # profiles.yml selects it from LIFECYCLE_ENGINE; fail early when unknown
    invocation = dbt.cli(["build", "--full-refresh"] if config.full_refresh else ["build"], context=context)
    yield from invocation.stream()
    _keep_partial_parse(invocation)
