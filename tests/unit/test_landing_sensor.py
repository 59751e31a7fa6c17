"""The landing sensor: a new or changed file starts one run, once it has settled; the same file never twice."""

import json
import os
import time

import dagster as dg
import pytest

from orchestration.defs.automation.sensors import landing_files_sensor
from tests.helpers import ORDERS_HEADER, write_csv

SETTLE_SECONDS = 60


@pytest.fixture(autouse=True)
def settle(monkeypatch):
    monkeypatch.setenv("LIFECYCLE_LANDING_SETTLE_SECONDS", str(SETTLE_SECONDS))


def deliver(landing, name: str, rows: int = 1, age_seconds: float = 2 * SETTLE_SECONDS):
    """An orders file, last modified `age_seconds` ago."""
    path = write_csv(
        landing / "orders" / name,
        ORDERS_HEADER,
        *(f"o{i},c{i},2024-01-0{1 + i % 9}T10:00:00,completed,USD,10.00,6.00,web,a@b.c" for i in range(rows)),
    )
    modified = time.time() - age_seconds
    os.utime(path, (modified, modified))
    return path


def tick(cursor: str | None = None):
    context = dg.build_sensor_context(cursor=cursor)
    result = landing_files_sensor(context)
    return result, context.cursor


def test_a_new_file_starts_one_run_and_never_a_second(landing):
    deliver(landing, "2024-01.csv")
    request, cursor = tick()
    assert isinstance(request, dg.RunRequest) and request.run_key.startswith("landing-")
    assert list(json.loads(cursor)) == ["orders/2024-01.csv"]

    again, same_cursor = tick(cursor)
    assert isinstance(again, dg.SkipReason) and "no new or changed" in again.skip_message
    assert same_cursor == cursor


def test_a_changed_file_starts_another_run(landing):
    deliver(landing, "2024-01.csv", rows=1)
    first, cursor = tick()
    deliver(landing, "2024-01.csv", rows=3)
    second, _ = tick(cursor)
    assert isinstance(second, dg.RunRequest) and second.run_key != first.run_key


def test_a_file_still_being_written_holds_the_delivery_back_until_it_settles(landing):
    deliver(landing, "2024-01.csv")
    copying = deliver(landing, "2024-02.csv", age_seconds=1)  # modified a second ago
    waiting, cursor = tick()
    assert isinstance(waiting, dg.SkipReason) and "orders/2024-02.csv" in waiting.skip_message
    assert cursor is None  # nothing taken as seen: the settled file waits with the other

    settled = time.time() - 2 * SETTLE_SECONDS
    os.utime(copying, (settled, settled))
    request, cursor = tick(cursor)
    assert isinstance(request, dg.RunRequest)
    assert sorted(json.loads(cursor)) == ["orders/2024-01.csv", "orders/2024-02.csv"]


def test_hidden_files_and_other_types_are_not_deliveries(landing):
    deliver(landing, ".2024-01.csv.partial")
    (landing / "orders" / "notes.txt").write_text("not a delivery")
    (landing / ".gitkeep").write_text("")
    skipped, _ = tick()
    assert isinstance(skipped, dg.SkipReason)


def test_a_removed_file_is_forgotten_so_putting_it_back_is_new(landing):
    path = deliver(landing, "2024-01.csv")
    _, cursor = tick()
    path.unlink()
    skipped, cursor = tick(cursor)
    assert isinstance(skipped, dg.SkipReason) and json.loads(cursor) == {}
    deliver(landing, "2024-01.csv")
    request, _ = tick(cursor)
    assert isinstance(request, dg.RunRequest)
