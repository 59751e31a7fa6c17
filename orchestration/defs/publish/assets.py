"""The marts as BI reads them: published only after every mart of the run was built and passed its checks."""

import dagster as dg

from orchestration.defs.resources import WAREHOUSE_POOL, WarehouseResource
from orchestration.defs.transform.assets import DBT_STEPS
from orchestration.lib import settings
from orchestration.lib.publish.serving import publish_marts
from orchestration.lib.warehouse import relations

# Every mart, and the audits that reconcile them.
MART_KEYS = sorted(
    (key for step in DBT_STEPS for key in step.keys if key.path[0] in ("marts", "audits")), key=lambda key: key.path
)


@dg.asset(
    key="published_marts",
    deps=MART_KEYS,
    group_name="publish",
    kinds={"duckdb", "parquet"},
    pool=WAREHOUSE_POOL,
    description=(
        "Write-audit-publish: the marts copied to a new DuckDB file and Parquet files, audited against the "
        "warehouse, then swapped in atomically at LIFECYCLE_SERVING. Runs only when every upstream step and "
        "blocking check of the run passed."
    ),
)
def published_marts(context: dg.AssetExecutionContext, duckdb: WarehouseResource) -> dg.MaterializeResult:
    marts = None  # DuckDB: the warehouse's own marts schema
    if settings.engine() == "spark":  # every mart of the dbt project; a missing one fails the step
        marts = {key.path[1]: relations.relation("marts", key.path[1]) for key in MART_KEYS if key.path[0] == "marts"}
    with duckdb.get_connection() as connection:
        report = publish_marts(connection, settings.serving_path(), marts)
    context.log.info(f"Published {len(report.row_counts)} marts to {report.serving_path} and {report.parquet_folder}/")
    return dg.MaterializeResult(
        metadata={
            "serving_path": str(report.serving_path),
            "parquet_folder": str(report.parquet_folder),
            "row_counts": dg.MetadataValue.json(report.row_counts),
            "bytes_written": report.bytes_written,
            "dagster/uri": dg.MetadataValue.path(str(report.serving_path)),
        }
    )
