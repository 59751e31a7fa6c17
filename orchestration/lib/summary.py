"""What `make run` prints after a run: rows per table and where the outputs are."""

import duckdb

SCHEMAS_IN_ORDER = ("shop", "support", "surveys", "marketing", "finance", "staging", "intermediate", "marts", "ingest")


def table_row_counts(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    tables = connection.execute(
        """
        SELECT table_schema, table_name FROM information_schema.tables
        WHERE table_catalog = current_database() AND table_schema IN ({})
        """.format(", ".join("?" for _ in SCHEMAS_IN_ORDER)),
        list(SCHEMAS_IN_ORDER),
    ).fetchall()
    tables.sort(key=lambda t: (SCHEMAS_IN_ORDER.index(t[0]), t[1]))
    return [
        (f"{schema}.{table}", connection.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchall()[0][0])
        for schema, table in tables
    ]
