"""BG/NBD on CDNOW against Fader, Hardie & Lee (2005), and against lifetimes where it runs."""

import numpy as np
import pytest

from orchestration.lib.clv import _beta_geometric, bg_nbd, fit_bg_nbd

# Fader, Hardie & Lee (2005), "Counting your customers the easy way", section 5 (CDNOW, 39 weeks, weekly unit).
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_LOG_LIKELIHOOD = -9582.4
# Same paper: a customer with x = 2, t_x = 30.43, T = 38.86 is expected to make 1.226 purchases in the next 39 weeks.
PUBLISHED_CONDITIONAL = 1.226


@pytest.mark.parametrize("summary_fixture", ["cdnow_published_summary", "cdnow_summary"])
def test_cdnow_fit_matches_the_paper(summary_fixture, request):
    summary = request.getfixturevalue(summary_fixture)
    fit = fit_bg_nbd(summary)

    assert fit.converged, fit.message
    assert {name: round(value, 3) for name, value in fit.params.items()} == PUBLISHED
    assert round(fit.log_likelihood, 1) == PUBLISHED_LOG_LIKELIHOOD
    assert (fit.model, fit.n_customers, fit.time_unit) == ("bg_nbd", 2357, "week")


def test_cdnow_conditional_expectation_matches_the_paper(cdnow_published_summary):
    fit = fit_bg_nbd(cdnow_published_summary)

    assert (
        round(float(bg_nbd.conditional_expected_purchases(fit.params, 39, 2, 30.43, 38.86)), 3) == PUBLISHED_CONDITIONAL
    )


def test_total_log_likelihood_is_the_sum_over_customers(cdnow_published_summary):
    s = cdnow_published_summary
    fit = fit_bg_nbd(s)

    total = bg_nbd.log_likelihood(fit.params, s["frequency"], s["recency"], s["T"]).sum()
    assert total == pytest.approx(fit.log_likelihood, rel=1e-12)


@pytest.mark.parametrize("dropout_at_first", [False, True])
@pytest.mark.parametrize("params", [(0.243, 4.414, 0.793, 2.426), (1.3, 0.5, 3.0, 0.3)])
def test_objective_and_its_gradient(cdnow_published_summary, dropout_at_first, params):
    """The optimiser's weighted objective equals the per-history likelihood, and its gradient finite differences."""
    s = cdnow_published_summary.iloc[::3]
    x, t_x, T = (s[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    weight = np.arange(len(s)) % 4 + 1.0
    objective = _beta_geometric.mean_negative_log_likelihood(x, t_x, T, weight, dropout_at_first=dropout_at_first)
    log_params = np.log(params)

    value, gradient = objective(log_params)

    per_history = _beta_geometric.log_likelihood(
        dict(zip(("r", "alpha", "a", "b"), params, strict=True)), x, t_x, T, dropout_at_first=dropout_at_first
    )
    assert value == pytest.approx(-(weight @ per_history) / weight.sum(), rel=1e-12)
    step = 1e-6
    central = [(objective(log_params + h)[0] - objective(log_params - h)[0]) / (2 * step) for h in step * np.eye(4)]
    np.testing.assert_allclose(gradient, central, rtol=1e-6, atol=1e-8)


def test_fresh_customer_conditional_equals_unconditional():
    params = dict(zip(("r", "alpha", "a", "b"), (0.243, 4.414, 0.793, 2.426), strict=True))
    t = np.array([0.0, 1.0, 39.0, 78.0, 520.0])

    np.testing.assert_allclose(
        bg_nbd.conditional_expected_purchases(params, t, 0, 0.0, 0.0), bg_nbd.expected_purchases(params, t), rtol=1e-12
    )
    assert bg_nbd.expected_purchases(params, 0.0) == 0.0
    assert np.all(np.diff(bg_nbd.expected_purchases(params, t)) > 0)


def test_never_repeat_buyers_are_alive_repeat_buyers_fade(cdnow_published_summary):
    params = fit_bg_nbd(cdnow_published_summary).params

    alive = bg_nbd.probability_alive(params, [0, 2, 2], [0.0, 30.43, 5.0], [38.86, 38.86, 38.86])
    assert alive[0] == 1.0
    assert 0 < alive[2] < alive[1] < 1


def test_predictions_match_lifetimes(cdnow_published_summary, lifetimes):
    s = cdnow_published_summary
    theirs = lifetimes.BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    params = dict(theirs.params_)

    for t in (1, 39, 100):
        np.testing.assert_allclose(
            bg_nbd.conditional_expected_purchases(params, t, s["frequency"], s["recency"], s["T"]),
            theirs.conditional_expected_number_of_purchases_up_to_time(t, s["frequency"], s["recency"], s["T"]),
            rtol=1e-10,
        )
    np.testing.assert_allclose(
        bg_nbd.probability_alive(params, s["frequency"], s["recency"], s["T"]),
        theirs.conditional_probability_alive(s["frequency"], s["recency"], s["T"]),
        rtol=1e-12,
    )
    t = np.array([1.0, 10.0, 39.0, 78.0])
    np.testing.assert_allclose(
        bg_nbd.expected_purchases(params, t), theirs.expected_number_of_purchases_up_to_time(t), rtol=1e-12
    )
