"""Parameter recovery: simulate BG/NBD + Gamma-Gamma customers with the project's generator, fit them back.

100,000 customers observed for 26 to 104 weeks (continuous purchase times, so the summary is
exact). Over seeds 0-3 the largest deviations seen were 2.4% for the BG/NBD parameters and
7.3% for Gamma-Gamma's (p and gamma trade off against each other); the tolerances leave room.
"""

import numpy as np
import pandas as pd
import pytest

from orchestration.lib.clv import fit_bg_nbd, fit_gamma_gamma, fit_mbg_nbd
from tools.sample_data import BehaviourParams, simulate_purchases

TRUTH = BehaviourParams(r=0.25, alpha=4.0, a=0.8, b=2.4, p=6.0, q=3.8, gamma=15.0)
N_CUSTOMERS = 100_000
BG_NBD_TOLERANCE = 0.10
GAMMA_GAMMA_TOLERANCE = 0.15


def exact_summary(purchases: pd.DataFrame, observation_weeks: np.ndarray) -> pd.DataFrame:
    customer = purchases["customer_index"].to_numpy()
    is_first = np.r_[True, customer[1:] != customer[:-1]]
    n = len(observation_weeks)
    frequency = np.bincount(customer, minlength=n) - 1
    recency = np.zeros(n)
    np.maximum.at(recency, customer, purchases["t_weeks"].to_numpy())
    repeat_spend = np.bincount(customer, weights=np.where(is_first, 0.0, purchases["spend"].to_numpy()), minlength=n)
    summary = pd.DataFrame(
        {
            "frequency": frequency,
            "recency": recency,
            "T": observation_weeks,
            "monetary_value": np.where(frequency > 0, repeat_spend / np.maximum(frequency, 1), 0.0),
        }
    )
    summary.attrs["time_unit"] = "week"
    return summary


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    rng = np.random.default_rng(2024)
    observation_weeks = rng.integers(26 * 7, 104 * 7 + 1, N_CUSTOMERS) / 7
    return exact_summary(simulate_purchases(N_CUSTOMERS, TRUTH, observation_weeks, rng), observation_weeks)


def test_bg_nbd_recovers_the_generating_parameters(simulated):
    fit = fit_bg_nbd(simulated)

    assert fit.converged, fit.message
    for name, value in fit.params.items():
        assert value == pytest.approx(getattr(TRUTH, name), rel=BG_NBD_TOLERANCE), name


def test_gamma_gamma_recovers_the_generating_parameters(simulated):
    fit = fit_gamma_gamma(simulated)

    assert fit.converged, fit.message
    for name, value in fit.params.items():
        assert value == pytest.approx(getattr(TRUTH, name), rel=GAMMA_GAMMA_TOLERANCE), name
    mean_spend = fit.params["p"] * fit.params["gamma"] / (fit.params["q"] - 1)
    assert mean_spend == pytest.approx(TRUTH.p * TRUTH.gamma / (TRUTH.q - 1), rel=0.03)


def test_the_true_model_fits_better_than_mbg_nbd(simulated):
    assert fit_bg_nbd(simulated).log_likelihood > fit_mbg_nbd(simulated).log_likelihood
