"""The file ledger: which landing file versions are in the warehouse, and which were blocked.

One row per delivery (a file loaded, or re-loaded after it changed). The newest row per
path is that path's current version. Blocked deliveries are kept apart: a blocked file is
tried again on the next run, until it is corrected.

Beside them, a cache of content hashes: each landing file's size, modification time and sha256
when it was last read, so that an unchanged file is not read again to be recognised (`landing.discover`).
"""

from collections.abc import Mapping

import duckdb

from orchestration.lib.ingest.discover import KnownHash
from orchestration.lib.warehouse.connection import transaction

LEDGER = "ingest.file_ledger"
BLOCKED = "ingest.blocked_files"
HASHES = "ingest.file_hashes"


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
            blocked_at TIMESTAMP NOT NULL
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


def record_block(connection, *, source: str, path: str, sha256: str | None, rule: str, detail: str) -> None:
    connection.execute(
        f"INSERT INTO {BLOCKED} VALUES (?, ?, ?, ?, ?, now()::TIMESTAMP)", [source, path, sha256, rule, detail]
    )


def known_hashes(connection: duckdb.DuckDBPyConnection, source: str) -> dict[str, KnownHash]:
    """What each of one source's files was when last hashed, by path."""
    rows = connection.execute(
        f"SELECT path, size_bytes, modified_ns, sha256 FROM {HASHES} WHERE source = ?", [source]
    ).fetchall()
    return {path: KnownHash(*known) for path, *known in rows}


def remember_hashes(connection: duckdb.DuckDBPyConnection, source: str, files: Mapping[str, KnownHash]) -> None:
    """Replace one source's cached hashes with `files`: files gone from the landing folder drop out."""
    with transaction(connection):
        connection.execute(f"DELETE FROM {HASHES} WHERE source = ?", [source])
        if files:
            connection.executemany(
                f"INSERT INTO {HASHES} VALUES (?, ?, ?, ?, ?)",
                [[source, path, *known] for path, known in files.items()],
            )
