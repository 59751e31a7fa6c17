"""Every resource, in one place, keyed by technology."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import Field

from orchestration.defs.transform.dbt_cli import LifecycleDbtCliResource
from orchestration.defs.transform.project import dbt_project
from orchestration.lib import settings
from orchestration.lib.warehouse.connection import WarehouseLockedError, connect

# Every step that opens the warehouse runs in this pool; its limit is 1 (dagster.yaml).
WAREHOUSE_POOL = "warehouse"


class WarehouseResource(DuckDBResource):
    """dagster-duckdb's resource on the working warehouse, opened the pipeline's one way
    (`connect`: UTC session, the memory bound, and bounded retries with a clear error while another
    process holds the file), read-only when asked."""

    database: str = Field(default="", description="The DuckDB file; empty: LIFECYCLE_WAREHOUSE, read at run time.")

    @property
    def database_path(self) -> Path:
        return Path(self.database) if self.database else settings.warehouse_path()

    @contextmanager
    def get_connection(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        try:
            connection = connect(self.database_path, read_only=read_only)
        except WarehouseLockedError as error:
            raise dg.Failure(description=str(error), allow_retries=False) from error
        try:
            yield connection
        finally:
            connection.close()


def build_resources() -> dict[str, dg.ConfigurableResource]:
    return {
        "duckdb": WarehouseResource(),
        "dbt": LifecycleDbtCliResource(project_dir=dbt_project(), dbt_executable=settings.dbt_executable()),
    }
