"""Discounted CLV by hand, and per-customer predictions."""

import numpy as np
import pandas as pd
import pytest

from orchestration.lib.clv import (
    DAYS_PER_MONTH,
    FitResult,
    bg_nbd,
    cumulative_expected_purchases_by_month,
    discounted_clv,
    fit_bg_nbd,
    fit_gamma_gamma,
    predict,
    rfm_summary,
)

CALIBRATION_END = "1997-09-30"  # CDNOW: 39 weeks of calibration


def test_discounted_clv_by_hand():
    cumulative = np.array([[0.0, 1.0, 2.0, 3.0], [0.0, 0.5, 0.5, 0.5]])

    value = discounted_clv(cumulative, [10.0, 4.0], monthly_discount_rate=0.1)

    # one purchase a month worth 10, discounted 1, 2 and 3 months; half a purchase in month 1 worth 4
    np.testing.assert_allclose(value, [10 / 1.1 + 10 / 1.1**2 + 10 / 1.1**3, 0.5 * 4 / 1.1])
    assert value[0] == pytest.approx(24.8685199098)


def test_undiscounted_clv_is_spend_times_purchases():
    cumulative = np.array([[0.0, 0.2, 0.7, 0.9]])

    assert discounted_clv(cumulative, 25.0, monthly_discount_rate=0.0) == pytest.approx([22.5])


def test_months_are_days_per_month_in_the_fit_unit():
    fit = FitResult("bg_nbd", {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, 0.0, 1, "week", True)

    cumulative = cumulative_expected_purchases_by_month(fit, [2], [30.43], [38.86], months=12)

    assert cumulative.shape == (1, 13) and cumulative[0, 0] == 0.0
    expected = bg_nbd.conditional_expected_purchases(fit.params, 12 * DAYS_PER_MONTH / 7, 2, 30.43, 38.86)
    assert cumulative[0, 12] == pytest.approx(float(expected), rel=1e-12)


def test_predict_cdnow(cdnow_summary):
    predictions = predict(cdnow_summary, "bg_nbd")

    assert list(predictions.columns) == ["expected_purchases_12m", "p_alive", "expected_avg_spend", "predicted_clv_12m"]
    assert predictions.index.equals(cdnow_summary.index)
    assert np.isfinite(predictions.to_numpy()).all()
    assert (predictions["p_alive"].between(0, 1)).all()
    assert (predictions["predicted_clv_12m"] > 0).all()
    # customer 1: x = 2, t_x = 30.43, T = 38.86, average repeat spend 22.345
    first = predictions.loc[1]
    assert first["expected_purchases_12m"] == pytest.approx(1.5631, abs=1e-4)
    assert first["expected_avg_spend"] == pytest.approx(24.66, abs=0.01)


def test_predict_is_the_same_in_days_and_weeks(cdnow_transactions):
    by_unit = {
        unit: predict(
            rfm_summary(cdnow_transactions, monetary_col="value", observation_end=CALIBRATION_END, time_unit=unit)
        )
        for unit in ("day", "week")
    }

    pd.testing.assert_frame_equal(by_unit["day"], by_unit["week"], rtol=1e-4)


def test_predict_with_passed_fits_and_horizon(cdnow_summary):
    purchase_fit, spend_fit = fit_bg_nbd(cdnow_summary), fit_gamma_gamma(cdnow_summary)

    predictions = predict(
        cdnow_summary, purchase_fit=purchase_fit, spend_fit=spend_fit, months=6, monthly_discount_rate=0.0
    )

    assert list(predictions.columns) == ["expected_purchases_6m", "p_alive", "expected_avg_spend", "predicted_clv_6m"]
    np.testing.assert_allclose(
        predictions["predicted_clv_6m"], predictions["expected_purchases_6m"] * predictions["expected_avg_spend"]
    )


@pytest.mark.parametrize("model", ["bg_nbd", "mbg_nbd"])
def test_clv_matches_lifetimes(cdnow_published_summary, lifetimes, model):
    s = cdnow_published_summary
    fitter = {"bg_nbd": lifetimes.BetaGeoFitter, "mbg_nbd": lifetimes.ModifiedBetaGeoFitter}[model]
    purchases = fitter().fit(s["frequency"], s["recency"], s["T"])
    repeat = s[s["frequency"] > 0]
    spend = lifetimes.GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    theirs = spend.customer_lifetime_value(
        purchases, s["frequency"], s["recency"], s["T"], s["monetary_value"], time=12, discount_rate=0.01, freq="W"
    )

    ours = predict(
        s,
        purchase_fit=FitResult(model, dict(purchases.params_), 0.0, len(s), "week", True),
        spend_fit=FitResult(
            "gamma_gamma",
            {"p": spend.params_["p"], "q": spend.params_["q"], "gamma": spend.params_["v"]},
            0.0,
            len(repeat),
            "",
            True,
        ),
        days_per_month=4.345 * 7,  # lifetimes' month for freq="W"
    )
    np.testing.assert_allclose(ours["predicted_clv_12m"], theirs, rtol=1e-9)
