"""Opening the DuckDB warehouse: one writer at a time, with bounded retries on a lock."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import duckdb

from orchestration.lib import settings

T = TypeVar("T")


class WarehouseLockedError(RuntimeError):
    """Another process holds the warehouse file and did not release it in time."""


def connect(
    path: Path, *, read_only: bool = False, attempts: int | None = None, wait_seconds: float = 1.0
) -> duckdb.DuckDBPyConnection:
    """Open `path`, retrying with backoff while another process holds its lock (`attempts`: default
    `LIFECYCLE_LOCK_RETRIES`)."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    connection = _retrying_on_lock(
        path, lambda: duckdb.connect(str(path), read_only=read_only), attempts or settings.lock_retries(), wait_seconds
    )
    _set_session(connection)
    # A deliberate memory bound (DuckDB's default is 80% of RAM), shared by every cursor of the
    # connection; beyond it DuckDB spills to disk.
    connection.execute(f"SET memory_limit = '{settings.duckdb_memory_limit()}'")
    return connection


def _retrying_on_lock(path: Path, open_it: Callable[[], T], attempts: int, wait_seconds: float) -> T:
    """`open_it()`, tried up to `attempts` times with backoff while another process holds the lock of `path`."""
    for attempt in range(1, attempts + 1):
        try:
            return open_it()
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            if attempt == attempts:
                raise WarehouseLockedError(
                    f"The warehouse {path} is locked by another process (tried {attempts} times): {error}"
                ) from error
            time.sleep(wait_seconds * 2 ** (attempt - 1))
    raise ValueError(f"attempts must be at least 1, got {attempts}")


def attach_read_only(
    connection: duckdb.DuckDBPyConnection, path: Path, alias: str, *, attempts: int | None = None
) -> None:
    """Attach the database file `path` to `connection` as `alias`, read-only (nothing of it is written), with
    the lock retries of `connect`."""
    location = str(path).replace("'", "''")
    _retrying_on_lock(
        path,
        lambda: connection.execute(f"ATTACH '{location}' AS {alias} (READ_ONLY)"),
        attempts or settings.lock_retries(),
        1.0,
    )


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
