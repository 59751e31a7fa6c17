"""Calibration/holdout split and evaluation: by hand on a tiny log, and on CDNOW's 39 + 39 weeks."""

import numpy as np
import pandas as pd
import pytest

from orchestration.lib.clv import bg_nbd, calibration_holdout_summary, evaluate_holdout, fit_bg_nbd

CALIBRATION_END = "1997-09-30"  # CDNOW: 39 weeks of calibration, then 39 of holdout
OBSERVATION_END = "1998-06-30"


def test_calibration_holdout_summary_by_hand():
    transactions = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "a", "b", "c"],
            "ordered_at": pd.to_datetime(
                [
                    "2024-01-01 00:00",
                    "2024-01-08 00:00",
                    "2024-01-12 09:00",
                    "2024-01-12 17:00",
                    "2024-01-20 00:00",
                    "2024-01-05 00:00",
                    "2024-01-11 00:00",
                ]
            ),
        }
    )
    summary = calibration_holdout_summary(
        transactions, calibration_end="2024-01-10", observation_end="2024-01-24", time_unit="day"
    )

    expected = pd.DataFrame(
        {
            "frequency": [1, 0],
            "recency": [7.0, 0.0],
            "T": [9.0, 5.0],
            "frequency_holdout": [2, 0],  # a: 12 Jan (twice, one day) and 20 Jan; c first bought in the holdout
            "duration_holdout": [14.0, 14.0],
        },
        index=pd.Index(["a", "b"], name="customer_id"),
    )
    pd.testing.assert_frame_equal(summary, expected, check_index_type=False)


@pytest.fixture(scope="module")
def cdnow_report(cdnow_transactions):
    return evaluate_holdout(
        cdnow_transactions, calibration_end=CALIBRATION_END, observation_end=OBSERVATION_END, model="bg_nbd"
    )


def test_cdnow_holdout_per_customer(cdnow_report, cdnow_summary, cdnow_transactions):
    report = cdnow_report
    assert report.fit.params == fit_bg_nbd(cdnow_summary).params
    assert len(report.customers) == 2357

    predicted = bg_nbd.conditional_expected_purchases(
        report.fit.params, 39.0, cdnow_summary["frequency"], cdnow_summary["recency"], cdnow_summary["T"]
    )
    np.testing.assert_allclose(report.customers["predicted"], predicted, rtol=1e-12)

    days = cdnow_transactions.drop_duplicates(["customer_id", "ordered_at"])
    in_holdout = days[(days["ordered_at"] > CALIBRATION_END) & (days["ordered_at"] <= OBSERVATION_END)]
    assert report.total_actual == len(in_holdout)
    errors = report.customers["predicted"] - report.customers["actual"]
    assert report.mae == pytest.approx(errors.abs().mean())
    assert report.rmse == pytest.approx(np.sqrt((errors**2).mean()))
    # BG/NBD under-forecasts CDNOW's second 39 weeks somewhat (1,653 predicted against 1,882 repeat purchase days).
    assert report.total_predicted == pytest.approx(report.total_actual, rel=0.15)


def test_cdnow_tracking_table(cdnow_report, cdnow_summary):
    tracking = cdnow_report.tracking

    assert len(tracking) == 78
    assert tracking["period_end"].iloc[0] == pd.Timestamp("1997-01-07")
    assert tracking["period_end"].iloc[38] == pd.Timestamp(CALIBRATION_END)
    assert tracking["period_end"].iloc[-1] == pd.Timestamp(OBSERVATION_END)
    assert (np.diff(tracking["actual_cumulative"]) >= 0).all()
    assert (np.diff(tracking["predicted_cumulative"]) > 0).all()
    assert tracking["holdout"].sum() == 39
    repeat_purchases_to_date = cdnow_summary["frequency"].sum() + cdnow_report.total_actual
    assert tracking["actual_cumulative"].iloc[-1] == repeat_purchases_to_date
    # At the end of calibration (week 39) the model tracks the cohort closely.
    week_39 = tracking.iloc[38]
    assert week_39["predicted_cumulative"] == pytest.approx(week_39["actual_cumulative"], rel=0.05)
