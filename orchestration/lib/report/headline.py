"""The headline as the mart `headline` declares it, and how each unit of figure reads.

The mart holds every figure with its label, periods, unit and definition, in display order; the
report's tiles and `make run`'s summary both render its rows through the functions here, so the two
can only differ in which rows they show.
"""

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date

import duckdb


@dataclass(frozen=True)
class Headline:
    key: str  # stable name: the page's `data-metric` and the Dagster metadata key `headline/<key>`
    label: str
    value: float | None
    previous: float | None  # the same figure one period earlier; None where the marts keep no earlier value
    period: str  # what the value covers, e.g. "2025-11" or "12 months to 2025-12-31"
    previous_period: str
    unit: str  # count | rate | ratio | score | money | months
    definition: str
    threshold: float | None = None  # what judges the figure, as its mart publishes it
    meets_threshold: bool | None = None  # the mart's verdict against it
    in_report: bool = True  # a tile of the report's headline; the summary shows every figure


# The mart's column behind each field where the names differ, and the fields read as numbers.
COLUMNS = {"key": "figure_key", "previous": "previous_value"}
NUMBERS = ("value", "previous", "threshold")


def _months(value: float) -> str:
    return f"{value:g} month{'' if value == 1 else 's'}"


# One way to write each unit's values, for the report and the summary alike.
FORMATS: dict[str, Callable[[float], str]] = {
    "count": lambda value: f"{value:,.0f}",
    "rate": lambda value: f"{value:.1%}",
    "ratio": lambda value: f"{value:,.2f}",
    "score": lambda value: f"{value:+.1f}",
    "money": lambda value: f"{value:,.2f}",
    "months": _months,
}


def format_figure(value: float | None, unit: str) -> str:
    return "n/a" if value is None else FORMATS[unit](value)


def format_change(headline: Headline) -> str:
    """The change against the previous value, in the unit's terms (a rate's in percentage points)."""
    if headline.value is None or headline.previous is None:
        return "no earlier value"
    change = headline.value - headline.previous
    if headline.unit == "rate":
        shown = f"{change * 100:+.1f} pts"
    elif headline.unit == "score":
        shown = f"{change:+.1f}"
    elif headline.unit == "count":
        shown = f"{change:+,.0f}"
    else:
        shown = f"{change:+,.2f}"
    return f"{shown} vs {format_figure(headline.previous, headline.unit)} ({headline.previous_period})"


def format_verdict(headline: Headline) -> str | None:
    """The mart's verdict in words (LTV:CAC's "healthy" or "below 3:1"), None for figures nobody judges."""
    if headline.value is None or headline.meets_threshold is None or headline.threshold is None:
        return None
    return "healthy" if headline.meets_threshold else f"below {headline.threshold:g}:1"


def all_figures(connection: duckdb.DuckDBPyConnection) -> list[Headline]:
    """Every figure of a serving file's `marts.headline`, in display order, each field read by its column's name."""
    selected = ", ".join(
        f"{COLUMNS.get(field.name, field.name)}{'::DOUBLE' if field.name in NUMBERS else ''} AS {field.name}"
        for field in fields(Headline)
    )
    cursor = connection.execute(f"SELECT {selected} FROM marts.headline ORDER BY display_order")
    names = [column[0] for column in cursor.description]
    return [Headline(**dict(zip(names, row, strict=True))) for row in cursor.fetchall()]


def headline_figures(connection: duckdb.DuckDBPyConnection) -> list[Headline]:
    """The report's headline tiles, in the order it shows them."""
    return [figure for figure in all_figures(connection) if figure.in_report]


def as_of_date(connection: duckdb.DuckDBPyConnection) -> date | None:
    return connection.execute("SELECT max(as_of_date) FROM marts.headline").fetchone()[0]
