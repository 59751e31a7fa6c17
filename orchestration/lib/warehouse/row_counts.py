"""Rows per table of a DuckDB file, for the summary `make run` prints."""

from collections.abc import Sequence

import duckdb

from orchestration.lib.warehouse.relations import quote_identifier


def table_row_counts(connection: duckdb.DuckDBPyConnection, schema_order: Sequence[str]) -> list[tuple[str, int]]:
    """Rows of every table (views are left out: counting one runs its whole query), the schemas of
    `schema_order` first and in that order, then any other schema by name: a table is never left out."""
    tables = connection.execute(
        """
        SELECT table_schema, table_name FROM information_schema.tables
        WHERE table_catalog = current_database() AND table_type = 'BASE TABLE'
        """
    ).fetchall()
    rank = {schema: position for position, schema in enumerate(schema_order)}
    tables.sort(key=lambda table: (rank.get(table[0], len(rank)), table[0], table[1]))
    return [(f"{schema}.{table}", _rows(connection, schema, table)) for schema, table in tables]


def _rows(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> int:
    return connection.execute(f"SELECT count(*) FROM {quote_identifier(schema)}.{quote_identifier(table)}").fetchone()[
        0
    ]
