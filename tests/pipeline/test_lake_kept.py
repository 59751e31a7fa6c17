"""The ingest asset keeps the raw lake only when something reads it."""

import pytest

from orchestration.lib import settings
from orchestration.lib.ingest.contract import ORDERS
from orchestration.lib.ingest.lake import table_dir
from tests.helpers import ORDERS_HEADER, run_lifecycle_job, write_csv

HEADER = ORDERS_HEADER


def lake_files(lake):
    return sorted(
        path.relative_to(table_dir(lake, ORDERS)).as_posix() for path in table_dir(lake, ORDERS).rglob("*.parquet")
    )


@pytest.mark.parametrize(
    ("engine", "mode", "kept"),
    [
        ("duckdb", "", False),
        ("spark", "", True),
        ("duckdb", "on", True),
        ("duckdb", "off", False),
    ],
)
def test_ingest_keeps_the_lake_when_something_reads_it(landing, monkeypatch, engine, mode, kept):
    """By default only for Spark, which reads it; `LIFECYCLE_RAW_LAKE=on` keeps it for other readers."""
    monkeypatch.setenv("LIFECYCLE_ENGINE", engine)
    monkeypatch.setenv("LIFECYCLE_RAW_LAKE", mode)
    write_csv(landing / "orders" / "a.csv", HEADER, "O1,C1,2024-03-01T10:00:00+02:00,completed,USD,10.50,4.20,email,")
    result = run_lifecycle_job("shop/orders")
    assert result.success
    [materialization] = [
        m for m in result.get_asset_materialization_events() if m.asset_key.to_user_string() == "shop/orders"
    ]
    metadata = materialization.materialization.metadata
    assert ("lake_files_written" in metadata) is kept
    assert len(lake_files(settings.lake_dir())) == (1 if kept else 0)
