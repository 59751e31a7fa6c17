"""The file ledger: which landing file versions are in the warehouse, and which were blocked.

One row per delivery (a file loaded, or re-loaded after it changed). The newest row per
path is that path's current version. Blocked deliveries are kept apart, one row per file version
(path and hash) with when it was first and last blocked: a blocked file is tried again on every run
(a setting may have changed), until it is corrected, removed, or skipped on purpose
(`ingest.skipped_files`, `python -m orchestration.cli skip <path>`).

Beside them, a cache of content hashes: each landing file's size, modification time and sha256
when it was last read, so that an unchanged file is not read again to be recognised (`landing.discover`).
"""

from collections.abc import Mapping
from datetime import datetime

import duckdb

from orchestration.lib.ingest.discover import KnownHash
from orchestration.lib.warehouse.connection import transaction

LEDGER = "ingest.file_ledger"
BLOCKED = "ingest.blocked_files"
SKIPPED = "ingest.skipped_files"
HASHES = "ingest.file_hashes"
# Where the lake is the history (a Spark cluster), the raw tables are emptied once the lake holds their rows;
# the orders' customer ids stay here, by file, for the unknown-customer rule.
ORDER_CUSTOMERS = "ingest.order_customers"


def ensure_ledger(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("CREATE SCHEMA IF NOT EXISTS ingest")
    connection.execute("CREATE SEQUENCE IF NOT EXISTS ingest.load_id_sequence START 1")
    connection.execute(
        f"""
        CREATE TABLE IF NOT EXISTS {LEDGER} (
            load_id BIGINT PRIMARY KEY,
            source VARCHAR NOT NULL,
            path VARCHAR NOT NULL,
            size_bytes BIGINT NOT NULL,
            sha256 VARCHAR NOT NULL,
            rows BIGINT NOT NULL,            -- rows merged into the raw table
            rows_quarantined BIGINT NOT NULL,
            event_days BIGINT NOT NULL,      -- distinct days the merged rows are about
            loaded_at TIMESTAMP NOT NULL
        )
        """
    )
    connection.execute(
        f"""
        CREATE TABLE IF NOT EXISTS {BLOCKED} (
            source VARCHAR NOT NULL,
            path VARCHAR NOT NULL,
            sha256 VARCHAR,
            rule VARCHAR NOT NULL,
            detail VARCHAR NOT NULL,
            blocked_at TIMESTAMP NOT NULL    -- when this version of the file was first blocked
        )
        """
    )
    # Added after the table's first version; a warehouse made before has it without them.
    connection.execute(f"ALTER TABLE {BLOCKED} ADD COLUMN IF NOT EXISTS last_blocked_at TIMESTAMP")
    connection.execute(f"ALTER TABLE {BLOCKED} ADD COLUMN IF NOT EXISTS times_blocked BIGINT")
    connection.execute(
        f"""
        CREATE TABLE IF NOT EXISTS {SKIPPED} (
            source VARCHAR NOT NULL,
            path VARCHAR NOT NULL,
            sha256 VARCHAR NOT NULL,         -- the version skipped: a changed file is read again
            reason VARCHAR,
            skipped_at TIMESTAMP NOT NULL
        )
        """
    )
    connection.execute(
        f"""
        CREATE TABLE IF NOT EXISTS {HASHES} (
            source VARCHAR NOT NULL,
            path VARCHAR NOT NULL,
            size_bytes BIGINT NOT NULL,
            modified_ns BIGINT NOT NULL,     -- the file's modification time, in ns since the epoch
            sha256 VARCHAR NOT NULL
        )
        """
    )
    # Added with landing roots in object storage: an object's ETag vouches for its hash.
    connection.execute(f"ALTER TABLE {HASHES} ADD COLUMN IF NOT EXISTS etag VARCHAR")
    connection.execute(f"CREATE TABLE IF NOT EXISTS {ORDER_CUSTOMERS} (customer_id VARCHAR, _source_file VARCHAR)")


def next_load_id(connection: duckdb.DuckDBPyConnection) -> int:
    return connection.execute("SELECT nextval('ingest.load_id_sequence')").fetchall()[0][0]


def current_versions(connection: duckdb.DuckDBPyConnection, source: str) -> dict[str, str]:
    """Current sha256 per path for one source."""
    rows = connection.execute(
        f"SELECT path, arg_max(sha256, load_id) FROM {LEDGER} WHERE source = ? GROUP BY path", [source]
    ).fetchall()
    return dict(rows)


def trailing_rows_per_day(
    connection: duckdb.DuckDBPyConnection, source: str, files: int = 7
) -> tuple[int, float | None]:
    """How many of the last `files` non-empty deliveries there are, and their mean rows per event day."""
    [(count, mean)] = connection.execute(
        f"""
        SELECT count(*), avg(rows / event_days) FROM (
            SELECT rows, event_days FROM {LEDGER}
            WHERE source = ? AND event_days > 0 ORDER BY load_id DESC LIMIT {int(files)}
        )
        """,
        [source],
    ).fetchall()
    return count, mean


def record_delivery(
    connection,
    *,
    load_id: int,
    source: str,
    path: str,
    size_bytes: int,
    sha256: str,
    rows: int,
    rows_quarantined: int,
    event_days: int,
) -> None:
    connection.execute(
        f"INSERT INTO {LEDGER} VALUES (?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
        [load_id, source, path, size_bytes, sha256, rows, rows_quarantined, event_days],
    )


def current_deliveries(connection: duckdb.DuckDBPyConnection, source: str) -> list[tuple[int, object, str]]:
    """(load id, load date, sha256) of each path's current delivery that brought rows: what the raw table holds,
    or held before the lake took it over."""
    return connection.execute(
        f"""
        SELECT load_id, CAST(loaded_at AS DATE), sha256 FROM {LEDGER}
        WHERE source = ? AND rows > 0
          AND load_id IN (SELECT max(load_id) FROM {LEDGER} WHERE source = ? GROUP BY path)
        ORDER BY load_id
        """,
        [source, source],
    ).fetchall()


def latest_loads(connection) -> dict[str, float]:
    """Per source folder, when a file of it last brought rows (seconds since the epoch; `loaded_at` is UTC)."""
    return dict(connection.execute(f"SELECT source, epoch(max(loaded_at)) FROM {LEDGER} GROUP BY source").fetchall())


def record_block(connection, *, source: str, path: str, sha256: str | None, rule: str, detail: str) -> datetime | None:
    """Record that this version of the file is blocked; a version blocked before keeps its one row, with
    its last time and count brought up to date. Returns when it was first blocked if it was before."""
    earlier = connection.execute(
        f"""
        UPDATE {BLOCKED}
        SET rule = ?, detail = ?, last_blocked_at = now()::TIMESTAMP, times_blocked = coalesce(times_blocked, 1) + 1
        WHERE source = ? AND path = ? AND sha256 IS NOT DISTINCT FROM ?
        RETURNING blocked_at
        """,
        [rule, detail, source, path, sha256],
    ).fetchall()
    if earlier:
        return min(blocked_at for (blocked_at,) in earlier)
    connection.execute(
        f"INSERT INTO {BLOCKED} (source, path, sha256, rule, detail, blocked_at, last_blocked_at, times_blocked) "
        "VALUES (?, ?, ?, ?, ?, now()::TIMESTAMP, now()::TIMESTAMP, 1)",
        [source, path, sha256, rule, detail],
    )
    return None


def skipped_versions(connection: duckdb.DuckDBPyConnection, source: str) -> set[tuple[str, str]]:
    """The (path, sha256) file versions of a source skipped on purpose."""
    return set(connection.execute(f"SELECT path, sha256 FROM {SKIPPED} WHERE source = ?", [source]).fetchall())


def skip_version(connection, *, source: str, path: str, sha256: str, reason: str | None) -> None:
    """Skip this version of the file from now on: reported on every run, never read, never failing it."""
    connection.execute(
        f"INSERT INTO {SKIPPED} SELECT ?, ?, ?, ?, now()::TIMESTAMP "
        f"WHERE NOT EXISTS (SELECT 1 FROM {SKIPPED} WHERE source = ? AND path = ? AND sha256 = ?)",
        [source, path, sha256, reason, source, path, sha256],
    )


def known_hashes(connection: duckdb.DuckDBPyConnection, source: str) -> dict[str, KnownHash]:
    """What each of one source's files was when last hashed, by path."""
    rows = connection.execute(
        f"SELECT path, size_bytes, modified_ns, sha256, etag FROM {HASHES} WHERE source = ?", [source]
    ).fetchall()
    return {path: KnownHash(*known) for path, *known in rows}


def remember_hashes(connection: duckdb.DuckDBPyConnection, source: str, files: Mapping[str, KnownHash]) -> None:
    """Replace one source's cached hashes with `files`: files gone from the landing folder drop out."""
    with transaction(connection):
        connection.execute(f"DELETE FROM {HASHES} WHERE source = ?", [source])
        if files:
            connection.executemany(
                f"INSERT INTO {HASHES} (source, path, size_bytes, modified_ns, sha256, etag) VALUES (?, ?, ?, ?, ?, ?)",
                [[source, path, *known] for path, known in files.items()],
            )
