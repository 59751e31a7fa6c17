"""A summary of distinct histories with a `customers` count fits and predicts like the per-customer summary."""

import numpy as np
import pandas as pd
import pytest

from orchestration.lib import clv


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
