"""The lifecycle code location: assembles the definitions under `defs/`."""

import dagster as dg

from orchestration.defs.automation.jobs import lifecycle_daily_schedule, lifecycle_job
from orchestration.defs.clv.assets import fit_clv_models
from orchestration.defs.ingest.assets import ingest_landing_files
from orchestration.defs.resources import build_resources
from orchestration.defs.serve.assets import publish_serving_files
from orchestration.defs.transform.assets import lifecycle_dbt_models

defs = dg.Definitions(
    assets=[ingest_landing_files, lifecycle_dbt_models, fit_clv_models, publish_serving_files],
    jobs=[lifecycle_job],
    schedules=[lifecycle_daily_schedule],
    resources=build_resources(),
)
