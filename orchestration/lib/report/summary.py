"""The business summary `make run` prints after a run."""

import duckdb

from orchestration.lib.report.headline import all_figures, as_of_date, format_figure, format_verdict


def business_summary(connection: duckdb.DuckDBPyConnection, report_tiles_only: bool = False) -> list[tuple[str, str]]:
    """Every figure of the mart `headline` (or only the report's headline tiles) as a (label, value) line,
    each written as the report writes it, with its period."""
    as_of = as_of_date(connection)
    lines = [("As of", str(as_of) if as_of else "n/a")]
    for figure in all_figures(connection):
        if report_tiles_only and not figure.in_report:
            continue
        notes = [note for note in (format_verdict(figure), figure.period) if note and note != "n/a"]
        shown = format_figure(figure.value, figure.unit)
        lines.append((figure.label, f"{shown} ({', '.join(notes)})" if notes else shown))
    return lines
