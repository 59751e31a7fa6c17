"""The job, through Dagster, on hand-written landing files: the happy path and the failing ones."""

import json
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import commands
from orchestration.defs.transform.artifacts import step_artifacts_dir
from orchestration.lib.settings import warehouse_path
from tests.helpers import RAW_AND_STAGING, run_lifecycle_job, write_csv

HEADER = "order_id,customer_id,ordered_at,status,currency,amount"


def query(sql):
    with duckdb.connect(str(warehouse_path()), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def failed_checks(result):
    return sorted(e.check_name for e in result.get_asset_check_evaluations() if not e.passed)


def test_orders_only_hand_written_csv(landing):
    write_csv(
        landing / "orders" / "2024-03.csv",
        HEADER,
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
    # Marts on missing sources are empty, not broken; a EUR order without a rate is counted, not lost.
    assert query("SELECT count(*) FROM marts.nps_monthly UNION ALL SELECT count(*) FROM marts.ltv_cac") == [(0,), (0,)]
    assert query("SELECT customer_id, net_revenue, orders_without_fx_rate FROM marts.customers ORDER BY 1") == [
        ("alice", pytest.approx(120), 0),
        ("bob", pytest.approx(0), 1),
    ]
    # No repeat purchase: the CLV models cannot be fitted, predictions are null, historical CLV stands.
    assert query("SELECT count(predicted_clv_12m), sum(historical_clv_revenue) FROM marts.customers") == [
        (0, pytest.approx(120))
    ]
    clv = next(
        m
        for m in result.asset_materializations_for_node("fit_clv_models")
        if m.asset_key.path == ["clv", "clv_predictions"]
    )
    assert (
        "need repeat purchases" in clv.metadata["fallback"].value or "repeat purchase" in clv.metadata["fallback"].value
    )


def test_newest_delivery_of_a_key_wins(landing):
    write_csv(landing / "orders" / "day1.csv", HEADER, "A-1,alice,2024-03-01,pending,USD,120.00")
    assert run_lifecycle_job("shop/orders").success
    write_csv(landing / "orders" / "day2.csv", HEADER, "A-1,alice,2024-03-01,completed,USD,110.00")
    assert run_lifecycle_job(*RAW_AND_STAGING).success
    assert query("SELECT count(*) FROM shop.orders") == [(2,)]
    assert query("SELECT order_status, order_amount FROM staging.stg_shop__orders") == [
        ("completed", pytest.approx(110))
    ]


def test_planted_duplicate_key_fails_the_orders_first_table(landing):
    """Ingestion quarantines duplicate keys; the test of the first table built from the orders (their
    conversion: staging is a view) is the second line of defence."""
    write_csv(landing / "orders" / "a.csv", HEADER, "A-1,alice,2024-03-01,completed,USD,120.00")
    assert run_lifecycle_job("shop/orders").success
    with duckdb.connect(str(warehouse_path())) as connection:
        connection.execute("INSERT INTO shop.orders SELECT * FROM shop.orders")
    result = run_lifecycle_job(*RAW_AND_STAGING)
    assert not result.success
    assert "primary_key_int_orders_converted_order_id" in failed_checks(result)


def test_an_empty_landing_folder_stops_the_run_at_ingest_saying_nothing_was_delivered(landing):
    """Pointed at the wrong (empty) folder, a run says so, rather than failing in a mart on a missing as-of date."""
    result = run_lifecycle_job()
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.step_failure_data.error.message
    assert "Nothing to build: no source has delivered a row" in message
    assert f"{landing} holds no file a source reads (each reads its own folder: orders/, support_tickets/" in message
    assert not any(e.event_type_value == "STEP_START" and "dbt" in (e.step_key or "") for e in result.all_events)


def test_files_that_left_no_row_are_told_apart_skipped_from_empty_and_copies(landing):
    write_csv(landing / "orders" / "a_empty.csv", HEADER)
    write_csv(landing / "orders" / "b_copy.csv", HEADER)  # the same bytes as a_empty.csv
    write_csv(landing / "orders" / "c_known_bad.csv", HEADER, "A-1,alice,2024-03-01,completed,USD,120.00")
    assert commands.skip_landing_file("orders/c_known_bad.csv", "a bad export, re-delivered later") == 0
    result = run_lifecycle_job()
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert (
        f"the 3 file(s) in {landing} left no row: 1 skipped on purpose (ingest.skipped_files, "
        "`python -m orchestration.cli skip`), 1 the same content as another file, 1 empty."
    ) in failure.step_failure_data.error.message


def test_a_landing_folder_that_does_not_exist_is_named_as_such(landing):
    landing.rmdir()
    result = run_lifecycle_job()
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert f"no source has delivered a row, and there is no landing folder at {landing}." in (
        failure.step_failure_data.error.message
    )


def test_a_blocked_file_fails_the_run_before_dbt(landing):
    write_csv(landing / "orders" / "bad.csv", HEADER, "A-1,alice,2024-03-01,completed,USD,-x")
    result = run_lifecycle_job(*RAW_AND_STAGING)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "orders/bad.csv: 1 of 1 rows (100.0%) break the contract" in failure.step_failure_data.error.message
    assert "row 1: type:amount (value '-x')" in failure.step_failure_data.error.message
    assert "landing_batches_valid" in failed_checks(result)
    # dbt never ran: the staging models were skipped, not built on partial data.
    assert not any(e.event_type_value == "STEP_START" and "dbt" in (e.step_key or "") for e in result.all_events)


def test_a_conversion_built_by_an_older_version_asks_for_a_full_refresh_and_gets_it(landing):
    """An `int_orders_converted` built before it had `load_id`: the run stops with dbt's advice instead of a
    binder error on the missing column, and `--full-refresh` (both dbt steps) rebuilds it."""
    from orchestration.cli.launch import full_refresh_config

    write_csv(landing / "orders" / "2024-03.csv", HEADER, "A-1,alice,2024-03-01T09:00:00Z,completed,USD,120.00")
    assert run_lifecycle_job(*RAW_AND_STAGING).success
    with duckdb.connect(str(warehouse_path())) as connection:
        connection.execute("ALTER TABLE intermediate.int_orders_converted DROP COLUMN load_id")
    stopped = run_lifecycle_job(*RAW_AND_STAGING)
    message = next(
        e.step_failure_data.error.message for e in stopped.all_events if e.event_type_value == "STEP_FAILURE"
    )
    assert "out of sync" in message and "full_refresh" in message
    full_refresh = full_refresh_config()
    assert len(full_refresh["ops"]) == 2
    assert run_lifecycle_job(run_config=full_refresh).success
    assert query("SELECT order_id, load_id IS NOT NULL FROM intermediate.int_orders_converted") == [("A-1", True)]


def test_dbt_artifacts_are_kept_per_step_not_per_run(landing):
    """Each run overwrites its dbt step's artifacts folder beside the warehouse: a daily schedule must not add
    folders forever."""
    target = step_artifacts_dir()

    def run_results(result) -> Path:
        [step] = {e.step_key for e in result.all_events if e.event_type_value == "STEP_START" and "dbt" in e.step_key}
        return target / step / "run_results.json"

    write_csv(landing / "orders" / "2024-03.csv", HEADER, "A-1,alice,2024-03-01T09:00:00Z,completed,USD,120.00")
    first = run_lifecycle_job(*RAW_AND_STAGING)
    assert first.success
    folders, first_results = {path.name for path in target.iterdir()}, json.loads(run_results(first).read_text())
    write_csv(landing / "orders" / "2024-04.csv", HEADER, "A-2,alice,2024-04-01T09:00:00Z,completed,USD,80.00")
    second = run_lifecycle_job(*RAW_AND_STAGING)
    assert second.success
    assert {path.name for path in target.iterdir()} == folders
    assert run_results(second) == run_results(first)
    second_results = json.loads(run_results(second).read_text())
    assert second_results["metadata"]["invocation_id"] != first_results["metadata"]["invocation_id"]


def test_what_no_source_reads_is_reported_and_the_run_goes_on(landing):
    write_csv(landing / "orders" / "2024-03.csv", HEADER, "A-1,alice,2024-03-01T09:00:00Z,completed,USD,120.00")
    write_csv(landing / "orders" / "2024-03.xlsx", "a", "1")
    write_csv(landing / "refunds" / "r.csv", "refund_id", "R1")
    result = run_lifecycle_job("shop/orders")
    assert result.success
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    root, orders = evaluations["landing_root_holds_only_source_folders"], evaluations["landing_batches_valid"]
    assert (root.passed, root.severity.value, orders.passed, orders.severity.value) == (False, "WARN", False, "WARN")
    assert root.metadata["ignored"].value == [
        "refunds/: not a source folder (one of: fx_rates, marketing_spend, orders, support_tickets, survey_responses)"
    ]
    assert orders.metadata["files_ignored"].value == [
        "orders/2024-03.xlsx: not a file type the pipeline reads (.csv, .jsonl, .ndjson, .parquet)"
    ]
    assert query("SELECT count(*) FROM shop.orders") == [(1,)]


def test_the_publish_step_refuses_a_run_that_builds_only_some_marts(landing):
    """Materialize selected with the publish step in it: the serving file would mix marts of two builds."""
    from orchestration.defs.publish.assets import MART_KEYS
    from orchestration.defs.publish.audiences import AUDIENCES
    from orchestration.lib.settings import serving_path

    # the publish step is one multi-asset: the marts, the report and each audience's files
    result = run_lifecycle_job("published_marts", "lifecycle_report", *(f"audiences/{name}" for name in AUDIENCES))
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.step_key == "published_marts"
    message = failure.step_failure_data.user_failure_data.description
    assert message.startswith("Not published: the publish step runs only in a run that builds every mart")
    assert f"leaves out {len(MART_KEYS)} of {len(MART_KEYS)} (" in message
    assert not serving_path().exists()
