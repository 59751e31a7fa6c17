"""A build as of a past date: which files it works in, and the sources it starts from."""

import json
from datetime import date

import dagster as dg
import duckdb
import pytest

from orchestration.defs.resources import AsOfResource, WarehouseResource, build_resources
from orchestration.defs.transform.past_date import copy_sources_as_of
from orchestration.lib import settings

ORDERS_UTC = ("2025-03-31 21:30:00", "2025-03-31 22:30:00", "2025-03-31 23:30:00", "2025-04-01 00:30:00")


@pytest.fixture
def paths(tmp_path, monkeypatch):
    monkeypatch.setenv("LIFECYCLE_WAREHOUSE", str(tmp_path / "warehouse" / "warehouse.duckdb"))
    monkeypatch.setenv("LIFECYCLE_SERVING", str(tmp_path / "serving" / "lifecycle.duckdb"))
    return tmp_path


def test_without_a_date_a_run_builds_in_the_working_warehouse_and_publishes_the_current_marts(paths):
    warehouse = WarehouseResource(as_of=AsOfResource())
    assert warehouse.as_of.past_date is None
    assert warehouse.database_path == warehouse.working_path == paths / "warehouse" / "warehouse.duckdb"
    assert warehouse.as_of.serving_path == paths / "serving" / "lifecycle.duckdb"


def test_a_past_date_builds_and_publishes_beside_the_current_files_named_by_the_date(paths):
    warehouse = WarehouseResource(as_of=AsOfResource(date="2025-03-31"))
    assert warehouse.as_of.past_date == date(2025, 3, 31)
    assert warehouse.database_path == paths / "warehouse" / "as_of" / "2025-03-31.duckdb"
    assert warehouse.working_path == paths / "warehouse" / "warehouse.duckdb"  # where ingest still loads
    assert warehouse.as_of.serving_path == paths / "serving" / "as_of" / "2025-03-31" / "lifecycle.duckdb"
    replacing = AsOfResource(date="2025-03-31", replace_published=True)
    assert replacing.serving_path == paths / "serving" / "lifecycle.duckdb"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("31/03/2025", "The as_of resource's date must be an ISO date \\(YYYY-MM-DD\\), got '31/03/2025'"),
        ("2999-01-01", "The as-of date 2999-01-01 is after today"),
    ],
)
def test_a_date_that_is_not_a_past_iso_date_fails_the_run_saying_why(value, message):
    with pytest.raises(dg.Failure, match=message):
        _ = AsOfResource(date=value).past_date


def _with_reporting_timezone(dbt_vars_arguments, timezone: str):
    """The pipeline's dbt vars with the reporting time zone a deployment would set in dbt_project.yml."""

    def arguments(**kwargs) -> list[str]:
        flag, resolved = dbt_vars_arguments(**kwargs)
        return [flag, json.dumps({**json.loads(resolved), "reporting_timezone": timezone})]

    return arguments


@pytest.fixture
def working(tmp_path):
    """A working warehouse with orders (UTC times) and spend (dates), and no tickets ever delivered."""
    path = tmp_path / "working.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE SCHEMA shop; CREATE SCHEMA marketing")
        connection.execute("CREATE TABLE shop.orders (order_id VARCHAR, ordered_at TIMESTAMP)")
        connection.executemany(
            "INSERT INTO shop.orders VALUES (?, ?)", [(f"O{i}", t) for i, t in enumerate(ORDERS_UTC)]
        )
        connection.execute(
            "CREATE TABLE marketing.spend AS SELECT * FROM (VALUES (DATE '2025-03-31', 10.0), (DATE '2025-04-01', "
            "20.0)) AS t(spend_date, spend)"
        )
    return path


@pytest.mark.parametrize(
    ("timezone", "orders_kept"),
    [
        # 21:30, 22:30 and 23:30 UTC are on the 31st; 00:30 on 1 April is after it.
        ("UTC", ["O0", "O1", "O2"]),
        # UTC+2 (summer time from 30 March): only 21:30 UTC (23:30 there) is still on the 31st.
        ("Europe/Berlin", ["O0"]),
        # UTC-4: 00:30 UTC on 1 April is 20:30 on the 31st there.
        ("America/New_York", ["O0", "O1", "O2", "O3"]),
    ],
)
def test_the_sources_are_copied_without_the_events_after_the_date_in_the_reporting_time_zone(
    working, tmp_path, timezone, orders_kept, monkeypatch
):
    past = tmp_path / "as_of" / "2025-03-31.duckdb"
    past.parent.mkdir()
    with duckdb.connect(str(past)) as connection:
        connection.execute("CREATE TABLE leftover AS SELECT 1 AS x")  # an earlier build of the date: replaced whole
    before = working.read_bytes()

    monkeypatch.setattr(
        "orchestration.lib.settings.dbt_vars_arguments",
        _with_reporting_timezone(settings.dbt_vars_arguments, timezone),
    )
    copied = copy_sources_as_of(build_resources()["dbt"], working, past, date(2025, 3, 31), tmp_path / "target")

    assert copied == {"shop.orders": len(orders_kept), "marketing.spend": 1}
    with duckdb.connect(str(past), read_only=True) as connection:
        assert [
            o for (o,) in connection.execute("SELECT order_id FROM shop.orders ORDER BY 1").fetchall()
        ] == orders_kept
        assert connection.execute("SELECT * FROM marketing.spend").fetchall() == [(date(2025, 3, 31), 10.0)]
        tables = connection.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() ORDER BY 1"
        ).fetchall()
    assert tables == [
        ("marketing.spend",),
        ("shop.orders",),
    ]  # no tickets table: never delivered, as in the working one
    assert working.read_bytes() == before
