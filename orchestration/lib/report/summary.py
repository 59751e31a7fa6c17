"""The business summary `make run` prints after a run."""

import duckdb

from orchestration.lib.report.headline import Headline, all_figures, as_of_date, format_figure, format_verdict


def figure_line(figure: Headline, known_period: str | None = None) -> tuple[str, str]:
    """A figure as a (label, value) line, written as the report writes it, with its verdict and its period
    (left out where it is `known_period`, a date the reader has from a heading)."""
    notes = [note for note in (format_verdict(figure), figure.period) if note and note not in ("n/a", known_period)]
    shown = format_figure(figure.value, figure.unit)
    return figure.label, f"{shown} ({', '.join(notes)})" if notes else shown


def business_summary(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Every figure of the mart `headline` as a (label, value) line: the report's headline tiles and the
    figures only the summary shows, each with its period."""
    as_of = as_of_date(connection)
    return [("As of", str(as_of) if as_of else "n/a"), *(figure_line(figure) for figure in all_figures(connection))]
