"""The automation under a real `dagster dev` (webserver, daemon, code server, run queue): files dropped into
the landing folder are ingested without anyone clicking, and two runs launched together wait for each other
(the second a build as of a past date, configured as in the launchpad)."""

import shutil
import time

import duckdb
import pytest

from tools.dagster_dev import LAUNCH, SELECTOR, dagster_dev
from tools.sample_data import generate

pytestmark = pytest.mark.ops

PAST_DATE = "2025-06-30"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`dagster dev` over an empty landing folder, and a delivery generated beside it, not yet dropped."""
    root = tmp_path_factory.mktemp("automation")
    generate(root / "delivery", customers=200, seed=4)
    with dagster_dev(root, LIFECYCLE_LANDING_SETTLE_SECONDS="5") as running:
        yield running


def test_files_dropped_into_the_landing_folder_are_ingested_without_a_click(server):
    assert server.runs() == []
    shutil.copytree(server.root / "delivery", server.landing, dirs_exist_ok=True)
    dropped = sorted(p.relative_to(server.landing).as_posix() for p in server.landing.rglob("*") if p.is_file())

    (run,) = server.wait_for_runs(count=1, new_since=set())
    assert run["status"] == "SUCCESS"
    assert run["tags"]["dagster/sensor_name"] == "landing_files_sensor"
    with duckdb.connect(str(server.warehouse), read_only=True) as connection:
        loaded = [path for (path,) in connection.execute("SELECT path FROM ingest.file_ledger ORDER BY 1").fetchall()]
    assert loaded == dropped

    time.sleep(40)  # more than a sensor interval: the same files start no second run
    assert len(server.runs()) == 1


def test_two_runs_launched_together_run_one_after_the_other(server):
    launched = []
    past_date = {"resources": {"as_of": {"config": {"date": PAST_DATE}}}}
    for config in ({}, past_date):
        result = server.graphql(LAUNCH, {"selector": SELECTOR, "config": config})["launchRun"]
        assert result["__typename"] == "LaunchRunSuccess", result
        launched.append(result["run"]["runId"])
    statuses = {run["runId"]: run["status"] for run in server.runs()}
    assert statuses[launched[1]] in ("QUEUED", "NOT_STARTED")  # the second waits its turn

    first, second = server.wait_for_runs(set(launched))
    assert [first["status"], second["status"]] == ["SUCCESS", "SUCCESS"]
    assert second["startTime"] >= first["endTime"]  # never on the warehouse at once

    serving = server.root / "serving"
    with duckdb.connect(str(serving / "as_of" / PAST_DATE / "lifecycle.duckdb"), read_only=True) as connection:
        assert (
            connection.execute("SELECT DISTINCT as_of_date FROM marts.customers").fetchall()[0][0].isoformat()
            == PAST_DATE
        )
    with duckdb.connect(str(serving / "lifecycle.duckdb"), read_only=True) as connection:
        assert (
            connection.execute("SELECT DISTINCT as_of_date FROM marts.customers").fetchall()[0][0].isoformat()
            > PAST_DATE
        )
