"""What every chart of the report shares: a panel (a chart or, without data, a sentence saying why),
the report's time window, and how the marts are read."""

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date

import duckdb
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

# One look for every chart (its template set by `report_figures()`, the rest by `PanelSpec.chart`); the page
# sets the fonts.
TEMPLATE = "plotly_white"
LAYOUT = dict(
    margin=dict(l=60, r=30, t=30, b=50),
    height=380,
    legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
    hovermode="closest",
)


@contextmanager
def report_figures() -> Iterator[None]:
    """Every figure made inside takes the report's template as it is made. This is plotly's way to theme a set of
    figures (its default template), and plotly applies a default without validating it again in each figure,
    which a template set on each figure costs; the previous default is restored after."""
    previous = pio.templates.default
    pio.templates.default = TEMPLATE
    try:
        yield
    finally:
        pio.templates.default = previous


@dataclass(frozen=True)
class Window:
    """The months a time-series chart shows: `months` whole months up to the as-of date's month."""

    as_of: date
    months: int

    @property
    def start(self) -> date:
        month_index = self.as_of.year * 12 + self.as_of.month - 1 - (self.months - 1)
        return date(month_index // 12, month_index % 12 + 1, 1)

    def describe(self) -> str:
        return f"{self.start:%Y-%m} to {self.as_of:%Y-%m}"


@dataclass(frozen=True)
class Panel:
    key: str  # the chart's element id
    title: str
    how_to_read: str
    definition: str
    figure: go.Figure | None = None
    empty: str | None = None  # shown instead of a chart: why there is nothing to draw yet


@dataclass(frozen=True)
class PanelSpec:
    """What a panel says whatever the data (its element id, title, how to read it, its metric's definition);
    the section's code only reads the marts and draws the chart, or says why there is none."""

    key: str
    title: str
    how_to_read: str
    definition: str

    def chart(self, figure: go.Figure, **wording: str) -> Panel:
        """The panel with its chart; `wording` replaces the title or how-to-read where the data words them."""
        figure.update_layout(**LAYOUT)
        return Panel(**{**asdict(self), **wording}, figure=figure)

    def sentence(self, empty: str, **wording: str) -> Panel:
        """The panel without data: `empty` says why."""
        return Panel(**{**asdict(self), **wording}, empty=empty)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    panels: list[Panel]


def frame(connection: duckdb.DuckDBPyConnection, sql: str, parameters: list | None = None) -> pd.DataFrame:
    return connection.execute(sql, parameters or []).fetchdf()


def month_labels(months: pd.Series) -> list[str]:
    """Months as the charts label them (YYYY-MM): one category per month, not a point in time."""
    return [f"{month:%Y-%m}" for month in months]


def months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def monthly_lines(
    figure: go.Figure,
    rows: pd.DataFrame,
    *,
    group: str,
    month: str,
    value: str,
    line: Callable[[Hashable], dict],
    customdata: str | None = None,
) -> go.Figure:
    """One line per value of `group`, in the order the rows bring them: `value` by `month` (labelled YYYY-MM).
    `line(group value)` gives the rest of each line's look: name, mode, style, hover template."""
    for key, group_rows in rows.groupby(group, sort=False):
        extra = {"customdata": group_rows[customdata]} if customdata else {}
        figure.add_scatter(x=month_labels(group_rows[month]), y=group_rows[value], **extra, **line(key))
    return figure
