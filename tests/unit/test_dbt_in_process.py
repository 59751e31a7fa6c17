"""dbt on a thread of this process, as dagster-dbt reads a dbt process: a small real dbt project on a real
DuckDB file (docs/decisions/0014-dbt-in-the-run-process.md)."""

import json
import threading
import time
from pathlib import Path

import duckdb
import pytest
from dagster_dbt import DagsterDbtCliRuntimeError

from orchestration.defs.transform.dbt_cli import LifecycleDbtCliResource
from orchestration.defs.transform.dbt_in_process import DbtThread
from orchestration.lib.settings import DBT_BESIDE_PYTHON

SLOW_MODELS = 6
LONG_QUERY_ROWS = 50_000_000_000


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A dbt project of its own: two quick models with a passing and a failing test, and a chain of models that
    each take a moment (to stop dbt among them)."""
    (tmp_path / "models").mkdir()
    (tmp_path / "dbt_project.yml").write_text(
        "name: tiny\nversion: '1.0'\nprofile: tiny\nconfig-version: 2\nmodels:\n  tiny:\n    +materialized: table\n"
    )
    (tmp_path / "profiles.yml").write_text(
        f"tiny:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: {tmp_path / 'tiny.duckdb'}\n"
        # Kept open by dbt-duckdb after the invocation, unless this module closes it.
        "      threads: 1\n      keep_open: true\n"
    )
    (tmp_path / "models" / "numbers.sql").write_text("select range as n from range(5)")
    (tmp_path / "models" / "doubled.sql").write_text("select n * 2 as n from {{ ref('numbers') }}")
    (tmp_path / "models" / "schema.yml").write_text(
        "version: 2\nmodels:\n  - name: doubled\n    columns:\n      - name: n\n"
        "        data_tests: [not_null, {accepted_values: {values: [0, 2, 4, 6]}}]\n"
    )
    previous = "numbers"
    for index in range(SLOW_MODELS):
        # DuckDB has no sleep(): summing tens of millions of numbers takes a moment on any machine.
        (tmp_path / "models" / f"slow_{index}.sql").write_text(
            # slow_1 runs far longer than the test allows: stopping dbt must cancel its query.
            f"select sum(range % 7) as n from range({LONG_QUERY_ROWS if index == 1 else 30_000_000})"
            f" where (select count(*) from {{{{ ref('{previous}') }}}}) > 0"
        )
        previous = f"slow_{index}"
    return tmp_path


def _arguments(project: Path, *command: str) -> list[str]:
    return [
        "--log-level",
        "none",
        "--no-send-anonymous-usage-stats",
        *command,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(project / "target"),
        "--log-path",
        str(project / "target"),
    ]


def _events(dbt: DbtThread) -> list[dict]:
    return list(dbt.stdout)


def _dbt_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "dbt"]


def test_a_build_reports_each_node_as_dbt_json_output_would_and_releases_the_database(project: Path):
    dbt = DbtThread(_arguments(project, "build", "--select", "numbers", "doubled"))
    events = _events(dbt)

    assert dbt.wait(60) == 1  # the accepted_values test fails: 8 is not accepted
    results = {
        event["data"]["node_info"]["unique_id"]: event["data"]["node_info"]["node_status"]
        for event in events
        if event["info"]["name"] in {"LogModelResult", "LogTestResult"}
    }
    assert results["model.tiny.numbers"] == "success"
    assert results["model.tiny.doubled"] == "success"
    assert [status for node, status in results.items() if node.startswith("test.tiny.not_null")] == ["pass"]
    assert [status for node, status in results.items() if node.startswith("test.tiny.accepted_values")] == ["fail"]
    assert all(event["info"]["level"] != "debug" for event in events)
    assert (project / "target" / "run_results.json").exists()
    # The database is closed: this process may open it with other settings (read-only).
    with duckdb.connect(str(project / "tiny.duckdb"), read_only=True) as connection:
        assert connection.execute("select sum(n) from doubled").fetchone() == (20,)
    assert dbt.poll() == 1 and not _dbt_threads()


@pytest.mark.parametrize(
    ("command", "named"),
    [
        (("build", "--target", "no_such_target"), "no_such_target"),  # dbt reports it itself
        (("build", "--no-such-option"), "no-such-option"),  # dbt's command line refuses it before any event
    ],
)
def test_dbt_that_cannot_run_ends_with_one_error_naming_why(project: Path, command: tuple[str, ...], named: str):
    dbt = DbtThread(_arguments(project, *command))
    events = _events(dbt)

    assert dbt.wait(60) == 2
    errors = [event["info"]["msg"] for event in events if event["info"]["level"] == "error" and event["info"]["msg"]]
    assert len([message for message in errors if named in message]) == 1, errors
    assert not _dbt_threads()


def test_a_second_dbt_while_one_runs_is_refused(project: Path):
    dbt = DbtThread(_arguments(project, "run", "--select", "numbers", "doubled"))
    with pytest.raises(RuntimeError, match="one dbt invocation at a time"):
        DbtThread(_arguments(project, "run", "--select", "numbers"))
    _events(dbt)
    assert dbt.wait(60) == 0
    after = DbtThread(_arguments(project, "run", "--select", "numbers"))  # refused if the first had not let go
    _events(after)
    assert after.wait(60) == 0


def test_terminate_cancels_the_query_in_flight_and_stops_dbt(project: Path):
    dbt = DbtThread(_arguments(project, "run", "--select", "numbers+"))
    started = []
    for event in dbt.stdout:
        if event["info"]["name"] == "LogStartLine" and "slow_1" in event["data"]["node_info"]["unique_id"]:
            started.append(time.monotonic())
            dbt.terminate()  # most likely before the node's query has begun: `wait` cancels it once it has
            break
    assert started, "dbt never reached slow_1"

    assert dbt.wait(30) == 2
    assert time.monotonic() - started[0] < 10  # slow_1's query alone would take minutes
    with duckdb.connect(str(project / "tiny.duckdb"), read_only=True) as connection:
        built = {name for (name,) in connection.execute("select table_name from duckdb_tables()").fetchall()}
    assert "slow_0" in built
    assert not {f"slow_{index}" for index in range(3, SLOW_MODELS)} & built
    assert not _dbt_threads()


def test_events_are_scrubbed_of_secrets_as_dbts_json_output_is(project: Path, monkeypatch):
    monkeypatch.setenv("DBT_ENV_SECRET_TOKEN", "s3cr3tvalue")
    # dbt scrubs its exceptions' messages itself; a model's own log line reaches the events as written.
    (project / "models" / "leaky.sql").write_text("{{ log('the token is s3cr3tvalue', info=True) }} select 1 as n")
    dbt = DbtThread(_arguments(project, "run", "--select", "leaky"))
    events = _events(dbt)

    assert dbt.wait(60) == 0
    lines = json.dumps(events)
    assert "the token is *****" in lines
    assert "s3cr3tvalue" not in lines


def test_a_dbt_command_outside_a_step_runs_in_process_and_raises_dbts_error_when_it_fails(project: Path):
    (project / "macros").mkdir()
    (project / "macros" / "count_numbers.sql").write_text(
        "{% macro count_numbers() %}{% do run_query('select count(*) from numbers') %}{% endmacro %}"
    )
    dbt = LifecycleDbtCliResource(project_dir=str(project), profiles_dir=str(project), dbt_executable=DBT_BESIDE_PYTHON)
    target = project / "target"
    dbt.cli_in_process(["build", "--select", "numbers"], context=None, target_path=target).wait()

    with pytest.raises(DagsterDbtCliRuntimeError, match="no_such_macro"):
        dbt.cli_in_process(["run-operation", "no_such_macro"], context=None, target_path=target).wait()
    # The failed call released dbt (one dbt at a time) and the database: the next one runs and reads it.
    counted = dbt.cli_in_process(["run-operation", "count_numbers"], context=None, target_path=target).wait()
    assert counted.is_successful()
    with duckdb.connect(str(project / "tiny.duckdb"), read_only=True) as connection:
        assert connection.execute("select count(*) from numbers").fetchone() == (5,)


def test_a_build_in_process_writes_its_run_results_and_not_the_manifest(project: Path):
    """The manifest is the parse's product (`make manifest`), not a build's: dbt in process is told not to
    write it (twice a build), and its run results are written as dbt would have, failures included."""
    dbt = LifecycleDbtCliResource(project_dir=str(project), profiles_dir=str(project), dbt_executable=DBT_BESIDE_PYTHON)
    target = project / "target"
    with pytest.raises(DagsterDbtCliRuntimeError):
        dbt.cli_in_process(["build", "--select", "+doubled"], context=None, target_path=target).wait()

    run_results = json.loads((target / "run_results.json").read_text())
    statuses = {result["unique_id"]: result["status"] for result in run_results["results"]}
    assert statuses["model.tiny.numbers"] == statuses["model.tiny.doubled"] == "success"
    assert [status for node, status in statuses.items() if node.startswith("test.tiny.accepted_values")] == ["fail"]
    assert run_results["args"]["write_json"] is False
    assert not (target / "manifest.json").exists() and not (target / "graph.gpickle").exists()
