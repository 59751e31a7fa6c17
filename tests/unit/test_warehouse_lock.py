"""Another process holding the warehouse: bounded retries, then a clean failure naming the file."""

import subprocess
import sys
import time

import dagster as dg
import pytest

from orchestration.defs.resources import AsOfResource, WarehouseResource
from orchestration.lib.warehouse.connection import WarehouseLockedError, connect

HOLD = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(60)"


@pytest.fixture
def locked_warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    yield path
    holder.kill()
    holder.wait()


def test_connect_retries_then_names_the_file(locked_warehouse):
    started = time.monotonic()
    with pytest.raises(
        WarehouseLockedError, match=f"The warehouse {locked_warehouse} is locked by another process \\(tried 3 times\\)"
    ):
        connect(locked_warehouse, attempts=3, wait_seconds=0.1)
    assert time.monotonic() - started >= 0.3  # it waited 0.1 s, then 0.2 s


def test_the_resource_turns_a_lock_into_a_dagster_failure(locked_warehouse, monkeypatch):
    monkeypatch.setattr(
        "orchestration.defs.resources.connect", lambda path, read_only: connect(path, attempts=2, wait_seconds=0.05)
    )
    with (
        pytest.raises(dg.Failure, match="is locked by another process"),
        WarehouseResource(database=str(locked_warehouse), as_of=AsOfResource()).get_connection(),
    ):
        pass


def test_the_lock_is_released_after_the_holder_stops(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True)
    holder.stdout.readline()
    holder.kill()
    holder.wait()
    connect(path, attempts=2, wait_seconds=0.05).close()
