import dagster as dg

# Ingest, the checks on every asset and the dbt build, in dependency order.
lifecycle_job = dg.define_asset_job(
    name="lifecycle_job",
    selection=dg.AssetSelection.all(),
    description="Ingest the landing files, validate them, and build every dbt model and test.",
)

lifecycle_daily_schedule = dg.ScheduleDefinition(
    name="lifecycle_daily_schedule",
    job=lifecycle_job,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
