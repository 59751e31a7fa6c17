"""The raw lake mirrors the raw tables: one Parquet file per delivery that passed the gates, none for
a replaced or blocked one, with UTC instants an engine reading the files sees unchanged."""

from datetime import UTC, datetime

import duckdb
import pytest

from orchestration.lib import settings
from orchestration.lib.ingest.contract import ORDERS
from orchestration.lib.ingest.lake import LakeSync, sync_source, table_dir
from orchestration.lib.ingest.load import ingest_source
from tests.helpers import ORDERS_HEADER, write_csv

HEADER = ORDERS_HEADER


@pytest.fixture
def warehouse(raw_warehouse):
    return raw_warehouse


def lake_files(lake):
    return sorted(
        path.relative_to(table_dir(lake, ORDERS)).as_posix() for path in table_dir(lake, ORDERS).rglob("*.parquet")
    )


def test_each_delivery_is_one_parquet_file_and_a_replaced_one_goes(landing, warehouse, tmp_path):
    lake = tmp_path / "lake"
    write_csv(landing / "orders" / "a.csv", HEADER, "O1,C1,2024-03-01T10:00:00+02:00,completed,USD,10.50,4.20,email,")
    write_csv(landing / "orders" / "b.csv", HEADER, "O2,C2,2024-03-02 09:30:00,refunded,USD,7,,,")
    ingest_source(warehouse, ORDERS, landing)
    first = sync_source(warehouse, ORDERS, lake)
    assert (first.written, first.removed) == (2, 0)
    deliveries = warehouse.execute(
        "SELECT _load_id, CAST(min(_loaded_at) AS DATE), sha256 FROM shop.orders JOIN ingest.file_ledger ON load_id "
        "= _load_id "
        "GROUP BY _load_id, sha256 ORDER BY 1"
    ).fetchall()
    assert lake_files(lake) == [f"load_date={day}/{load_id}-{sha[:12]}.parquet" for load_id, day, sha in deliveries]

    # Nothing new: nothing written. a.csv re-delivered with other content: its old file is replaced.
    assert sync_source(warehouse, ORDERS, lake) == type(first)(0, 0)
    write_csv(landing / "orders" / "a.csv", HEADER, "O1,C1,2024-03-01T10:00:00+02:00,cancelled,USD,10.50,4.20,email,")
    ingest_source(warehouse, ORDERS, landing)
    assert sync_source(warehouse, ORDERS, lake) == type(first)(1, 1)
    assert len(lake_files(lake)) == 2

    # A new warehouse beside the old lake starts its load ids again: same ids, other content, rewritten.
    for path in table_dir(lake, ORDERS).rglob("*.parquet"):
        path.rename(path.with_name(path.name.split("-")[0] + "-000000000000.parquet"))
    (table_dir(lake, ORDERS) / "load_date=2000-01-01").mkdir()
    (table_dir(lake, ORDERS) / "load_date=2000-01-01" / ".7-abc.parquet.tmp").write_bytes(b"half a file")
    assert sync_source(warehouse, ORDERS, lake) == type(first)(2, 2)
    assert not list(table_dir(lake, ORDERS).rglob("*.tmp"))

    # What a reader of the files sees is what the raw table holds; timestamps are UTC instants.
    with duckdb.connect() as reader:
        reader.execute("SET TimeZone = 'UTC'")
        files = f"{table_dir(lake, ORDERS)}/*/*.parquet"
        assert reader.execute(
            f"SELECT order_id, status, ordered_at, typeof(ordered_at) FROM read_parquet('{files}') ORDER BY 1"
        ).fetchall() == [
            ("O1", "cancelled", datetime(2024, 3, 1, 8, 0, tzinfo=UTC), "TIMESTAMP WITH TIME ZONE"),
            ("O2", "refunded", datetime(2024, 3, 2, 9, 30, tzinfo=UTC), "TIMESTAMP WITH TIME ZONE"),
        ]


def test_a_blocked_file_never_reaches_the_lake(landing, warehouse, tmp_path):
    write_csv(landing / "orders" / "bad.csv", HEADER, "O1,C1,not a time,completed,USD,10,,,")
    report = ingest_source(warehouse, ORDERS, landing)
    assert report.blocked
    assert sync_source(warehouse, ORDERS, tmp_path / "lake").written == 0
    assert lake_files(tmp_path / "lake") == []


def test_the_engine_setting_is_checked(monkeypatch):
    monkeypatch.setenv("LIFECYCLE_ENGINE", "Spark")
    assert settings.engine() == "spark"
    monkeypatch.setenv("LIFECYCLE_ENGINE", "snowflake")
    with pytest.raises(ValueError, match="LIFECYCLE_ENGINE must be one of duckdb, spark, got 'snowflake'"):
        settings.engine()


def test_the_lake_setting_is_checked(monkeypatch):
    monkeypatch.setenv("LIFECYCLE_RAW_LAKE", "sometimes")
    with pytest.raises(ValueError, match="LIFECYCLE_RAW_LAKE must be one of auto, on, off, got 'sometimes'"):
        settings.raw_lake_enabled()
    monkeypatch.setenv("LIFECYCLE_RAW_LAKE", "off")
    monkeypatch.setenv("LIFECYCLE_ENGINE", "spark")
    with pytest.raises(ValueError, match="LIFECYCLE_RAW_LAKE=off cannot be used with LIFECYCLE_ENGINE=spark"):
        settings.raw_lake_enabled()


def test_where_the_lake_is_the_history_the_raw_table_is_handed_over_and_the_ledger_keeps_the_rest(
    landing, warehouse, tmp_path
):
    from orchestration.lib.ingest.contract import SUPPORT_TICKETS

    lake = tmp_path / "lake"
    write_csv(landing / "orders" / "a.csv", HEADER, "O1,C1,2024-03-01 10:00:00,completed,USD,10,,,")
    write_csv(landing / "orders" / "b.csv", HEADER, "O2,C2,2024-03-02 09:30:00,completed,USD,7,,,")
    ingest_source(warehouse, ORDERS, landing)
    assert sync_source(warehouse, ORDERS, lake, lake_is_history=True) == LakeSync(2, 0)
    assert warehouse.execute("SELECT count(*) FROM shop.orders").fetchall() == [(0,)]
    assert sorted(warehouse.execute("SELECT * FROM ingest.order_customers").fetchall()) == [
        ("C1", "orders/a.csv"),
        ("C2", "orders/b.csv"),
    ]
    # The next run: nothing new is nothing written and nothing removed; a re-delivered file replaces its
    # delivery in the lake and takes its customer ids with it.
    assert sync_source(warehouse, ORDERS, lake, lake_is_history=True) == LakeSync(0, 0)
    write_csv(landing / "orders" / "a.csv", HEADER, "O1,C3,2024-03-01 10:00:00,completed,USD,10,,,")
    ingest_source(warehouse, ORDERS, landing)
    assert sync_source(warehouse, ORDERS, lake, lake_is_history=True) == LakeSync(1, 1)
    assert len(lake_files(lake)) == 2
    assert sorted(warehouse.execute("SELECT customer_id FROM ingest.order_customers").fetchall()) == [("C2",), ("C3",)]
    with duckdb.connect() as reader:
        assert reader.execute(
            f"SELECT order_id, customer_id FROM read_parquet('{table_dir(lake, ORDERS)}/*/*.parquet') ORDER BY 1"
        ).fetchall() == [("O1", "C3"), ("O2", "C2")]

    # The unknown-customer rule still knows the customers whose orders only the lake holds.
    header = "ticket_id,customer_id,created_at,first_response_at,resolved_at,status,channel,csat_score"
    write_csv(
        landing / "support_tickets" / "t.csv", header, *[f"T{i},C2,2024-03-03 10:00:00,,,new,chat," for i in range(20)]
    )
    assert ingest_source(warehouse, SUPPORT_TICKETS, landing).blocked == []
