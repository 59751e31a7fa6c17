"""The report's small pure parts: the time window, how the headline's figures read, definitions' code names."""

from datetime import date

import duckdb
import pytest

from orchestration.lib.report.headline import Headline, format_change, format_figure, format_verdict
from orchestration.lib.report.page import _code_spans
from orchestration.lib.report.panels import Window, months_between
from orchestration.lib.report.summary import business_summary


@pytest.mark.parametrize(
    ("as_of", "months", "start"),
    [
        (date(2025, 12, 31), 24, date(2024, 1, 1)),
        (date(2025, 3, 15), 3, date(2025, 1, 1)),
        (date(2025, 1, 1), 1, date(2025, 1, 1)),
        (date(2025, 2, 28), 14, date(2024, 1, 1)),
    ],
)
def test_the_window_is_whole_months_up_to_the_as_of_month(as_of, months, start):
    assert Window(as_of, months).start == start


def test_months_between_counts_calendar_months():
    assert months_between(date(2025, 5, 1), date(2025, 12, 31)) == 7
    assert months_between(date(2024, 12, 1), date(2025, 1, 2)) == 1


def headline(value, previous, unit, threshold=None, meets_threshold=None):
    return Headline("k", "label", value, previous, "2025-11", "2025-10", unit, "definition", threshold, meets_threshold)


@pytest.mark.parametrize(
    ("figure", "shown", "change"),
    [
        (headline(5000, 4825, "count"), "5,000", "+175 vs 4,825 (2025-10)"),
        (headline(0.7567, 0.7321, "rate"), "75.7%", "+2.5 pts vs 73.2% (2025-10)"),
        (headline(28.91, 33.51, "score"), "+28.9", "-4.6 vs +33.5 (2025-10)"),
        (headline(1.0088, 1.0473, "ratio"), "1.01", "-0.04 vs 1.05 (2025-10)"),
        (headline(18.16, None, "money"), "18.16", "no earlier value"),
        (headline(None, 3.0, "ratio"), "n/a", "no earlier value"),
        (headline(1.0, None, "months"), "1 month", "no earlier value"),
        (headline(3.5, None, "months"), "3.5 months", "no earlier value"),
    ],
)
def test_a_headline_figure_and_its_change(figure, shown, change):
    assert format_figure(figure.value, figure.unit) == shown
    assert format_change(figure) == change


@pytest.mark.parametrize(
    ("figure", "verdict"),
    [
        (headline(4.04, None, "ratio", threshold=3.0, meets_threshold=True), "healthy"),
        (headline(2.44, None, "ratio", threshold=3.0, meets_threshold=False), "below 3:1"),
        (headline(2.44, None, "ratio", threshold=2.5, meets_threshold=False), "below 2.5:1"),
        (headline(None, None, "ratio", threshold=3.0, meets_threshold=None), None),
        (headline(0.75, None, "rate"), None),
    ],
)
def test_a_verdict_is_the_marts_in_words_with_its_published_threshold(figure, verdict):
    assert format_verdict(figure) == verdict


def test_definitions_show_model_names_as_code_and_escape_the_rest():
    assert str(_code_spans("`customers.p_alive` < 1 & `nps`")) == (
        "<code>customers.p_alive</code> &lt; 1 &amp; <code>nps</code>"
    )


def test_make_runs_summary_renders_every_headline_row_in_display_order_as_the_report_formats_it():
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA marts")
    connection.execute(
        """
        CREATE TABLE marts.headline AS SELECT * FROM (VALUES
            ('ltv_cac_email', 3, 'LTV:CAC, email', 2.44, NULL, '24 cohorts 12 months old', 'n/a', 'ratio', 3.0, false,
             true, 'definition', DATE '2025-12-31'),
            ('people', 1, 'People known', 5000.0, 4825.0, 'as of 2025-12-31', 'as of 2025-11-30', 'count', NULL, NULL,
             true, 'definition', DATE '2025-12-31'),
            ('retention_12m', 2, '12-month retention', NULL, NULL, 'n/a', 'n/a', 'rate', NULL, NULL,
             false, 'definition', DATE '2025-12-31')
        ) AS rows(figure_key, display_order, label, value, previous_value, period, previous_period, unit, threshold,
                  meets_threshold, in_report, definition, as_of_date)
        """
    )
    assert business_summary(connection) == [
        ("As of", "2025-12-31"),
        ("People known", "5,000 (as of 2025-12-31)"),
        ("12-month retention", "n/a"),
        ("LTV:CAC, email", "2.44 (below 3:1, 24 cohorts 12 months old)"),
    ]
