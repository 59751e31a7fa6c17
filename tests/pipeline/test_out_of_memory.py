"""A model that runs out of DuckDB's memory fails the run with one line: the model, the setting to raise and
its value, instead of dbt's stack."""

from orchestration.lib.warehouse import memory
from tests.helpers import publish_generated_data, run_lifecycle_job


def test_a_model_out_of_memory_is_named_with_the_setting_to_raise(tmp_path, monkeypatch):
    publish_generated_data(tmp_path, customers=200, seed=3)
    monkeypatch.setenv("LIFECYCLE_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("LIFECYCLE_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("LIFECYCLE_DUCKDB_MEMORY_LIMIT", "4MB")

    result = run_lifecycle_job("marts/customers")

    assert not result.success
    (failure,) = [event for event in result.all_events if event.event_type_value == "STEP_FAILURE"]
    assert failure.step_key == "dbt_marts_after_clv"
    description = failure.step_failure_data.user_failure_data.description
    assert description == memory.out_of_memory_message("building customers", "4MB")
