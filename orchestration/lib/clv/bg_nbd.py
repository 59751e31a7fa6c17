"""BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way").

A customer buys at a Poisson rate lambda ~ Gamma(r, alpha) while alive and, after
each repeat purchase, drops out with probability p ~ Beta(a, b). Someone who never
came back (frequency 0) is therefore always alive. Times (recency, T, t) are in the
summary's time unit; ``params`` is a mapping with ``r, alpha, a, b``
(e.g. ``FitResult.params``).
"""

import pandas as pd

from orchestration.lib.clv import _beta_geometric
from orchestration.lib.clv.fitting import FitResult

MODEL = "bg_nbd"


def fit(summary: pd.DataFrame, *, time_unit: str | None = None) -> FitResult:
    """Fit r, alpha, a, b by maximum likelihood on ``summary`` (frequency, recency, T).

    The likelihood is summed over distinct histories weighted by their count.
    ``time_unit`` defaults to ``summary.attrs["time_unit"]`` (set by ``rfm_summary``).
    Raises ``ClvInputError`` when the summary is inconsistent, no customer made a
    repeat purchase, or all customers share one history; a fit whose optimum lies
    at a parameter bound comes back with ``converged=False``.
    """
    return _beta_geometric.fit(summary, time_unit=time_unit, model=MODEL, dropout_at_first=False)


def log_likelihood(params, frequency, recency, T):
    """Log-likelihood of each history (FHL 2005, eq. 6)."""
    return _beta_geometric.log_likelihood(params, frequency, recency, T, dropout_at_first=False)


def probability_alive(params, frequency, recency, T):
    """P(alive | x, t_x, T) = 1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)) (Hardie note 021)."""
    return _beta_geometric.probability_alive(params, frequency, recency, T, dropout_at_first=False)


def conditional_expected_purchases(params, t, frequency, recency, T):
    """Expected repeat purchases in the next ``t`` time units given the history (FHL 2005, eq. 10)."""
    return _beta_geometric.conditional_expected_purchases(params, t, frequency, recency, T, dropout_at_first=False)


def expected_purchases(params, t):
    """E[X(t)], expected repeat purchases in ``t`` time units after a first purchase (FHL 2005, eq. 9)."""
    return _beta_geometric.expected_purchases(params, t, dropout_at_first=False)
