"""Calibration/holdout evaluation: fit on the past, predict a later window, compare with what happened."""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from orchestration.lib.clv.errors import ClvInputError
from orchestration.lib.clv.fitting import FitResult
from orchestration.lib.clv.predict import DEFAULT_PURCHASE_MODEL, purchase_model
from orchestration.lib.clv.rfm import HISTORY_COLUMNS, calendar_days, days_per_unit, rfm_summary

TRACKING_PERIOD_DAYS = 7


@dataclass(frozen=True)
class HoldoutReport:
    """How a purchase model fitted on the calibration window predicts the holdout window.

    ``customers``: per calibration customer, the calibration history, ``actual`` and
    ``predicted`` repeat purchases in the holdout, and ``error`` = predicted - actual.
    ``mae``/``rmse`` summarise the per-customer errors; ``total_actual`` and
    ``total_predicted`` compare the aggregate. ``tracking``: per week, cumulative
    repeat purchases of the calibration cohort, actual against predicted.
    """

    fit: FitResult
    customers: pd.DataFrame
    mae: float
    rmse: float
    total_actual: float
    total_predicted: float
    tracking: pd.DataFrame


def calibration_holdout_summary(
    transactions: pd.DataFrame,
    *,
    calibration_end,
    observation_end,
    customer_col: str = "customer_id",
    datetime_col: str = "ordered_at",
    time_unit: str = "week",
) -> pd.DataFrame:
    """The RFM summary as of ``calibration_end``, with the holdout window's outcome per customer.

    As lifetimes' ``calibration_and_holdout_data``: only customers whose first
    purchase falls on or before ``calibration_end``; ``frequency_holdout`` counts
    their purchase days in (calibration_end, observation_end]; ``duration_holdout``
    is the window's length in ``time_unit``.
    """
    start, end = _window(calibration_end, observation_end)
    summary = rfm_summary(
        transactions,
        customer_col=customer_col,
        datetime_col=datetime_col,
        observation_end=start,
        time_unit=time_unit,
    )
    days = calendar_days(transactions[datetime_col], f"transactions.{datetime_col}")
    in_window = ((days > start) & (days <= end)).to_numpy()
    window = pd.DataFrame(
        {"customer": transactions[customer_col].to_numpy()[in_window], "day": days.to_numpy()[in_window]}
    )
    purchase_days = window.drop_duplicates().groupby("customer").size()
    summary["frequency_holdout"] = purchase_days.reindex(summary.index, fill_value=0).to_numpy()
    summary["duration_holdout"] = (end - start) / pd.Timedelta(days=days_per_unit(time_unit))
    return summary


def evaluate_holdout(
    transactions: pd.DataFrame,
    *,
    calibration_end,
    observation_end,
    model: str = DEFAULT_PURCHASE_MODEL,
    customer_col: str = "customer_id",
    datetime_col: str = "ordered_at",
    time_unit: str = "week",
) -> HoldoutReport:
    """Fit ``model`` on transactions up to ``calibration_end`` and score the window up to ``observation_end``.

    Raises ``ClvInputError`` when the window is empty or reversed, or the calibration
    data cannot be fitted (see the model's ``fit``).
    """
    summary = calibration_holdout_summary(
        transactions,
        calibration_end=calibration_end,
        observation_end=observation_end,
        customer_col=customer_col,
        datetime_col=datetime_col,
        time_unit=time_unit,
    )
    purchases = purchase_model(model)
    fit = purchases.fit(summary, time_unit=time_unit)
    fit.require_converged()
    predicted = purchases.conditional_expected_purchases(
        fit.params,
        summary["duration_holdout"].to_numpy(),
        *(summary[c].to_numpy(dtype=float) for c in HISTORY_COLUMNS),
    )
    customers = summary[list(HISTORY_COLUMNS)].assign(
        actual=summary["frequency_holdout"].astype(float), predicted=predicted
    )
    customers["error"] = customers["predicted"] - customers["actual"]
    return HoldoutReport(
        fit=fit,
        customers=customers,
        mae=float(customers["error"].abs().mean()),
        rmse=float(np.sqrt((customers["error"] ** 2).mean())),
        total_actual=float(customers["actual"].sum()),
        total_predicted=float(customers["predicted"].sum()),
        tracking=tracking_table(
            transactions,
            fit,
            calibration_end=calibration_end,
            observation_end=observation_end,
            customer_col=customer_col,
            datetime_col=datetime_col,
        ),
    )


def tracking_table(
    transactions: pd.DataFrame,
    fit: FitResult,
    *,
    calibration_end,
    observation_end,
    customer_col: str = "customer_id",
    datetime_col: str = "ordered_at",
) -> pd.DataFrame:
    """Weekly cumulative repeat purchases of the calibration cohort: actual against the model.

    The cohort is every customer whose first purchase falls on or before
    ``calibration_end``. Week 1 is the cohort's first purchase day and the 6 days
    after it, and so on (a shorter last row ends at ``observation_end``), so that for
    CDNOW weeks 1-39 are the calibration period as in Fader, Hardie & Lee (2005,
    fig. 3). ``actual_cumulative`` counts repeat purchase days up to and including a
    week's last day, ``predicted_cumulative`` sums E[X(last day - first purchase
    day)] over the cohort, the time convention of ``rfm_summary``. ``holdout``
    marks weeks ending after ``calibration_end``.
    """
    start, end = _window(calibration_end, observation_end)
    days = calendar_days(transactions[datetime_col], f"transactions.{datetime_col}")
    kept = (days <= end).to_numpy()
    purchase_days = pd.DataFrame(
        {"customer": transactions[customer_col].to_numpy()[kept], "day": days.to_numpy()[kept]}
    ).drop_duplicates()
    birth = purchase_days.groupby("customer")["day"].transform("min")
    purchase_days = purchase_days[(birth <= start).to_numpy()]
    birth = birth[(birth <= start).to_numpy()]
    if purchase_days.empty:
        raise ClvInputError(f"no customer made a first purchase on or before {start.date()}")
    repeat_days = np.sort(purchase_days["day"][(purchase_days["day"] > birth).to_numpy()].to_numpy())
    births, cohort_sizes = np.unique(purchase_days.groupby("customer")["day"].min().to_numpy(), return_counts=True)

    first = births[0]
    period = np.timedelta64(TRACKING_PERIOD_DAYS, "D")
    n_full = int((end - first + np.timedelta64(1, "D")) // period)
    period_ends = first + period * np.arange(1, n_full + 1) - np.timedelta64(1, "D")
    if len(period_ends) == 0 or period_ends[-1] < end:
        period_ends = np.append(period_ends, np.datetime64(end))
    age_days = (period_ends[:, np.newaxis] - births[np.newaxis, :]) / np.timedelta64(1, "D")
    ages = np.clip(age_days, 0, None) / days_per_unit(fit.time_unit)
    expected = purchase_model(fit.model).expected_purchases(fit.params, ages)
    return pd.DataFrame(
        {
            "week": np.arange(1, len(period_ends) + 1),
            "period_end": period_ends,
            "actual_cumulative": np.searchsorted(repeat_days, period_ends, side="right"),
            "predicted_cumulative": expected @ cohort_sizes,
            "holdout": period_ends > np.datetime64(start),
        }
    )


def _window(calibration_end, observation_end) -> tuple[pd.Timestamp, pd.Timestamp]:
    start, end = calendar_days(pd.Series([calibration_end, observation_end]), "calibration_end/observation_end")
    if not start < end:
        raise ClvInputError(f"calibration_end {start.date()} must be before observation_end {end.date()}")
    return start, end
