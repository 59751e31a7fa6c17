"""Parse the command line and dispatch to a command."""

import argparse
import os
import sys

import dagster as dg

from orchestration import cli
from orchestration.cli import check, commands


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.cli",
        description=cli.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subcommands = parser.add_subparsers(dest="command", required=True)
    run = subcommands.add_parser("run", help="materialize lifecycle_job and print a summary")
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
    landing_check = subcommands.add_parser(
        "check", help="judge a landing folder as the next run would, writing nothing; exit 1 if a file would be blocked"
    )
    landing_check.add_argument(
        "landing",
        nargs="?",
        metavar="FOLDER|URI",
        help="a local folder or s3://bucket/prefix (default: the configured landing root, LIFECYCLE_LANDING_DIR)",
    )
    quarantine = subcommands.add_parser(
        "quarantine", help="export a source's quarantined rows as CSV, to correct and replay"
    )
    quarantine.add_argument("source", help="landing folder name, e.g. orders")
    quarantine.add_argument("target", help="CSV file to write")
    skip = subcommands.add_parser("skip", help="leave a known-bad landing file unread without deleting it")
    skip.add_argument("path", help="its path under the landing folder, e.g. orders/2024-03.csv")
    skip.add_argument("--reason", help="why, recorded beside it in ingest.skipped_files")
    report = subcommands.add_parser("report", help="print the published report's path, and open it on a desktop")
    report.add_argument("--no-open", action="store_true", help="only print the path")
    docs = subcommands.add_parser(
        "docs", help="build dbt's docs site beside the serving file and serve it on 127.0.0.1"
    )
    docs.add_argument("--no-serve", action="store_true", help="only build docs/index.html")
    docs.add_argument("--port", type=int, default=8580, help="port on 127.0.0.1 (default 8580)")
    dbt = subcommands.add_parser("dbt", help="run dbt with the pipeline's settings, e.g. `dbt build -s customers`")
    dbt.add_argument("arguments", nargs=argparse.REMAINDER, help="dbt's own arguments")
    return parser


def run(full_refresh: bool, as_of: str, replace_published: bool) -> int:
    """`make run`: wait for the warehouse, run the pipeline, print what it did; 0 when it published."""
    # Loaded only for `run`: the definitions read the dbt manifest, which `dbt parse` (a command of this
    # same command line, run by `make manifest`) is what writes.
    from orchestration.cli import launch, summary, watch
    from orchestration.defs.resources import AsOfResource
    from orchestration.runs import WarehouseBusyError

    as_of_resource = AsOfResource(date=as_of, replace_published=replace_published)
    try:
        as_of_resource.past_date  # noqa: B018 (validates the date before anything starts)
    except dg.Failure as error:
        print(f"--as-of: {error.description}", file=sys.stderr)
        return 2
    if not os.environ.get("DAGSTER_HOME"):
        print("DAGSTER_HOME is not set: the run is not recorded (use `make run`).", file=sys.stderr)
    with launch.instance_for_cli() as instance:
        try:
            launch.recover_and_wait(instance, report=print)
        except WarehouseBusyError as error:
            print(f"Not started: {error}", file=sys.stderr)
            return 1
        print(summary.memory_line(launch.warehouse_of(as_of_resource)))
        launched, log = watch.launch_watched(instance, as_of_resource, full_refresh)
    if launched is None:
        return 1
    summary.print_summary(launched, log)
    return 0 if launched.result.success and launched.published else 1


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    if arguments.command == "dbt":
        return commands.run_dbt(arguments.arguments)
    if arguments.command == "docs":
        return commands.docs(serve=not arguments.no_serve, port=arguments.port)
    if arguments.command == "report":
        return commands.show_report(open_it=not arguments.no_open)
    if arguments.command == "check":
        return check.check(arguments.landing)
    if arguments.command == "skip":
        return commands.skip_landing_file(arguments.path, arguments.reason)
    if arguments.command == "quarantine":
        return commands.export_quarantined(arguments.source, arguments.target)
    if arguments.replace_published and not arguments.as_of:
        parser.error("--replace-published goes with --as-of")
    return run(arguments.full_refresh, arguments.as_of, arguments.replace_published)
