"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV"; Hardie note 025).

Each transaction value is Gamma(p, nu) with a customer-level nu ~ Gamma(q, gamma), so a
customer's average of x repeat transactions, m, has the density

    Gamma(px+q) / (Gamma(px) Gamma(q)) * gamma^q m^(px-1) x^(px) / (gamma + m x)^(px+q)

fitted on repeat customers (frequency > 0) whose ``monetary_value`` is positive. The
model assumes spend is independent of purchase frequency; ``monetary_value`` is
whatever the caller put in the summary (margin when cost is known, else revenue).
"""

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from orchestration.lib.clv.errors import ClvFitError, ClvInputError
from orchestration.lib.clv.fitting import FitResult, maximise_likelihood
from orchestration.lib.clv.rfm import check_summary, collapse_histories, customer_weights

MODEL = "gamma_gamma"
PARAM_NAMES = ("p", "q", "gamma")
SPEND_COLUMNS = ("frequency", "monetary_value")


def _unpack(params: Mapping[str, float]) -> tuple[float, float, float]:
    try:
        values = tuple(float(params[name]) for name in PARAM_NAMES)
    except KeyError as error:
        raise ClvInputError(f"params lack {error.args[0]!r}; need {PARAM_NAMES}") from None
    if not all(np.isfinite(v) and v > 0 for v in values):
        raise ClvInputError(f"params must be positive and finite, got {dict(zip(PARAM_NAMES, values, strict=True))}")
    return values  # type: ignore[return-value]


def log_likelihood(params, frequency, monetary_value) -> np.ndarray:
    """Log-density of each repeat customer's average spend (frequency > 0, monetary_value > 0)."""
    p, q, gamma = _unpack(params)
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(gamma + m * x)
    )


def mean_negative_log_likelihood(x, m, weight):
    """The optimiser's objective: log-params -> (weighted mean negative log-likelihood, its gradient).

    The Gamma functions depend on x only, so they are evaluated per distinct x; per
    customer only log(gamma + m x) and its reciprocal are left.
    """
    x_distinct, x_code = np.unique(x, return_inverse=True)
    weight_by_x = np.bincount(x_code, weights=weight)
    weighted_log_m_by_x = np.bincount(x_code, weights=weight * np.log(m))
    total = weight.sum()
    weighted_x = weight * x
    m_x = m * x

    def objective(log_params):
        p, q, gamma = params = np.exp(log_params)
        px = p * x_distinct
        log_gamma_m_x = np.log(gamma + m_x)
        ll = (
            weight_by_x @ (gammaln(px + q) - gammaln(px) + px * np.log(x_distinct))
            + total * (q * np.log(gamma) - gammaln(q))
            + (px - 1) @ weighted_log_m_by_x
            - p * (weighted_x @ log_gamma_m_x)
            - q * (weight @ log_gamma_m_x)
        )
        psi_px_q = digamma(px + q)
        inverse_gamma_m_x = 1 / (gamma + m_x)
        gradient = np.array(
            [
                weight_by_x @ (x_distinct * (psi_px_q - digamma(px) + np.log(x_distinct)))
                + x_distinct @ weighted_log_m_by_x
                - weighted_x @ log_gamma_m_x,
                weight_by_x @ psi_px_q + total * (np.log(gamma) - digamma(q)) - weight @ log_gamma_m_x,
                total * q / gamma - p * (weighted_x @ inverse_gamma_m_x) - q * (weight @ inverse_gamma_m_x),
            ]
        )
        return -ll / total, -gradient * params / total

    return objective


def fit(summary: pd.DataFrame) -> FitResult:
    """Fit p, q, gamma on the repeat customers of ``summary`` (frequency, monetary_value).

    Customers with frequency 0 carry no repeat spend and are not used. Repeat
    customers whose ``monetary_value`` is not positive (refunds, zero margin) cannot
    come from a Gamma distribution: they are left out and counted in
    ``n_excluded``. Distinct (frequency, monetary_value) pairs are weighted by count.
    Raises ``ClvInputError`` when no repeat customer has a positive spend or they all
    have the same one; a degenerate optimum comes back with ``converged=False``.
    """
    check_summary(summary, SPEND_COLUMNS)
    repeat = summary[summary["frequency"] > 0]
    positive = (repeat["monetary_value"] > 0).to_numpy()
    n_excluded = int(customer_weights(repeat)[~positive].sum())
    eligible = repeat[positive]
    if eligible.empty:
        raise ClvInputError(
            f"no repeat customer has a positive monetary_value ({int(customer_weights(repeat).sum())} "
            f"repeat customer(s), {n_excluded} with value <= 0): {MODEL} cannot be fitted"
        )
    if eligible["monetary_value"].nunique() < 2:
        raise ClvInputError(
            f"all {int(customer_weights(eligible).sum())} repeat customer(s) with a positive spend have the "
            f"same monetary_value ({eligible['monetary_value'].iloc[0]:g}): {MODEL} needs spend to vary between "
            "customers"
        )
    pairs, _ = collapse_histories(eligible, SPEND_COLUMNS)
    x = pairs["frequency"].to_numpy(dtype=float)
    m = pairs["monetary_value"].to_numpy(dtype=float)
    weight = pairs["count"].to_numpy(dtype=float)
    total_weight = weight.sum()
    # p = 1, q = 2 and gamma = the mean spend make the starting population mean p*gamma/(q-1) match the data.
    initial = {"p": 1.0, "q": 2.0, "gamma": float((weight @ m) / total_weight)}
    params, total_ll, converged, message = maximise_likelihood(
        mean_negative_log_likelihood(x, m, weight), initial, total_weight
    )
    return FitResult(
        model=MODEL,
        params=params,
        log_likelihood=total_ll,
        n_customers=int(total_weight),
        time_unit="",
        converged=converged,
        n_excluded=n_excluded,
        message=message,
    )


def conditional_expected_average_spend(params, frequency, monetary_value) -> np.ndarray:
    """E[average spend | x, m] = p (gamma + x m) / (p x + q - 1).

    A weighted mean of the customer's own average and the population mean
    p gamma / (q - 1). Customers with frequency 0, or a non-positive
    ``monetary_value`` (left out of the fit), get the population mean. Raises
    ``ClvFitError`` when q <= 1, where that mean is infinite.
    """
    p, q, gamma = _unpack(params)
    if q <= 1:
        raise ClvFitError(f"{MODEL} q = {q:g} <= 1: the population mean spend p*gamma/(q-1) is not finite")
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    observed = (x > 0) & (m > 0)
    return np.where(observed, p * (gamma + x * np.where(observed, m, 0.0)) / (p * x + q - 1), p * gamma / (q - 1))
