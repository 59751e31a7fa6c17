"""The arithmetic BG/NBD and MBG/NBD share.

Both models: while alive a customer buys at a Poisson rate lambda ~ Gamma(r, alpha)
and drops out with probability p ~ Beta(a, b) at a purchase. They differ in one
place: in BG/NBD the drop-out chance comes after each *repeat* purchase, in MBG/NBD
also right after the first one, so one-time buyers may be dead. Here that is the
flag ``dropout_at_first`` (the Beta part counts ``x + 1`` chances instead of ``x``).

Likelihood per history (x, t_x, T), with s = 1 for MBG/NBD and 0 for BG/NBD:

    L = Gamma(r+x) alpha^r / Gamma(r) * B(a, b+x+s) / B(a, b)
        * [ (alpha+T)^-(r+x) + [x>0 or s=1] a/(b+x-1+s) (alpha+t_x)^-(r+x) ]

computed in log space (gammaln, betaln, logaddexp) with its analytic gradient.
"""

from collections.abc import Mapping
from functools import cache

import numpy as np
import pandas as pd
from scipy.linalg import eigh_tridiagonal
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from orchestration.lib.clv.errors import ClvInputError
from orchestration.lib.clv.fitting import FitResult, maximise_likelihood
from orchestration.lib.clv.rfm import check_summary, collapse_histories, resolve_time_unit

PARAM_NAMES = ("r", "alpha", "a", "b")
# Two closed forms of E[purchases] accepted where they agree to this relative tolerance.
_AGREEMENT = 1e-8
_QUADRATURE_NODES = 64
# Rows integrated at once, so a fit where every row needs quadrature stays within memory.
_QUADRATURE_CHUNK = 1 << 16


def unpack(params: Mapping[str, float]) -> tuple[float, float, float, float]:
    """``(r, alpha, a, b)`` from a params mapping, checked positive and finite."""
    try:
        values = tuple(float(params[name]) for name in PARAM_NAMES)
    except KeyError as error:
        raise ClvInputError(f"params lack {error.args[0]!r}; need {PARAM_NAMES}") from None
    if not all(np.isfinite(v) and v > 0 for v in values):
        raise ClvInputError(f"params must be positive and finite, got {dict(zip(PARAM_NAMES, values, strict=True))}")
    return values  # type: ignore[return-value]


def _by_frequency(r, a, b, x_distinct, shift):
    """The parts of the likelihood that depend on the history only through x."""
    dead_possible = (x_distinct > 0) | (shift == 1)
    dead_denominator = np.where(dead_possible, b + x_distinct - 1 + shift, 1.0)
    log_dead_coefficient = np.where(dead_possible, np.log(a) - np.log(dead_denominator), -np.inf)
    by_x = gammaln(r + x_distinct) - gammaln(r) + betaln(a, b + x_distinct + shift) - betaln(a, b)
    return by_x, log_dead_coefficient, np.where(dead_possible, 1.0 / dead_denominator, 0.0)


def log_likelihood(params, frequency, recency, T, *, dropout_at_first: bool) -> np.ndarray:
    """Log-likelihood of each (frequency, recency, T) history."""
    r, alpha, a, b = unpack(params)
    x = np.asarray(frequency, dtype=float)
    x_distinct, x_code = np.unique(x, return_inverse=True)
    x_code = x_code.reshape(x.shape)
    by_x, log_dead_coefficient, _ = _by_frequency(r, a, b, x_distinct, int(dropout_at_first))
    alive = -(r + x) * np.log(alpha + np.asarray(T, dtype=float))
    dead = log_dead_coefficient[x_code] - (r + x) * np.log(alpha + np.asarray(recency, dtype=float))
    return by_x[x_code] + r * np.log(alpha) + np.logaddexp(alive, dead)


def mean_negative_log_likelihood(x, t_x, T, weight, *, dropout_at_first: bool):
    """The optimiser's objective: log-params -> (weighted mean negative log-likelihood, its gradient).

    Per history, with d = log(dead term / alive term) = log c_x + (r+x) log((alpha+T)/(alpha+t_x)):

        ll = by_x + r log(alpha) - (r+x) log(alpha+T) + log(1 + e^d)

    Terms that depend only on x are summed per distinct x, and everything else is
    arranged as dot products, so one evaluation is a couple of dozen passes over the
    histories: this is what keeps millions of customers fast.
    """
    shift = int(dropout_at_first)
    x_distinct, x_code = np.unique(x, return_inverse=True)
    weight_by_x = np.bincount(x_code, weights=weight)
    total = weight.sum()
    weighted_x = weight * x

    def objective(log_params):
        r, alpha, a, b = params = np.exp(log_params)
        by_x, log_dead_coefficient, inverse_dead_denominator = _by_frequency(r, a, b, x_distinct, shift)
        log_alpha_T = np.log(alpha + T)
        log_ratio = log_alpha_T - np.log(alpha + t_x)
        d = log_dead_coefficient[x_code] + (r + x) * log_ratio
        weighted_log_alpha_T = weight @ log_alpha_T
        ll = (
            weight_by_x @ by_x
            + total * r * np.log(alpha)
            - r * weighted_log_alpha_T
            - weighted_x @ log_alpha_T
            + weight @ np.logaddexp(0.0, d)
        )

        weighted_p_dead = weight * expit(d)
        inverse_gap = 1 / (alpha + T) - 1 / (alpha + t_x)
        digamma_ab = digamma(a + b)
        d_a_by_x = digamma_ab - digamma(a + b + x_distinct + shift)
        gradient = np.array(
            [
                weight_by_x @ (digamma(r + x_distinct) - digamma(r))
                + total * np.log(alpha)
                - weighted_log_alpha_T
                + weighted_p_dead @ log_ratio,
                total * r / alpha
                - (r * weight + weighted_x) @ (1 / (alpha + T))
                + (r * weighted_p_dead + weighted_p_dead * x) @ inverse_gap,
                weight_by_x @ d_a_by_x + weighted_p_dead.sum() / a,
                weight_by_x @ (d_a_by_x + digamma(b + x_distinct + shift) - digamma(b))
                - np.bincount(x_code, weights=weighted_p_dead, minlength=len(x_distinct)) @ inverse_dead_denominator,
            ]
        )
        return -ll / total, -gradient * params / total

    return objective


def fit(summary: pd.DataFrame, *, time_unit: str | None, model: str, dropout_at_first: bool) -> FitResult:
    """Maximum-likelihood fit on the distinct (frequency, recency, T) histories, weighted by count."""
    check_summary(summary)
    unit = resolve_time_unit(summary, time_unit)
    histories, _ = collapse_histories(summary)
    x = histories["frequency"].to_numpy(dtype=float)
    t_x = histories["recency"].to_numpy(dtype=float)
    T = histories["T"].to_numpy(dtype=float)
    weight = histories["count"].to_numpy(dtype=float)
    n_customers = int(weight.sum())
    if not (x > 0).any():
        raise ClvInputError(
            f"none of the {n_customers} customer(s) made a repeat purchase: "
            f"{model} needs repeat purchases to estimate purchase rates and drop-out"
        )
    if len(histories) < 2:
        raise ClvInputError(
            f"all {n_customers} customer(s) share one purchase history "
            f"(frequency={x[0]:g}, recency={t_x[0]:g}, T={T[0]:g}): {model} cannot be estimated from it"
        )

    objective = mean_negative_log_likelihood(x, t_x, T, weight, dropout_at_first=dropout_at_first)
    # Start at a = b = r = 1 with alpha matching the observed repeat rate (E[lambda] = r / alpha).
    initial = {"r": 1.0, "alpha": float(np.clip((weight @ T) / (weight @ x), 1e-3, 1e6)), "a": 1.0, "b": 1.0}
    params, total_ll, converged, message = maximise_likelihood(objective, initial, weight.sum())
    return FitResult(
        model=model,
        params=params,
        log_likelihood=total_ll,
        n_customers=n_customers,
        time_unit=unit,
        converged=converged,
        message=message,
    )


def probability_alive(params, frequency, recency, T, *, dropout_at_first: bool) -> np.ndarray:
    """P(alive at T | x, t_x, T)."""
    r, alpha, a, b = unpack(params)
    x = np.asarray(frequency, dtype=float)
    shift = int(dropout_at_first)
    dead_possible = (x > 0) | (shift == 1)
    dead_denominator = np.where(dead_possible, b + x - 1 + shift, 1.0)
    log_odds_dead = np.where(dead_possible, np.log(a) - np.log(dead_denominator), -np.inf) + (r + x) * (
        np.log(alpha + np.asarray(T, dtype=float)) - np.log(alpha + np.asarray(recency, dtype=float))
    )
    return expit(-log_odds_dead)


def expected_purchases_while_alive(r, alpha, a, b, t) -> np.ndarray:
    """E[purchases in (0, t]] for someone alive now, with lambda ~ Gamma(r, alpha), p ~ Beta(a, b).

    Closed form (Fader, Hardie & Lee 2005, eq. 9), z = t / (alpha + t), c = a + b - 1:

        c / (a-1) * [1 - (1-z)^r 2F1(r, b; c; z)]
      = c / (a-1) * [1 - (1-z)^(a-1) 2F1(a-1, c-r; c; z)]      (Euler's transformation)

    scipy's ``hyp2f1`` is inaccurate in parts of this parameter space (large r with
    z near 1, c - a - b near an integer, a near 1), and the two forms fail in
    different places. Where they agree to 1e-8 that value is used; elsewhere the
    expectation E_p[(1 - (1 + p t/alpha)^-r) / p] is integrated over the Beta(a, b)
    law of p by Gauss-Jacobi quadrature, which is slower but has no such gaps.
    """
    r, alpha, b, t = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (r, alpha, b, t)))
    z = t / (alpha + t)
    c = a + b - 1
    with np.errstate(all="ignore"):
        euler = c / (a - 1) * (1 - np.exp((a - 1) * np.log1p(-z)) * hyp2f1(a - 1, c - r, c, z))
        direct = c / (a - 1) * (1 - np.exp(r * np.log1p(-z)) * hyp2f1(r, b, c, z))
        agree = np.isfinite(euler) & np.isfinite(direct) & (np.abs(euler - direct) <= _AGREEMENT * np.abs(euler))
    result = np.where(agree, euler, 0.0)
    rows = np.flatnonzero(~agree & (t > 0))
    for b_value in np.unique(b.flat[rows]):
        nodes, weights = beta_quadrature(a, b_value)
        same_b = rows[b.flat[rows] == b_value]
        for chunk in np.array_split(same_b, -(-len(same_b) // _QUADRATURE_CHUNK)):
            r_rows, alpha_rows, t_rows = (v.flat[chunk][:, np.newaxis] for v in (r, alpha, t))
            integrand = -np.expm1(-r_rows * np.log1p(nodes * t_rows / alpha_rows)) / nodes
            result.flat[chunk] = integrand @ weights
    return result


@cache
def beta_quadrature(a: float, b: float, n: int = _QUADRATURE_NODES) -> tuple[np.ndarray, np.ndarray]:
    """Gauss nodes and weights (summing to 1) for expectations over p ~ Beta(a, b).

    Golub-Welsch on the Jacobi recurrence for weight (1-u)^(b-1) (1+u)^(a-1), mapped
    to p = (1+u)/2. scipy's ``roots_sh_jacobi`` scales its weights by 2^(a+b), which
    overflows for the large b of frequent buyers; normalised weights do not.
    """
    alpha_j, beta_j = b - 1.0, a - 1.0
    k = np.arange(1, n, dtype=float)
    s = 2 * k + alpha_j + beta_j
    diagonal = np.concatenate([[(beta_j - alpha_j) / (alpha_j + beta_j + 2)], (beta_j**2 - alpha_j**2) / (s * (s + 2))])
    off_diagonal_squared = (
        4 * k * (k + alpha_j) * (k + beta_j) * (k + alpha_j + beta_j) / (s**2 * (s + 1) * np.where(k > 1, s - 1, 1.0))
    )
    # The general k = 1 term is 0/0 when a + b = 1; this is its limit, valid for all a, b > 0.
    off_diagonal_squared[0] = 4 * (1 + alpha_j) * (1 + beta_j) / ((2 + alpha_j + beta_j) ** 2 * (3 + alpha_j + beta_j))
    u, vectors = eigh_tridiagonal(diagonal, np.sqrt(off_diagonal_squared))
    return (1 + u) / 2, vectors[0] ** 2


def conditional_expected_purchases(params, t, frequency, recency, T, *, dropout_at_first: bool) -> np.ndarray:
    """E[repeat purchases in (T, T+t] | x, t_x, T] = P(alive) * E[purchases | alive, updated Gamma and Beta]."""
    r, alpha, a, b = unpack(params)
    t = _horizon(t)
    x = np.asarray(frequency, dtype=float)
    T = np.asarray(T, dtype=float)
    alive = probability_alive(params, x, recency, T, dropout_at_first=dropout_at_first)
    shift = int(dropout_at_first)
    x_history, T_history = np.broadcast_arrays(x, T)
    same_horizons = (
        x_history.ndim >= 1
        and all(n == 1 for n in x_history.shape[1:])
        and (np.ndim(t) < x_history.ndim or np.shape(t)[0] == 1)
    )
    if not same_horizons:
        return alive * expected_purchases_while_alive(r + x, alpha + T, a, b + x + shift, t)
    # Given alive, the expectation depends on a history only through (x, T), which customers share far
    # more often than (x, t_x, T) (a few pairs per thousand customers): evaluate it once per pair. x + iT
    # makes the pair one sortable number.
    pairs, inverse = np.unique((x_history + 1j * T_history).ravel(), return_inverse=True)
    pair_shape = (len(pairs),) + x_history.shape[1:]
    pair_x, pair_T = pairs.real.reshape(pair_shape), pairs.imag.reshape(pair_shape)
    while_alive = expected_purchases_while_alive(r + pair_x, alpha + pair_T, a, b + pair_x + shift, t)
    return alive * while_alive[inverse]


def expected_purchases(params, t, *, dropout_at_first: bool) -> np.ndarray:
    """E[X(t)]: expected repeat purchases in (0, t] for a customer who just made a first purchase."""
    r, alpha, a, b = unpack(params)
    t = _horizon(t)
    if dropout_at_first:
        return b / (a + b) * expected_purchases_while_alive(r, alpha, a, b + 1, t)
    return expected_purchases_while_alive(r, alpha, a, b, t)


def _horizon(t) -> np.ndarray:
    t = np.asarray(t, dtype=float)
    if not np.all(t >= 0):
        raise ClvInputError("the horizon t must be >= 0 and not missing")
    return t
