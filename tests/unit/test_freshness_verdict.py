"""What a source's freshness check says, on hand-written times: fresh, overdue, never delivered."""

from orchestration.lib.ingest.freshness import Freshness, judge_freshness

NOW = 1_750_000_000.0
HOUR, DAY = 3600, 86_400


def test_a_delivery_within_the_window_is_fresh_until_the_window_has_passed_since_it():
    assert judge_freshness("orders", 2, NOW, NOW - 5 * HOUR) == Freshness(
        True, "orders: last delivered 5 hours ago (expected at least every 2 days)", NOW - 5 * HOUR + 2 * DAY
    )


def test_a_delivery_older_than_the_window_is_overdue():
    assert judge_freshness("orders", 2, NOW, NOW - 10 * DAY - 2 * HOUR - 30) == Freshness(
        False, "orders: overdue, last delivered 10 days, 2 hours ago (expected at least every 2 days)", None
    )


def test_a_source_that_never_delivered_says_so():
    assert judge_freshness("fx_rates", 3, NOW, None) == Freshness(
        False, "fx_rates: never delivered (expected at least every 3 days)", None
    )


def test_windows_and_ages_read_in_days_hours_and_minutes():
    assert judge_freshness("spend", 0.5, NOW, NOW - 20).description == (
        "spend: last delivered less than a minute ago (expected at least every 12 hours)"
    )
    assert judge_freshness("spend", 1, NOW, NOW - HOUR - 61).description == (
        "spend: last delivered 1 hour, 1 minute ago (expected at least every 1 day)"
    )
    assert judge_freshness("spend", 3, NOW, NOW - DAY - 3 * HOUR).description == (
        "spend: last delivered 1 day, 3 hours ago (expected at least every 3 days)"
    )
