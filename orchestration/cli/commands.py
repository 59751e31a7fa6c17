"""The command line's commands other than `run`: quarantine export, skipping a file, the report, dbt and its docs."""

import contextlib
import functools
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import webbrowser
from pathlib import Path

import yaml

from orchestration.lib import settings
from orchestration.lib.ingest import ledger
from orchestration.lib.ingest.contract import SOURCES, Source
from orchestration.lib.ingest.discover import file_sha256
from orchestration.lib.ingest.quarantine import export_quarantine
from orchestration.lib.warehouse.connection import open_warehouse


def _source(folder: str) -> Source | None:
    return next((source for source in SOURCES if source.folder == folder), None)


def _folders() -> str:
    return ", ".join(source.folder for source in SOURCES)


def export_quarantined(folder: str, target: str) -> int:
    source = _source(folder)
    if source is None:
        print(f"Unknown source {folder!r}; one of: {_folders()}", file=sys.stderr)
        return 2
    with open_warehouse(settings.warehouse_path(), read_only=True) as connection:
        rows = export_quarantine(connection, source, Path(target))
    print(
        f"Wrote {rows} quarantined {folder} row(s) to {target}; correct them and drop the file into {source.folder}/."
    )
    return 0


def skip_landing_file(relative_path: str, reason: str | None) -> int:
    """Skip one landing file as it is now: runs report it and never read it; a changed file is read again."""
    landing = settings.landing_root()
    source = _source(Path(relative_path).parts[0] if Path(relative_path).parts else "")
    listed = {file.relative_path for file in landing.list(source.folder)} if source else set()
    if source is None or relative_path not in listed:
        print(f"No landing file {landing.child(relative_path)} in a source folder ({_folders()})", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="lifecycle-skip-") as folder:
        path = landing.local_path(relative_path) if not landing.remote else Path(folder) / "file"
        if landing.remote:
            landing.fetch(relative_path, path)
        sha256 = file_sha256(path)
    with open_warehouse(settings.warehouse_path()) as connection:
        ledger.ensure_ledger(connection)
        ledger.skip_version(connection, source=source.folder, path=relative_path, sha256=sha256, reason=reason)
    print(
        f"Skipped {relative_path} (sha256 {sha256[:12]}): every run reports it and leaves it unread; "
        "a new version of it is read again."
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
        webbrowser.open(report.as_uri())
    return 0


def run_dbt(arguments: list[str]) -> int:
    """dbt in the project folder, with the settings the pipeline resolved as `--vars` after a command's own
    arguments (profiles.yml keeps no defaults); `dbt --version` and the like take none."""
    environment = {
        **os.environ,
        "DBT_PROJECT_DIR": str(settings.DBT_PROJECT_DIR),
        "DBT_PROFILES_DIR": str(settings.DBT_PROJECT_DIR),
    }
    if arguments[:1] and not arguments[0].startswith("-"):
        arguments = _with_pipeline_target(_with_pipeline_vars(arguments))
    return subprocess.run(
        [settings.dbt_executable(), *arguments], env=environment, cwd=settings.DBT_PROJECT_DIR
    ).returncode


def _with_pipeline_vars(arguments: list[str]) -> list[str]:
    """The command's arguments with one `--vars`: the pipeline's settings, and over them the vars it gave
    (dbt reads YAML there, and would take only the last of two `--vars`)."""
    given, rest, iterator = {}, [], iter(arguments)
    for argument in iterator:
        if argument == "--vars":
            given.update(yaml.safe_load(next(iterator, "")) or {})
        elif argument.startswith("--vars="):
            given.update(yaml.safe_load(argument.removeprefix("--vars=")) or {})
        else:
            rest.append(argument)
    return [*rest, "--vars", json.dumps({**settings.dbt_vars(), **given}, sort_keys=True, default=str)]


def _with_pipeline_target(arguments: list[str]) -> list[str]:
    """The command's arguments with the pipeline's `--target` unless they name one. The profile's default is the
    same target, but dbt keys its parse cache on the `--target` given as well as on the vars: a parse by hand
    (`make manifest`) without it would be parsed again by the run's first dbt step, which names it."""
    if any(argument in ("--target", "-t") or argument.startswith("--target=") for argument in arguments):
        return arguments
    return [*arguments, "--target", settings.dbt_target()]


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
    # Stop on Ctrl-C and on SIGTERM whatever was inherited: a shell's background job starts with SIGINT
    # ignored, and a process that ran Dagster passes SIGTERM on with SIGINT's disposition.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(page.parent))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        print(f"Serving the dbt docs at http://127.0.0.1:{server.server_port}/ (Ctrl-C stops)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()


def docs(serve: bool, port: int) -> int:
    page = build_docs()
    if page is None:
        print("dbt docs generate failed (see above); `make run` first builds the warehouse it reads.", file=sys.stderr)
        return 1
    print(f"dbt docs: {page} (opens from the file too)", flush=True)
    if serve:
        serve_docs(page, port)
    return 0
