import dagster as dg

# Ingest, the checks on every asset (each raw source's freshness among them, judged on the delivery this
# run recorded) and the dbt build, in dependency order; in one process, as every run (the Definitions' executor).
lifecycle_job = dg.define_asset_job(
    name="lifecycle_job",
    selection=dg.AssetSelection.all(),
    description="Ingest the landing files, validate them, build every dbt model and test, and publish.",
)

lifecycle_daily_schedule = dg.ScheduleDefinition(
    name="lifecycle_daily_schedule",
    job=lifecycle_job,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
