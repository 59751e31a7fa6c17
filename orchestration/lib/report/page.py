"""The lifecycle report: one self-contained HTML page rendered from a serving file, a BI consumer like any other.

Everything the page needs is inside it: plotly's JavaScript once, and each chart as a JSON spec the
page draws with it, so it opens from `file://` with no network. The figures are embedded as data
too (`#report-data`), which is what the tests compare with the marts.
"""

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import jinja2
import markupsafe
from plotly.offline import get_plotlyjs

from orchestration.lib.report.headline import Headline, as_of_date, format_change, format_figure, headline_figures
from orchestration.lib.report.panels import Section, Window, report_figures
from orchestration.lib.report.sections import audiences, cohorts, experience, flows, value
from orchestration.lib.report.sections.acquisition import ltv_cac_by_channel, metric_flags

TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("orchestration.lib.report", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
    undefined=jinja2.StrictUndefined,
)


def _code_spans(text: str) -> markupsafe.Markup:
    """A definition's `model.column` names as code, the rest escaped."""
    parts = str(markupsafe.escape(text)).split("`")
    return markupsafe.Markup("".join(f"<code>{part}</code>" if index % 2 else part for index, part in enumerate(parts)))


TEMPLATES.filters["code_spans"] = _code_spans


@dataclass(frozen=True)
class ReportSummary:
    as_of: date | None
    headline: list[Headline]
    charts: int  # panels drawn as a chart
    sentences: int  # panels without data, shown as a sentence
    bytes_written: int


def _script_safe(text: str) -> str:
    """JSON inside a <script> element: `</` would end the element early; `<\\/` is the same JSON string."""
    return text.replace("</", "<\\/")


def _inline_javascript() -> str:
    """plotly.js as it ships, to be inlined: only `</script` could end its element early, and it has none."""
    javascript = get_plotlyjs()
    if "</script" in javascript.lower():
        raise ValueError("plotly.js contains '</script' and cannot be inlined as it is")
    return javascript


def _sections(connection: duckdb.DuckDBPyConnection, window: Window) -> list[Section]:
    return [
        Section("headline", "Headline", [ltv_cac_by_channel(connection, window), metric_flags(connection, window)]),
        cohorts.section(connection, window),
        flows.section(connection, window),
        value.section(connection, window),
        experience.section(connection, window),
        audiences.section(connection, window),
    ]


def render_report(serving_file: Path, out: Path, *, window_months: int) -> ReportSummary:
    """Read the marts of `serving_file` (read-only) and write the report to `out`."""
    with duckdb.connect(str(serving_file), read_only=True) as connection:
        headline = headline_figures(connection)
        as_of = as_of_date(connection)
        window = Window(as_of or date.today(), window_months)
        with report_figures():
            sections = _sections(connection, window)
    panels = [panel for section in sections for panel in section.panels]
    data = {
        "as_of": as_of.isoformat() if as_of else None,
        "window": {"months": window_months, "from": window.start.isoformat(), "to": window.as_of.isoformat()},
        "headline": {h.key: {"value": h.value, "previous": h.previous, "label": h.label} for h in headline},
        "panels": {panel.key: "chart" if panel.figure is not None else "sentence" for panel in panels},
    }
    html = TEMPLATES.get_template("report.html.j2").render(
        as_of=as_of,
        window=window,
        rendered_at=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        serving_file=serving_file.name,
        headline=headline,
        sections=sections,
        figure_json={panel.key: _script_safe(panel.figure.to_json()) for panel in panels if panel.figure is not None},
        report_data=_script_safe(json.dumps(data)),
        plotly_js=_inline_javascript(),
        format_figure=format_figure,
        format_change=format_change,
    )
    out.write_text(html, encoding="utf-8")
    charts = sum(panel.figure is not None for panel in panels)
    return ReportSummary(as_of, headline, charts, len(panels) - charts, out.stat().st_size)
