"""benchmarks.breakdown: a run's stages from its import times, event log and dbt run results."""

import pytest

from benchmarks.breakdown import Event, breakdown, import_seconds

IMPORTTIME = """\
import time: self [us] | cumulative | imported package
import time:    500000 |     500000 | dagster
import time:    200000 |     900000 |   orchestration.definitions
import time:    100000 |     100000 |     orchestration.defs.transform.assets
import time:    300000 |     300000 |     dagster_dbt
Running with dbt=1.11
"""


def test_imports_and_the_definitions_own_modules_are_told_apart():
    assert import_seconds(IMPORTTIME.splitlines()) == pytest.approx((0.8, 0.3))


def _results(first_start: str, last_end: str, own: float) -> dict:
    return {
        "results": [
            {"timing": [{"started_at": first_start, "completed_at": first_start}], "execution_time": own / 2},
            {"timing": [{"started_at": last_end, "completed_at": last_end}], "execution_time": own / 2},
        ]
    }


def test_the_stages_of_a_run_add_up_to_its_wall_time():
    t = 1_800_000_000.0  # 2027-01-15T08:00:00Z
    events = [
        Event(t + 5, "ASSET_MATERIALIZATION_PLANNED", None),
        Event(t + 6, "PIPELINE_START", None),
        Event(t + 6.5, "STEP_START", "ingest_landing_files"),
        Event(t + 7, "STEP_SUCCESS", "ingest_landing_files"),
        Event(t + 7.5, "STEP_START", "dbt_models_before_clv"),
        Event(t + 8, "LOG", "dbt_models_before_clv", "Running dbt command: `dbt build`."),
        Event(t + 20, "STEP_SUCCESS", "dbt_models_before_clv"),
        Event(t + 21, "PIPELINE_SUCCESS", None),
    ]
    # dbt: first node 3 s after its start, last node's end 8 s later, 6 s of it the nodes' own
    dbt = {"dbt_models_before_clv": (_results("2027-01-15T08:00:11Z", "2027-01-15T08:00:19Z", 6.0), t + 19.5)}

    stages = breakdown(t, t + 22, events, dbt, imported=(3.0, 1.0))

    assert stages == {
        "interpreter and imports": 3.0,
        "definitions loaded": 1.0,
        "to the first event (process, instance, CLI)": 1.0,
        "first event to run start (planned events; a click: queue, run worker)": 1.0,
        "ingest + gates": 0.5,
        "dbt_models_before_clv: before dbt": 0.5,
        "dbt_models_before_clv: dbt start-up (to its first node)": 3.0,
        "dbt_models_before_clv: nodes, dbt's own time": 6.0,
        "dbt_models_before_clv: nodes, between them": 2.0,
        "dbt_models_before_clv: dbt's end (artifacts, exit)": 0.5,
        "dbt_models_before_clv: events still to record, step end": 0.5,
        "between steps": 2.0,
        "after the run (summary, exit)": 1.0,
    }
    assert sum(stages.values()) == pytest.approx(22)
