"""E[purchases while alive] in the corners where scipy's hyp2f1 is unreliable, against mpmath references.

References: E_p[(1 - (1 + p t/alpha)^-r) / p] for p ~ Beta(a, b), integrated with mpmath.quad
at 30 digits (mpmath 1.4.1), breaking the interval around the Beta density's peak.
"""

import numpy as np
import pytest

from orchestration.lib.clv import bg_nbd
from orchestration.lib.clv._beta_geometric import beta_quadrature, expected_purchases_while_alive

REFERENCES = [
    # (r, alpha, a, b, t), reference
    ((0.243, 4.414, 0.793, 2.426, 39.0), 1.196723193320817),  # CDNOW, the paper's E[X(39)] = 1.1967
    ((2.243, 43.27, 0.793, 4.426, 52.0), 2.1454510354849052),  # a repeat buyer's updated parameters
    ((0.5, 10.0, 1.0, 3.0, 52.0), 1.5416346569662795),  # a = 1: the closed form is 0/0
    ((1e4, 1e5, 2.0, 5.0, 520.0), 5.464946069018934),  # nearly identical purchase rates, long horizon
    ((5e5, 5e5 + 100, 8.0, 20.0, 52.0), 3.855883669572233),
    ((1000.2, 300.0, 20.0, 1100.0, 520.0), 58.8947357167343),  # a frequent buyer: the direct 2F1 form overflows
    ((10.24, 24.0, 20.0, 110.0, 520.0), 6.789459800625511),
    ((3.0, 4.0, 0.4, 0.5, 520.0), 34.78018988108532),
]


@pytest.mark.parametrize(("args", "reference"), REFERENCES)
def test_expected_purchases_while_alive(args, reference):
    assert float(expected_purchases_while_alive(*args)) == pytest.approx(reference, rel=1e-9)


@pytest.mark.parametrize(("a", "b"), [(0.8, 3.0), (0.5, 0.5), (1.0, 1.0), (0.3, 5000.0), (20.0, 0.2)])
def test_beta_quadrature_reproduces_beta_moments(a, b):
    nodes, weights = beta_quadrature(a, b)

    assert weights.sum() == pytest.approx(1.0, rel=1e-12)
    assert nodes.min() > 0 and nodes.max() < 1
    assert weights @ nodes == pytest.approx(a / (a + b), rel=1e-10)
    assert weights @ nodes**2 == pytest.approx(a * (a + 1) / ((a + b) * (a + b + 1)), rel=1e-10)


@pytest.mark.filterwarnings("error")
def test_extreme_histories_stay_finite_and_bounded():
    params = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    x = np.array([0, 1, 50, 2000, 20000])
    t_x = np.array([0.0, 0.1, 100.0, 500.0, 500.0])
    T = np.array([0.0, 500.0, 500.0, 500.0, 500.0])

    expected = bg_nbd.conditional_expected_purchases(params, 520.0, x, t_x, T)

    assert np.isfinite(expected).all() and (expected >= 0).all()
    # never more than the posterior mean rate times the horizon
    assert (expected <= (params["r"] + x) / (params["alpha"] + T) * 520.0).all()
