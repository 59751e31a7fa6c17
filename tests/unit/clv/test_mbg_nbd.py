"""MBG/NBD on CDNOW against lifetimes' ModifiedBetaGeoFitter.

No paper reports MBG/NBD on this sample, so the reference is lifetimes 0.11.3's
ModifiedBetaGeoFitter fitted to lifetimes' own cdnow_customers_summary.csv (run with
numpy 2.4 / scipy 1.17 / pandas 3.1, where it imports and fits): the values below, and a
live comparison when lifetimes is importable.
"""

import numpy as np
import pytest

from orchestration.lib.clv import fit_bg_nbd, fit_mbg_nbd, mbg_nbd

LIFETIMES_0_11_3 = {"r": 0.5248, "alpha": 6.1830, "a": 0.8914, "b": 1.6140}
LIFETIMES_0_11_3_LOG_LIKELIHOOD = -9582.13


def test_cdnow_fit_matches_lifetimes_reference(cdnow_published_summary):
    fit = fit_mbg_nbd(cdnow_published_summary)

    assert fit.converged, fit.message
    assert {name: round(value, 4) for name, value in fit.params.items()} == LIFETIMES_0_11_3
    assert round(fit.log_likelihood, 2) == LIFETIMES_0_11_3_LOG_LIKELIHOOD
    assert fit.model == "mbg_nbd"


def test_cdnow_fit_matches_lifetimes_live(cdnow_published_summary, lifetimes):
    s = cdnow_published_summary
    theirs = lifetimes.ModifiedBetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])

    fit = fit_mbg_nbd(s)
    for name, value in theirs.params_.items():
        assert fit.params[name] == pytest.approx(value, rel=1e-4)


def test_predictions_match_lifetimes(cdnow_published_summary, lifetimes):
    s = cdnow_published_summary
    theirs = lifetimes.ModifiedBetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    params = dict(theirs.params_)

    for t in (1, 39, 100):
        np.testing.assert_allclose(
            mbg_nbd.conditional_expected_purchases(params, t, s["frequency"], s["recency"], s["T"]),
            theirs.conditional_expected_number_of_purchases_up_to_time(t, s["frequency"], s["recency"], s["T"]),
            rtol=1e-10,
        )
    np.testing.assert_allclose(
        mbg_nbd.probability_alive(params, s["frequency"], s["recency"], s["T"]),
        theirs.conditional_probability_alive(s["frequency"], s["recency"], s["T"]),
        rtol=1e-12,
    )
    t = np.array([1.0, 10.0, 39.0, 78.0])
    np.testing.assert_allclose(
        mbg_nbd.expected_purchases(params, t), theirs.expected_number_of_purchases_up_to_time(t), rtol=1e-12
    )


def test_one_time_buyers_may_be_dead(cdnow_published_summary):
    params = fit_mbg_nbd(cdnow_published_summary).params

    alive = mbg_nbd.probability_alive(params, [0, 0], [0.0, 0.0], [1.0, 38.86])
    assert 0 < alive[1] < alive[0] < 1


def test_fresh_customer_conditional_equals_unconditional(cdnow_published_summary):
    params = fit_mbg_nbd(cdnow_published_summary).params
    t = np.array([1.0, 39.0, 520.0])

    np.testing.assert_allclose(
        mbg_nbd.conditional_expected_purchases(params, t, 0, 0.0, 0.0),
        mbg_nbd.expected_purchases(params, t),
        rtol=1e-12,
    )


def test_bg_and_mbg_nbd_fit_cdnow_about_equally_well(cdnow_published_summary):
    bg, mbg = fit_bg_nbd(cdnow_published_summary), fit_mbg_nbd(cdnow_published_summary)

    assert abs(bg.log_likelihood - mbg.log_likelihood) < 1.0
