"""Faults in the middle of the pipeline: each fails the run, and the serving files stay byte-identical."""

import hashlib
import shutil
import subprocess
import sys

import duckdb
import pytest

from orchestration.defs.publish.assets import published_marts
from orchestration.lib.settings import DBT_PROJECT_DIR, warehouse_path
from tests.helpers import run_lifecycle_job
from tools.sample_data import generate


def fingerprint(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def first_good_run(tmp_path_factory):
    """One good run, so there are serving files to protect; each test starts again from its state."""
    root = tmp_path_factory.mktemp("faults")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LIFECYCLE_LANDING_DIR", str(root / "landing"))
        patch.setenv("LIFECYCLE_WAREHOUSE", str(root / "warehouse" / "warehouse.duckdb"))
        patch.setenv("LIFECYCLE_SERVING", str(root / "serving" / "lifecycle.duckdb"))
        generate(root / "landing", customers=150, seed=5)
        assert run_lifecycle_job().success
        shutil.copytree(root / "landing", root / "landing.good")
        shutil.copy(root / "warehouse" / "warehouse.duckdb", root / "warehouse.good")
        yield root


@pytest.fixture
def landing(first_good_run):
    return first_good_run / "landing"


@pytest.fixture
def published(first_good_run):
    root = first_good_run
    shutil.rmtree(root / "landing")
    shutil.copytree(root / "landing.good", root / "landing")
    shutil.copy(root / "warehouse.good", root / "warehouse" / "warehouse.duckdb")
    serving = root / "serving"
    before = fingerprint(serving)
    assert "lifecycle.duckdb" in before
    return serving, before


def step_failures(result):
    """Step key -> the failure's message, with the messages of its causes (a raised exception is wrapped)."""
    failures = {}
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error, messages = event.step_failure_data.error, []
            while error is not None:
                messages.append(error.message)
                error = error.cause
            failures[event.step_key] = "\n".join(messages)
    return failures


def assert_not_published(result, serving, before):
    assert not result.success
    assert not any(
        e.event_type_value == "STEP_START" and e.step_key == published_marts.op.name for e in result.all_events
    )
    assert fingerprint(serving) == before


def test_an_error_severity_dbt_test_failing(published):
    serving, before = published
    with duckdb.connect(str(warehouse_path())) as connection:
        # A ticket twice in one new delivery (as if a row rule had let it through): staging is
        # incremental, so the duplicate must arrive as a delivery would, with a new load id.
        for _ in range(2):
            connection.execute(
                "INSERT INTO support.tickets SELECT * REPLACE (999999 AS _load_id) FROM support.tickets "
                "WHERE _load_id <> 999999 ORDER BY ticket_id LIMIT 1"
            )
    result = run_lifecycle_job()
    assert "unique_stg_support__tickets_ticket_id" in {
        e.check_name for e in result.get_asset_check_evaluations() if not e.passed
    }
    assert_not_published(result, serving, before)


def test_a_dbt_model_failing_to_compile(published, tmp_path, monkeypatch):
    """A model that does not compile, in a copy of the dbt project that the dbt steps are pointed at."""
    from orchestration.defs.transform import assets

    serving, before = published
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    (project / "models" / "marts" / "zz_broken_for_test.sql").write_text(
        "select * from {{ ref('a_model_that_does_not_exist') }}\n"
    )
    build_args = assets.dbt_build_args
    monkeypatch.setattr(assets, "dbt_build_args", lambda *args: [*build_args(*args), "--project-dir", str(project)])
    result = run_lifecycle_job()
    assert any("a_model_that_does_not_exist" in message for message in step_failures(result).values())
    assert_not_published(result, serving, before)


def test_a_python_asset_raising(published, monkeypatch):
    serving, before = published

    def explode(*args, **kwargs):
        raise RuntimeError("the CLV fit exploded")

    monkeypatch.setattr("orchestration.defs.clv.assets.fit_and_predict", explode)
    result = run_lifecycle_job()
    assert "the CLV fit exploded" in step_failures(result)["fit_clv_models"]
    assert_not_published(result, serving, before)


def test_a_blocked_landing_file(landing, published):
    serving, before = published
    (landing / "orders" / "late_delivery.csv").write_text(
        "order_id,customer_id,ordered_at,status\nX1,C1,2025-01-01,completed\n"
    )
    result = run_lifecycle_job()
    assert (
        "orders/late_delivery.csv: missing required column(s): currency, amount (rule: required_columns)"
        in step_failures(result)["ingest_landing_files"]
    )
    assert_not_published(result, serving, before)
    # Corrected, the next run publishes.
    (landing / "orders" / "late_delivery.csv").unlink()
    assert run_lifecycle_job().success


def test_the_warehouse_locked_by_another_process(published, monkeypatch):
    serving, before = published
    monkeypatch.setenv("LIFECYCLE_LOCK_RETRIES", "2")
    hold = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(120)"
    holder = subprocess.Popen([sys.executable, "-c", hold, str(warehouse_path())], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        result = run_lifecycle_job()
    finally:
        holder.kill()
        holder.wait()
    assert "is locked by another process (tried 2 times)" in step_failures(result)["ingest_landing_files"]
    assert_not_published(result, serving, before)


def test_a_ticket_for_an_unknown_customer(landing, published):
    """Policy: a ticket must belong to a customer with an order; otherwise nothing is published."""
    serving, before = published
    (landing / "support_tickets" / "stray.csv").write_text(
        "ticket_id,customer_id,created_at,first_response_at,resolved_at,status,channel,csat_score\n"
        "T-STRAY,NOBODY,2025-06-01 10:00:00,,,new,email,\n"
    )
    result = run_lifecycle_job()
    failed = {e.check_name for e in result.get_asset_check_evaluations() if not e.passed}
    assert "relationships_stg_support__tickets_customer_id__customer_id__ref_int_orders_converted_" in failed
    assert_not_published(result, serving, before)
