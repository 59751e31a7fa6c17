"""The whole job, through Dagster, on generated and on hand-written landing files."""

import duckdb
import pytest

from orchestration.lib.sample_data import generate
from orchestration.lib.settings import warehouse_path
from tests.conftest import run_lifecycle_job, write_csv

HEADER = "order_id,customer_id,ordered_at,status,currency,amount"


def query(sql):
    with duckdb.connect(str(warehouse_path()), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def failed_checks(result):
    return sorted(e.check_name for e in result.get_asset_check_evaluations() if not e.passed)


def test_full_job_materializes_generated_data(landing):
    written = generate(landing, customers=300, seed=7)

    result = run_lifecycle_job()

    assert result.success, failed_checks(result)
    assert failed_checks(result) == []
    raw_counts = {
        "orders": query("SELECT count(*) FROM shop.orders")[0][0],
        "support_tickets": query("SELECT count(*) FROM support.tickets")[0][0],
        "survey_responses": query("SELECT count(*) FROM surveys.responses")[0][0],
        "marketing_spend": query("SELECT count(*) FROM marketing.spend")[0][0],
        "fx_rates": query("SELECT count(*) FROM finance.fx_rates")[0][0],
    }
    assert raw_counts == {source: written[source] for source in raw_counts}
    assert query("SELECT count(*) FROM staging.stg_shop__orders") == [(written["orders"],)]
    assert query("SELECT count(*) FROM staging.stg_shop__orders WHERE customer_email_hash LIKE '%@%'") == [(0,)]

    # A second run with the same files loads nothing and changes nothing.
    ledger_before = query("SELECT * FROM ingest.file_ledger ORDER BY load_id")
    assert run_lifecycle_job().success
    assert query("SELECT * FROM ingest.file_ledger ORDER BY load_id") == ledger_before
    assert query("SELECT count(*) FROM shop.orders") == [(written["orders"],)]


def test_orders_only_hand_written_csv(landing):
    write_csv(
        landing / "orders" / "2024-03.csv", HEADER,
        "A-1,alice,2024-03-01T09:00:00Z,completed,USD,120.00",
        "A-2,alice,2024-03-20T09:00:00Z,refunded,USD,40.00",
        "B-1,bob,2024-03-05 12:00:00,completed,EUR,75.50",
    )
    result = run_lifecycle_job()
    assert result.success, failed_checks(result)
    assert query("SELECT order_id, order_status, order_amount FROM staging.stg_shop__orders ORDER BY 1") == [
        ("A-1", "completed", pytest.approx(120)),
        ("A-2", "refunded", pytest.approx(40)),
        ("B-1", "completed", pytest.approx(75.5)),
    ]
    assert query("SELECT count(*) FROM staging.stg_support__tickets") == [(0,)]


def test_newest_delivery_of_a_key_wins(landing):
    write_csv(landing / "orders" / "day1.csv", HEADER, "A-1,alice,2024-03-01,pending,USD,120.00")
    assert run_lifecycle_job().success
    write_csv(landing / "orders" / "day2.csv", HEADER, "A-1,alice,2024-03-01,completed,USD,110.00")
    assert run_lifecycle_job().success
    assert query("SELECT count(*) FROM shop.orders") == [(2,)]
    assert query("SELECT order_status, order_amount FROM staging.stg_shop__orders") == [("completed", pytest.approx(110))]


def test_planted_duplicate_key_fails_the_staging_test(landing):
    write_csv(
        landing / "orders" / "dup.csv", HEADER,
        "A-1,alice,2024-03-01,completed,USD,120.00",
        "A-1,alice,2024-03-02,completed,USD,99.00",
    )
    result = run_lifecycle_job()
    assert not result.success
    assert "unique_stg_shop__orders_order_id" in failed_checks(result)


def test_bad_rows_fail_the_run_with_file_row_and_rule(landing):
    write_csv(landing / "orders" / "bad.csv", HEADER, "A-1,alice,2024-03-01,completed,USD,-x")
    result = run_lifecycle_job()
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "orders/bad.csv: 1 row(s) break the contract, e.g. row 1: type:amount (value '-x')" in failure.step_failure_data.error.message
