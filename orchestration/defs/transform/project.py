from functools import cache

from dagster_dbt import DbtProject

from orchestration.lib.settings import DBT_PROJECT_DIR


@cache
def dbt_project() -> DbtProject:
    """The dbt project; under `dagster dev` its manifest is re-parsed on load, elsewhere `make manifest` builds it."""
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    project.prepare_if_dev()
    return project
