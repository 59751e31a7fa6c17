"""Predictive customer lifetime value in plain numpy/scipy.

The data's path: transactions -> ``rfm_summary`` -> ``fit_bg_nbd`` / ``fit_mbg_nbd``
(purchases) and ``fit_gamma_gamma`` (spend) -> ``predict`` (expected purchases,
P(alive), expected spend, discounted CLV per customer). ``evaluate_holdout`` checks a
purchase model on a later window. Models: BG/NBD and MBG/NBD (``bg_nbd``,
``mbg_nbd`` modules, each with ``fit``, ``log_likelihood``, ``probability_alive``,
``conditional_expected_purchases``, ``expected_purchases``) and Gamma-Gamma
(``gamma_gamma``). Bad input raises ``ClvInputError``; an unusable fit raises
``ClvFitError`` when used; both are ``ValueError``s.
"""

from orchestration.lib.clv import bg_nbd, gamma_gamma, mbg_nbd
from orchestration.lib.clv.errors import ClvError, ClvFitError, ClvInputError
from orchestration.lib.clv.fitting import FitResult
from orchestration.lib.clv.holdout import HoldoutReport, calibration_holdout_summary, evaluate_holdout, tracking_table
from orchestration.lib.clv.predict import (
    DEFAULT_PURCHASE_MODEL,
    PURCHASE_MODELS,
    cumulative_expected_purchases_by_month,
    discounted_clv,
    predict,
    purchase_model,
)
from orchestration.lib.clv.rfm import (
    CUSTOMERS_COLUMN,
    DAYS_PER_MONTH,
    check_summary,
    collapse_histories,
    customer_weights,
    rfm_summary,
)

fit_bg_nbd = bg_nbd.fit
fit_mbg_nbd = mbg_nbd.fit
fit_gamma_gamma = gamma_gamma.fit
conditional_expected_average_spend = gamma_gamma.conditional_expected_average_spend

__all__ = [
    "CUSTOMERS_COLUMN",
    "DEFAULT_PURCHASE_MODEL",
    "DAYS_PER_MONTH",
    "PURCHASE_MODELS",
    "ClvError",
    "ClvFitError",
    "ClvInputError",
    "FitResult",
    "HoldoutReport",
    "bg_nbd",
    "calibration_holdout_summary",
    "check_summary",
    "collapse_histories",
    "conditional_expected_average_spend",
    "cumulative_expected_purchases_by_month",
    "customer_weights",
    "discounted_clv",
    "evaluate_holdout",
    "fit_bg_nbd",
    "fit_gamma_gamma",
    "fit_mbg_nbd",
    "gamma_gamma",
    "mbg_nbd",
    "predict",
    "purchase_model",
    "rfm_summary",
    "tracking_table",
]
