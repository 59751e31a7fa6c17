import numpy as np
import pandas as pd
import pytest

from orchestration.lib.clv import ClvInputError, collapse_histories, rfm_summary


@pytest.fixture
def tiny_transactions() -> pd.DataFrame:
    rows = [
        ("a", "2024-01-01 10:00", 10.0),
        ("a", "2024-01-01 18:00", 5.0),  # same day as the first: one purchase of 15
        ("a", "2024-01-08 09:00", 20.0),
        ("a", "2024-01-15 08:00", 30.0),
        ("a", "2024-01-15 20:00", 10.0),  # same day: one repeat purchase of 40
        ("b", "2024-01-10 12:00", 7.0),
        ("c", "2024-01-03 12:00", 5.0),
        ("c", "2024-01-20 12:00", 9.0),  # after the observation end: dropped
        ("d", "2024-01-18 12:00", 3.0),  # first purchase after the end: no row for d
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "ordered_at", "amount"])
    frame["ordered_at"] = pd.to_datetime(frame["ordered_at"])
    return frame


def test_rfm_summary_by_hand_in_days(tiny_transactions):
    summary = rfm_summary(tiny_transactions, monetary_col="amount", observation_end="2024-01-17 12:00", time_unit="day")

    expected = pd.DataFrame(
        {
            "frequency": [2, 0, 0],
            "recency": [14.0, 0.0, 0.0],
            "T": [16.0, 7.0, 14.0],
            "monetary_value": [30.0, 0.0, 0.0],  # mean of the repeat days 20 and 30 + 10; the first day is left out
        },
        index=pd.Index(["a", "b", "c"], name="customer_id"),
    )
    pd.testing.assert_frame_equal(summary, expected, check_index_type=False)
    assert summary.attrs["time_unit"] == "day"


def test_weeks_are_days_over_seven(tiny_transactions):
    days = rfm_summary(tiny_transactions, monetary_col="amount", observation_end="2024-01-17", time_unit="day")
    weeks = rfm_summary(tiny_transactions, monetary_col="amount", observation_end="2024-01-17", time_unit="week")

    np.testing.assert_allclose(weeks[["recency", "T"]], days[["recency", "T"]] / 7)
    assert (weeks["frequency"] == days["frequency"]).all()


def test_observation_end_defaults_to_the_last_transaction_day(tiny_transactions):
    summary = rfm_summary(tiny_transactions, time_unit="day")

    assert summary.loc["c", "T"] == 17.0 and summary.loc["d", "T"] == 2.0  # the last day is 2024-01-20
    assert summary.loc["c", "frequency"] == 1 and summary.loc["c", "recency"] == 17.0
    assert "monetary_value" not in summary.columns


def test_timezone_aware_timestamps_use_their_wall_clock_day():
    frame = pd.DataFrame(
        {
            "customer_id": [1, 1],
            "ordered_at": pd.to_datetime(["2024-03-01T23:30:00-05:00", "2024-03-02T00:30:00-05:00"]),
        }
    )
    summary = rfm_summary(frame, time_unit="day")

    assert summary.loc[1, "frequency"] == 1 and summary.loc[1, "recency"] == 1.0


def test_matches_lifetimes_summary(tiny_transactions, lifetimes):
    from lifetimes.utils import summary_data_from_transaction_data

    ours = rfm_summary(tiny_transactions, monetary_col="amount", observation_end="2024-01-17", time_unit="week")
    theirs = summary_data_from_transaction_data(
        tiny_transactions,
        "customer_id",
        "ordered_at",
        monetary_value_col="amount",
        observation_period_end="2024-01-17",
        freq="D",
        freq_multiplier=7,
    )
    pd.testing.assert_frame_equal(ours.astype(float), theirs, check_names=False, check_index_type=False)


def test_cdnow_transactions_reproduce_the_published_summary(cdnow_summary, cdnow_published_summary):
    ours = cdnow_summary.loc[cdnow_published_summary.index]

    assert len(cdnow_summary) == 2357
    assert (ours["frequency"] == cdnow_published_summary["frequency"]).all()
    np.testing.assert_allclose(ours["recency"].round(2), cdnow_published_summary["recency"], atol=1e-9)
    np.testing.assert_allclose(ours["T"].round(2), cdnow_published_summary["T"], atol=1e-9)
    # The published average spend is rounded half up, pandas' round() goes to even.
    np.testing.assert_allclose(ours["monetary_value"], cdnow_published_summary["monetary_value"], atol=0.005 + 1e-9)


def test_collapse_histories_counts_distinct_triples():
    summary = pd.DataFrame(
        {"frequency": [0, 2, 0, 2, 1], "recency": [0.0, 3.0, 0.0, 3.0, 1.0], "T": [5.0, 5.0, 5.0, 5.0, 4.0]},
        index=list("vwxyz"),
    )
    unique, codes = collapse_histories(summary)

    assert unique.to_dict("records") == [
        {"frequency": 0, "recency": 0.0, "T": 5.0, "count": 2},
        {"frequency": 1, "recency": 1.0, "T": 4.0, "count": 1},
        {"frequency": 2, "recency": 3.0, "T": 5.0, "count": 2},
    ]
    pd.testing.assert_frame_equal(
        unique.iloc[codes][["frequency", "recency", "T"]].reset_index(drop=True), summary.reset_index(drop=True)
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.drop(columns="amount"), r"lack column\(s\) \['amount'\]"),
        (lambda t: t.iloc[:0], "transactions are empty"),
        (lambda t: t.assign(customer_id=[None, *t["customer_id"][1:]]), "customer_id has 1 missing"),
        (lambda t: t.assign(ordered_at=pd.NaT), "ordered_at has 9 missing"),
        (lambda t: t.assign(amount=[np.nan, *t["amount"][1:]]), "amount has 1 missing"),
        (lambda t: t.assign(amount="ten"), "amount must be numeric"),
    ],
)
def test_bad_transactions_raise_a_clear_error(tiny_transactions, change, message):
    with pytest.raises(ClvInputError, match=message):
        rfm_summary(change(tiny_transactions), monetary_col="amount")


def test_no_transaction_before_the_observation_end(tiny_transactions):
    with pytest.raises(ClvInputError, match="no transaction falls on or before the observation end 2023-12-31"):
        rfm_summary(tiny_transactions, observation_end="2023-12-31")


def test_unknown_time_unit(tiny_transactions):
    with pytest.raises(ClvInputError, match="time_unit must be one of"):
        rfm_summary(tiny_transactions, time_unit="month")
