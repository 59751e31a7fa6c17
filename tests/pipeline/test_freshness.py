"""Each raw source's freshness: the time it last delivered rows, against its window, with Dagster's
last-update checks. A source that stopped delivering is late (a warning); the others are not."""

import shutil

import dagster as dg
import duckdb
import pytest

from orchestration.lib.settings import freshness_days
from tools.sample_data import generate

RAW = [
    dg.AssetKey(key)
    for key in (
        ["shop", "orders"],
        ["support", "tickets"],
        ["surveys", "responses"],
        ["marketing", "spend"],
        ["finance", "fx_rates"],
    )
]


def run(job_name: str, instance, selection=None):
    from orchestration.definitions import defs

    result = defs.resolve_job_def(job_name).execute_in_process(
        instance=instance, raise_on_error=False, asset_selection=selection
    )
    assert result.success
    return result


def freshness(instance) -> dict[str, tuple[bool, str]]:
    evaluations = run("freshness_checks_job", instance).get_asset_check_evaluations()
    assert {evaluation.severity for evaluation in evaluations} == {dg.AssetCheckSeverity.WARN}  # never blocks
    return {e.asset_key.to_user_string(): (e.passed, e.description) for e in evaluations}


def test_a_source_that_stopped_delivering_is_late_and_the_others_are_not(landing, monkeypatch):
    generate(landing, customers=100, seed=2)
    shutil.rmtree(landing / "marketing_spend")  # never delivered
    instance = dg.DagsterInstance.ephemeral()
    run("lifecycle_job", instance, RAW)

    fresh = freshness(instance)
    assert {key for key, (passed, _) in fresh.items() if passed} == {
        "shop/orders",
        "support/tickets",
        "surveys/responses",
        "finance/fx_rates",
    }
    assert not fresh["marketing/spend"][0]

    # The orders' last delivery was 10 days ago; the next run brings none.
    warehouse = landing.parent / "warehouse" / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            "UPDATE ingest.file_ledger SET loaded_at = loaded_at - INTERVAL 10 DAY WHERE source = 'orders'"
        )
    run("lifecycle_job", instance, RAW)

    late = freshness(instance)
    assert not late["shop/orders"][0] and "overdue" in late["shop/orders"][1].lower()
    assert late["support/tickets"][0] and late["surveys/responses"][0] and late["finance/fx_rates"][0]


def test_freshness_windows_come_from_one_setting(monkeypatch):
    monkeypatch.setenv("LIFECYCLE_FRESHNESS_DAYS", "orders=1, marketing_spend=0")
    windows = freshness_days()
    assert windows["orders"] == 1 and "marketing_spend" not in windows and windows["survey_responses"] == 7
    monkeypatch.setenv("LIFECYCLE_FRESHNESS_DAYS", "invoices=3")
    with pytest.raises(ValueError, match="names 'invoices', not a source"):
        freshness_days()
