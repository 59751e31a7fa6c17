"""`python -m orchestration.cli run`: materialize the whole pipeline through Dagster and summarise it.
`python -m orchestration.cli run --as-of 2025-03-31`: the marts as they were that day, published beside the current ones.
`python -m orchestration.cli quarantine orders fix.csv`: export quarantined rows to correct and replay.
`python -m orchestration.cli skip orders/2024-03.csv`: leave a known-bad landing file unread, without deleting it.
`python -m orchestration.cli dbt build -s customers`: dbt by hand, with the pipeline's resolved settings.
`python -m orchestration.cli report`: the published report's path (opened on a desktop).
`python -m orchestration.cli docs`: dbt's docs site beside the serving file, served on 127.0.0.1.
"""

import argparse
import contextlib
import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.lib import settings
from orchestration.lib.alerts import read_alerts
from orchestration.lib.report.summary import business_summary, table_row_counts
from orchestration.lib.warehouse import memory
from orchestration.lib.warehouse.connection import WarehouseLockedError, open_warehouse


def _failure_messages(result: dg.ExecuteInProcessResult) -> list[str]:
    messages = []
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            failure, error = event.step_failure_data.user_failure_data, event.step_failure_data.error
            while error is not None and error.cause is not None:  # Dagster's wrapper: say what it wraps
                error = error.cause
            said = failure.description if failure and failure.description else error.message.strip() if error else ""
            messages.append(f"{event.step_key}: {said or 'failed'}")
    return messages


def _memory_line(warehouse: Path) -> str:
    """DuckDB's memory limit in force, where it comes from, and where DuckDB spills beyond it."""
    if os.environ.get("LIFECYCLE_DUCKDB_MEMORY_LIMIT", "").strip():
        origin = "LIFECYCLE_DUCKDB_MEMORY_LIMIT"
    else:
        machine = memory.machine_memory_bytes() / 2**30
        origin = f"a quarter of this machine's {machine:.1f} GiB; LIFECYCLE_DUCKDB_MEMORY_LIMIT overrides it"
    return f"DuckDB:    memory limit {settings.duckdb_memory_limit()} ({origin}), spilling to {warehouse}.tmp/"


def _listed(metadata: dict, *keys: str) -> list[str]:
    return [line for key in keys if key in metadata for line in metadata[key].value]


def _skipped_files(result: dg.ExecuteInProcessResult) -> list[str]:
    return [
        path
        for event in result.get_asset_materialization_events()
        for path in _listed(event.materialization.metadata, "files_skipped")
    ]


def _published(result: dg.ExecuteInProcessResult) -> bool:
    from orchestration.defs.publish.assets import PUBLISHED_MARTS

    return any(event.asset_key == PUBLISHED_MARTS for event in result.get_asset_materialization_events())


def full_refresh_config() -> dict:
    """Run config that rebuilds the incremental dbt models whole: `full_refresh` on every dbt step."""
    from orchestration.defs.transform.assets import DBT_STEPS

    return {"ops": {step.op.name: {"config": {"full_refresh": True}} for step in DBT_STEPS}}


def as_of_config(as_of: str, replace_published: bool = False) -> dict:
    """Run config that builds the marts as of a past date (the `as_of` resource, as in the launchpad)."""
    return {"resources": {"as_of": {"config": {"date": as_of, "replace_published": replace_published}}}}


def run_pipeline(full_refresh: bool = False, as_of: str = "", replace_published: bool = False) -> int:
    from orchestration.definitions import defs
    from orchestration.defs.resources import WAREHOUSE_POOL, AsOfResource, WarehouseResource
    from orchestration.runs import WarehouseBusyError, recover_dead_runs, wait_for_warehouse

    as_of_resource = AsOfResource(date=as_of, replace_published=replace_published)
    try:
        past_date = as_of_resource.past_date
    except dg.Failure as error:
        print(f"--as-of: {error.description}", file=sys.stderr)
        return 2

    if not os.environ.get("DAGSTER_HOME"):
        print("DAGSTER_HOME is not set: the run is not recorded (use `make run`).", file=sys.stderr)
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    for line in recover_dead_runs(instance):
        print(f"Recovered: {line}")
    try:
        wait_for_warehouse(instance, WAREHOUSE_POOL, settings.warehouse_wait_seconds(), report=print)
    except WarehouseBusyError as error:
        print(f"Not started: {error}", file=sys.stderr)
        return 1
    print(_memory_line(WarehouseResource(as_of=as_of_resource).database_path))
    job = defs.resolve_job_def("lifecycle_job")
    result = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config={
            "loggers": {"console": {"config": {"log_level": "INFO"}}},
            **(full_refresh_config() if full_refresh else {}),
            **(as_of_config(past_date.isoformat(), replace_published) if past_date else {}),
        },
        tags={"lifecycle/as_of": past_date.isoformat()} if past_date else None,
    )

    published = _published(result)
    # Each raw source's freshness, now that this run has recorded its last delivery.
    freshness = defs.resolve_job_def("freshness_checks_job").execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )
    checks = result.get_asset_check_evaluations() + freshness.get_asset_check_evaluations()
    failed_checks = [c for c in checks if not c.passed]
    status = "FAILURE" if not result.success else "SUCCESS" if published else "NOT PUBLISHED"
    print(f"\nRun {result.run_id}: {status}")
    print(f"Checks: {len(checks) - len(failed_checks)} passed, {len(failed_checks)} failed")
    for check in failed_checks:
        print(f"  FAILED {check.asset_key.to_user_string()} :: {check.check_name} ({check.severity.value})")
        if check.check_name == "freshness_check" and check.description:
            print(f"    {check.description}")
        if "raised" in check.metadata:  # a metric flag: what it is about, the month's value and its baseline
            month = check.metadata["flag_month"].value
            for flag in check.metadata["raised"].value:
                print(
                    f"    {month[:7]}: {flag['subject']} {flag['value']:g} against {flag['baseline']:g} ({check.description})"
                )
        for line in _listed(check.metadata, "files_ignored", "ignored"):
            print(f"    ignored in the landing folder: {line}")
    for path in _skipped_files(result):
        print(f"  SKIPPED on purpose (ingest.skipped_files): {path}")
    for message in _failure_messages(result):
        print(f"  ERROR {message}")
    if result.success and not published:
        # Dagster counts a skipped step as no failure; for the user the run did not deliver.
        skipped = [
            event.step_key for event in result.all_events if event.event_type == dg.DagsterEventType.STEP_SKIPPED
        ]
        print(f"  NOT PUBLISHED: the serving files were left as they were (skipped steps: {', '.join(skipped) or '-'})")

    warehouse = WarehouseResource(as_of=as_of_resource).database_path  # the one this run built in
    serving = as_of_resource.serving_path
    if warehouse.exists():
        try:
            with open_warehouse(warehouse, read_only=True) as connection:
                print("\nRows per table (warehouse):")
                for table, rows in table_row_counts(connection):
                    print(f"  {table:<42} {rows:>12,}")
        except WarehouseLockedError as error:
            print(f"\nRows per table: not counted, {error}")
    if result.success and published:
        # What BI reads, whichever engine built it.
        with open_warehouse(serving, read_only=True) as connection:
            if settings.engine() != "duckdb":
                print(f"\nRows per mart (built on {settings.engine()}, published):")
                for table, rows in table_row_counts(connection):
                    print(f"  {table:<42} {rows:>12,}")
            try:
                summary = business_summary(connection)
            except duckdb.CatalogException as error:  # e.g. a step skipped because the dbt project changed mid-run
                summary = [("(not available)", str(error).splitlines()[0])]
        print("\nBusiness summary:")
        for label, value in summary:
            print(f"  {label:<42} {value}")
    alerts = read_alerts(settings.alerts_log_path())
    if alerts:
        print(
            f"\nAlerts: {len(alerts)} run failure(s) seen by the UI's sensors, in {settings.alerts_log_path()}; latest:"
        )
        for alert in alerts[-3:]:
            print(f"  {alert.at} {alert.job} run {alert.run_id[:8]} failed: {', '.join(alert.failed_steps) or '-'}")
    print(f"\nLanding:   {settings.landing_dir()}")
    print(f"Engine:    {settings.engine()} (LIFECYCLE_ENGINE)")
    if past_date:
        print(f"As of:     {past_date} (every event after it left out; the working warehouse untouched)")
    print(f"Warehouse: {warehouse} (private to the pipeline)")
    print(f"Serving:   {serving} and its parquet/ folder (what BI tools read)")
    print(f"Report:    {settings.report_path(serving)} (make report opens the current one)")
    print(f"UI:        make dev, then http://127.0.0.1:3000 (run history in {os.environ.get('DAGSTER_HOME', '-')})")
    return 0 if result.success and published else 1


def export_quarantined(folder: str, target: str) -> int:
    from orchestration.lib.ingest.contract import SOURCES
    from orchestration.lib.ingest.quarantine import export_quarantine

    source = next((s for s in SOURCES if s.folder == folder), None)
    if source is None:
        print(f"Unknown source {folder!r}; one of: {', '.join(s.folder for s in SOURCES)}", file=sys.stderr)
        return 2
    with open_warehouse(settings.warehouse_path(), read_only=True) as connection:
        rows = export_quarantine(connection, source, Path(target))
    print(
        f"Wrote {rows} quarantined {folder} row(s) to {target}; correct them and drop the file into {source.folder}/."
    )
    return 0


def skip_landing_file(relative_path: str, reason: str | None) -> int:
    """Skip one landing file as it is now: runs report it and never read it; a changed file is read again."""
    from orchestration.lib.ingest import ledger
    from orchestration.lib.ingest.contract import SOURCES
    from orchestration.lib.ingest.discover import file_sha256

    path = settings.landing_dir() / relative_path
    folder = Path(relative_path).parts[0] if Path(relative_path).parts else ""
    source = next((s for s in SOURCES if s.folder == folder), None)
    if source is None or not path.is_file():
        print(f"No landing file {path} in a source folder ({', '.join(s.folder for s in SOURCES)})", file=sys.stderr)
        return 2
    sha256 = file_sha256(path)
    with open_warehouse(settings.warehouse_path()) as connection:
        ledger.ensure_ledger(connection)
        ledger.skip_version(connection, source=source.folder, path=relative_path, sha256=sha256, reason=reason)
    print(
        f"Skipped {relative_path} (sha256 {sha256[:12]}): every run reports it and leaves it unread; a new version of it is read again."
    )
    return 0


def show_report(open_it: bool) -> int:
    """Print the published report's path and, where there is a desktop to show it on, open it."""
    report = settings.report_path()
    if not report.is_file():
        print(f"No report at {report} yet: `make run` publishes it with the marts.", file=sys.stderr)
        return 1
    print(report)
    desktop = sys.platform in ("darwin", "win32") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    if open_it and desktop:
        import webbrowser

        webbrowser.open(report.as_uri())
    return 0


def build_docs() -> Path | None:
    """dbt's docs site for the project (models, columns with their formulas, tests, lineage with the
    exposures), as one static page that needs no server, beside the serving file: `docs/index.html`."""
    folder = settings.serving_path().parent / "docs"
    with tempfile.TemporaryDirectory(prefix="dbt-docs-") as target:
        if run_dbt(["docs", "generate", "--static", "--target-path", target, "--quiet"]) != 0:
            return None
        folder.mkdir(parents=True, exist_ok=True)
        staged = folder / ".index.html.tmp"
        shutil.copyfile(Path(target) / "static_index.html", staged)
        os.replace(staged, folder / "index.html")  # a reader never sees half a page
    return folder / "index.html"


def serve_docs(page: Path, port: int) -> None:
    """Serve the docs folder on 127.0.0.1 only, until interrupted."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(page.parent))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        print(f"Serving the dbt docs at http://127.0.0.1:{server.server_port}/ (Ctrl-C stops)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()


def run_dbt(arguments: list[str]) -> int:
    """dbt in the project folder, with the settings the pipeline resolved (profiles.yml keeps no defaults)."""
    environment = {
        **os.environ,
        **settings.dbt_environment(),
        "DBT_PROJECT_DIR": str(settings.DBT_PROJECT_DIR),
        "DBT_PROFILES_DIR": str(settings.DBT_PROJECT_DIR),
    }
    return subprocess.run(
        [settings.dbt_executable(), *arguments], env=environment, cwd=settings.DBT_PROJECT_DIR
    ).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="materialize lifecycle_job and print a summary")
    run.add_argument("--full-refresh", action="store_true", help="rebuild the incremental dbt models whole")
    run.add_argument(
        "--as-of",
        default="",
        metavar="YYYY-MM-DD",
        help="build the marts as of this past date, without the events after it, published under as_of/<date>/",
    )
    run.add_argument(
        "--replace-published", action="store_true", help="with --as-of: publish over the current marts instead"
    )
    quarantine = commands.add_parser(
        "quarantine", help="export a source's quarantined rows as CSV, to correct and replay"
    )
    quarantine.add_argument("source", help="landing folder name, e.g. orders")
    quarantine.add_argument("target", help="CSV file to write")
    skip = commands.add_parser("skip", help="leave a known-bad landing file unread without deleting it")
    skip.add_argument("path", help="its path under the landing folder, e.g. orders/2024-03.csv")
    skip.add_argument("--reason", help="why, recorded beside it in ingest.skipped_files")
    report = commands.add_parser("report", help="print the published report's path, and open it on a desktop")
    report.add_argument("--no-open", action="store_true", help="only print the path")
    docs = commands.add_parser("docs", help="build dbt's docs site beside the serving file and serve it on 127.0.0.1")
    docs.add_argument("--no-serve", action="store_true", help="only build docs/index.html")
    docs.add_argument("--port", type=int, default=8580, help="port on 127.0.0.1 (default 8580)")
    dbt = commands.add_parser("dbt", help="run dbt with the pipeline's settings, e.g. `dbt build -s customers`")
    dbt.add_argument("arguments", nargs=argparse.REMAINDER, help="dbt's own arguments")
    arguments = parser.parse_args(argv)
    if arguments.command == "dbt":
        return run_dbt(arguments.arguments)
    if arguments.command == "docs":
        page = build_docs()
        if page is None:
            print(
                "dbt docs generate failed (see above); `make run` first builds the warehouse it reads.", file=sys.stderr
            )
            return 1
        print(f"dbt docs: {page} (opens from the file too)", flush=True)
        if not arguments.no_serve:
            serve_docs(page, arguments.port)
        return 0
    if arguments.command == "report":
        return show_report(open_it=not arguments.no_open)
    if arguments.command == "skip":
        return skip_landing_file(arguments.path, arguments.reason)
    if arguments.command == "quarantine":
        return export_quarantined(arguments.source, arguments.target)
    if arguments.replace_published and not arguments.as_of:
        parser.error("--replace-published goes with --as-of")
    return run_pipeline(
        full_refresh=arguments.full_refresh, as_of=arguments.as_of, replace_published=arguments.replace_published
    )


if __name__ == "__main__":
    sys.exit(main())
