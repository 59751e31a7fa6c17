"""Each raw source's freshness: the time it last delivered rows, against its window, with last-update
checks in Dagster's shape, judged in the run that recorded the delivery. A source that stopped delivering is
late (a warning); the others are not."""

import shutil

import dagster as dg
import duckdb
import pytest

from orchestration.definitions import defs
from orchestration.defs.automation.freshness import freshness_checks, freshness_checks_sensor
from orchestration.lib.ingest.contract import SOURCES
from orchestration.lib.settings import freshness_days, warehouse_path
from tests.helpers import run_lifecycle_job, write_csv
from tools.sample_data import generate

RAW = [f"{source.system}/{source.table}" for source in SOURCES]


def freshness(instance: dg.DagsterInstance) -> dict[str, tuple[bool, str]]:
    """Each source's freshness check as a run of the raw assets judges it."""
    result = run_lifecycle_job(*RAW, instance=instance)
    assert result.success
    evaluations = [e for e in result.get_asset_check_evaluations() if e.check_name == "freshness_check"]
    assert {evaluation.severity for evaluation in evaluations} == {dg.AssetCheckSeverity.WARN}  # never blocks
    return {e.asset_key.to_user_string(): (e.passed, e.description) for e in evaluations}


def test_a_source_that_stopped_delivering_is_late_and_the_others_are_not(landing, monkeypatch):
    generate(landing, customers=100, seed=2)
    shutil.rmtree(landing / "marketing_spend")  # never delivered
    instance = dg.DagsterInstance.ephemeral()

    fresh = freshness(instance)
    assert {key for key, (passed, _) in fresh.items() if passed} == {
        "shop/orders",
        "support/tickets",
        "surveys/responses",
        "finance/fx_rates",
    }
    assert not fresh["marketing/spend"][0]

    # The orders' last delivery was 10 days ago; the next run brings none.
    warehouse = warehouse_path()
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            "UPDATE ingest.file_ledger SET loaded_at = loaded_at - INTERVAL 10 DAY WHERE source = 'orders'"
        )

    late = freshness(instance)
    assert not late["shop/orders"][0] and "overdue" in late["shop/orders"][1].lower()
    assert late["support/tickets"][0] and late["surveys/responses"][0] and late["finance/fx_rates"][0]


def test_a_source_never_delivered_says_so_and_the_sensor_waits_for_a_delivery(landing):
    """A source with no delivery is said to be never delivered, not to have been updated at the epoch."""
    write_csv(
        landing / "orders" / "a.csv",
        "order_id,customer_id,ordered_at,status,currency,amount",
        "A-1,C1,2024-03-01,completed,USD,1",
    )
    instance = dg.DagsterInstance.ephemeral()
    with dg.build_sensor_context(instance=instance, definitions=defs) as context:
        assert len(freshness_checks_sensor(context).asset_check_keys) == len(SOURCES)  # never evaluated: all of them
    fresh = freshness(instance)
    assert fresh["finance/fx_rates"] == (False, "fx_rates: never delivered (expected at least every 3 days)")
    assert fresh["marketing/spend"] == (False, "marketing_spend: never delivered (expected at least every 8 days)")
    passed, said = fresh["shop/orders"]
    assert (
        passed and said.startswith("orders: last delivered ") and said.endswith(" ago (expected at least every 2 days)")
    )

    # Then only once a passed check could be late, or a failed one's asset materialized again.
    with dg.build_sensor_context(instance=instance, definitions=defs) as context:
        assert isinstance(freshness_checks_sensor(context), dg.SkipReason)


def test_freshness_windows_are_the_contracts_unless_overridden(monkeypatch):
    contract = {source.folder: source.freshness_days for source in SOURCES}
    monkeypatch.setenv("LIFECYCLE_FRESHNESS_DAYS", "orders=1, marketing_spend=0")
    windows = freshness_days(contract)
    assert windows["orders"] == 1 and "marketing_spend" not in windows and windows["survey_responses"] == 7
    monkeypatch.setenv("LIFECYCLE_FRESHNESS_DAYS", "invoices=3")
    with pytest.raises(ValueError, match="names 'invoices', not a source"):
        freshness_days(contract)
    monkeypatch.delenv("LIFECYCLE_FRESHNESS_DAYS")
    keys = {key.asset_key.to_user_string() for check in freshness_checks(SOURCES) for key in check.check_keys}
    assert keys == set(RAW)
