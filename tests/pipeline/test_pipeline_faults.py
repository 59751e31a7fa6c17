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
def published(first_good_run, monkeypatch):
    root = first_good_run
    shutil.rmtree(root / "landing")
    shutil.copytree(root / "landing.good", root / "landing")
    shutil.copy(root / "warehouse.good", root / "warehouse" / "warehouse.duckdb")
    serving = root / "serving"
    # The serving files the good run published: what each fault must leave as they were (each test
    # would otherwise publish to a folder of its own).
    monkeypatch.setenv("LIFECYCLE_SERVING", str(serving / "lifecycle.duckdb"))
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
    assert "primary_key_stg_support__tickets_ticket_id" in {
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


def test_a_prospects_ticket_is_published_and_a_delivery_of_mismatched_ids_is_blocked(landing, published):
    """Policy: a ticket from a person with no order is a prospect's, kept and published; a delivery whose
    ids mostly match no order (another system's ids) blocks the run and names the file."""
    serving, before = published
    header = "ticket_id,customer_id,created_at,first_response_at,resolved_at,status,channel,csat_score\n"
    (landing / "support_tickets" / "stray.csv").write_text(
        header + "T-STRAY,NOBODY,2025-06-01 10:00:00,,,new,whatsapp,\n"
    )
    result = run_lifecycle_job()
    assert result.success
    with duckdb.connect(str(serving / "lifecycle.duckdb"), read_only=True) as connection:
        assert connection.execute(
            "SELECT is_buyer, lifecycle_stage, tickets FROM marts.customers WHERE customer_id = 'NOBODY'"
        ).fetchall() == [(False, "prospect", 1)]
        assert connection.execute(
            "SELECT tickets_created FROM marts.support_monthly "
            "WHERE ticket_month = DATE '2025-06-01' AND ticket_channel = 'whatsapp' AND NOT is_buyer"
        ).fetchall() == [(1,)]

    published_once = fingerprint(serving)
    rows = "".join(f"T-HD{i},agent{i}@helpdesk.example,2025-06-02 10:00:00,,,new,email,\n" for i in range(30))
    (landing / "support_tickets" / "helpdesk_export.csv").write_text(header + rows)
    blocked = run_lifecycle_job()
    assert (
        "support_tickets/helpdesk_export.csv: 30 of 30 rows (100.0%) name a customer_id that no order carries, "
        "more than the 20% allowed: do the ids of this system match the shop's"
    ) in step_failures(blocked)["ingest_landing_files"]
    assert_not_published(blocked, serving, published_once)
