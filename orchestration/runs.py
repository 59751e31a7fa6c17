"""Runs of this instance that hold the warehouse: finding those whose process is gone, and waiting
for a live one without spinning.

A run killed outright (an OOM kill, a reboot) stays STARTED in the run storage and keeps its slot of
the `warehouse` pool, so every later run would wait for it for ever: Dagster's run monitoring cannot
tell that a run executed in process (`make run`) has died. The run records the pid of the process
that ran it (and of each step's), so on one machine a run none of whose processes is alive is dead:
it is marked failed and its slots are freed. Marking a run failed does not free its slots; freeing
them is a separate call.

Waiting is done here, before a run starts, with sleeps: a run whose step waits for the pool inside
Dagster's in-process executor polls without sleeping, a core at full load for as long as it waits.
"""

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import dagster as dg

IN_FLIGHT = (dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING)


class WarehouseBusyError(RuntimeError):
    """A live run held the warehouse for longer than this run was allowed to wait."""


@dataclass(frozen=True)
class Holder:
    run_id: str
    step_key: str
    since: datetime | None  # when the step was given the slot

    def __str__(self) -> str:
        since = f" since {self.since:%Y-%m-%d %H:%M:%S} UTC" if self.since else ""
        return f"run {self.run_id} (step {self.step_key}){since}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: whether the process exists, nothing sent
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, under another user
        return True
    return True


def _run_pids(instance: dg.DagsterInstance, run_id: str) -> set[int]:
    """The processes that executed the run: its worker (RUN_START) and its steps (STEP_START)."""
    records = instance.get_records_for_run(
        run_id, of_type={dg.DagsterEventType.RUN_START, dg.DagsterEventType.STEP_START}
    ).records
    events = (record.event_log_entry.dagster_event for record in records)
    return {event.pid for event in events if event and event.pid is not None}


def recover_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed every in-flight run whose processes are all gone, and free the pool slots held by
    runs that are dead or already finished. Returns a line per run recovered."""
    recovered = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=list(IN_FLIGHT))):
        run = record.dagster_run
        pids = _run_pids(instance, run.run_id)
        if not pids or any(_alive(pid) for pid in pids):
            continue  # not started by a process yet (queued for the daemon), or still running
        message = f"The processes that ran it ({', '.join(map(str, sorted(pids)))}) are gone: killed or crashed."
        instance.report_run_failed(run, message)
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        recovered.append(
            f"run {run.run_id} was {run.status.value} but its process is gone: marked failed, its warehouse slot freed"
        )
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        for run_id in storage.get_concurrency_run_ids():
            run = instance.get_run_by_id(run_id)
            if run is None or run.is_finished:
                storage.free_concurrency_slots_for_run(run_id)
                recovered.append(f"run {run_id} had finished but still held a warehouse slot: freed")
    return recovered


def pool_holders(info) -> list[Holder]:
    """The steps that hold a slot of the pool (`info`: the storage's `get_concurrency_info`), or were
    given one and are about to claim it."""
    given = {
        (step.run_id, step.step_key): step.assigned_timestamp for step in info.pending_steps if step.assigned_timestamp
    }
    holders = {(slot.run_id, slot.step_key): given.get((slot.run_id, slot.step_key)) for slot in info.claimed_slots}
    holders.update({key: since for key, since in given.items() if key not in holders})
    return [Holder(run_id, step_key, since) for (run_id, step_key), since in holders.items()]


def _other_live_runs(instance: dg.DagsterInstance) -> list[str]:
    return [
        record.dagster_run.run_id
        for record in instance.get_run_records(filters=dg.RunsFilter(statuses=list(IN_FLIGHT)))
    ]


def wait_for_warehouse(
    instance: dg.DagsterInstance,
    pool: str,
    timeout_seconds: float,
    report: Callable[[str], None],
    poll_seconds: float = 2.0,
    report_every_seconds: float = 60.0,
) -> None:
    """Return once no other run of the instance is in flight and `pool` has a free slot; say which run
    holds it while waiting. Raise WarehouseBusyError after `timeout_seconds`."""
    started = time.monotonic()
    reported = None
    while True:
        info = instance.event_log_storage.get_concurrency_info(pool)
        holders = pool_holders(info)
        running = _other_live_runs(instance)
        if not running and (info.limit is None or len(holders) < info.limit):
            return
        waited = time.monotonic() - started
        who = "; ".join(map(str, holders)) or f"run {', '.join(running)} (not yet in a step)"
        if waited >= timeout_seconds:
            raise WarehouseBusyError(
                f"The warehouse is held by {who}; waited {waited:.0f} s, the limit (LIFECYCLE_WAREHOUSE_WAIT_SECONDS) "
                f"is {timeout_seconds:.0f} s. Let that run finish, or stop it in the UI (make dev) if it hangs."
            )
        if reported is None or time.monotonic() - reported >= report_every_seconds:
            report(
                f"Waiting for the warehouse, held by {who} (waited {waited:.0f} s of at most {timeout_seconds:.0f} s)"
            )
            reported = time.monotonic()
        time.sleep(poll_seconds)
