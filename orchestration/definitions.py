"""The lifecycle code location: assembles the definitions under `defs/`."""

import dagster as dg

from orchestration.defs.automation.freshness import FRESHNESS_CHECKS, freshness_checks_job, freshness_checks_sensor
from orchestration.defs.automation.jobs import lifecycle_daily_schedule, lifecycle_job
from orchestration.defs.automation.metric_flags import metric_flag_checks
from orchestration.defs.automation.sensors import dead_runs_sensor, landing_files_sensor, run_failure_alert_sensor
from orchestration.defs.clv.assets import fit_clv_models
from orchestration.defs.ingest.assets import ingest_landing_files
from orchestration.defs.publish.assets import published_marts
from orchestration.defs.publish.audiences import audience_webhook
from orchestration.defs.resources import build_resources
from orchestration.defs.transform.assets import dbt_marts_after_clv, dbt_models_before_clv
from orchestration.garbage_collection import pace_for_runs, spare_what_lives_on

# Every process that runs the pipeline loads these definitions first: `make run`'s, the UI's run worker, a test's.
pace_for_runs()

defs = dg.Definitions(
    assets=[
        ingest_landing_files,
        dbt_models_before_clv,
        fit_clv_models,
        dbt_marts_after_clv,
        published_marts,
        audience_webhook,
    ],
    asset_checks=[*FRESHNESS_CHECKS, metric_flag_checks],
    jobs=[lifecycle_job, freshness_checks_job],
    schedules=[lifecycle_daily_schedule],
    sensors=[dead_runs_sensor, landing_files_sensor, run_failure_alert_sensor, freshness_checks_sensor],
    resources=build_resources(),
    # Every run in one process, whatever launched it: lifecycle_job, and the ad-hoc asset job behind the
    # UI's Materialize all/selected, a single asset, a backfill. The warehouse pool lets one step work at
    # a time anyway, and a process per step would pay Python's and the definitions' start-up at every
    # step (and could outlive a killed run worker, a second writer on the warehouse).
    executor=dg.in_process_executor,
)
# What the imports and the definitions made lives as long as the process: no later collection walks it again.
spare_what_lives_on()
