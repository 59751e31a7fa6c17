"""Bad input: a clear, typed error or a documented fallback; never a crash deep in scipy, never NaN."""

import numpy as np
import pandas as pd
import pytest

from orchestration.lib.clv import (
    ClvError,
    ClvFitError,
    ClvInputError,
    FitResult,
    fit_bg_nbd,
    fit_gamma_gamma,
    fit_mbg_nbd,
    predict,
    purchase_model,
)

FITS = [fit_bg_nbd, fit_mbg_nbd]


def summary(rows, time_unit="week") -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["frequency", "recency", "T", "monetary_value"])
    frame.attrs["time_unit"] = time_unit
    return frame


@pytest.mark.parametrize("fit", FITS)
def test_no_repeat_customers(fit):
    with pytest.raises(ClvInputError, match=r"none of the 51 customer\(s\) made a repeat purchase"):
        fit(summary([[0, 0.0, 10.0, 0.0]] * 50 + [[0, 0.0, 5.0, 0.0]]))


@pytest.mark.parametrize("fit", FITS)
def test_single_customer(fit):
    with pytest.raises(ClvInputError, match=r"all 1 customer\(s\) share one purchase history"):
        fit(summary([[2, 5.0, 10.0, 20.0]]))


@pytest.mark.parametrize("fit", FITS)
def test_identical_customers(fit):
    with pytest.raises(
        ClvInputError, match=r"all 50 customer\(s\) share one purchase history \(frequency=2, recency=5, T=10\)"
    ):
        fit(summary([[2, 5.0, 10.0, 20.0]] * 50))


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([[2, np.nan, 10.0, 1.0], [1, 2.0, 10.0, 1.0]], "summary.recency has 1 missing or infinite"),
        ([[2, 12.0, 10.0, 1.0], [1, 2.0, 10.0, 1.0]], "summary.recency exceeds T for 1 customer"),
        ([[-1, 0.0, 10.0, 1.0], [1, 2.0, 10.0, 1.0]], "summary.frequency must be a whole number"),
        ([[1.5, 1.0, 10.0, 1.0], [1, 2.0, 10.0, 1.0]], "summary.frequency must be a whole number"),
        ([[0, 3.0, 10.0, 1.0], [1, 2.0, 10.0, 1.0]], "recency is > 0 with frequency 0 for 1 customer"),
        ([[1, -1.0, 10.0, 1.0], [1, 2.0, 10.0, 1.0]], "summary.recency is negative"),
        ([], "summary is empty"),
    ],
)
@pytest.mark.parametrize("fit", FITS)
def test_inconsistent_summary(fit, rows, message):
    with pytest.raises(ClvInputError, match=message):
        fit(summary(rows))


def test_missing_columns_and_time_unit():
    with pytest.raises(ClvInputError, match=r"summary lacks column\(s\) \['T'\]"):
        fit_bg_nbd(pd.DataFrame({"frequency": [1], "recency": [1.0]}))
    unitless = summary([[1, 1.0, 3.0, 5.0], [0, 0.0, 3.0, 0.0]])
    unitless.attrs.clear()
    with pytest.raises(ClvInputError, match="say which time_unit"):
        fit_bg_nbd(unitless)
    with pytest.raises(ClvInputError, match="time_unit must be one of"):
        fit_bg_nbd(unitless, time_unit="fortnight")


def test_unknown_purchase_model():
    with pytest.raises(
        ClvInputError, match="purchase model must be one of \\['bg_nbd', 'mbg_nbd'\\], not 'pareto_nbd'"
    ):
        purchase_model("pareto_nbd")


def test_spend_all_non_positive():
    rows = [[2, 5.0, 10.0, 0.0]] * 5 + [[1, 2.0, 10.0, -4.0], [0, 0.0, 10.0, 0.0]]
    with pytest.raises(
        ClvInputError,
        match=r"no repeat customer has a positive monetary_value \(6 repeat customer\(s\), 6 with value <= 0\)",
    ):
        fit_gamma_gamma(summary(rows))


def test_spend_all_the_same():
    with pytest.raises(ClvInputError, match="have the same monetary_value \\(20\\)"):
        fit_gamma_gamma(summary([[2, 5.0, 10.0, 20.0], [1, 2.0, 10.0, 20.0], [0, 0.0, 10.0, 0.0]]))


def test_spend_needs_the_monetary_column():
    with pytest.raises(ClvInputError, match=r"lacks column\(s\) \['monetary_value'\]"):
        fit_gamma_gamma(pd.DataFrame({"frequency": [1, 2]}))


def test_predict_refuses_a_fit_that_did_not_converge():
    s = summary([[2, 5.0, 10.0, 20.0], [1, 2.0, 10.0, 12.0], [0, 0.0, 10.0, 0.0]])
    stuck = FitResult(
        "bg_nbd", {"r": 1.0, "alpha": 1.0, "a": 1.0, "b": 1.0}, -1.0, 3, "week", False, message="optimiser stopped"
    )
    spend = FitResult("gamma_gamma", {"p": 6.0, "q": 4.0, "gamma": 15.0}, -1.0, 2, "", True)

    with pytest.raises(ClvFitError, match="bg_nbd fit did not converge: optimiser stopped"):
        predict(s, purchase_fit=stuck, spend_fit=spend)


def test_predict_refuses_a_unit_mismatch():
    s = summary([[2, 5.0, 10.0, 20.0], [1, 2.0, 10.0, 12.0], [0, 0.0, 10.0, 0.0]], time_unit="day")
    weekly = FitResult("bg_nbd", {"r": 0.24, "alpha": 4.4, "a": 0.8, "b": 2.4}, -1.0, 3, "week", True)
    spend = FitResult("gamma_gamma", {"p": 6.0, "q": 4.0, "gamma": 15.0}, -1.0, 2, "", True)

    with pytest.raises(ClvInputError, match="summary is in days but the bg_nbd fit is in weeks"):
        predict(s, purchase_fit=weekly, spend_fit=spend)


def test_invalid_params_are_named():
    with pytest.raises(ClvInputError, match="params lack 'alpha'"):
        purchase_model("bg_nbd").probability_alive({"r": 1.0, "a": 1.0, "b": 1.0}, [1], [1.0], [2.0])
    with pytest.raises(ClvInputError, match="params must be positive and finite"):
        purchase_model("mbg_nbd").expected_purchases({"r": 1.0, "alpha": -1.0, "a": 1.0, "b": 1.0}, 5.0)


TINY_OR_DEGENERATE = {
    "two customers": [[2, 5.0, 10.0, 20.0], [0, 0.0, 10.0, 0.0]],
    "three customers": [[2, 5.0, 10.0, 20.0], [0, 0.0, 10.0, 0.0], [1, 3.0, 8.0, 10.0]],
    "no drop-out visible": [[k, 9.9, 10.0, 20.0 + k] for k in range(1, 10)] * 20,
    "zero spend only": [[2, 5.0, 10.0, 0.0]] * 5 + [[0, 0.0, 10.0, 0.0]],
    "refunds": [[2, 5.0, 10.0, -3.0], [1, 2.0, 10.0, 5.0], [3, 9.0, 10.0, 7.0], [0, 0.0, 10.0, 0.0]] * 10,
    "brand new customers": [[0, 0.0, 0.0, 0.0], [1, 2.0, 10.0, 3.0], [3, 9.0, 10.0, 7.0], [0, 0.0, 10.0, 0.0]] * 10,
    "everyone buys daily": [[k, k / 7, 10.0, 4.0 + k % 3] for k in range(60, 71)] * 5,
}


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("model", ["bg_nbd", "mbg_nbd"])
@pytest.mark.parametrize("rows", TINY_OR_DEGENERATE.values(), ids=TINY_OR_DEGENERATE.keys())
def test_tiny_or_degenerate_data_gives_predictions_or_a_typed_error(rows, model):
    """Whatever happens, it is finite predictions or a ClvError: no NaN, no warning, no other exception."""
    try:
        predictions = predict(summary(rows), model)
    except ClvError:
        return
    assert np.isfinite(predictions.to_numpy()).all()


def test_negative_horizon():
    params = {"r": 0.24, "alpha": 4.4, "a": 0.8, "b": 2.4}
    with pytest.raises(ClvInputError, match="the horizon t must be >= 0"):
        purchase_model("bg_nbd").conditional_expected_purchases(params, -1.0, [1], [1.0], [2.0])
    with pytest.raises(ClvInputError, match="the horizon t must be >= 0"):
        purchase_model("mbg_nbd").expected_purchases(params, [1.0, np.nan])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"months": 0}, "months must be a whole number >= 1"),
        ({"months": 1.5}, "months must be a whole number >= 1"),
        ({"monthly_discount_rate": -1.0}, "monthly_discount_rate must be > -1"),
        ({"days_per_month": 0.0}, "days_per_month must be > 0"),
    ],
)
def test_bad_horizon_or_discount_fails_before_fitting(options, message):
    s = summary([[2, 5.0, 10.0, 20.0], [1, 2.0, 10.0, 12.0], [0, 0.0, 10.0, 0.0]])
    with pytest.raises(ClvInputError, match=message):
        predict(s, **options)
