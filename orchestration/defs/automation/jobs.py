import dagster as dg

from orchestration.defs.automation.freshness import FRESHNESS_CHECKS

# Ingest, the checks on every asset and the dbt build, in dependency order; in one process, as every run
# (the Definitions' executor).
lifecycle_job = dg.define_asset_job(
    name="lifecycle_job",
    # The freshness checks look at the raw assets' last materialization: they run on their own, after it.
    selection=dg.AssetSelection.all() - dg.AssetSelection.checks(*FRESHNESS_CHECKS),
    description="Ingest the landing files, validate them, and build every dbt model and test.",
)

lifecycle_daily_schedule = dg.ScheduleDefinition(
    name="lifecycle_daily_schedule",
    job=lifecycle_job,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
