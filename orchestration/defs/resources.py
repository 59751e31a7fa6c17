"""Every resource, in one place, keyed by technology."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource

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


def _dbt_executable() -> str:
    # The dbt installed beside this interpreter, so an un-activated virtualenv works too.
    beside_python = Path(sys.prefix) / "bin" / "dbt"
    return str(beside_python) if beside_python.exists() else "dbt"


def build_resources() -> dict[str, dg.ConfigurableResource]:
    return {
        "duckdb": WarehouseResource(),
        "dbt": DbtCliResource(project_dir=dbt_project(), dbt_executable=_dbt_executable()),
    }
