"""What `make run` prints after its run: checks that failed, errors, the report's headline figures, the
audiences and where every output is; each table's rows and every headline figure go to the run's log."""

import os
from collections.abc import Sequence
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.cli.launch import Launched
from orchestration.cli.run_events import failure_text
from orchestration.defs.automation.metric_flags import FLAG_MARTS, raised_lines
from orchestration.lib import settings
from orchestration.lib.alerts import read_alerts
from orchestration.lib.ingest.contract import SOURCES, Source
from orchestration.lib.publish.audience_files import audience_summaries
from orchestration.lib.report.headline import Headline, all_figures, as_of_date
from orchestration.lib.report.summary import figure_line
from orchestration.lib.warehouse import memory
from orchestration.lib.warehouse.connection import WarehouseLockedError, open_warehouse
from orchestration.lib.warehouse.row_counts import table_row_counts

# What the pipeline makes of the raw tables, along the data's path.
PIPELINE_SCHEMAS = ("quarantine", "staging", "intermediate", "clv", "marts", "ingest")


def schema_order(sources: Sequence[Source]) -> tuple[str, ...]:
    """The order tables are counted in: each source's raw schema in the contract's order, then the pipeline's
    (a schema named nowhere is counted after these)."""
    return (*dict.fromkeys(source.system for source in sources), *PIPELINE_SCHEMAS)


def memory_line(warehouse: Path) -> str:
    """DuckDB's memory limit in force, where it comes from, and where DuckDB spills beyond it."""
    limit = settings.duckdb_memory_limit()
    if limit != memory.default_memory_limit(memory.machine_memory_bytes()):
        origin = "LIFECYCLE_DUCKDB_MEMORY_LIMIT"
    else:
        machine = memory.machine_memory_bytes() / 2**30
        origin = f"an eighth of this machine's {machine:.1f} GiB; LIFECYCLE_DUCKDB_MEMORY_LIMIT overrides it"
    return f"DuckDB:    memory limit {limit} ({origin}), spilling to {warehouse}.tmp/"


def _listed(metadata: dict, *keys: str) -> list[str]:
    return [line for key in keys if key in metadata for line in metadata[key].value]


def _skipped_files(result: dg.ExecuteInProcessResult) -> list[str]:
    return [
        path
        for event in result.get_asset_materialization_events()
        for path in _listed(event.materialization.metadata, "files_skipped")
    ]


def failure_messages(result: dg.ExecuteInProcessResult) -> list[str]:
    """Each failed step with what it said, or the innermost error Dagster wraps."""
    return [
        f"{event.step_key}: {failure_text(event.step_failure_data) or 'failed'}"
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.STEP_FAILURE
    ]


def _print_failed_checks(failed_checks: Sequence[dg.AssetCheckEvaluation]) -> None:
    for check in failed_checks:
        print(f"  FAILED {check.asset_key.to_user_string()} :: {check.check_name} ({check.severity.value})")
        if check.check_name == "freshness_check" and check.description:
            print(f"    {check.description}")
        if check.check_name in FLAG_MARTS:
            for line in raised_lines(check.metadata, check.description):
                print(f"    {line}")
        for line in _listed(check.metadata, "files_ignored", "ignored"):
            print(f"    ignored in the landing folder: {line}")


def _rows_lines(title: str, database: Path) -> list[str]:
    try:
        with open_warehouse(database, read_only=True) as connection:
            rows = table_row_counts(connection, schema_order(SOURCES))
    except WarehouseLockedError as error:
        return [f"{title}: not counted, {error}"]
    return [f"{title}:", *(f"  {table:<42} {count:>12,}" for table, count in rows)]


def _headline(serving: Path) -> tuple[str, list[Headline], str | None]:
    """The serving file's as-of date and every figure of its headline, read once for the screen and the log;
    with what made them unreadable, if anything."""
    with open_warehouse(serving, read_only=True) as connection:
        try:
            as_of = as_of_date(connection)
            return (str(as_of) if as_of else "n/a"), all_figures(connection), None
        except duckdb.CatalogException as error:  # e.g. a step skipped because the dbt project changed mid-run
            return "n/a", [], str(error).splitlines()[0]


def _audiences_line(serving: Path) -> str | None:
    with open_warehouse(serving, read_only=True) as connection:
        try:
            summaries = audience_summaries(connection)
        except duckdb.CatalogException:  # a serving file published before the audiences existed
            return None
    members = ", ".join(f"{summary.audience} {summary.members:,}" for summary in summaries)
    entered, exited = sum(s.entered for s in summaries), sum(s.exited for s in summaries)
    return (
        f"Audiences: {members} members; {entered:,} entered, {exited:,} exited this run "
        f"(files in {serving.parent / 'audiences'}/)"
    )


def _print_alerts() -> None:
    alerts = read_alerts(settings.alerts_log_path())
    if alerts:
        print(
            f"\nAlerts: {len(alerts)} run failure(s) seen by the UI's sensors, in {settings.alerts_log_path()}; latest:"
        )
        for alert in alerts[-3:]:
            print(f"  {alert.at} {alert.job} run {alert.run_id[:8]} failed: {', '.join(alert.failed_steps) or '-'}")


def _print_where(launched: Launched, log: Path) -> None:
    print()
    if settings.engine() != "duckdb":
        print(f"Engine:    {settings.engine()} (LIFECYCLE_ENGINE)")
    if launched.past_date:
        print(f"As of:     {launched.past_date} (every event after it left out; the working warehouse untouched)")
    if launched.published:
        print(f"Serving:   {launched.serving} and its parquet/ folder (what BI tools read)")
        print(f"Report:    {settings.report_path(launched.serving)} (make report opens the current one)")
    elif launched.serving.exists():  # never let the files BI tools read pass for this run's
        print(f"Serving:   {launched.serving}: this run published nothing; BI tools read the last marts published")
    else:
        print(f"Serving:   nothing published yet ({launched.serving} once a run publishes)")
    print(f"UI:        make dev, then http://127.0.0.1:3000 (run history in {os.environ.get('DAGSTER_HOME', '-')})")
    print(f"Full log:  {log}")


def _log_details(launched: Launched, log: Path, headline: tuple[str, list[Headline], str | None] | None) -> None:
    """What the screen leaves out, at the log's end: where the run read and wrote, each table's rows and every
    figure of the headline."""
    lines = [
        "",
        f"Landing:   {settings.landing_root()}",
        f"Engine:    {settings.engine()} (LIFECYCLE_ENGINE)",
        f"Warehouse: {launched.warehouse} (private to the pipeline)",
    ]
    if launched.warehouse.exists():
        where = (
            f"warehouse; the raw history is in the lake, {settings.lake_root()}"
            if settings.lake_is_history()
            else "warehouse"
        )
        lines += ["", *_rows_lines(f"Rows per table ({where})", launched.warehouse)]
    if launched.published and settings.engine() != "duckdb":  # what BI reads, whichever engine built it
        lines += ["", *_rows_lines(f"Rows per mart (built on {settings.engine()}, published)", launched.serving)]
    if headline is not None:
        as_of, figures, unreadable = headline
        lines += ["", f"Business summary, every figure of marts.headline (as of {as_of}):"]
        lines += [f"  (not available) {unreadable}"] if unreadable else []
        lines += [f"  {label:<46} {value}" for label, value in map(figure_line, figures)]
    with log.open("a", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")


def print_summary(launched: Launched, log: Path) -> None:
    """The run's outcome, its failed checks and errors, the report's headline figures and the audiences on the
    screen; each table's rows and every headline figure in the run's log."""
    result, published = launched.result, launched.published
    status = "FAILURE" if not result.success else "SUCCESS" if published else "NOT PUBLISHED"
    checks = result.get_asset_check_evaluations()
    failed_checks = [c for c in checks if not c.passed]
    print(f"\nRun {status}: {len(checks) - len(failed_checks)} checks passed, {len(failed_checks)} failed")
    _print_failed_checks(failed_checks)
    for path in _skipped_files(result):
        print(f"  SKIPPED on purpose (ingest.skipped_files): {path}")
    for message in failure_messages(result):
        print(f"  ERROR {message}")
    if result.success and not published:
        # Dagster counts a skipped step as no failure; for the user the run did not deliver.
        skipped = [
            event.step_key for event in result.all_events if event.event_type == dg.DagsterEventType.STEP_SKIPPED
        ]
        print(f"  NOT PUBLISHED: the serving files were left as they were (skipped steps: {', '.join(skipped) or '-'})")
    # A failed delivery to the audience webhook fails the run after the publish step: what was published shows.
    headline = _headline(launched.serving) if published else None
    _log_details(launched, log, headline)
    if headline is not None:
        as_of, figures, unreadable = headline
        print(f"Business summary as of {as_of} (the report's headline; every figure and each table's rows in the log):")
        if unreadable:
            print(f"  (not available) {unreadable}")
        for figure in figures:
            if figure.in_report:
                label, value = figure_line(figure, known_period=f"as of {as_of}")
                print(f"  {label:<46} {value}")
        audiences = _audiences_line(launched.serving)
        if audiences:
            print(audiences)
    _print_alerts()
    _print_where(launched, log)
