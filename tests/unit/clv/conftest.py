"""CDNOW fixtures: the sample that ships inside the `lifetimes` wheel, found without importing lifetimes.

CDNOW_sample.txt holds the purchases (Jan 1997 - Jun 1998) of the 2,357 customers that
Fader, Hardie & Lee (2005) use; the first 39 weeks (to 1997-09-30) are their calibration
period. Tests that need it skip, with the reason, when the wheel is not installed.
"""

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from orchestration.lib.clv import rfm_summary

CALIBRATION_END = "1997-09-30"
OBSERVATION_END = "1998-06-30"


def _lifetimes_datasets() -> Path | None:
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "datasets"
    return folder if folder.is_dir() else None


def _dataset(name: str) -> Path:
    folder = _lifetimes_datasets()
    if folder is None or not (folder / name).is_file():
        pytest.skip(f"CDNOW data not found: {name} ships in the lifetimes wheel (pip install lifetimes==0.11.3)")
    return folder / name


@pytest.fixture(scope="session")
def cdnow_transactions() -> pd.DataFrame:
    """One row per CDNOW transaction: customer_id (1..2357), ordered_at (a date), value (USD)."""
    raw = pd.read_csv(
        _dataset("CDNOW_sample.txt"),
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "value"],
        dtype={"date": str},
    )
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"],
            "ordered_at": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "value": raw["value"],
        }
    )


@pytest.fixture(scope="session")
def cdnow_published_summary() -> pd.DataFrame:
    """The calibration summary as published (x, t_x, T in weeks, zbar; 2 decimals), in our column names."""
    summary = pd.read_csv(_dataset("cdnow_customers_summary_with_transactions.csv"), index_col="ID").rename(
        columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"}
    )
    summary.index.name = "customer_id"
    summary.attrs["time_unit"] = "week"
    return summary


@pytest.fixture(scope="session")
def cdnow_summary(cdnow_transactions) -> pd.DataFrame:
    """The 39-week calibration summary built from the transactions (exact, not rounded)."""
    return rfm_summary(cdnow_transactions, monetary_col="value", observation_end=CALIBRATION_END, time_unit="week")


@pytest.fixture(scope="session")
def lifetimes():
    """The lifetimes package itself, for side-by-side checks; skipped if it is missing or does not import."""
    try:
        import lifetimes as module
    except Exception as error:  # an old wheel may fail to import on a newer pandas
        pytest.skip(f"lifetimes is not importable here: {error!r}")
    return module
