"""The business summary `make run` prints after a run."""

import duckdb

from orchestration.lib.report.headline import all_figures, as_of_date, format_figure, format_verdict


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
