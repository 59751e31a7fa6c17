"""Discounted customer lifetime value, and per-customer predictions from fitted models."""

from types import ModuleType

import numpy as np
import pandas as pd

from orchestration.lib.clv import bg_nbd, gamma_gamma, mbg_nbd
from orchestration.lib.clv.errors import ClvFitError, ClvInputError
from orchestration.lib.clv.fitting import FitResult
from orchestration.lib.clv.rfm import DAYS_PER_MONTH, HISTORY_COLUMNS, check_summary, collapse_histories, days_per_unit

PURCHASE_MODELS: dict[str, ModuleType] = {bg_nbd.MODEL: bg_nbd, mbg_nbd.MODEL: mbg_nbd}
# MBG/NBD: most shops have many one-time buyers, and BG/NBD takes every one of them to be alive forever.
DEFAULT_PURCHASE_MODEL = mbg_nbd.MODEL


def purchase_model(name: str) -> ModuleType:
    """The module (``bg_nbd`` or ``mbg_nbd``) that implements purchase model ``name``."""
    if name not in PURCHASE_MODELS:
        raise ClvInputError(f"purchase model must be one of {sorted(PURCHASE_MODELS)}, not {name!r}")
    return PURCHASE_MODELS[name]


def cumulative_expected_purchases_by_month(
    purchase_fit: FitResult, frequency, recency, T, *, months: int = 12, days_per_month: float = DAYS_PER_MONTH
) -> np.ndarray:
    """Expected repeat purchases from now to the end of month 0..``months``, one row per customer.

    Column i is E[Y(i * month) | history]; column 0 is zeros. A month is
    ``days_per_month`` days expressed in the fit's time unit.
    """
    _check_horizon(months, days_per_month)
    month = days_per_month / days_per_unit(purchase_fit.time_unit)
    model = purchase_model(purchase_fit.model)
    horizons = np.arange(months + 1) * month
    return model.conditional_expected_purchases(
        purchase_fit.params,
        horizons[np.newaxis, :],
        np.asarray(frequency, dtype=float)[:, np.newaxis],
        np.asarray(recency, dtype=float)[:, np.newaxis],
        np.asarray(T, dtype=float)[:, np.newaxis],
    )


def discounted_clv(cumulative_purchases: np.ndarray, expected_avg_spend, monthly_discount_rate: float = 0.01):
    """CLV = sum over months i of spend * (E[Y(i)] - E[Y(i-1)]) / (1 + d)^i.

    As lifetimes' ``customer_lifetime_value``: purchases expected in month i are
    valued at the expected average spend and discounted by i months at the monthly
    rate d. ``cumulative_purchases`` comes from
    ``cumulative_expected_purchases_by_month``; the spend is margin when cost is
    known (the caller chose the monetary column), which makes the result a value, not
    a revenue.
    """
    _check_discount_rate(monthly_discount_rate)
    per_month = np.diff(cumulative_purchases, axis=1)
    discount = (1 + monthly_discount_rate) ** -np.arange(1, per_month.shape[1] + 1)
    return np.asarray(expected_avg_spend, dtype=float) * (per_month @ discount)


def predict(
    summary: pd.DataFrame,
    model: str = DEFAULT_PURCHASE_MODEL,
    *,
    months: int = 12,
    monthly_discount_rate: float = 0.01,
    days_per_month: float = DAYS_PER_MONTH,
    purchase_fit: FitResult | None = None,
    spend_fit: FitResult | None = None,
    time_unit: str | None = None,
) -> pd.DataFrame:
    """Per-customer predictions for ``summary`` (frequency, recency, T, monetary_value).

    Columns: ``expected_purchases_{months}m`` (repeat purchases over the horizon),
    ``p_alive``, ``expected_avg_spend`` (Gamma-Gamma; the population mean for
    customers without a positive repeat spend) and ``predicted_clv_{months}m``
    (discounted, see ``discounted_clv``); defaults give the 12-month names. The
    value is in whatever ``monetary_value`` holds: margin when cost is known.
    Fits ``model`` ("bg_nbd" or "mbg_nbd") and Gamma-Gamma on ``summary`` unless
    ``purchase_fit``/``spend_fit`` are passed (then ``purchase_fit.model`` decides),
    so callers that want the fits for metadata fit first and pass them in.

    Raises ``ClvInputError`` for inconsistent input or a time unit that differs from
    the fit's, and ``ClvFitError`` when a fit did not converge or (as a last guard)
    a prediction is not finite: never returns NaN.
    """
    check_summary(summary, (*HISTORY_COLUMNS, "monetary_value"))
    _check_horizon(months, days_per_month)
    _check_discount_rate(monthly_discount_rate)
    if purchase_fit is None:
        purchase_fit = purchase_model(model).fit(summary, time_unit=time_unit)
    if spend_fit is None:
        spend_fit = gamma_gamma.fit(summary)
    purchase_fit.require_converged()
    spend_fit.require_converged()
    unit = time_unit or summary.attrs.get("time_unit") or purchase_fit.time_unit
    if unit != purchase_fit.time_unit:
        raise ClvInputError(f"summary is in {unit}s but the {purchase_fit.model} fit is in {purchase_fit.time_unit}s")

    histories, codes = collapse_histories(summary)
    x, t_x, T = (histories[c].to_numpy(dtype=float) for c in HISTORY_COLUMNS)
    cumulative = cumulative_expected_purchases_by_month(
        purchase_fit, x, t_x, T, months=months, days_per_month=days_per_month
    )
    discounted_purchases = discounted_clv(cumulative, 1.0, monthly_discount_rate)
    p_alive = purchase_model(purchase_fit.model).probability_alive(purchase_fit.params, x, t_x, T)
    spend = gamma_gamma.conditional_expected_average_spend(
        spend_fit.params, summary["frequency"], summary["monetary_value"]
    )
    predictions = pd.DataFrame(
        {
            f"expected_purchases_{months}m": cumulative[codes, -1],
            "p_alive": p_alive[codes],
            "expected_avg_spend": spend,
            f"predicted_clv_{months}m": spend * discounted_purchases[codes],
        },
        index=summary.index,
    )
    n_bad = int((~np.isfinite(predictions.to_numpy())).any(axis=1).sum())
    if n_bad:
        raise ClvFitError(
            f"predictions are not finite for {n_bad} customer(s) with {purchase_fit.model} {purchase_fit.params}"
        )
    return predictions


def _check_horizon(months: int, days_per_month: float) -> None:
    if int(months) != months or months < 1:
        raise ClvInputError(f"months must be a whole number >= 1, not {months}")
    if not days_per_month > 0:
        raise ClvInputError(f"days_per_month must be > 0, not {days_per_month}")


def _check_discount_rate(monthly_discount_rate: float) -> None:
    if not monthly_discount_rate > -1:
        raise ClvInputError(f"monthly_discount_rate must be > -1, not {monthly_discount_rate}")
