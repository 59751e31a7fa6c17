"""Every resource, in one place, keyed by technology."""

import datetime
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
from orchestration.lib.storage import StorageError
from orchestration.lib.warehouse import memory
from orchestration.lib.warehouse.connection import WarehouseLockedError, connect
from orchestration.lib.warehouse.spark_server import SparkServerError

# Every step that opens the warehouse runs in this pool; its limit is 1 (dagster.yaml).
WAREHOUSE_POOL = "warehouse"


class AsOfResource(dg.ConfigurableResource):
    """The date a run builds the marts as of, leaving out every event after it: the launchpad's
    (`resources: as_of: config: date:`), else `LIFECYCLE_AS_OF`. None: today's build in the working
    warehouse. A past date: the marts as they were that day, built in a warehouse of their own and
    published beside the current ones (docs/operations.md)."""

    date: str = Field(
        default="",
        description=(
            "YYYY-MM-DD: rebuild the marts as of this past date, leaving out every event after it. "
            "Empty: LIFECYCLE_AS_OF when set, else the usual build, as of the latest event."
        ),
    )
    replace_published: bool = Field(
        default=False,
        description="Publish a past date's marts and report over the current ones instead of beside them.",
    )

    @property
    def past_date(self) -> datetime.date | None:
        try:
            day = settings.parse_as_of(self.date, "The as_of resource's date") or settings.as_of_date()
        except ValueError as error:
            raise dg.Failure(description=str(error), allow_retries=False) from error
        if day and day > datetime.date.today():
            raise dg.Failure(description=f"The as-of date {day} is after today", allow_retries=False)
        return day

    @property
    def serving_path(self) -> Path:
        """Where this run publishes the marts (and the report beside them)."""
        day = self.past_date
        return settings.past_serving_path(day) if day and not self.replace_published else settings.serving_path()


class WarehouseResource(DuckDBResource):
    """dagster-duckdb's resource on the warehouse a run builds in, opened the pipeline's one way
    (`connect`: UTC session, the memory bound, and bounded retries with a clear error while another
    process holds the file), read-only when asked: the working warehouse, or a past date's (`as_of`)."""

    database: str = Field(default="", description="The DuckDB file; empty: LIFECYCLE_WAREHOUSE, read at run time.")
    as_of: AsOfResource  # Dagster's nested resources take no default

    @property
    def working_path(self) -> Path:
        """The working warehouse, which ingest loads whatever date a run builds as of."""
        return Path(self.database) if self.database else settings.warehouse_path()

    @property
    def database_path(self) -> Path:
        day = self.as_of.past_date
        return settings.past_warehouse_path(day, self.working_path) if day else self.working_path

    @contextmanager
    def get_connection(self, read_only: bool = False, working: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the warehouse this run builds in (`working`: to the working one)."""
        try:
            connection = connect(self.working_path if working else self.database_path, read_only=read_only)
        except WarehouseLockedError as error:
            raise dg.Failure(description=str(error), allow_retries=False) from error
        try:
            yield connection
        except duckdb.OutOfMemoryException as error:
            where = "in the pipeline's own DuckDB connection"
            raise dg.Failure(
                description=memory.out_of_memory_message(where, settings.duckdb_memory_limit()), allow_retries=False
            ) from error
        finally:
            connection.close()


# A server that cannot be reached or refuses a request: the message names it, the endpoint and the request,
# which says all a person needs, so the step fails with it alone and without retries.
REMOTE_ERRORS = (StorageError, SparkServerError)


@contextmanager
def remote_errors_as_failures() -> Iterator[None]:
    try:
        yield
    except REMOTE_ERRORS as error:
        raise dg.Failure(description=str(error), allow_retries=False) from None


def build_resources() -> dict[str, dg.ConfigurableResource]:
    as_of = AsOfResource.configure_at_launch()
    return {
        "as_of": as_of,
        "duckdb": WarehouseResource(as_of=as_of),
        "dbt": LifecycleDbtCliResource(
            project_dir=dbt_project(),
            dbt_executable=settings.dbt_executable(),
            # dbt's log file in each step's folder at info, as its output: at debug it holds every statement
            # and connection event of every node, written as the nodes run. The SQL each
            # node ran stays in the step's `run/` folder, and `dbt --debug` by hand gives the rest.
            global_config_flags=["--log-level-file", "info"],
        ),
    }
