"""The whole pipeline at three data sizes, against one plain DuckDB SQL script over the same files.

    python -m benchmarks.pipeline --tiers S M L [--formats csv parquet parquet-monthly] [--no-ui]

For each tier, in one run:
1. the landing files come from the project's generator (cached under `--data-dir`), in each input
   format: monthly CSV files (`csv`), one Parquet file per source (`parquet`, what most exports and
   lakes hand over) and monthly Parquet files (`parquet-monthly`), the same rows in each; the last
   day of every source is cut out into CSV files of its own, to be delivered later;
2. **full build**, per format: `python -m orchestration.cli run` (the `make run` path: ingest and
   gates, dbt build with its tests, CLV fit, publish) on a fresh warehouse, after `dbt parse` with
   the same settings as `make run` does (`make manifest`); wall time, peak memory of the whole
   process tree (RSS summed over the process and its children, sampled every 50 ms) and each
   stage's share, read from the run's Dagster event log; and whether its marts are those of the
   CSV build (tools/fingerprint.py);
3. **reference**, per format: `benchmarks/reference/marts.sql`, the customer, cohort and NPS marts
   computed by one plain DuckDB script over the very same files, measured the same way, and held
   to the published marts (every reference row must have its twin in them and back);
4. **daily run**: the last day's files are delivered on top of the CSV build and the pipeline runs
   again on the same warehouse; its time as a share of the full build, and against tier S's; then once
   more with nothing new to ingest (**run again**): what every run pays whatever the data;
5. **launched from the UI** (unless `--no-ui`): the CSV full build again on a fresh warehouse, as a
   person launches it: *Materialize all* clicked on the lineage page of a `dagster dev` on 127.0.0.1
   in headless Chromium (`LIFECYCLE_CHROMIUM`), run by its daemon's run worker, timed from the
   click to the run's end.

Each run's time is also broken into stages (`benchmarks/breakdown.py`): the interpreter and its imports and
the definitions (`python -X importtime`), the run's creation, each step, and for each dbt step its
invocation's start-up (to its first node), the nodes' own time and the time between them, dbt's
end and the events Dagster had yet to record; printed side by side for the CSV build, the daily run, the
run with nothing new and the click. Each run also records every dbt node's own time and its file's
checksum (from each dbt step's `run_results.json` and manifest), which `benchmarks.compare` uses to set
two runs side by side.

Prints a table and writes JSON. Linux only (memory is read from /proc).
"""

import argparse
import contextlib
import json
import os
import platform
import shutil
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from benchmarks import breakdown
from benchmarks.reference.run_reference import differences
from orchestration.defs.transform.project import dbt_project
from orchestration.lib.settings import duckdb_memory_limit
from tools.dagster_dev import dagster_dev
from tools.dagster_ui import ALL_RUNS, CHROMIUM, chromium, click_materialize_all
from tools.fingerprint import fingerprints
from tools.sample_data import BehaviourParams, generate, hold_back_day

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Customers per tier. The behaviour below gives ~4.5 orders, ~1 ticket and ~0.9 survey answers per
# customer: M ~0.9M orders, L ~9M orders, ~2M tickets, ~1.9M answers.
TIERS = {"S": 5_000, "M": 200_000, "L": 2_000_000}
BEHAVIOUR = BehaviourParams(r=0.5, alpha=3.5, a=0.8, b=2.7)
LAST_DAY = "2025-12-31"
FORMATS = ("csv", "parquet", "parquet-monthly")
STAGES = {
    "ingest_landing_files": "ingest + gates",
    "dbt_": "dbt build + tests",
    "fit_clv_models": "CLV fit",
    "published_marts": "publish",
    "freshness_check": "freshness checks",
    "metric_flag_checks": "metric flags",
}


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float
    exit_code: int
    stages: dict[str, float] = field(default_factory=dict)
    dbt_nodes: dict[str, dict] = field(default_factory=dict)
    spilled_mb: float = 0.0  # the most DuckDB held in its temp directory at once, when watched
    # Processes outside the run's tree, when watched (a cluster's servers): each group's peak RSS, summed at one instant
    watched_peak_rss_mb: dict[str, float] = field(default_factory=dict)
    folder_peak_mb: float = 0.0  # the most the run's folder held on disk at once, when watched (sampled each second)
    # The run's time stage by stage, fixed costs apart from the work (benchmarks/breakdown.py), and events per step
    breakdown: dict[str, float] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)


def generated_once(root: Path, generate_files: Callable[[], dict]) -> dict:
    """Fill `root` with `generate_files` the first time only; return what it returned then (kept in
    `generated.json`, written last, so an interrupted generation starts again)."""
    marker = root / "generated.json"
    if not marker.exists():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        marker.write_text(json.dumps(generate_files()))
    return json.loads(marker.read_text())


def _typed_parquet(monthly: Path, day: str) -> None:
    """Rewrite the generated monthly Parquet files as a system's export would type them (the generator writes
    times as text): timestamps as UTC timestamps, dates as dates; and without `day`'s rows, as hold_back_day
    does for the CSV files."""
    from orchestration.lib.ingest.contract import DATE, SOURCES, TIMESTAMP

    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'UTC'")
        for source in SOURCES:
            typed = [
                f"CAST(CAST({c.name} AS TIMESTAMPTZ) AS TIMESTAMP) AS {c.name}"
                if c.type == TIMESTAMP
                else f"CAST({c.name} AS DATE) AS {c.name}"
                for c in source.columns
                if c.type in (TIMESTAMP, DATE)
            ]
            for month_file in sorted((monthly / source.folder).glob("*.parquet")):
                rest = month_file.with_suffix(".rest")
                connection.execute(
                    f"COPY (SELECT * REPLACE ({', '.join(typed)}) FROM read_parquet('{month_file}') WHERE "
                    f"CAST(CAST({source.event_column} AS TIMESTAMPTZ) AS DATE) <> DATE '{day}') TO '{rest}' (FORMAT "
                    "parquet)"
                )
                rest.replace(month_file)


def _one_file_per_source(monthly: Path, target: Path) -> None:
    """Each source's monthly Parquet files as one file, in month order."""
    with duckdb.connect() as connection:
        for folder in sorted(p for p in monthly.iterdir() if p.is_dir()):
            (target / folder.name).mkdir(parents=True, exist_ok=True)
            files = sorted(str(f) for f in folder.glob("*.parquet"))
            connection.execute(
                f"COPY (SELECT * FROM read_parquet({files})) TO '{target / folder.name / f'{folder.name}.parquet'}' "
                "(FORMAT parquet)"
            )


def prepare_landing(tier: str, data_dir: Path) -> tuple[dict[str, Path], Path, dict[str, int]]:
    """Generate the tier once; return (the landing without the last day per format, the last day's
    CSV files, rows)."""
    root = data_dir / tier
    landings = {"csv": root / "landing", "parquet": root / "parquet", "parquet-monthly": root / "parquet_monthly"}
    day = root / "day"

    def generate_files() -> dict:
        rows = generate(landings["csv"], TIERS[tier], seed=42, params=BEHAVIOUR)
        day_rows = hold_back_day(landings["csv"], LAST_DAY, day)
        generate(landings["parquet-monthly"], TIERS[tier], seed=42, params=BEHAVIOUR, file_format="parquet")
        _typed_parquet(landings["parquet-monthly"], LAST_DAY)
        _one_file_per_source(landings["parquet-monthly"], landings["parquet"])
        return {"rows": rows, "day_rows": day_rows}

    generated = generated_once(root, generate_files)
    return landings, day, generated


def _processes() -> dict[int, tuple[int, int]]:
    """Every process's (parent, process group), from /proc."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            found[int(entry)] = (int(fields[1]), int(fields[2]))
        except (OSError, IndexError, ValueError):
            continue
    return found


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def rss_by_group(groups: dict[str, Sequence[int]]) -> dict[str, int]:
    """Resident memory of each group of processes at one instant: its root pids, every process in a process
    group one of them leads (a Spark worker's executors outlive it for a moment) and all their descendants."""
    processes = _processes()
    children: dict[int, list[int]] = {}
    led: dict[int, list[int]] = {}
    for pid, (parent, group) in processes.items():
        children.setdefault(parent, []).append(pid)
        led.setdefault(group, []).append(pid)
    rss: dict[int, int] = {}
    totals = {}
    for name, roots in groups.items():
        members, stack = set(), [pid for root in roots for pid in (root, *led.get(root, []))]
        while stack:
            pid = stack.pop()
            if pid not in members:
                members.add(pid)
                stack.extend(children.get(pid, []))
        totals[name] = sum(rss.setdefault(pid, _rss_bytes(pid)) for pid in members if pid in processes)
    return totals


def disk_bytes(folder: Path) -> dict[str, int]:
    """Bytes allocated on disk (as `du` counts them) under each entry of `folder`; {} when there is none."""
    totals = {}
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            total, stack = 0, [entry.path]
            while stack:
                path = stack.pop()
                # Files come and go while a run writes: what is gone counts for nothing.
                with contextlib.suppress(OSError):
                    status = os.lstat(path)
                    total += status.st_blocks * 512
                    if stat.S_ISDIR(status.st_mode):
                        stack.extend(os.path.join(path, name) for name in os.listdir(path))
            totals[entry.name] = total
    return totals


def _folder_bytes(folder: Path) -> int:
    """The bytes of the files in `folder` (DuckDB's temp directory: flat), 0 when there is none."""
    total = 0
    # The folder, or a file in it, may be removed while it is read.
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            with contextlib.suppress(OSError):
                total += entry.stat().st_size if entry.is_file() else 0
    return total


def measure(
    command: list[str],
    env: dict[str, str],
    log: Path,
    spill_dir: Path | None = None,
    *,
    watched: dict[str, Sequence[int]] | None = None,
    folder: Path | None = None,
) -> Measured:
    """Run `command`, sampling the memory of its process tree (and of the `watched` groups of processes, and the
    size of `spill_dir` and of `folder`); output goes to `log`."""
    peak = spilled = on_disk = 0
    watched_peaks = dict.fromkeys(watched or {}, 0)
    with log.open("w") as output:
        began = time.perf_counter()
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak, spilled, on_disk
            samples = 0
            while not done.is_set():
                rss = rss_by_group({"run": [process.pid], **(watched or {})})
                peak = max(peak, rss.pop("run"))
                watched_peaks.update({name: max(watched_peaks[name], used) for name, used in rss.items()})
                spilled = max(spilled, _folder_bytes(spill_dir)) if spill_dir else 0
                if folder and samples % 20 == 0:
                    on_disk = max(on_disk, sum(disk_bytes(folder).values()))
                samples += 1
                done.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        exit_code = process.wait()
        seconds = time.perf_counter() - began
        done.set()
        sampler.join()
    return Measured(
        round(seconds, 2),
        _mb(peak),
        exit_code,
        spilled_mb=_mb(spilled),
        watched_peak_rss_mb={name: _mb(used) for name, used in watched_peaks.items()},
        folder_peak_mb=_mb(on_disk),
    )


def _mb(size: int) -> float:
    return round(size / 2**20, 1)


@contextlib.contextmanager
def _environment(settings: dict[str, str]) -> Iterator[None]:
    """`settings` in os.environ for the length of the block."""
    before = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def stage_seconds(
    dagster_home: Path, run_id: str | None = None, environment: dict[str, str] | None = None
) -> dict[str, float]:
    """Seconds per stage of the run (default: the latest), from STEP_START to STEP_SUCCESS/FAILURE in its event log;
    `environment`: the run's, whose DAGSTER_PG_* settings a PostgreSQL-backed instance reads."""
    import dagster as dg

    database = {name: value for name, value in (environment or {}).items() if name.startswith("DAGSTER_PG_")}
    with _environment({"DAGSTER_HOME": str(dagster_home), **database}), dg.DagsterInstance.get() as instance:
        latest = instance.get_runs(filters=dg.RunsFilter(job_name="lifecycle_job"), limit=1)
        run = instance.get_run_by_id(run_id) if run_id else latest[0]
        started: dict[str, float] = {}
        stages: dict[str, float] = {}
        for record in instance.all_logs(run.run_id):
            event = record.dagster_event
            if event is None or event.step_key is None:
                continue
            if event.event_type_value == "STEP_START":
                started[event.step_key] = record.timestamp
            elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
                stage = next(
                    (name for prefix, name in STAGES.items() if event.step_key.startswith(prefix)), event.step_key
                )
                stages[stage] = stages.get(stage, 0.0) + record.timestamp - started[event.step_key]
    return {stage: round(seconds, 2) for stage, seconds in stages.items()}


def run_breakdown(
    dagster_home: Path,
    dbt_artifacts: Path,
    started: float | None,
    seconds: float,
    imported: tuple[float, float] | None,
    run_id: str | None = None,
    environment: dict[str, str] | None = None,
) -> tuple[dict[str, float], dict[str, int]]:
    """The run's stages (`breakdown.breakdown`) and its events per step, from its event log (default: the latest
    run) and its dbt steps' artifacts (`dbt_artifacts`, beside the warehouse); `started`: the wall-clock time
    the command began, `seconds` later it ended; None: a click, `seconds` before the run's end."""
    import dagster as dg

    database = {name: value for name, value in (environment or {}).items() if name.startswith("DAGSTER_PG_")}
    with _environment({"DAGSTER_HOME": str(dagster_home), **database}), dg.DagsterInstance.get() as instance:
        run_id = run_id or instance.get_runs(filters=dg.RunsFilter(job_name="lifecycle_job"), limit=1)[0].run_id
        events = breakdown.read_events(instance, run_id)
    if started is None:
        started = breakdown.run_end(events) - seconds
    dbt_steps = breakdown.dbt_artifacts(dbt_artifacts, since=started)
    return (
        breakdown.breakdown(started, started + seconds, events, dbt_steps, imported),
        breakdown.event_counts(events),
    )


def dbt_node_seconds(steps_dir: Path, since: float, manifest: Path) -> dict[str, dict]:
    """Every dbt node the run's dbt steps ran: its own seconds (dbt's `execution_time`) and the
    checksum of its file (in `manifest`, the project's, which the run was defined from), by unique id;
    from each step's artifacts folder, where written since `since` (a step that did not run keeps an
    earlier run's)."""
    nodes: dict[str, dict] = {}
    parsed = json.loads(manifest.read_text())
    checksums = {unique_id: node["checksum"]["checksum"] for unique_id, node in parsed["nodes"].items()}
    for step in sorted(steps_dir.glob("*")):
        results = step / "run_results.json"
        if not results.exists() or results.stat().st_mtime < since:
            continue
        for result in json.loads(results.read_text())["results"]:
            unique_id = result["unique_id"]
            nodes[unique_id] = {
                "seconds": round(result["execution_time"], 3),
                "checksum": checksums.get(unique_id),
                "step": step.name,
            }
    return nodes


def pipeline_env(landing: Path | str, work: Path, engine: str = "duckdb") -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        LIFECYCLE_ENGINE=engine,
        LIFECYCLE_LANDING_DIR=str(landing),
        LIFECYCLE_LAKE_DIR=str(work / "lake"),
        LIFECYCLE_SPARK_DIR=str(work / "spark"),
        LIFECYCLE_WAREHOUSE=str(work / "warehouse.duckdb"),
        LIFECYCLE_SERVING=str(work / "serving" / "lifecycle.duckdb"),
        DAGSTER_HOME=str(work / "dagster_home"),
        DBT_PROJECT_DIR=str(PROJECT_ROOT / "dbt_project"),
        DBT_PROFILES_DIR=str(PROJECT_ROOT / "dbt_project"),
        GX_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def prepare_dbt_parse(landing: Path, work: Path, log: Path) -> None:
    """What `make run` does before a run (`make manifest`): parse the dbt project with the run's settings.
    dbt keeps its parse cache only for the vars it was written with, and the vars hold the warehouse
    path: without this, the tier's first dbt call would parse the whole project again, which a
    `make run` user, whose manifest was parsed with the same settings, does not pay."""
    with log.open("w") as output:
        subprocess.run(
            [sys.executable, "-m", "orchestration.cli", "dbt", "parse", "--quiet"],
            cwd=PROJECT_ROOT,
            env=pipeline_env(landing, work),
            stdout=output,
            stderr=subprocess.STDOUT,
            check=True,
        )


def run_pipeline(
    landing: Path | str,
    work: Path,
    log: Path,
    engine: str = "duckdb",
    *,
    watched: dict[str, Sequence[int]] | None = None,
    **settings: str,
) -> Measured:
    """`make run`'s command on `landing` (a folder or s3://bucket/prefix) in `work`; `settings`: more environment
    variables (a memory limit, a cluster's addresses); `watched`: groups of processes outside the run whose memory
    is sampled too (a cluster's servers)."""
    env = pipeline_env(landing, work, engine) | settings
    home = Path(env["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    instance = "dagster.postgres.yaml" if env.get("DAGSTER_STORAGE") == "postgres" else "dagster.yaml"
    shutil.copy(PROJECT_ROOT / "orchestration" / instance, home / "dagster.yaml")
    started = time.time()
    spill_dir = Path(f"{env['LIFECYCLE_WAREHOUSE']}.tmp")
    # -X importtime: each module's own import time, on stderr before the run takes stderr into its log
    command = [sys.executable, "-X", "importtime", "-m", "orchestration.cli", "run"]
    measured = measure(command, env, log, spill_dir, watched=watched, folder=work)
    measured.stages = stage_seconds(home, environment=env)
    dbt_artifacts = Path(env["LIFECYCLE_WAREHOUSE"]).parent / "dbt"  # orchestration/defs/transform/artifacts.py
    measured.dbt_nodes = dbt_node_seconds(dbt_artifacts, since=started, manifest=Path(dbt_project().manifest_path))
    measured.stages["process start + orchestration"] = round(measured.seconds - sum(measured.stages.values()), 2)
    with log.open(errors="replace") as output:
        imported = breakdown.import_seconds(output)
    measured.breakdown, measured.events = run_breakdown(
        home, dbt_artifacts, started, measured.seconds, imported, environment=env
    )
    return measured


def run_reference(landing: Path, work: Path, log: Path) -> Measured:
    database = work / "reference_marts.duckdb"  # not "reference": the file name is the catalog name
    database.unlink(missing_ok=True)
    command = [sys.executable, "-m", "benchmarks.reference.run_reference", str(landing), str(database)]
    return measure(command, dict(os.environ), log)


def run_from_ui(landing: Path, work: Path, log: Path) -> Measured:
    """The full build as a person launches it: *Materialize all* clicked on the lineage page of a `dagster dev`,
    in headless Chromium, timed from the click to the run's end; memory is not sampled (the server's own
    processes would count)."""
    env = pipeline_env(landing, work)
    overrides = {name: value for name, value in env.items() if name.startswith(("LIFECYCLE_", "DBT_"))}
    # The landing sensor would start a run of the same files too: its files never settle here.
    overrides["LIFECYCLE_LANDING_SETTLE_SECONDS"] = str(10**9)
    work.mkdir(parents=True, exist_ok=True)
    prepare_dbt_parse(landing, work, work / "dbt_parse.log")
    with dagster_dev(work, **overrides) as server, chromium() as browser:
        _wait_until_idle(server)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(120_000)
        clicked = click_materialize_all(page, server, timeout_seconds=3 * 3600)
        measured = Measured(clicked.seconds_from_click, 0.0, 0 if clicked.status == "SUCCESS" else 1)
    shutil.copy(work / "dagster_dev.log", log)
    measured.stages = stage_seconds(work / "dagster_home", clicked.run_id)
    measured.stages["click, launch + run worker start"] = round(measured.seconds - sum(measured.stages.values()), 2)
    measured.breakdown, measured.events = run_breakdown(
        work / "dagster_home",
        Path(env["LIFECYCLE_WAREHOUSE"]).parent / "dbt",
        None,
        measured.seconds,
        None,
        clicked.run_id,
    )
    return measured


def _wait_until_idle(server, settle_seconds: float = 120) -> None:
    """Launch as a user would, into an instance that has been up a while: after the first freshness checks
    the daemon runs on start-up have finished (or `settle_seconds` without any run)."""
    deadline = time.monotonic() + settle_seconds
    while time.monotonic() < deadline:
        runs = server.graphql(ALL_RUNS)["runsOrError"]["results"]
        if runs and all(run["status"] in ("SUCCESS", "FAILURE", "CANCELED") for run in runs):
            break
        time.sleep(2)
    time.sleep(5)


def bench_tier(tier: str, data_dir: Path, work_dir: Path, formats: list[str], ui: bool) -> dict:
    print(f"[{tier}] preparing landing data ...", flush=True)
    landings, day, generated = prepare_landing(tier, data_dir)
    work = work_dir / tier
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    # The daily delivery must not be in the landing folder for the full build.
    for folder in day.iterdir():
        (landings["csv"] / folder.name / f"{folder.name}_{LAST_DAY}.csv").unlink(missing_ok=True)

    full, reference, identical, reference_differs = {}, {}, {}, {}
    for file_format in formats:
        landing, runs = landings[file_format], work / file_format
        runs.mkdir()
        prepare_dbt_parse(landing, runs, runs / "dbt_parse.log")
        print(f"[{tier}] full build, {file_format} ...", flush=True)
        full[file_format] = run_pipeline(landing, runs, runs / "full.log")
        print(f"[{tier}] reference, {file_format} ...", flush=True)
        reference[file_format] = run_reference(landing, runs, runs / "reference.log")
        if not (full[file_format].exit_code or reference[file_format].exit_code):
            reference_differs[file_format] = differences(
                runs / "reference_marts.duckdb", runs / "serving" / "lifecycle.duckdb"
            )
    for file_format in formats:
        if file_format != "csv" and "csv" in formats:
            identical[file_format] = fingerprints(work / file_format / "serving" / "lifecycle.duckdb") == fingerprints(
                work / "csv" / "serving" / "lifecycle.duckdb"
            )

    daily = rerun = None
    if "csv" in formats:
        print(f"[{tier}] daily run ...", flush=True)
        for folder in day.iterdir():
            for file in folder.iterdir():
                shutil.copy(file, landings["csv"] / folder.name / file.name)
        daily = run_pipeline(landings["csv"], work / "csv", work / "csv" / "daily.log")
        print(f"[{tier}] run again, nothing new ...", flush=True)
        rerun = run_pipeline(landings["csv"], work / "csv", work / "csv" / "rerun.log")
        for folder in day.iterdir():  # leave the cached landing as it was generated
            (landings["csv"] / folder.name / f"{folder.name}_{LAST_DAY}.csv").unlink(missing_ok=True)

    from_ui = None
    if ui:
        print(f"[{tier}] full build, Materialize all clicked in the UI, csv ...", flush=True)
        from_ui = run_from_ui(landings["csv"], work / "ui", work / "ui.log")

    return {
        "tier": tier,
        "customers": TIERS[tier],
        "rows": generated["rows"],
        "daily_rows": generated["day_rows"],
        "full": {file_format: asdict(measured) for file_format, measured in full.items()},
        "reference": {file_format: asdict(measured) for file_format, measured in reference.items()},
        "full_over_reference": {
            file_format: round(full[file_format].seconds / reference[file_format].seconds, 2) for file_format in formats
        },
        "marts_identical_to_csv": identical,
        # rows of the reference's three marts with no twin in the published ones (0 each: the same marts)
        "reference_rows_differing": reference_differs,
        "daily": asdict(daily) if daily else None,
        "daily_share_of_full": round(daily.seconds / full["csv"].seconds, 3) if daily else None,
        # the same run once more with nothing new to ingest: what every run pays whatever the data
        "rerun": asdict(rerun) if rerun else None,
        "from_ui": asdict(from_ui) if from_ui else None,
        "from_ui_over_cli": round(from_ui.seconds / full["csv"].seconds, 2) if from_ui and "csv" in full else None,
    }


def print_table(results: list[dict]) -> None:
    header = (
        f"{'tier':<4} {'format':<16} {'orders':>10} {'full s':>8} {'peak MB':>8} {'ref s':>7} {'ref MB':>7} "
        f"{'full/ref':>8} {'same marts':>10}"
    )
    print("\n" + header + "\n" + "-" * len(header))
    for r in results:
        for file_format, full in r["full"].items():
            reference = r["reference"][file_format]
            same = r["marts_identical_to_csv"].get(file_format)
            print(
                f"{r['tier']:<4} {file_format:<16} {r['rows']['orders']:>10,} {full['seconds']:>8.1f} "
                f"{full['peak_rss_mb']:>8.0f} {reference['seconds']:>7.1f} {reference['peak_rss_mb']:>7.0f} "
                f"{r['full_over_reference'][file_format]:>8.2f} {'-' if same is None else 'yes' if same else 'NO':>10}"
            )
    small = next((r for r in results if r["tier"] == "S" and r["daily"]), None)
    print("\nDaily run (one day's CSV delivery on top of the CSV build) and a run launched from the UI:")
    for r in results:
        line = f"  {r['tier']}"
        if r["daily"]:
            line += f"  daily {r['daily']['seconds']:.1f} s = {r['daily_share_of_full']:.1%} of the full build"
            if small:
                line += f", {r['daily']['seconds'] / small['daily']['seconds']:.2f}x the daily run at S"
        if r["from_ui"]:
            clicked = r["from_ui"]["seconds"]
            line += f"  Materialize all, click to end {clicked:.1f} s = {r['from_ui_over_cli']:.2f}x make run's"
        print(line)
    print("\nWhere the time goes (seconds; share of the run):")
    for r in results:
        runs = {f"full {f}": m for f, m in r["full"].items()} | {"daily": r["daily"], "from UI": r["from_ui"]}
        for name, measured in runs.items():
            if measured:
                parts = ", ".join(
                    f"{stage} {seconds:.1f} ({seconds / measured['seconds']:.0%})"
                    for stage, seconds in measured["stages"].items()
                )
                print(f"  {r['tier']} {name:<20} {parts}")
    print_breakdown(results)
    failed = _failed(results)
    if failed:
        print(f"\nFAILED: {', '.join(failed)} (see the logs under the work directory)")


def print_breakdown(results: list[dict]) -> None:
    """Each run's stages (benchmarks/breakdown.py) side by side: the CSV build, the daily run, the run with nothing
    new and the click."""
    print("\nStage by stage (seconds): full CSV build, daily run, run again with nothing new, Materialize all clicked")
    for r in results:
        runs = {"full": r["full"].get("csv"), "daily": r["daily"], "again": r.get("rerun"), "click": r["from_ui"]}
        runs = {name: measured for name, measured in runs.items() if measured and measured.get("breakdown")}
        stages = list(dict.fromkeys(stage for measured in runs.values() for stage in measured["breakdown"]))
        print(f"  {r['tier']:<72}" + "".join(f"{name:>8}" for name in runs))
        for stage in stages:
            cells = "".join(
                f"{measured['breakdown'][stage]:>8.2f}" if stage in measured["breakdown"] else f"{'-':>8}"
                for measured in runs.values()
            )
            print(f"    {stage:<70}{cells}")
        print(f"    {'wall time':<70}" + "".join(f"{measured['seconds']:>8.2f}" for measured in runs.values()))


def _failed(results: list[dict]) -> list[str]:
    failed = []
    for r in results:
        runs = {f"full {f}": m for f, m in r["full"].items()} | {f"reference {f}": m for f, m in r["reference"].items()}
        runs |= {"daily": r["daily"], "again": r.get("rerun"), "from UI": r["from_ui"]}
        failed += [f"{r['tier']} {name}" for name, measured in runs.items() if measured and measured["exit_code"]]
        failed += [
            f"{r['tier']} {f} marts differ from csv" for f, same in r["marts_identical_to_csv"].items() if not same
        ]
        failed += [
            f"{r['tier']} {f} reference's {table} differs from the mart ({rows} rows)"
            for f, counted in r.get("reference_rows_differing", {}).items()
            for table, rows in counted.items()
            if rows
        ]
    return failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiers", nargs="+", choices=list(TIERS), default=list(TIERS))
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--no-ui", action="store_true", help="leave out the run launched from the UI")
    parser.add_argument(
        "--data-dir", type=Path, default=PROJECT_ROOT / "bench-data", help="generated landing files, kept"
    )
    parser.add_argument(
        "--work-dir", type=Path, default=PROJECT_ROOT / "bench-data" / "runs", help="warehouses and logs"
    )
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench-results" / "pipeline.json")
    args = parser.parse_args(argv)
    if not args.no_ui and not CHROMIUM.exists():  # found before the tiers' builds, not after them
        parser.error(
            f"no Chromium at {CHROMIUM} for the run launched from the UI: `make bench` installs it, "
            "or leave that run out with --no-ui"
        )

    results = [bench_tier(tier, args.data_dir, args.work_dir, args.formats, ui=not args.no_ui) for tier in args.tiers]
    print_table(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    machine = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "duckdb": duckdb.__version__,
        "memory_limit": duckdb_memory_limit(),
    }
    args.out.write_text(json.dumps({"machine": machine, "tiers": results}, indent=2))
    print(f"\nWrote {args.out}")
    return 1 if _failed(results) else 0


if __name__ == "__main__":
    sys.exit(main())
