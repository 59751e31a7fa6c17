"""The published report in a real browser: it opens from file:// with no error and no network request,
every chart holds data, and the headline shows the marts' numbers."""

import duckdb
import pytest

from tests.helpers import publish_generated_data

pytestmark = pytest.mark.browser

LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    serving, _ = publish_generated_data(tmp_path_factory.mktemp("report"), customers=400, seed=3)
    return serving, serving.parent / "report.html"


@pytest.fixture(scope="module")
def opened(browser, published):
    """The report as a person opens it, with what the page printed and asked for on the way."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors, requests = [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(published[1].as_uri())
    page.wait_for_function("document.querySelectorAll('.chart .main-svg').length > 0")
    yield page, errors, requests
    page.close()


def test_the_report_opens_from_the_file_with_no_error_and_no_network(opened):
    page, errors, requests = opened
    assert errors == []
    assert [url for url in requests if not url.startswith(LOCAL_SCHEMES)] == []
    assert page.title().startswith("Customer lifecycle report, as of ")


def test_every_chart_holds_data(opened, screenshots):
    page, _, _ = opened
    # `_fullData`: the traces as plotly drew them, their packed arrays decoded (`data` keeps them packed).
    points = page.evaluate(
        """() => Array.from(document.querySelectorAll('.chart')).map(chart => [
            chart.id,
            chart._fullData.map(trace => {
                const values = trace.y ?? trace.z ?? (trace.link && trace.link.value)
                    ?? (trace.cells && trace.cells.values) ?? [];
                return values.length;
            }),
        ])"""
    )
    assert len(points) == page.locator("[data-panel]").count() == 20  # no panel fell back to a sentence
    for chart, traces in points:
        assert traces and all(count > 0 for count in traces), chart
    page.add_style_tag(content="nav { position: static; }")  # the sticky menu would cover each section's title
    for section in page.locator("main > section").all():
        section.screenshot(path=str(screenshots / f"report-{section.get_attribute('id')}.png"))


def test_the_headline_shows_the_marts_numbers(opened, published):
    page, _, _ = opened
    shown = {
        card.get_attribute("data-metric"): card.get_attribute("data-value")
        for card in page.locator(".card[data-metric]").all()
    }
    with duckdb.connect(str(published[0]), read_only=True) as connection:
        people, prospects = connection.execute(
            "SELECT count(*), count(*) FILTER (WHERE NOT is_buyer) FROM marts.customers"
        ).fetchone()
        nps = connection.execute("SELECT nps_12m FROM marts.lifecycle_summary").fetchone()[0]
        channels = connection.execute(
            "SELECT acquisition_channel, ltv_cac_ratio_12m FROM marts.ltv_cac_by_channel"
        ).fetchall()
    assert float(shown["people"]) == people and float(shown["prospects"]) == prospects
    assert float(shown["nps_12m"]) == pytest.approx(nps)
    for channel, ratio in channels:
        assert float(shown[f"ltv_cac_{channel}"]) == pytest.approx(ratio)
    # What a person reads on the card is the same figure, formatted.
    assert page.locator('.card[data-metric="people"] .value').inner_text() == f"{people:,}"
