"""Raw tables: the landing files of each source, validated, then merged incrementally into the warehouse."""

import tempfile
from collections import Counter
from pathlib import Path

import dagster as dg

from orchestration.defs.resources import WAREHOUSE_POOL, WarehouseResource, remote_errors_as_failures
from orchestration.lib import settings
from orchestration.lib.ingest import lake, ledger
from orchestration.lib.ingest.contract import LOAD_METADATA_COLUMNS, ORDERS, SOURCES, Source
from orchestration.lib.ingest.discover import Stray, strays
from orchestration.lib.ingest.gates import configured_thresholds
from orchestration.lib.ingest.load import FileOutcome, IngestReport, ingest_sources, nothing_delivered, rules_summary
from orchestration.lib.ingest.quarantine import quarantine_relation
from orchestration.lib.storage import Root

CHECK_NAME = "landing_batches_valid"
STRAYS_NAMED = 5  # in the message of a run that found nothing to build
# On the orders asset, as orders is the one source every landing folder has.
ROOT_CHECK = dg.AssetCheckSpec(
    "landing_root_holds_only_source_folders",
    asset=ORDERS.asset_key,
    description=(
        "Nothing sits in the landing root that no source reads: a folder the contract does not know "
        "(`refunds/`) or a file outside the source folders. Fails at WARN, naming them; the run goes on."
    ),
)


def _spec(source: Source) -> dg.AssetSpec:
    columns = [dg.TableColumn(c.name, c.type, description=c.description) for c in source.columns]
    columns += [dg.TableColumn(name, type_) for name, type_ in LOAD_METADATA_COLUMNS.items()]
    return dg.AssetSpec(
        key=source.asset_key,
        group_name="ingest",
        kinds={"duckdb", "parquet"},
        description=f"{source.description} Landing folder `{source.folder}/`; key {', '.join(source.key)}.",
        metadata={
            "dagster/table_name": source.relation,
            "dagster/column_schema": dg.TableSchema(columns=columns),
            "quarantine_table": quarantine_relation(source),
        },
    )


def _check_spec(source: Source) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        CHECK_NAME,
        asset=source.asset_key,
        blocking=True,
        description=(
            "The landing files merged in this run passed the contract: row rules (bad rows quarantined) and the "
            "Great Expectations suite on the rows merged. Fails at ERROR when a file was blocked, at WARN when "
            "rows were quarantined or the folder holds files of a type the pipeline does not read."
        ),
    )


def _described(found: list[Stray]) -> list[str]:
    return [f"{stray.path}: {stray.reason}" for stray in found]


def _check_result(report: IngestReport, ignored: list[Stray]) -> dg.AssetCheckResult:
    blocked, quarantined = report.blocked, report.rows_quarantined
    examples = [example for outcome in report.files for example in outcome.examples][:10]
    return dg.AssetCheckResult(
        asset_key=report.source.asset_key,
        check_name=CHECK_NAME,
        passed=not blocked and not quarantined and not ignored,
        severity=dg.AssetCheckSeverity.ERROR if blocked else dg.AssetCheckSeverity.WARN,
        metadata={
            "files_validated": report.count("loaded", "reloaded", "blocked"),
            "files_blocked": dg.MetadataValue.json([outcome.problem for outcome in blocked]),
            "files_ignored": dg.MetadataValue.json(_described(ignored)),
            "files_skipped": dg.MetadataValue.json([f.path for f in report.files if f.action == "skipped"]),
            "rows_quarantined": quarantined,
            "quarantined_by_rule": dg.MetadataValue.json(rules_summary(report)),
            "quarantined_examples": dg.MetadataValue.json(examples),
        },
    )


NEVER_DELIVERED = 1.0


def _materialization(
    report: IngestReport, lake_sync: lake.LakeSync | None, last_delivery: float | None
) -> dg.MaterializeResult:
    lake_metadata = (
        {"lake_files_written": lake_sync.written, "lake_files_removed": lake_sync.removed} if lake_sync else {}
    )
    return dg.MaterializeResult(
        asset_key=report.source.asset_key,
        metadata={
            # What the freshness checks measure: when the source last delivered rows, not when this run
            # looked. Never: a second after the epoch (Dagster reads 0 as unset and would take the run's time).
            "dagster/last_updated_timestamp": dg.MetadataValue.timestamp(last_delivery or NEVER_DELIVERED),
            **lake_metadata,
            "dagster/row_count": report.table_rows,
            "rows_loaded": report.rows_loaded,
            "rows_quarantined": report.rows_quarantined,
            "files_loaded": report.count("loaded"),
            "files_reloaded": report.count("reloaded"),
            "files_unchanged": report.count("unchanged"),
            "files_duplicate": dg.MetadataValue.json([f.path for f in report.files if f.action == "duplicate"]),
            "files_skipped": dg.MetadataValue.json([f.path for f in report.files if f.action == "skipped"]),
            "extra_columns_ignored": dg.MetadataValue.json(
                {f.path: list(f.extra_columns) for f in report.files if f.extra_columns}
            ),
        },
    )


@dg.multi_asset(
    name="ingest_landing_files",
    specs=[_spec(source) for source in SOURCES],
    check_specs=[*(_check_spec(source) for source in SOURCES), ROOT_CHECK],
    can_subset=True,
    pool=WAREHOUSE_POOL,
)
def ingest_landing_files(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
    """Validate and load new and changed landing files, two sources at a time; unchanged files and repeated
    deliveries are skipped.
    The raw lake (Parquet, read by Spark) follows the raw tables, so it holds only rows that passed the gates;
    it is kept only when something reads it (`settings.raw_lake_enabled`)."""
    landing_root = settings.landing_root()
    thresholds = configured_thresholds()
    context.log.info(f"Landing root: {landing_root}; warehouse: {duckdb.working_path}")
    problems = []
    keep_lake = settings.raw_lake_enabled()
    selected = [source for source in SOURCES if dg.AssetKey(source.asset_key) in context.selected_asset_keys]
    # The working warehouse even in a build as of a past date: that build copies its sources from it.
    lake_root = settings.lake_root()
    history = settings.lake_is_history()
    # Objects are copied beside the warehouse (whose folder the connection makes) to be read once, and gone
    # when the step ends.
    with remote_errors_as_failures():
        with (
            duckdb.get_connection(working=True) as connection,
            tempfile.TemporaryDirectory(prefix=".landing-", dir=duckdb.working_path.parent) as spool,
        ):
            outcomes = ingest_sources(
                connection,
                selected,
                landing_root,
                thresholds,
                then=(
                    (lambda cursor, source: lake.sync_source(cursor, source, lake_root, lake_is_history=history))
                    if keep_lake
                    else None
                ),
                spool=Path(spool) if landing_root.remote else None,
            )
            last_deliveries = ledger.latest_loads(connection)
        found = strays(landing_root, SOURCES)
    for stray in found:
        context.log.warning(f"Ignored in the landing folder: {stray.path}: {stray.reason}")
    for report, lake_sync in outcomes:
        context.log.info(
            f"{report.source.relation}: {report.rows_loaded} rows from {report.count('loaded', 'reloaded')} file(s), "
            f"{report.rows_quarantined} quarantined, {report.count('blocked')} blocked, "
            f"{report.count('unchanged')} unchanged, {report.count('duplicate')} repeated deliveries, "
            f"{report.count('skipped')} skipped on purpose"
        )
        problems += [outcome.problem for outcome in report.blocked]
        yield _materialization(report, lake_sync, last_deliveries.get(report.source.folder))
        yield _check_result(report, [stray for stray in found if stray.source == report.source.folder])
    if ROOT_CHECK.key in context.selected_asset_check_keys:
        at_root = [stray for stray in found if stray.source is None]
        yield dg.AssetCheckResult(
            asset_key=ROOT_CHECK.asset_key,
            check_name=ROOT_CHECK.name,
            passed=not at_root,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"ignored": dg.MetadataValue.json(_described(at_root))},
        )
    if problems:
        raise dg.Failure(
            description="Blocked landing files (nothing of them was merged; correct and re-deliver them):\n"
            + "\n".join(f"- {problem}" for problem in problems),
            allow_retries=False,
        )
    # A selection of some sources leaves the others' tables as they are: only a run of all can tell.
    if len(selected) == len(SOURCES) and nothing_delivered(report.table_rows for report, _ in outcomes):
        raise dg.Failure(description=_nothing_delivered(landing_root, outcomes, found), allow_retries=False)


# Why a file a source read left no row, by what its ingest did with it.
NO_ROW_BECAUSE = {
    "skipped": "skipped on purpose (ingest.skipped_files, `python -m orchestration.cli skip`)",
    "duplicate": "the same content as another file",
    "unchanged": "unchanged since an earlier run in which it left no row",
    "quarantined": "every row quarantined",
    "empty": "empty",
}


def _why_no_row(outcomes: list[tuple[IngestReport, object]]) -> str:
    """'2 empty, 1 every row quarantined': a file skipped on purpose is not an empty one, nor a copy of another."""
    kinds = Counter(_no_row_kind(file) for report, _ in outcomes for file in report.files)
    return ", ".join(f"{kinds[kind]} {because}" for kind, because in NO_ROW_BECAUSE.items() if kinds[kind])


def _no_row_kind(file: FileOutcome) -> str:
    if file.action in ("skipped", "duplicate", "unchanged"):
        return file.action
    return "quarantined" if file.rows_quarantined else "empty"


def _nothing_delivered(landing_root: Root, outcomes: list[tuple[IngestReport, object]], found: list[Stray]) -> str:
    """Why a run with no row of any source stops here: every model would be built on nothing, and the
    first to need an as-of date would fail on its missing day, far from the cause."""
    files = sum(len(report.files) for report, _ in outcomes)
    if not landing_root.exists():
        where = f"there is no landing folder at {landing_root}" + (
            " (no object under that prefix)" if landing_root.remote else ""
        )
    elif files:
        where = f"the {files} file(s) in {landing_root} left no row: {_why_no_row(outcomes)}"
    else:
        folders = ", ".join(f"{source.folder}/" for source in SOURCES)
        where = f"{landing_root} holds no file a source reads (each reads its own folder: {folders})"
    shown = [stray.path for stray in found[:STRAYS_NAMED]]
    shown += [f"{len(found) - STRAYS_NAMED} more"] if len(found) > STRAYS_NAMED else []
    unread = f" No source reads {', '.join(shown)}." if found else ""
    return (
        f"Nothing to build: no source has delivered a row, and {where}.{unread} Put the exports there "
        "(docs/input-contract.md) and try them first with `make check`; `make sample` writes the sample data to "
        "data/landing."
    )
