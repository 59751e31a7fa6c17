"""The fit result every model returns, and the one maximum-likelihood loop they share."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

from orchestration.lib.clv.errors import ClvFitError

# Parameters are optimised as logs, so they stay positive; the box keeps a
# degenerate optimum (a parameter running off to 0 or infinity) finite and visible.
LOG_PARAM_BOUND = 25.0
_AT_BOUND = 1e-3
_GRADIENT_TOLERANCE = 1e-5


@dataclass(frozen=True)
class FitResult:
    """A fitted model: what it is, its parameters (named as in the papers) and how the fit went.

    ``model`` is ``"bg_nbd"``, ``"mbg_nbd"`` or ``"gamma_gamma"``; ``params`` holds
    ``r, alpha, a, b`` or ``p, q, gamma``; ``log_likelihood`` is the total over
    customers; ``n_customers`` counts the customers the fit used and
    ``n_excluded`` those it had to leave out (Gamma-Gamma: repeat customers
    without a positive spend). ``time_unit`` is the unit of ``recency``/``T`` the
    purchase models were fitted in (rates and horizons are per that unit); it is
    "" for Gamma-Gamma, which does not involve time.
    ``converged`` is False when the optimiser stopped early or a parameter ran to
    its bound; ``message`` then says why.
    """

    model: str
    params: dict[str, float]
    log_likelihood: float
    n_customers: int
    time_unit: str
    converged: bool
    n_excluded: int = 0
    message: str = field(default="")

    def require_converged(self) -> None:
        """Raise ``ClvFitError`` unless the fit can be used for prediction."""
        if not self.converged:
            raise ClvFitError(f"{self.model} fit did not converge: {self.message}")


def maximise_likelihood(
    mean_negative_log_likelihood: Callable[[np.ndarray], tuple[float, np.ndarray]],
    initial: Mapping[str, float],
    total_weight: float,
) -> tuple[dict[str, float], float, bool, str]:
    """Maximise a likelihood over log-parameters with L-BFGS-B and an analytic gradient.

    ``mean_negative_log_likelihood(log_params)`` returns the weighted mean negative
    log-likelihood and its gradient in the log-parameters (a mean keeps the scale of
    the objective independent of the number of customers). Returns the parameters,
    the total log-likelihood, whether the fit converged, and a message.
    """
    names = list(initial)
    start = np.log(np.fromiter(initial.values(), dtype=float))
    result = minimize(
        mean_negative_log_likelihood,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-LOG_PARAM_BOUND, LOG_PARAM_BOUND)] * len(names),
        options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9},
    )
    params = dict(zip(names, np.exp(result.x).tolist(), strict=True))
    log_likelihood = -float(result.fun) * float(total_weight)
    at_bound = [n for n, v in zip(names, result.x, strict=True) if abs(v) > LOG_PARAM_BOUND - _AT_BOUND]
    small_gradient = bool(np.all(np.abs(result.jac) < _GRADIENT_TOLERANCE))
    message = ""
    if not np.isfinite(log_likelihood) or not np.all(np.isfinite(result.x)):
        message = "the likelihood is not finite at the optimum"
    elif at_bound:
        message = (
            f"parameter(s) {at_bound} ran to the edge of (e^-{LOG_PARAM_BOUND:g}, e^{LOG_PARAM_BOUND:g}): "
            "the data do not identify the model"
        )
    elif not (result.success or small_gradient):
        rounded = {name: float(f"{value:.4g}") for name, value in params.items()}
        message = (
            f"the optimiser stopped short of an optimum ({result.message}) at {rounded}: "
            "the data may not identify the model"
        )
    return params, log_likelihood, not message, message
