"""The file ledger: which landing file versions are in the warehouse.

One row per delivery (a file loaded, or re-loaded after it changed). The newest row per
path is that path's current version.
"""

import duckdb

LEDGER = "ingest.file_ledger"


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
            rows BIGINT NOT NULL,
            loaded_at TIMESTAMP NOT NULL
        )
        """
    )


def next_load_id(connection: duckdb.DuckDBPyConnection) -> int:
    return connection.execute("SELECT nextval('ingest.load_id_sequence')").fetchall()[0][0]


def current_versions(connection: duckdb.DuckDBPyConnection, source: str) -> dict[str, str]:
    """Current sha256 per path for one source."""
    rows = connection.execute(
        f"""
        SELECT path, arg_max(sha256, load_id) FROM {LEDGER}
        WHERE source = ? GROUP BY path
        """,
        [source],
    ).fetchall()
    return dict(rows)


def record_delivery(connection, *, load_id: int, source: str, path: str, size_bytes: int, sha256: str, rows: int) -> None:
    connection.execute(
        f"INSERT INTO {LEDGER} VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
        [load_id, source, path, size_bytes, sha256, rows],
    )
