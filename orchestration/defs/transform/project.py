"""The dbt project the transform assets are built from."""

from functools import cache

from dagster_dbt import DbtProject

from orchestration.lib import settings


@cache
def dbt_project() -> DbtProject:
    """Under `dagster dev` the manifest is parsed again on load; elsewhere `make manifest` builds it."""
    project = DbtProject(project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR)
    with settings.dbt_environment_set():  # the profile needs the resolved paths even to parse
        project.prepare_if_dev()
    return project
