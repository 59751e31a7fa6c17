"""Raw tables: the landing files of each source, merged incrementally into the warehouse."""

import dagster as dg

from orchestration.defs.resources import WAREHOUSE_POOL, WarehouseResource
from orchestration.lib import settings
from orchestration.lib.contract import LOAD_METADATA_COLUMNS, SOURCES, Source
from orchestration.lib.ingest import IngestReport, RowRuleError, ingest_source
from orchestration.lib.landing import LandingFileError


def _spec(source: Source) -> dg.AssetSpec:
    columns = [dg.TableColumn(c.name, c.type, description=c.description) for c in source.columns]
    columns += [dg.TableColumn(name, type_) for name, type_ in LOAD_METADATA_COLUMNS.items()]
    return dg.AssetSpec(
        key=source.asset_key,
        group_name="ingest",
        kinds={"duckdb"},
        description=f"{source.description} Landing folder `{source.folder}/`; key {', '.join(source.key)}.",
        metadata={
            "dagster/table_name": source.relation,
            "dagster/column_schema": dg.TableSchema(columns=columns),
        },
    )


def _materialization(report: IngestReport) -> dg.MaterializeResult:
    return dg.MaterializeResult(
        asset_key=report.source.asset_key,
        metadata={
            "dagster/row_count": report.table_rows,
            "rows_loaded": report.rows_loaded,
            "files_loaded": report.count("loaded"),
            "files_reloaded": report.count("reloaded"),
            "files_unchanged": report.count("unchanged"),
            "files_duplicate": dg.MetadataValue.json([f.path for f in report.files if f.action == "duplicate"]),
            "extra_columns_ignored": dg.MetadataValue.json(
                {f.path: list(f.extra_columns) for f in report.files if f.extra_columns}
            ),
        },
    )


@dg.multi_asset(
    name="ingest_landing_files",
    specs=[_spec(source) for source in SOURCES],
    can_subset=True,
    pool=WAREHOUSE_POOL,
)
def ingest_landing_files(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
    """Load new and changed landing files; unchanged files and repeated deliveries are skipped."""
    landing_root = settings.landing_dir()
    context.log.info(f"Landing root: {landing_root}; warehouse: {duckdb.database_path}")
    problems = []
    with duckdb.get_connection() as connection:
        for source in SOURCES:
            if dg.AssetKey(source.asset_key) not in context.selected_asset_keys:
                continue
            try:
                report = ingest_source(connection, source, landing_root)
            except (LandingFileError, RowRuleError) as error:
                problems.append(str(error))
                continue
            context.log.info(
                f"{source.relation}: {report.rows_loaded} rows from {report.count('loaded', 'reloaded')} file(s), "
                f"{report.count('unchanged')} unchanged, {report.count('duplicate')} repeated deliveries"
            )
            yield _materialization(report)
    if problems:
        raise dg.Failure(
            description="Landing files break the input contract; nothing of these files was loaded:\n"
            + "\n".join(f"- {problem}" for problem in problems),
            allow_retries=False,
        )
