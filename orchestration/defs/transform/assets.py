"""The dbt project as two asset definitions around the CLV fit.

The `customers` mart joins the Python CLV predictions, which are fitted on a dbt model
(docs/decisions/0003-two-dbt-steps-around-clv.md): the models that do not read the CLV outputs
are built first, the CLV outputs' staging and everything downstream of it after the fit.
"""

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.defs.resources import WAREHOUSE_POOL
from orchestration.defs.transform.artifacts import keep_partial_parse, seed_partial_parse, step_target_path
from orchestration.defs.transform.project import dbt_project
from orchestration.defs.transform.translator import LifecycleTranslator
from orchestration.lib import settings

AFTER_CLV = "source:clv+"
DBT_STOP_SECONDS = 30


class DbtBuildConfig(dg.Config):
    """Launchpad config of a dbt step."""

    full_refresh: bool = False  # rebuild the incremental models from scratch (after a model change)
    # dbt's advice: unit tests check the SQL's logic on fixed rows, so they belong to development and
    # CI (`make test` runs them); a production build runs the data tests on the data.
    unit_tests: bool = False


def dbt_build_args(config: DbtBuildConfig, engine: str) -> list[str]:
    """`dbt build` arguments for a step; the engine is the dbt target."""
    arguments = ["build", "--target", engine]
    arguments += ["--full-refresh"] if config.full_refresh else []
    arguments += [] if config.unit_tests else ["--exclude-resource-type", "unit_test"]
    return arguments


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
    target_path = step_target_path(context)
    seed_partial_parse(target_path)
    with settings.dbt_environment_set():
        invocation = dbt.cli(dbt_build_args(config, settings.engine()), context=context, target_path=target_path)
    try:
        yield from invocation.stream()
    except BaseException:
        # dagster-dbt stops dbt on an interrupt only: after any other failure while its events stream,
        # dbt would go on writing the warehouse beside the steps and runs that follow.
        if invocation.process.poll() is None:
            invocation.process.terminate()
            invocation.process.wait(timeout=DBT_STOP_SECONDS)
        raise
    keep_partial_parse(target_path)


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    exclude=AFTER_CLV,
    dagster_dbt_translator=LifecycleTranslator(),
    pool=WAREHOUSE_POOL,
)
def dbt_models_before_clv(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
    """Staging, intermediate and the marts that do not read the CLV predictions."""
    yield from _build(context, dbt, config)


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    select=AFTER_CLV,
    dagster_dbt_translator=LifecycleTranslator(),
    pool=WAREHOUSE_POOL,
)
def dbt_marts_after_clv(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
    """The CLV outputs' staging, the marts that join them, and the audits over those marts."""
    yield from _build(context, dbt, config)


DBT_STEPS = (dbt_models_before_clv, dbt_marts_after_clv)
