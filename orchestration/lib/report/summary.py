"""What `make run` prints after a run: rows per table and where the outputs are."""

import duckdb

from orchestration.lib.report.headline import all_figures, as_of_date, format_figure, format_verdict

SCHEMAS_IN_ORDER = (
    "shop",
    "support",
    "surveys",
    "marketing",
    "finance",
    "quarantine",
    "staging",
    "intermediate",
    "clv",
    "marts",
    "ingest",
)


def table_row_counts(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    """Rows of every table; views are left out (counting one runs its whole query)."""
    tables = connection.execute(
        """
        SELECT table_schema, table_name FROM information_schema.tables
        WHERE table_catalog = current_database() AND table_type = 'BASE TABLE' AND table_schema IN ({})
        """.format(", ".join("?" for _ in SCHEMAS_IN_ORDER)),
        list(SCHEMAS_IN_ORDER),
    ).fetchall()
    tables.sort(key=lambda t: (SCHEMAS_IN_ORDER.index(t[0]), t[1]))
    return [
        (f"{schema}.{table}", connection.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchall()[0][0])
        for schema, table in tables
    ]


def business_summary(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Every figure of the mart `headline` as a (label, value) line: the report's headline tiles and the
    figures only the summary shows, each written as the report writes it, with its period."""
    as_of = as_of_date(connection)
    lines = [("As of", str(as_of) if as_of else "n/a")]
    for figure in all_figures(connection):
        notes = [note for note in (format_verdict(figure), figure.period) if note and note != "n/a"]
        shown = format_figure(figure.value, figure.unit)
        lines.append((figure.label, f"{shown} ({', '.join(notes)})" if notes else shown))
    return lines
