"""The marts as BI reads them, and the report rendered from them: published together, only after every
mart of the run was built and passed its checks."""

import dagster as dg

from orchestration.defs.publish.audiences import AUDIENCES_FOLDER, audience_results, audience_specs
from orchestration.defs.resources import WAREHOUSE_POOL, WarehouseResource, remote_errors_as_failures
from orchestration.defs.transform.assets import DBT_STEPS
from orchestration.lib import settings
from orchestration.lib.publish.audience_files import write_audience_files
from orchestration.lib.publish.serving import publish_marts
from orchestration.lib.report.page import ReportSummary, render_report
from orchestration.lib.warehouse import relations

# Every mart, and the audits that reconcile them.
MART_KEYS = sorted(
    (key for step in DBT_STEPS for key in step.keys if key.path[0] in ("marts", "audits")), key=lambda key: key.path
)
PUBLISHED_MARTS = dg.AssetKey("published_marts")
LIFECYCLE_REPORT = dg.AssetKey("lifecycle_report")


def _report_metadata(report: ReportSummary, path) -> dict:
    """The report's path, and its headline figures as numbers, so the UI plots them run over run."""
    figures = {f"headline/{h.key}": dg.MetadataValue.float(h.value) for h in report.headline if h.value is not None}
    return {
        "report_path": dg.MetadataValue.path(str(path)),
        "dagster/uri": dg.MetadataValue.path(path.as_uri()),
        "as_of_date": str(report.as_of),
        "charts": report.charts,
        "panels_without_data": report.sentences,
        "bytes_written": report.bytes_written,
        **figures,
    }


def _require_every_mart(context: dg.AssetExecutionContext) -> None:
    """The serving file is one consistent set of marts, each built and checked in the run that publishes it:
    a run that builds only some (Materialize selected) leaves the published marts as they are."""
    selected = context.run.asset_selection  # empty or None: the whole job, every mart in it
    missing = sorted(key.to_user_string() for key in MART_KEYS if selected and key not in selected)
    if missing:
        raise dg.Failure(
            description=(
                f"Not published: the publish step runs only in a run that builds every mart, and this one leaves out "
                f"{len(missing)} of {len(MART_KEYS)} ({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''}). "
                "Materialize all (or launch lifecycle_job) to publish; the published marts are unchanged."
            ),
            allow_retries=False,
        )


@dg.multi_asset(
    name="published_marts",
    specs=[
        dg.AssetSpec(
            PUBLISHED_MARTS,
            deps=MART_KEYS,
            group_name="publish",
            kinds={"duckdb", "parquet"},
            description=(
                "Write-audit-publish: the marts copied to a new DuckDB file and Parquet files, audited against the "
                "warehouse, then swapped in atomically at LIFECYCLE_SERVING. Runs only in a run that builds every "
                "mart, when every upstream step and blocking check of it passed."
            ),
        ),
        dg.AssetSpec(
            LIFECYCLE_REPORT,
            deps=[PUBLISHED_MARTS],
            group_name="publish",
            kinds={"html", "plotly"},
            description=(
                "The lifecycle report (report.html beside the serving file): one self-contained page of charts, "
                "rendered from the new serving file alone and swapped in with it, so it always shows the published "
                "marts of the same run. `make report` prints its path."
            ),
        ),
        *audience_specs(PUBLISHED_MARTS),
    ],
    pool=WAREHOUSE_POOL,
)
def published_marts(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
    _require_every_mart(context)
    # A build as of a past date publishes beside the current marts, unless told to replace them.
    serving_path = duckdb.as_of.serving_path
    report_path = settings.report_path(serving_path)
    window_months = settings.report_window_months()

    def write_report(serving_file, out):
        return render_report(serving_file, out, window_months=window_months)

    companions = {report_path.name: write_report, AUDIENCES_FOLDER: write_audience_files}
    with remote_errors_as_failures(), duckdb.get_connection() as connection:
        marts = None  # DuckDB: the warehouse's own marts schema
        if settings.engine() == "spark":  # every mart of the dbt project; a missing one fails the step
            marts = {
                key.path[1]: relations.readable(connection, "marts", key.path[1])
                for key in MART_KEYS
                if key.path[0] == "marts"
            }
        published = publish_marts(connection, serving_path, marts, companions=companions)
    report: ReportSummary = published.companions[report_path]
    audiences_folder = serving_path.parent / AUDIENCES_FOLDER
    context.log.info(
        f"Published {len(published.row_counts)} marts to {published.serving_path} and {published.parquet_folder}/, "
        f"and the report to {report_path}"
    )
    yield dg.MaterializeResult(
        asset_key=PUBLISHED_MARTS,
        metadata={
            "serving_path": str(published.serving_path),
            "as_of_date": str(report.as_of),
            "parquet_folder": str(published.parquet_folder),
            "row_counts": dg.MetadataValue.json(published.row_counts),
            "bytes_written": published.bytes_written,
            "dagster/uri": dg.MetadataValue.path(str(published.serving_path)),
        },
    )
    yield dg.MaterializeResult(asset_key=LIFECYCLE_REPORT, metadata=_report_metadata(report, report_path))
    yield from audience_results(published.companions[audiences_folder], audiences_folder)
