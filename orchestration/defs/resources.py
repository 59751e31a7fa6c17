"""Every resource, in one place, keyed by technology."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from importlib import metadata
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource
from packaging import version

from orchestration.lib import settings
from orchestration.lib.warehouse import WarehouseLockedError, connect
from orchestration.defs.transform.project import dbt_project

# Every step that opens the warehouse runs in this pool; its limit is 1 (dagster.yaml).
WAREHOUSE_POOL = "warehouse"


class WarehouseResource(dg.ConfigurableResource):
    """The working DuckDB warehouse. Without a configured path, `LIFECYCLE_WAREHOUSE` decides at run time."""

    path: str | None = None

    @property
    def database_path(self) -> Path:
        return Path(self.path) if self.path else settings.warehouse_path()

    @contextmanager
    def get_connection(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        try:
            connection = connect(self.database_path, read_only=read_only, attempts=settings.lock_retries())
        except WarehouseLockedError as error:
            raise dg.Failure(description=str(error), allow_retries=False) from error
        try:
            yield connection
        finally:
            connection.close()


# The dbt installed beside this interpreter, so an un-activated virtualenv works too.
DBT_BESIDE_PYTHON = str(Path(sys.prefix) / "bin" / "dbt")


def _dbt_executable() -> str:
    return DBT_BESIDE_PYTHON if Path(DBT_BESIDE_PYTHON).exists() else "dbt"


class LifecycleDbtCliResource(DbtCliResource):
    """dagster-dbt's resource, told the dbt version instead of asking for it, and without a dbt
    adapter in the Dagster process.

    dagster-dbt runs `dbt --version` in a subprocess in every run to choose between dbt Core and
    the Fusion engine: ~4 s of a daily run. The dbt beside this interpreter is the dbt-core this
    environment installed, so its version is in the package metadata.
    """

    def _initialize_dbt_core_adapter(self, args):
        # dagster-dbt loads the profile, project and macros into an adapter of its own before every dbt
        # call (1.7-3 s at each of a run's two dbt steps), only for `fetch_row_counts` and
        # `fetch_column_metadata`, which this project does not call; dbt itself runs in a subprocess.
        return None

    @cached_property
    def _cli_version(self) -> version.Version:
        if self.dbt_executable == DBT_BESIDE_PYTHON:
            try:
                return version.parse(metadata.version("dbt-core"))
            except metadata.PackageNotFoundError:
                pass
        return super()._cli_version


def build_resources() -> dict[str, dg.ConfigurableResource]:
    return {
        "duckdb": WarehouseResource(),
        "dbt": LifecycleDbtCliResource(project_dir=dbt_project(), dbt_executable=_dbt_executable()),
    }
