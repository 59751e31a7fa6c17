"""Where a pipeline run's time goes, stage by stage, for `make bench`: what every run pays whatever its size
(the interpreter and its imports, the definitions, the run's creation, each dbt invocation's start-up, Dagster's
recording of events) apart from the work on the data.

Read from what a run leaves behind: `python -X importtime`'s lines (the command's output before the run
starts), the run's Dagster event log, and each dbt step's `run_results.json`. Every figure is in seconds.
"""

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)\s*$")
# What a dbt step logs as it starts dbt: dagster-dbt for a dbt process, `cli_in_process` for dbt in the run.
DBT_COMMAND = "Running dbt"
# Steps named after what they do in the breakdown; a step not named here is listed under its own name.
STEP_NAMES = {
    "ingest_landing_files": "ingest + gates",
    "fit_clv_models": "CLV fit",
    "published_marts": "publish",
    "source_freshness_checks": "freshness checks",
    "metric_flag_checks": "metric flags",
    "audience_webhook": "audience webhook",
}


@dataclass(frozen=True)
class Event:
    """What the breakdown reads of one record of the run's event log."""

    timestamp: float
    kind: str  # Dagster's event type, or "LOG" for a message
    step: str | None
    message: str = ""


def import_seconds(lines: Iterable[str]) -> tuple[float, float]:
    """(third-party and other imports, the definitions' own modules) from `python -X importtime` lines: the
    modules' own times summed, so a definitions module's time excludes the packages it imports."""
    imports = definitions = 0
    for line in lines:
        found = IMPORT_LINE.match(line)
        if not found:
            continue
        own, module = int(found[1]), found[2]
        if module == "orchestration.definitions" or module.startswith("orchestration.defs"):
            definitions += own
        else:
            imports += own
    return imports / 1e6, definitions / 1e6


def _utc(text: str) -> float:
    return datetime.fromisoformat(text.rstrip("Z")).replace(tzinfo=UTC).timestamp()


def dbt_timeline(run_results: Mapping) -> tuple[float, float, float]:
    """(first node's start, last node's end, nodes' own seconds summed) from a dbt `run_results.json`."""
    spans = [
        (_utc(result["timing"][0]["started_at"]), _utc(result["timing"][-1]["completed_at"]))
        for result in run_results["results"]
        if result["timing"]
    ]
    own = sum(result["execution_time"] for result in run_results["results"])
    return min(start for start, _ in spans), max(end for _, end in spans), own


def run_end(events: Sequence[Event]) -> float:
    """When the run ended (its last event, when it has no end yet)."""
    ends = [e.timestamp for e in events if e.kind in ("PIPELINE_SUCCESS", "PIPELINE_FAILURE")]
    return ends[0] if ends else events[-1].timestamp


def _round(stages: dict[str, float]) -> dict[str, float]:
    return {name: round(seconds, 2) for name, seconds in stages.items()}


def breakdown(
    started: float,
    ended: float,
    events: Sequence[Event],
    dbt_steps: Mapping[str, tuple[Mapping, float]],
    imported: tuple[float, float] | None,
) -> dict[str, float]:
    """The run's stages in the order they happen, summing to its wall time (`ended` - `started`).

    `events`: the run's event log in order; `dbt_steps`: each dbt step's `run_results.json` and the time the
    file was written; `imported`: `import_seconds` of the command's output, None when it was not measured (a
    run launched from the UI), which leaves those seconds in "before the run".
    """
    stages: dict[str, float] = {}
    first = events[0].timestamp
    run_start = next(e.timestamp for e in events if e.kind == "PIPELINE_START")
    ended_run = run_end(events)
    before = first - started
    if imported is not None:
        stages["interpreter and imports"], stages["definitions loaded"] = imported
        before -= sum(imported)
    stages["to the first event (process, instance, CLI)"] = before
    stages["first event to run start (planned events; a click: queue, run worker)"] = run_start - first

    step_start: dict[str, float] = {}
    dbt_start: dict[str, float] = {}
    previous_end, between = run_start, 0.0
    for event in events:
        if event.kind == "STEP_START":
            step_start[event.step] = event.timestamp
            between += event.timestamp - previous_end
        elif event.kind == "LOG" and event.step and event.message.startswith(DBT_COMMAND):
            dbt_start[event.step] = event.timestamp  # the last: a past date's build runs an operation first
        elif event.kind in ("STEP_SUCCESS", "STEP_FAILURE") and event.step in step_start:
            previous_end = event.timestamp
            step, seconds = event.step, event.timestamp - step_start[event.step]
            if step in dbt_steps and step in dbt_start:
                run_results, written = dbt_steps[step]
                first_node, last_node, own = dbt_timeline(run_results)
                stages[f"{step}: before dbt"] = dbt_start[step] - step_start[step]
                stages[f"{step}: dbt start-up (to its first node)"] = first_node - dbt_start[step]
                stages[f"{step}: nodes, dbt's own time"] = own
                stages[f"{step}: nodes, between them"] = last_node - first_node - own
                stages[f"{step}: dbt's end (artifacts, exit)"] = written - last_node
                stages[f"{step}: events still to record, step end"] = event.timestamp - written
            else:
                name = STEP_NAMES.get(step, step)
                stages[name] = stages.get(name, 0.0) + seconds
    stages["between steps"] = between + ended_run - previous_end
    stages["after the run (summary, exit)"] = ended - ended_run
    return _round(stages)


def event_counts(events: Sequence[Event]) -> dict[str, int]:
    """Events recorded per step (and before and after the steps, under None's name "run")."""
    counts: dict[str, int] = {}
    for event in events:
        counts[event.step or "run"] = counts.get(event.step or "run", 0) + 1
    return counts


def read_events(instance, run_id: str) -> list[Event]:
    """The run's event log as `Event`s."""
    found = []
    for record in instance.all_logs(run_id):
        dagster_event = record.dagster_event
        kind = dagster_event.event_type_value if dagster_event else "LOG"
        found.append(Event(record.timestamp, kind, record.step_key, record.user_message or ""))
    return found


def dbt_artifacts(steps_dir: Path, since: float) -> dict[str, tuple[dict, float]]:
    """Each dbt step's `run_results.json` written since `since`, with the time it was written."""
    found = {}
    for results in sorted(steps_dir.glob("*/run_results.json")):
        written = results.stat().st_mtime
        if written >= since:
            found[results.parent.name] = (json.loads(results.read_text()), written)
    return found
