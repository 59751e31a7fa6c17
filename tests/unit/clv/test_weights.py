"""A summary of distinct histories with a `customers` count fits and predicts like the per-customer summary."""

import numpy as np
import pandas as pd
import pytest

from orchestration.lib import clv
from orchestration.lib.clv.pipeline import predicted_clv_summary


def _distinct(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct history, with how many customers share it."""
    columns = ["frequency", "recency", "T", "monetary_value"]
    distinct = summary.groupby(columns).size().rename(clv.CUSTOMERS_COLUMN).reset_index()
    distinct.attrs["time_unit"] = summary.attrs["time_unit"]
    return distinct


@pytest.mark.parametrize("fit", [clv.fit_bg_nbd, clv.fit_mbg_nbd, clv.fit_gamma_gamma])
def test_weighted_fit_equals_per_customer_fit(cdnow_summary, fit):
    distinct = _distinct(cdnow_summary)
    assert len(distinct) < len(cdnow_summary)  # CDNOW has shared histories (1,411 one-time buyers, among others)

    per_customer, weighted = fit(cdnow_summary), fit(distinct)

    assert weighted.n_customers == per_customer.n_customers
    assert weighted.n_excluded == per_customer.n_excluded
    assert weighted.log_likelihood == pytest.approx(per_customer.log_likelihood, rel=1e-9)
    for name, value in per_customer.params.items():
        assert weighted.params[name] == pytest.approx(value, rel=1e-6)


def test_weighted_predictions_line_up_with_each_customer(cdnow_summary):
    distinct = _distinct(cdnow_summary)
    per_customer = clv.predict(cdnow_summary, "mbg_nbd")
    by_history = distinct.join(clv.predict(distinct, "mbg_nbd"))

    joined = cdnow_summary.reset_index().merge(by_history, on=["frequency", "recency", "T", "monetary_value"])
    assert len(joined) == len(cdnow_summary)
    expected = per_customer.loc[joined[cdnow_summary.index.name or "index"]].to_numpy()
    np.testing.assert_allclose(joined[list(per_customer.columns)].to_numpy(), expected, rtol=1e-6)


def test_customers_must_be_whole_and_positive():
    summary = pd.DataFrame(
        {"frequency": [0, 2], "recency": [0.0, 3.0], "T": [5.0, 5.0], clv.CUSTOMERS_COLUMN: [1.5, 2]}
    )
    with pytest.raises(clv.ClvInputError, match="customers must be a whole number"):
        clv.collapse_histories(summary)


def test_collapse_histories_adds_up_the_customers_of_each_row():
    summary = pd.DataFrame(
        {
            "frequency": [0, 2, 0, 1],
            "recency": [0.0, 3.0, 0.0, 1.0],
            "T": [5.0, 5.0, 5.0, 4.0],
            clv.CUSTOMERS_COLUMN: [3, 2, 4, 1],
        }
    )
    unique, codes = clv.collapse_histories(summary)

    # (0, 0, 5) is rows 0 and 2: 3 + 4 customers; (1, 1, 4) row 3: 1; (2, 3, 5) row 1: 2.
    assert unique["count"].tolist() == [7, 1, 2]
    assert codes.tolist() == [0, 2, 0, 1]


def test_gamma_gamma_counts_excluded_customers_by_weight():
    summary = pd.DataFrame(
        {
            "frequency": [0, 1, 2, 3, 1],
            "monetary_value": [0.0, -5.0, 10.0, 20.0, 0.0],
            clv.CUSTOMERS_COLUMN: [9, 4, 5, 6, 2],
        }
    )
    fit = clv.fit_gamma_gamma(summary)

    # Repeat customers: 4 + 5 + 6 + 2; without a positive spend: the 4 at -5 and the 2 at 0.
    assert (fit.n_customers, fit.n_excluded) == (11, 6)


def test_predicted_clv_summary_weights_each_history_by_its_customers():
    predictions = pd.DataFrame({"predicted_clv_12m": [10.0, float("nan"), 30.0, 50.0]})
    customers = np.array([3, 7, 1, 1])

    # Known values, customer by customer: 10, 10, 10, 30, 50 -> 5 customers, median 10 (not 30, the
    # median of the three distinct histories).
    assert predicted_clv_summary(predictions, customers) == {"customers_predicted": 5, "median_predicted_clv_12m": 10.0}
    assert predicted_clv_summary(predictions.iloc[[1]], customers[[1]]) == {
        "customers_predicted": 0,
        "median_predicted_clv_12m": None,
    }
