"""The dbt project the transform assets are built from."""

import json
from functools import cache
from pathlib import Path
from typing import Any

from dagster_dbt import DbtProject

from orchestration.lib import settings

# What `dbt parse` reads (the Makefile's manifest rule lists the same).
PARSED_FOLDERS = ("models", "macros", "data-tests")
PARSED_FILES = ("dbt_project.yml", "profiles.yml")


def manifest_is_current(project_dir: Path, manifest_path: Path) -> bool:
    """The manifest was written after every file dbt parses was last changed."""
    if not manifest_path.exists():
        return False
    written = manifest_path.stat().st_mtime
    parsed = [project_dir / name for name in PARSED_FILES]
    parsed += [path for folder in PARSED_FOLDERS for path in (project_dir / folder).rglob("*") if path.is_file()]
    return all(path.stat().st_mtime <= written for path in parsed if path.exists())


@cache
def dbt_project() -> DbtProject:
    """`make manifest` builds the manifest. Under `dagster dev` it is parsed again on load when a dbt file
    changed since, so an edited model shows on reload; not otherwise, because every run worker loads the
    definitions again, and a parse there (dbt's start-up and an adapter) would delay every UI launch."""
    project = DbtProject(project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR)
    if not manifest_is_current(Path(project.project_dir), Path(project.manifest_path)):
        # the profile needs the resolved settings even to parse: read here, when a parse is due
        # the run's target too: dbt keys its parse cache on the `--target` given as well as on the vars
        parse = ["parse", "--quiet", "--target", settings.dbt_target(), *settings.dbt_vars_arguments()]
        DbtProject(
            project_dir=project.project_dir, profiles_dir=project.profiles_dir, prepare_project_cli_args=parse
        ).prepare_if_dev()
    return project


@cache
def _model_configs() -> dict[str, dict[str, Any]]:
    """Each dbt model's config, from the manifest read once per process: several definitions modules ask."""
    manifest = json.loads(Path(dbt_project().manifest_path).read_text())
    return {node["name"]: node["config"] for node in manifest["nodes"].values() if node["resource_type"] == "model"}


def model_meta(name: str) -> dict[str, Any]:
    """The meta of the dbt model `name` in the manifest: lists the pipeline derives its definitions from."""
    return dict(_model_configs()[name]["meta"])
