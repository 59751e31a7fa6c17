"""Per-customer RFM summary (frequency, recency, T, monetary value) from a transaction table.

The semantics are those of lifetimes' ``summary_data_from_transaction_data`` with
``freq="D"`` (and ``freq_multiplier=7`` for weeks), so a summary built here matches
one built there value for value:

- timestamps are cut to their calendar day, and purchases on the same day are one
  purchase whose value is the day's sum;
- transactions after the observation end (also cut to its day) are dropped;
- ``frequency`` is the number of purchase days after the first one (repeat purchases);
- ``recency`` is the time from the first to the last purchase day, ``T`` the time
  from the first purchase day to the observation end, in days or weeks (days / 7);
- ``monetary_value`` is the mean value of the repeat purchase days, 0 when there are none.

Timezone-aware timestamps are taken at their own wall-clock day.
"""

from collections.abc import Sequence

import numpy as np
import pandas as pd

from orchestration.lib.clv.errors import ClvInputError

DAYS_PER_UNIT = {"day": 1.0, "week": 7.0}
DAYS_PER_MONTH = 365.25 / 12
HISTORY_COLUMNS = ("frequency", "recency", "T")
# Optional column of a summary whose rows stand for several customers each (distinct histories
# counted by the warehouse): fits weight a row by it, and counts of customers add it up.
CUSTOMERS_COLUMN = "customers"


def days_per_unit(time_unit: str) -> float:
    """Days in one ``time_unit`` ("day" or "week")."""
    if time_unit not in DAYS_PER_UNIT:
        raise ClvInputError(f"time_unit must be one of {sorted(DAYS_PER_UNIT)}, not {time_unit!r}")
    return DAYS_PER_UNIT[time_unit]


def rfm_summary(
    transactions: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    datetime_col: str = "ordered_at",
    monetary_col: str | None = None,
    observation_end=None,
    time_unit: str = "week",
) -> pd.DataFrame:
    """One row per customer: ``frequency``, ``recency``, ``T`` [, ``monetary_value``].

    ``monetary_col`` is whatever value the caller wants CLV in: margin (revenue less
    cost) when cost is known, revenue otherwise. ``observation_end`` defaults to the
    last transaction day. The frame is indexed by customer id (sorted), ``frequency``
    is an integer, and ``summary.attrs["time_unit"]`` records the unit.

    Raises ``ClvInputError`` for missing columns, missing ids, timestamps or values,
    or when no transaction falls on or before the observation end.
    """
    unit_days = days_per_unit(time_unit)
    columns = [customer_col, datetime_col] + ([monetary_col] if monetary_col else [])
    missing = [c for c in columns if c not in transactions.columns]
    if missing:
        raise ClvInputError(f"transactions lack column(s) {missing}")
    if transactions.empty:
        raise ClvInputError("transactions are empty: there is no customer to summarise")
    for column in columns:
        n_null = int(transactions[column].isna().sum())
        if n_null:
            raise ClvInputError(f"transactions.{column} has {n_null} missing value(s)")

    days = calendar_days(transactions[datetime_col], f"transactions.{datetime_col}")
    end = (
        days.max()
        if observation_end is None
        else calendar_days(pd.Series([observation_end]), "observation_end").iloc[0]
    )
    kept = (days <= end).to_numpy()
    if not kept.any():
        raise ClvInputError(f"no transaction falls on or before the observation end {end.date()}")

    frame = pd.DataFrame({"customer": transactions[customer_col].to_numpy()[kept], "day": days.to_numpy()[kept]})
    if monetary_col:
        frame["value"] = _as_float(transactions[monetary_col], f"transactions.{monetary_col}")[kept]
        daily = frame.groupby(["customer", "day"], sort=True)["value"].sum().reset_index()
    else:
        daily = frame.drop_duplicates(["customer", "day"]).sort_values(["customer", "day"], ignore_index=True)

    is_first = ~daily["customer"].duplicated()
    per_customer = daily.groupby("customer", sort=True)["day"]
    first, last = per_customer.min(), per_customer.max()
    one_unit = pd.Timedelta(days=unit_days)
    summary = pd.DataFrame(
        {
            "frequency": (per_customer.size() - 1).astype("int64"),
            "recency": (last - first) / one_unit,
            "T": (end - first) / one_unit,
        }
    )
    if monetary_col:
        repeat_values = daily["value"].where(~is_first)
        summary["monetary_value"] = repeat_values.groupby(daily["customer"]).mean().fillna(0.0)
    summary.index.name = customer_col
    summary.attrs["time_unit"] = time_unit
    return summary


def check_summary(summary: pd.DataFrame, columns: Sequence[str] = HISTORY_COLUMNS) -> None:
    """Raise ``ClvInputError`` unless ``summary`` holds consistent purchase histories.

    Checks: the columns exist, at least one row, finite values, integer
    ``frequency`` >= 0, 0 <= ``recency`` <= ``T``, and ``recency`` = 0 when
    ``frequency`` = 0.
    """
    missing = [c for c in columns if c not in summary.columns]
    if missing:
        raise ClvInputError(f"summary lacks column(s) {missing}")
    if summary.empty:
        raise ClvInputError("summary is empty: there is no customer to fit or score")
    for column in columns:
        values = _as_float(summary[column], f"summary.{column}")
        n_bad = int((~np.isfinite(values)).sum())
        if n_bad:
            raise ClvInputError(f"summary.{column} has {n_bad} missing or infinite value(s)")
    if "frequency" in columns:
        x = summary["frequency"].to_numpy(dtype=float)
        if (x < 0).any() or (x != np.round(x)).any():
            raise ClvInputError("summary.frequency must be a whole number of repeat purchases >= 0")
    if "recency" in columns and "T" in columns:
        t_x, age = summary["recency"].to_numpy(dtype=float), summary["T"].to_numpy(dtype=float)
        if (t_x < 0).any():
            raise ClvInputError(f"summary.recency is negative for {int((t_x < 0).sum())} customer(s)")
        # Day counts divided by 7 can differ in the last bit, hence the tolerance.
        later = t_x > age * (1 + 1e-12)
        if later.any():
            raise ClvInputError(f"summary.recency exceeds T for {int(later.sum())} customer(s)")
        if "frequency" in columns:
            odd = (summary["frequency"].to_numpy(dtype=float) == 0) & (t_x > 0)
            if odd.any():
                raise ClvInputError(f"summary.recency is > 0 with frequency 0 for {int(odd.sum())} customer(s)")


def collapse_histories(
    summary: pd.DataFrame, columns: Sequence[str] = HISTORY_COLUMNS
) -> tuple[pd.DataFrame, np.ndarray]:
    """Distinct value combinations of ``columns`` with their ``count``, and each row's code.

    Fits weight each distinct history by its count, so their cost grows with the
    number of distinct histories rather than customers. A row counts as
    ``summary["customers"]`` customers when that column is there. ``unique.iloc[codes]``
    lines the distinct rows back up with ``summary``'s rows.
    """
    keys = summary[list(columns)].reset_index(drop=True)
    codes = keys.groupby(list(columns), sort=True, dropna=False).ngroup().to_numpy()
    counts = np.bincount(codes, weights=customer_weights(summary)).astype(np.int64)
    representative = np.empty(len(counts), dtype=np.int64)
    representative[codes] = np.arange(len(codes))
    unique = keys.iloc[representative].reset_index(drop=True)
    unique["count"] = counts
    return unique, codes


def customer_weights(summary: pd.DataFrame) -> np.ndarray:
    """How many customers each row of ``summary`` stands for: its ``customers`` column, else 1."""
    if CUSTOMERS_COLUMN not in summary.columns:
        return np.ones(len(summary))
    weights = _as_float(summary[CUSTOMERS_COLUMN], f"summary.{CUSTOMERS_COLUMN}")
    if not (np.isfinite(weights) & (weights >= 1) & (weights == np.round(weights))).all():
        raise ClvInputError(f"summary.{CUSTOMERS_COLUMN} must be a whole number of customers >= 1")
    return weights


def resolve_time_unit(summary: pd.DataFrame, time_unit: str | None) -> str:
    """The explicit ``time_unit`` if given, else the one ``rfm_summary`` recorded on the frame."""
    unit = time_unit if time_unit is not None else summary.attrs.get("time_unit")
    if unit is None:
        raise ClvInputError("say which time_unit ('day' or 'week') recency and T are in")
    days_per_unit(unit)
    return unit


def calendar_days(timestamps: pd.Series, name: str) -> pd.Series:
    """Timestamps cut to midnight of their (wall-clock) day, timezone dropped; ``name`` is for the error."""
    try:
        values = pd.to_datetime(timestamps)
    except (TypeError, ValueError) as error:
        raise ClvInputError(f"{name} must hold dates or timestamps ({error})") from None
    if values.dt.tz is not None:
        values = values.dt.tz_localize(None)
    return values.dt.normalize()


def _as_float(column: pd.Series, name: str) -> np.ndarray:
    try:
        return column.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as error:
        raise ClvInputError(f"{name} must be numeric ({error})") from None
