"""The dbt project as two asset definitions around the CLV fit.

The `customers` mart joins the Python CLV predictions, which are fitted on a dbt model
(docs/decisions/0003-two-dbt-steps-around-clv.md): the models that do not read the CLV outputs
are built first, the CLV outputs' staging and everything downstream of it after the fit.
"""

import contextlib
import json
import subprocess
import time
from pathlib import Path

import dagster as dg
from dagster_dbt import dbt_assets

from orchestration.defs.resources import WAREHOUSE_POOL, WarehouseResource
from orchestration.defs.transform.artifacts import keep_partial_parse, seed_partial_parse, step_target_path
from orchestration.defs.transform.dbt_cli import LifecycleDbtCliResource
from orchestration.defs.transform.past_date import copy_sources_as_of
from orchestration.defs.transform.project import dbt_project
from orchestration.defs.transform.translator import LifecycleTranslator
from orchestration.lib import settings
from orchestration.lib.warehouse import dbt_results, memory, spark_server

AFTER_CLV = "source:clv+"
DBT_STOP_SECONDS = 30


class DbtBuildConfig(dg.Config):
    """Launchpad config of a dbt step."""

    full_refresh: bool = False  # rebuild the incremental models from scratch (after a model change)
    # dbt's advice: unit tests check the SQL's logic on fixed rows, so they belong to development and
    # CI (`make test` runs them); a production build runs the data tests on the data.
    unit_tests: bool = False


def dbt_build_args(config: DbtBuildConfig, target: str) -> list[str]:
    """`dbt build` arguments for a step on dbt target `target` (`settings.dbt_target`)."""
    # dbt's faster way to hold each node until the tests of what it reads have passed: the same order, far fewer
    # edges in the graph its queue walks (dbt's `add_test_edges_2`).
    arguments = ["build", "--target", target, "--use-fast-test-edges"]
    arguments += ["--full-refresh"] if config.full_refresh else []
    arguments += [] if config.unit_tests else ["--exclude-resource-type", "unit_test"]
    return arguments


def _prepare_past_warehouse(
    context: dg.AssetExecutionContext, dbt: LifecycleDbtCliResource, duckdb: WarehouseResource
) -> None:
    """A build as of a past date starts from a fresh copy of the working warehouse's sources up to that date."""
    day = duckdb.as_of.past_date
    if settings.engine() != "duckdb":
        raise dg.Failure(
            description=f"A build as of a past date ({day}) runs on the DuckDB engine only; unset LIFECYCLE_ENGINE",
            allow_retries=False,
        )
    copied = copy_sources_as_of(
        dbt, duckdb.working_path, duckdb.database_path, day, step_target_path(context) / "past_date"
    )
    rows = ", ".join(f"{relation} {count:,}" for relation, count in copied.items())
    context.log.info(f"Building as of {day} in {duckdb.database_path}, from the sources up to that day: {rows}")


def _dbt_failure(target_path: Path, since: float) -> dg.Failure | None:
    """What failed in this invocation, from its `run_results.json`: the models that ran out of memory, with the
    setting to raise; else each failed node with dbt's message (dagster-dbt's own error leads with the command)."""
    results = target_path / "run_results.json"
    if not results.exists() or results.stat().st_mtime < since:
        return None
    run_results = json.loads(results.read_text())
    models = memory.out_of_memory_models(run_results)
    if models:
        return dg.Failure(
            description=memory.out_of_memory_message(f"building {', '.join(models)}", settings.duckdb_memory_limit()),
            allow_retries=False,
        )
    failed = dbt_results.failed_nodes(run_results)
    if not failed:
        return None
    return dg.Failure(
        description=f"dbt build: {len(failed)} node(s) failed:\n" + "\n".join(f"- {node}" for node in failed),
        allow_retries=False,
    )


def _build(
    context: dg.AssetExecutionContext, dbt: LifecycleDbtCliResource, config: DbtBuildConfig, duckdb: WarehouseResource
):
    target_path = step_target_path(context)
    started = time.time()
    unreachable = spark_server.unreachable()
    if unreachable:
        raise dg.Failure(description="; ".join(unreachable), allow_retries=False)
    seed_partial_parse(target_path)
    past_date = duckdb.as_of.past_date
    arguments = dbt_build_args(config, settings.dbt_target())
    arguments += settings.dbt_vars_arguments(warehouse=duckdb.database_path, as_of=past_date)
    if settings.engine() == "duckdb":
        invocation = dbt.cli_in_process(arguments, context=context, target_path=target_path)
    else:  # dbt-spark's local session would start Spark's JVM in the run's process: dbt keeps its own
        invocation = dbt.cli(arguments, context=context, target_path=target_path)
    # Every materialization of a past date's build says so: the asset's latest one is not the working warehouse's.
    past = {"as_of_date": str(past_date), "warehouse": str(duckdb.database_path)} if past_date else {}
    try:
        for event in invocation.stream():
            yield event.with_metadata({**event.metadata, **past}) if past and isinstance(event, dg.Output) else event
    except BaseException as error:
        # dagster-dbt stops dbt on an interrupt only: after any other failure while its events stream,
        # dbt would go on writing the warehouse beside the steps and runs that follow.
        if invocation.process.poll() is None:
            invocation.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):  # the step's own failure matters more
                invocation.process.wait(timeout=DBT_STOP_SECONDS)
        failure = _dbt_failure(target_path, started) if isinstance(error, Exception) else None
        if failure:
            raise failure from error
        raise
    if not past_date:  # a past date's parse cache is for another profile: the next usual build would discard it
        keep_partial_parse(target_path)


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    exclude=AFTER_CLV,
    dagster_dbt_translator=LifecycleTranslator(),
    pool=WAREHOUSE_POOL,
)
def dbt_models_before_clv(
    context: dg.AssetExecutionContext, dbt: LifecycleDbtCliResource, config: DbtBuildConfig, duckdb: WarehouseResource
):
    """Staging, intermediate and the marts that do not read the CLV predictions."""
    if duckdb.as_of.past_date:
        _prepare_past_warehouse(context, dbt, duckdb)
    yield from _build(context, dbt, config, duckdb)


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    select=AFTER_CLV,
    dagster_dbt_translator=LifecycleTranslator(),
    pool=WAREHOUSE_POOL,
)
def dbt_marts_after_clv(
    context: dg.AssetExecutionContext, dbt: LifecycleDbtCliResource, config: DbtBuildConfig, duckdb: WarehouseResource
):
    """The CLV outputs' staging, the marts that join them, and the audits over those marts."""
    yield from _build(context, dbt, config, duckdb)


DBT_STEPS = (dbt_models_before_clv, dbt_marts_after_clv)
