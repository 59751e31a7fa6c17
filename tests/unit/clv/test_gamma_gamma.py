"""Gamma-Gamma on CDNOW against Fader, Hardie & Lee (2005) "RFM and CLV", and the spend formula by hand."""

import numpy as np
import pandas as pd
import pytest

from orchestration.lib.clv import ClvFitError, conditional_expected_average_spend, fit_gamma_gamma, gamma_gamma

# Fader, Hardie & Lee (2005), "RFM and CLV: Using iso-value curves for customer base analysis" (946 repeat customers).
PUBLISHED = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def test_cdnow_fit_matches_the_paper(cdnow_summary):
    fit = fit_gamma_gamma(cdnow_summary)

    assert fit.converged, fit.message
    assert {name: round(value, 2) for name, value in fit.params.items()} == PUBLISHED
    assert (fit.model, fit.n_customers, fit.n_excluded) == ("gamma_gamma", 946, 0)


def test_cdnow_published_summary_is_rounded_but_close(cdnow_published_summary):
    # The published file rounds each average spend to cents, which moves gamma to 15.448.
    fit = fit_gamma_gamma(cdnow_published_summary)

    for name, value in PUBLISHED.items():
        assert fit.params[name] == pytest.approx(value, abs=0.01)


def test_matches_lifetimes(cdnow_published_summary, lifetimes):
    repeat = cdnow_published_summary[cdnow_published_summary["frequency"] > 0]
    theirs = lifetimes.GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])

    fit = fit_gamma_gamma(cdnow_published_summary)
    for ours_name, their_name in (("p", "p"), ("q", "q"), ("gamma", "v")):
        assert fit.params[ours_name] == pytest.approx(theirs.params_[their_name], rel=1e-4)
    np.testing.assert_allclose(
        conditional_expected_average_spend(fit.params, repeat["frequency"], repeat["monetary_value"]),
        theirs.conditional_expected_average_profit(repeat["frequency"], repeat["monetary_value"]),
        rtol=1e-4,
    )


def test_conditional_spend_by_hand():
    params = {"p": 6.0, "q": 4.0, "gamma": 15.0}
    population_mean = 6.0 * 15.0 / (4.0 - 1)  # 30

    spend = conditional_expected_average_spend(params, [0, 2, 3, 1], [0.0, 40.0, -5.0, 0.0])

    # (p gamma + p x m) / (p x + q - 1) = (90 + 480) / 15 = 38 for x = 2, m = 40
    np.testing.assert_allclose(spend, [population_mean, 38.0, population_mean, population_mean])


def test_non_positive_spend_is_excluded_and_counted():
    summary = pd.DataFrame(
        {
            "frequency": [1, 2, 3, 1, 4, 2, 0],
            "recency": [1.0, 2.0, 3.0, 1.0, 4.0, 2.0, 0.0],
            "T": [5.0] * 7,
            "monetary_value": [10.0, 12.5, 30.0, 0.0, 8.0, -3.0, 0.0],
        }
    )
    fit = fit_gamma_gamma(summary)

    assert (fit.n_customers, fit.n_excluded) == (4, 2)
    kept = summary.iloc[[0, 1, 2, 4]]
    assert fit.log_likelihood == pytest.approx(
        gamma_gamma.log_likelihood(fit.params, kept["frequency"], kept["monetary_value"]).sum()
    )


def test_infinite_population_mean_raises():
    with pytest.raises(ClvFitError, match=r"q = 0\.9 <= 1"):
        conditional_expected_average_spend({"p": 2.0, "q": 0.9, "gamma": 5.0}, [1], [10.0])


def test_objective_and_its_gradient(cdnow_summary):
    """The optimiser's weighted objective equals the per-customer likelihood, and its gradient finite differences."""
    repeat = cdnow_summary[cdnow_summary["frequency"] > 0]
    x, m = repeat["frequency"].to_numpy(dtype=float), repeat["monetary_value"].to_numpy()
    weight = np.arange(len(repeat)) % 3 + 1.0
    objective = gamma_gamma.mean_negative_log_likelihood(x, m, weight)
    params = (6.25, 3.74, 15.44)
    log_params = np.log(params)

    value, gradient = objective(log_params)

    per_customer = gamma_gamma.log_likelihood(dict(zip(("p", "q", "gamma"), params, strict=True)), x, m)
    assert value == pytest.approx(-(weight @ per_customer) / weight.sum(), rel=1e-12)
    step = 1e-6
    central = [(objective(log_params + h)[0] - objective(log_params - h)[0]) / (2 * step) for h in step * np.eye(3)]
    np.testing.assert_allclose(gradient, central, rtol=1e-6, atol=1e-8)
