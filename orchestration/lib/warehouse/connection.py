"""Opening the DuckDB warehouse: one writer at a time, with bounded retries on a lock."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from orchestration.lib import settings


class WarehouseLockedError(RuntimeError):
    """Another process holds the warehouse file and did not release it in time."""


def connect(
    path: Path, *, read_only: bool = False, attempts: int | None = None, wait_seconds: float = 1.0
) -> duckdb.DuckDBPyConnection:
    """Open `path`, retrying with backoff while another process holds its lock (`attempts`: default
    `LIFECYCLE_LOCK_RETRIES`)."""
    attempts = attempts or settings.lock_retries()
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, attempts + 1):
        try:
            connection = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            if attempt == attempts:
                raise WarehouseLockedError(
                    f"The warehouse {path} is locked by another process (tried {attempts} times): {error}"
                ) from error
            time.sleep(wait_seconds * 2 ** (attempt - 1))
    _set_session(connection)
    # A deliberate memory bound (DuckDB's default is 80% of RAM), shared by every cursor of the
    # connection; beyond it DuckDB spills to disk.
    connection.execute(f"SET memory_limit = '{settings.duckdb_memory_limit()}'")
    return connection


def _set_session(connection: duckdb.DuckDBPyConnection) -> None:
    # Naive timestamps in the contract are UTC; make DuckDB read them so whatever the host's zone.
    connection.execute("SET TimeZone = 'UTC'")


def session_cursor(connection: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor of `connection` (its own transactions and temp tables) with the same session settings
    (a cursor starts from the defaults, the host's time zone among them)."""
    cursor = connection.cursor()
    _set_session(cursor)
    return cursor


@contextmanager
def transaction(connection: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The block's statements all or none: committed at its end, rolled back on any error."""
    connection.execute("BEGIN TRANSACTION")
    try:
        yield
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


@contextmanager
def open_warehouse(path: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(path, read_only=read_only)
    try:
        yield connection
    finally:
        connection.close()
