"""The lifecycle report a run publishes: self-contained, every chart drawn, and its figures equal to the marts."""

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.request
from html.parser import HTMLParser

import dagster as dg
import duckdb
import numpy as np
import plotly.graph_objects as go
import pytest

from orchestration.defs.automation.metric_flags import FLAG_MARTS
from orchestration.defs.publish.assets import LIFECYCLE_REPORT
from orchestration.lib.report.headline import format_figure, headline_figures
from orchestration.lib.report.page import render_report
from orchestration.lib.report.panels import TEMPLATE
from orchestration.lib.report.summary import business_summary
from orchestration.lib.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def published(published_sample):
    """The shared run's serving file, its report, the report's materialization and the run."""
    serving, result = published_sample
    materialization = next(
        event.materialization
        for event in result.get_asset_materialization_events()
        if event.asset_key == LIFECYCLE_REPORT
    )
    return serving, serving.parent / "report.html", materialization, result


class Page(HTMLParser):
    """The report's parts a test reads: external resources, the embedded data, each chart's spec."""

    def __init__(self, html: str):
        super().__init__()
        self.external: list[str] = []
        self.figures: dict[str, dict] = {}
        self.data: dict = {}
        self.sentences: dict[str, str] = {}
        self._script: dict | None = None
        self._empty: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("script", "img", "iframe") and attributes.get("src"):
            self.external.append(attributes["src"])
        if tag == "link" and attributes.get("href"):
            self.external.append(attributes["href"])
        if tag == "script":
            self._script = attributes
        if tag == "div" and attributes.get("class") == "empty":
            self._empty = attributes.get("id") or ""
            self.sentences[self._empty] = ""

    def handle_data(self, data):
        if self._script is not None and self._script.get("class") == "figure-spec":
            self.figures[self._script["data-target"]] = json.loads(data)
        elif self._script is not None and self._script.get("id") == "report-data":
            self.data = json.loads(data)
        elif self._empty is not None:
            self.sentences[self._empty] += data.strip()

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None
        if tag == "div":
            self._empty = None


def values(array) -> list:
    """A chart's array as plotly serialised it: a list, or numbers packed as base64 (`bdata`, its typed arrays)."""
    if isinstance(array, dict) and "bdata" in array:
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"])).tolist()
    return list(array)


@pytest.fixture(scope="module")
def page(published):
    return Page(published[1].read_text(encoding="utf-8"))


def test_the_report_is_published_beside_the_marts_and_needs_nothing_else(published, page):
    serving, report, *_ = published
    assert report.parent == serving.parent
    assert page.external == []  # no script, style sheet or image from anywhere
    assert b"Plotly.newPlot" in report.read_bytes()


def test_every_panel_draws_a_chart_with_data(page):
    assert set(page.data["panels"].values()) == {"chart"}, page.sentences
    assert set(page.figures) == set(page.data["panels"])
    for key, figure in page.figures.items():
        assert figure["data"], key
        for trace in figure["data"]:
            points = trace.get(
                "y", trace.get("z", trace.get("link", {}).get("value", trace.get("cells", {}).get("values")))
            )
            assert points is not None and len(values(points)) > 0, (key, trace.get("name"))


def test_every_chart_has_the_reports_template(page):
    template = json.loads(go.Figure(layout={"template": TEMPLATE}).to_json())["layout"]["template"]
    themed = {key: figure["layout"].get("template") == template for key, figure in page.figures.items()}
    assert themed == dict.fromkeys(page.figures, True)


def test_the_headline_equals_the_marts(published, page):
    serving, *_ = published
    headline = page.data["headline"]
    with duckdb.connect(str(serving), read_only=True) as connection:

        def one(sql):
            return connection.execute(sql).fetchone()

        as_of, last_month = one("SELECT as_of_date, last_month FROM marts.lifecycle_summary")
        people, prospects = one("SELECT count(*), count(*) FILTER (WHERE NOT is_buyer) FROM marts.customers")
        # The month before the as-of month, from the people themselves.
        people_before, prospects_before = one(
            f"""
            SELECT count(*), count(*) FILTER (WHERE first_completed_order_at IS NULL
                                               OR first_completed_order_at >= date_trunc('month', DATE '{as_of}'))
            FROM marts.customers WHERE first_seen_at < date_trunc('month', DATE '{as_of}')
            """
        )
        flows = connection.execute(
            f"SELECT active_customers, churned_customers, active_customers_last_month, new_customers, "
            f"resurrected_customers FROM marts.growth_accounting_monthly WHERE flow_month <= DATE '{last_month}' "
            f"ORDER BY flow_month DESC LIMIT 2"
        ).fetchall()
        nps_12m, nps_prior_12m = one("SELECT nps_12m, nps_prior_12m FROM marts.lifecycle_summary")
        channels = dict(
            connection.execute("SELECT acquisition_channel, ltv_cac_ratio_12m FROM marts.ltv_cac_by_channel").fetchall()
        )

    assert headline["people"]["value"] == people and headline["people"]["previous"] == people_before
    assert headline["prospects"]["value"] == prospects and headline["prospects"]["previous"] == prospects_before
    (active, churned, active_before, new, resurrected), previous = flows
    assert headline["active_buyers"]["value"] == active and headline["active_buyers"]["previous"] == previous[0]
    assert headline["monthly_churn"]["value"] == pytest.approx(churned / active_before, abs=5e-5)
    assert headline["monthly_churn"]["previous"] == pytest.approx(previous[1] / previous[2], abs=5e-5)
    assert headline["quick_ratio"]["value"] == pytest.approx((new + resurrected) / churned, abs=5e-5)
    assert (headline["nps_12m"]["value"], headline["nps_12m"]["previous"]) == (nps_12m, nps_prior_12m)
    assert {key.removeprefix("ltv_cac_"): h["value"] for key, h in headline.items() if key.startswith("ltv_cac_")} == {
        channel: pytest.approx(ratio) for channel, ratio in channels.items()
    }


def test_make_runs_summary_shows_each_of_the_reports_headline_figures_as_the_report_does(published, page):
    serving, *_ = published
    with duckdb.connect(str(serving), read_only=True) as connection:
        lines = dict(business_summary(connection))
        tiles = headline_figures(connection)
    assert {tile.key: tile.label for tile in tiles} == {key: h["label"] for key, h in page.data["headline"].items()}
    for tile in tiles:
        value, *notes = lines[tile.label].split(" (", 1)
        assert value == format_figure(tile.value, tile.unit), tile.key
        assert tile.period == "n/a" or tile.period in notes[0], tile.key


def test_the_charts_show_the_marts_numbers(published, page):
    serving, *_ = published
    with duckdb.connect(str(serving), read_only=True) as connection:
        tiers = dict(
            connection.execute("SELECT value_tier, count(*) FROM marts.customers WHERE is_buyer GROUP BY 1").fetchall()
        )
        as_of = connection.execute("SELECT as_of_date FROM marts.lifecycle_summary").fetchone()[0]
        new_by_month = connection.execute(
            "SELECT strftime(flow_month, '%Y-%m'), new_customers FROM marts.growth_accounting_monthly "
            "WHERE flow_month > ? - INTERVAL 24 MONTH ORDER BY 1",
            [as_of],
        ).fetchall()
        holdout_weeks = connection.execute("SELECT count(*) FROM marts.clv_holdout_tracking").fetchone()[0]

    value_tiers = page.figures["value-tiers"]["data"]
    buyers = {trace["name"]: trace for trace in value_tiers}["share of buyers"]
    customers = [customers for customers, _ in buyers["customdata"]]
    assert dict(zip(values(buyers["x"]), customers, strict=True)) == tiers
    growth = {trace["name"]: trace for trace in page.figures["growth-accounting"]["data"]}["new"]
    assert list(zip(values(growth["x"]), values(growth["y"]), strict=True)) == new_by_month
    tracking = page.figures["clv-holdout"]["data"]
    assert [len(values(trace["y"])) for trace in tracking] == [holdout_weeks, holdout_weeks]


def test_the_reports_headline_reaches_dagster_as_numbers(published, page):
    _, report, materialization, _ = published
    metadata = materialization.metadata
    assert metadata["report_path"] == dg.MetadataValue.path(str(report))
    assert metadata["headline/people"].value == page.data["headline"]["people"]["value"]
    assert metadata["charts"].value == len(page.figures)


def test_young_and_empty_marts_render_as_sentences(published, tmp_path):
    serving, *_ = published
    young = tmp_path / "young.duckdb"
    shutil.copy(serving, young)
    with duckdb.connect(str(young)) as connection:
        as_of = connection.execute("SELECT as_of_date FROM marts.lifecycle_summary").fetchone()[0]
        # Spend only for the last 7 months: no paid cohort has had 12 months.
        connection.execute("DELETE FROM marts.ltv_cac_by_channel")
        connection.execute(
            "DELETE FROM marts.ltv_cac WHERE cohort_month < date_trunc('month', ? - INTERVAL 7 MONTH)", [as_of]
        )
    summary = render_report(young, tmp_path / "young.html", window_months=24)
    page = Page((tmp_path / "young.html").read_text(encoding="utf-8"))
    assert page.sentences["ltv-cac-by-channel"] == "LTV:CAC needs a cohort 12 months old; the oldest is 7 months."
    assert summary.sentences == len(page.sentences)

    empty = tmp_path / "empty.duckdb"
    shutil.copy(serving, empty)
    with duckdb.connect(str(empty)) as connection:
        for (table,) in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'"
        ).fetchall():
            connection.execute(f"DELETE FROM marts.{table}")
    summary = render_report(empty, tmp_path / "empty.html", window_months=24)
    page = Page((tmp_path / "empty.html").read_text(encoding="utf-8"))
    assert summary.charts == 0 and page.figures == {}
    assert all(sentence and not re.search(r"nan|None", sentence) for sentence in page.sentences.values())
    assert summary.headline == []


def test_make_docs_builds_the_catalogue_beside_the_serving_file_and_serves_it_on_loopback(published):
    serving, *_ = published
    environment = {
        **os.environ,
        "LIFECYCLE_WAREHOUSE": str(serving.parent.parent / "warehouse.duckdb"),
        "LIFECYCLE_SERVING": str(serving),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "docs", "--port", "0"],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        lines = []
        for line in server.stdout:
            lines.append(line)
            if line.startswith("Serving the dbt docs at "):
                break
        url = re.search(r"http://127\.0\.0\.1:\d+/", lines[-1]).group(0)
        page = serving.parent / "docs" / "index.html"
        assert f"dbt docs: {page}" in "".join(lines)
        with urllib.request.urlopen(url, timeout=10) as response:
            served = response.read()
        assert served == page.read_bytes()
        # The catalogue holds the marts' columns with their formulas, and who reads them.
        assert b"exposure.lifecycle.lifecycle_report" in served and b"exposure.lifecycle.bi_tools" in served
        assert b"historical_clv_margin + predicted_clv_12m" in served
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    assert server.poll() is not None


def test_metric_flags_warn_on_the_marts_they_watch_and_never_block(published):
    serving, _, _, result = published
    with duckdb.connect(str(serving), read_only=True) as connection:
        raised = dict(
            connection.execute("SELECT flag, bool_or(is_raised) FROM marts.metric_flags GROUP BY flag").fetchall()
        )
    flags = {
        evaluation.check_name: evaluation
        for evaluation in result.get_asset_check_evaluations()
        if evaluation.check_name in FLAG_MARTS
    }
    assert set(flags) == set(FLAG_MARTS) and result.success
    for flag, evaluation in flags.items():
        assert evaluation.asset_key.path == ["marts", FLAG_MARTS[flag]]
        assert evaluation.severity == dg.AssetCheckSeverity.WARN
        assert evaluation.passed == (not raised.get(flag, False)), flag
