"""Fitting every CLV model on the warehouse's RFM summary and predicting with the chosen one.

Plain functions over pandas frames; the Dagster asset reads and writes the warehouse around them.
A model that cannot be fitted (no repeat customers, one customer, identical histories, no
positive spend) is reported, never raised: predictions are then null and historical CLV
still stands.
"""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd

from orchestration.lib import clv

# The CLV step's output tables, column by column, with the DuckDB types they are written with: the one
# declaration of their schema (dbt's `_clv__sources.yml` must agree, and a test checks that it does).
OUTPUT_TABLES: dict[str, dict[str, str]] = {
    "clv_predictions": {
        "customer_id": "VARCHAR",
        "expected_purchases_12m": "DOUBLE",
        "p_alive": "DOUBLE",
        "expected_avg_spend": "DOUBLE",
        "predicted_clv_12m": "DOUBLE",
        "purchase_model": "VARCHAR",
    },
    "clv_model_fits": {
        "model": "VARCHAR",
        "parameter": "VARCHAR",
        "value": "DOUBLE",
        "time_unit": "VARCHAR",
        "customers": "BIGINT",
        "log_likelihood": "DOUBLE",
        "converged": "BOOLEAN",
        "fitted_at": "TIMESTAMP",
        "as_of_date": "DATE",
    },
    # The chosen purchase model fitted before the holdout window: weekly cumulative repeat purchases of
    # its calibration cohort, actual against predicted (`holdout.tracking_table`); empty without a holdout.
    "clv_holdout_tracking": {
        "week": "BIGINT",
        "period_end": "TIMESTAMP",
        "actual_cumulative": "BIGINT",
        "predicted_cumulative": "DOUBLE",
        "holdout": "BOOLEAN",
    },
}
# The columns the models predict, per customer.
PREDICTION_COLUMNS = tuple(
    name for name in OUTPUT_TABLES["clv_predictions"] if name not in ("customer_id", "purchase_model")
)
# The purchase history columns as `int_customer_purchase_histories` has them (days; `t` is T).
WAREHOUSE_HISTORY_COLUMNS = ("frequency", "recency", "t", "monetary_value")
TIME_UNIT = "week"
DAYS_PER_WEEK = 7.0


@dataclass
class ClvOutcome:
    predictions: pd.DataFrame  # indexed by customer_id, PREDICTION_COLUMNS
    fits: list[clv.FitResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # why a fit or the predictions fell back


def summary_in_weeks(histories: pd.DataFrame) -> pd.DataFrame:
    """The warehouse's histories (days) as the summary the models take (weeks).

    `histories` holds a row per customer (`customer_id`, which becomes the index) or a row per
    distinct history with the number of `customers` who share it (kept: the fits weight by it).
    """
    columns = {
        "frequency": histories["frequency"].astype("int64").to_numpy(),
        "recency": histories["recency"].to_numpy(dtype=float) / DAYS_PER_WEEK,
        "T": histories["t"].to_numpy(dtype=float) / DAYS_PER_WEEK,
        "monetary_value": histories["monetary_value"].to_numpy(dtype=float),
    }
    if clv.CUSTOMERS_COLUMN in histories.columns:
        columns[clv.CUSTOMERS_COLUMN] = histories[clv.CUSTOMERS_COLUMN].astype("int64").to_numpy()
    index = (
        pd.Index(histories["customer_id"], name="customer_id")
        if "customer_id" in histories.columns
        else histories.index
    )
    summary = pd.DataFrame(columns, index=index)
    summary.attrs["time_unit"] = TIME_UNIT
    return summary


def fit_and_predict(summary: pd.DataFrame, model: str, *, monthly_discount_rate: float) -> ClvOutcome:
    """Fit BG/NBD, MBG/NBD and Gamma-Gamma; predict 12 months with `model` and Gamma-Gamma."""
    clv.purchase_model(model)  # an unknown model name is a configuration error: raise it
    outcome = ClvOutcome(predictions=pd.DataFrame(index=summary.index, columns=list(PREDICTION_COLUMNS), dtype=float))
    if summary.empty:
        outcome.problems.append("no customer has a completed order: nothing to fit")
        return outcome
    fits = {}
    # The three fits are independent and spend their time in numpy, which releases the GIL: fitted
    # side by side on two cores they take less than in turn (docs/performance.md).
    with ThreadPoolExecutor(max_workers=3) as pool:
        attempts = {
            "bg_nbd": pool.submit(clv.fit_bg_nbd, summary, time_unit=TIME_UNIT),
            "mbg_nbd": pool.submit(clv.fit_mbg_nbd, summary, time_unit=TIME_UNIT),
            "gamma_gamma": pool.submit(clv.fit_gamma_gamma, summary),
        }
    for name, attempt in attempts.items():
        try:
            result = attempt.result()
        except clv.ClvError as error:
            outcome.problems.append(f"{name}: {error}")
            continue
        outcome.fits.append(result)
        if result.converged:
            fits[name] = result
        else:
            outcome.problems.append(f"{name}: did not converge ({result.message})")
    if model not in fits or "gamma_gamma" not in fits:
        outcome.problems.append(f"predictions are null: {model} and gamma_gamma must both fit")
        return outcome
    try:
        predicted = clv.predict(
            summary,
            purchase_fit=fits[model],
            spend_fit=fits["gamma_gamma"],
            monthly_discount_rate=monthly_discount_rate,
        )
    except clv.ClvError as error:
        outcome.problems.append(f"predictions are null: {error}")
        return outcome
    outcome.predictions = predicted[list(PREDICTION_COLUMNS)]
    return outcome


def fits_table(fits: list[clv.FitResult], *, as_of: date, fitted_at: datetime) -> pd.DataFrame:
    """Long table of parameters: one row per model and parameter."""
    rows = [
        {
            "model": fit.model,
            "parameter": parameter,
            "value": float(value),
            "time_unit": fit.time_unit or None,
            "customers": fit.n_customers,
            "log_likelihood": float(fit.log_likelihood) if np.isfinite(fit.log_likelihood) else None,
            "converged": fit.converged,
            "fitted_at": fitted_at,
            "as_of_date": as_of,
        }
        for fit in fits
        for parameter, value in fit.params.items()
    ]
    return pd.DataFrame(rows, columns=list(OUTPUT_TABLES["clv_model_fits"]))


def predicted_clv_summary(predictions: pd.DataFrame, customers: np.ndarray) -> dict[str, float | int | None]:
    """Customers with a predicted CLV and their median, from predictions per distinct history, each row
    standing for `customers[i]` customers."""
    predicted = predictions["predicted_clv_12m"].to_numpy(dtype=float)
    known = ~np.isnan(predicted)
    return {
        "customers_predicted": int(customers[known].sum()),
        "median_predicted_clv_12m": float(np.median(np.repeat(predicted[known], customers[known])))
        if known.any()
        else None,
    }


def typed_select_list(table: str, expressions: dict[str, str] | None = None) -> str:
    """The SELECT list writing output `table`: each column cast to its declared type, in declared order,
    from `expressions[column]` (default: the column of the same name)."""
    expressions = expressions or {}
    return ", ".join(
        f"CAST({expressions.get(name, name)} AS {type_}) AS {name}" for name, type_ in OUTPUT_TABLES[table].items()
    )
