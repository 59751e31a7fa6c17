"""The behaviour of simulated customers: BG/NBD purchases with Gamma-Gamma spend (Fader, Hardie & Lee 2005)."""

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class BehaviourParams:
    """BG/NBD + Gamma-Gamma generative parameters; the time unit is the week."""

    r: float = 0.25  # purchase rate lambda ~ Gamma(shape=r, rate=alpha) per week
    alpha: float = 4.0
    a: float = 0.8  # dropout probability after each repeat purchase p ~ Beta(a, b)
    b: float = 2.4
    p: float = 6.0  # spend per purchase z ~ Gamma(shape=p, rate=nu), nu ~ Gamma(shape=q, rate=gamma)
    q: float = 3.8
    gamma: float = 15.0


def simulate_purchases(
    n_customers: int, params: BehaviourParams, observation_weeks: float | np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Purchases of `n_customers` customers under BG/NBD with Gamma-Gamma spend.

    Every customer buys at t=0, then at the times of a Poisson(lambda) process while alive, and
    becomes inactive immediately after each *repeat* purchase with probability p (so the j-th
    repeat purchase is the last with probability p(1-p)^(j-1)). Purchases are observed until
    `observation_weeks` (a scalar, or one T per customer). Returns one row per purchase, ordered
    by customer then time: `customer_index`, `t_weeks` (0 for the first) and `spend` (> 0).
    """
    customer, t_weeks, spend = simulate_arrays(n_customers, params, observation_weeks, rng)
    return pd.DataFrame({"customer_index": customer, "t_weeks": t_weeks, "spend": spend})


def simulate_arrays(n: int, params: BehaviourParams, observation_weeks, rng: np.random.Generator):
    horizon = np.broadcast_to(np.asarray(observation_weeks, dtype=float), (n,))
    if (horizon < 0).any():
        raise ValueError("observation_weeks must be >= 0")
    rate = rng.gamma(params.r, 1 / params.alpha, n)
    dropout = np.clip(rng.beta(params.a, params.b, n), 1e-12, 1.0)
    nu = rng.gamma(params.q, 1 / params.gamma, n)
    arrivals = rng.poisson(rate * horizon)  # Poisson events in (0, T] had the customer stayed alive
    last_repeat = rng.geometric(dropout)  # the repeat purchase after which the customer drops out
    repeats = np.minimum(arrivals, last_repeat)

    # Given N(T) = n arrivals, they are n sorted uniforms on (0, T); we need the first k of them:
    # the k-th is T * Beta(k, n - k + 1) and the k - 1 before it are uniforms below it.
    has_repeats = repeats > 0
    kth = np.zeros(n)
    kth[has_repeats] = horizon[has_repeats] * rng.beta(
        repeats[has_repeats], arrivals[has_repeats] - repeats[has_repeats] + 1
    )

    counts = repeats + 1
    customer = np.repeat(np.arange(n, dtype=np.int64), counts)
    position = np.arange(customer.size) - np.repeat(np.cumsum(counts) - counts, counts)  # 0 is the first purchase
    scale = kth[customer]
    t_weeks = rng.random(customer.size) * scale
    kth_row = position == repeats[customer]
    t_weeks[kth_row] = scale[kth_row]
    t_weeks[position == 0] = 0.0
    order = np.lexsort((t_weeks, customer))
    spend = rng.gamma(params.p, 1 / nu[customer])
    return customer, t_weeks[order], spend
