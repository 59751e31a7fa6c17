"""MBG/NBD, the modified BG/NBD (Batislam, Denizel & Filiztekin 2007; Hoppe & Wagner 2007).

As BG/NBD, except that the drop-out chance p ~ Beta(a, b) also applies right after
the first purchase, so one-time buyers may be dead. Matches lifetimes'
``ModifiedBetaGeoFitter``. Times are in the summary's time unit; ``params`` is a
mapping with ``r, alpha, a, b``.
"""

import pandas as pd

from orchestration.lib.clv import _beta_geometric
from orchestration.lib.clv.fitting import FitResult

MODEL = "mbg_nbd"


def fit(summary: pd.DataFrame, *, time_unit: str | None = None) -> FitResult:
    """Fit r, alpha, a, b by maximum likelihood on ``summary`` (frequency, recency, T).

    Same inputs, weighting and failure modes as ``bg_nbd.fit``.
    """
    return _beta_geometric.fit(summary, time_unit=time_unit, model=MODEL, dropout_at_first=True)


def log_likelihood(params, frequency, recency, T):
    """Log-likelihood of each history."""
    return _beta_geometric.log_likelihood(params, frequency, recency, T, dropout_at_first=True)


def probability_alive(params, frequency, recency, T):
    """P(alive | x, t_x, T) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))."""
    return _beta_geometric.probability_alive(params, frequency, recency, T, dropout_at_first=True)


def conditional_expected_purchases(params, t, frequency, recency, T):
    """Expected repeat purchases in the next ``t`` time units given the history."""
    return _beta_geometric.conditional_expected_purchases(params, t, frequency, recency, T, dropout_at_first=True)


def expected_purchases(params, t):
    """E[X(t)] = b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))]."""
    return _beta_geometric.expected_purchases(params, t, dropout_at_first=True)
