"""How dbt nodes become Dagster assets: grouped by their layer folder (staging, intermediate, marts, audits)."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator


class LifecycleTranslator(DagsterDbtTranslator):
    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id) or manifest["sources"].get(unique_id)
        if node and node["resource_type"] == "model" and len(node["fqn"]) > 2:
            spec = spec.replace_attributes(group_name=node["fqn"][1])
        return spec
