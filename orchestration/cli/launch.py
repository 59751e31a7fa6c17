"""Start the pipeline's run in this process, as `make run` does, and say what it produced."""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg

from orchestration.cli.progress import Planned
from orchestration.definitions import defs
from orchestration.defs.publish.assets import PUBLISHED_MARTS
from orchestration.defs.resources import WAREHOUSE_POOL, AsOfResource, WarehouseResource
from orchestration.defs.transform.assets import DBT_STEPS
from orchestration.lib import settings
from orchestration.runs import recover_dead_runs, wait_for_warehouse


@dataclass(frozen=True)
class Launched:
    """A finished run of `lifecycle_job` and where it worked."""

    result: dg.ExecuteInProcessResult
    past_date: date | None  # a build as of a past date, or None for the usual one
    warehouse: Path  # the warehouse the run built in
    serving: Path  # where it publishes

    @property
    def published(self) -> bool:
        return any(event.asset_key == PUBLISHED_MARTS for event in self.result.get_asset_materialization_events())


def full_refresh_config() -> dict:
    """Run config that rebuilds the incremental dbt models whole: `full_refresh` on every dbt step."""
    return {"ops": {step.op.name: {"config": {"full_refresh": True}} for step in DBT_STEPS}}


def as_of_config(as_of: str, replace_published: bool = False) -> dict:
    """Run config that builds the marts as of a past date (the `as_of` resource, as in the launchpad)."""
    return {"resources": {"as_of": {"config": {"date": as_of, "replace_published": replace_published}}}}


def planned_steps() -> list[Planned]:
    """Each step of `lifecycle_job` in the order of its dependencies, with the assets and checks it has: what a
    run of the whole job plans."""
    definitions = {d.op.name: d for d in [*defs.assets, *(defs.asset_checks or [])]}
    steps = [node.name for node in defs.resolve_job_def("lifecycle_job").nodes_in_topological_order]
    return [Planned(step, len(definitions[step].keys), len(definitions[step].check_keys)) for step in steps]


def instance_for_cli() -> dg.DagsterInstance:
    """The instance under DAGSTER_HOME, so the run shows in the UI's history; an ephemeral one without it."""
    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()


def recover_and_wait(instance: dg.DagsterInstance, report) -> None:
    """Mark the runs of dead processes failed, then wait while another live run holds the warehouse
    (raises `WarehouseBusyError` after `LIFECYCLE_WAREHOUSE_WAIT_SECONDS`)."""
    for line in recover_dead_runs(instance):
        report(f"Recovered: {line}")
    wait_for_warehouse(instance, WAREHOUSE_POOL, settings.warehouse_wait_seconds(), report=report)


def warehouse_of(as_of: AsOfResource) -> Path:
    return WarehouseResource(as_of=as_of).database_path


def launch(
    instance: dg.DagsterInstance,
    as_of: AsOfResource,
    loggers: Mapping[str, dg.LoggerDefinition],
    run_id: str | None = None,
    full_refresh: bool = False,
) -> Launched:
    """Run `lifecycle_job` in this process (`as_of.past_date` already validated by the caller), its events
    told to `loggers` instead of Dagster's console logger."""
    past_date = as_of.past_date
    # Given to this run's job alone: the job in `defs`, and so runs from the UI, keep Dagster's logger.
    job = dg.Definitions.merge(defs, dg.Definitions(loggers=loggers)).resolve_job_def("lifecycle_job")
    result = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_id=run_id,
        run_config={
            "loggers": {name: {} for name in loggers},
            **(full_refresh_config() if full_refresh else {}),
            **(as_of_config(past_date.isoformat(), as_of.replace_published) if past_date else {}),
        },
        tags={"lifecycle/as_of": past_date.isoformat()} if past_date else None,
    )
    return Launched(result, past_date, warehouse_of(as_of), as_of.serving_path)
