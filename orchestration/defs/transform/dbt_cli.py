"""dagster-dbt's CLI resource, with two private members overridden (docs/decisions/0007-dagster-dbt-overrides.md).

The overrides were checked against `CHECKED_AGAINST` and a test fails when another dagster-dbt is
installed: read both members in the new version before moving the pin.
"""

from functools import cached_property
from importlib import metadata

from dagster_dbt import DbtCliResource
from packaging import version

from orchestration.lib.settings import DBT_BESIDE_PYTHON

CHECKED_AGAINST = "0.29.27"


class LifecycleDbtCliResource(DbtCliResource):
    """Told the dbt version instead of asking for it, and without a dbt adapter in the Dagster process."""

    def _initialize_dbt_core_adapter(self, args):
        # dagster-dbt loads the profile, project and macros into an adapter of its own before every
        # dbt call, only for `fetch_row_counts` and `fetch_column_metadata`, which this project does
        # not call; dbt itself runs in a subprocess.
        return None

    @cached_property
    def _cli_version(self) -> version.Version:
        # dagster-dbt runs `dbt --version` in a subprocess in every run to choose between dbt Core and
        # the Fusion engine; the dbt beside this interpreter is the dbt-core this environment installed.
        if self.dbt_executable == DBT_BESIDE_PYTHON:
            try:
                return version.parse(metadata.version("dbt-core"))
            except metadata.PackageNotFoundError:
                pass
        return super()._cli_version
