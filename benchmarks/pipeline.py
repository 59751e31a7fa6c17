"""The whole pipeline at three data sizes, against one plain DuckDB SQL script over the same files.

    python -m benchmarks.pipeline --tiers S M L --out bench-results/pipeline.json

For each tier, in one run:
1. the landing files come from the project's generator (cached under `--data-dir`); the last
   day of every source is cut out into files of its own, to be delivered later;
2. **full build**: `python -m orchestration.cli run` (the `make run` path: ingest and gates, dbt
   build with its tests, CLV fit, publish) on a fresh warehouse, after `dbt parse` with the same
   settings as `make run` does (`make manifest`); wall time, peak memory of the
   whole process tree (RSS summed over the process and its children, sampled every 50 ms) and
   each stage's share, read from the run's Dagster event log;
3. **reference**: `benchmarks/reference/marts.sql`, the customer, cohort and NPS marts computed
   by one plain DuckDB script over the same landing files, measured the same way;
4. **daily run**: the last day's files are delivered and the pipeline runs again on the same
   warehouse; its time as a share of the full build.

Each run also records every dbt node's own time and its file's checksum (from each dbt step's
`run_results.json` and manifest), which `benchmarks.compare` uses to set two runs side by side.

Prints a table and writes JSON. Linux only (memory is read from /proc).
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from tools.sample_data import BehaviourParams, generate, hold_back_day

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Customers per tier. The behaviour below gives ~4.5 orders, ~1 ticket and ~0.9 survey answers per
# customer: M ~0.9M orders, L ~9M orders, ~2M tickets, ~1.9M answers.
TIERS = {"S": 5_000, "M": 200_000, "L": 2_000_000}
BEHAVIOUR = BehaviourParams(r=0.5, alpha=3.5, a=0.8, b=2.7)
LAST_DAY = "2025-12-31"
STAGES = {
    "ingest_landing_files": "ingest + gates",
    "dbt_": "dbt build + tests",
    "fit_clv_models": "CLV fit",
    "published_marts": "publish",
}


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float
    exit_code: int
    stages: dict[str, float] = field(default_factory=dict)
    dbt_nodes: dict[str, dict] = field(default_factory=dict)


def generated_once(root: Path, generate_files: Callable[[], dict]) -> dict:
    """Fill `root` with `generate_files` the first time only; return what it returned then (kept in
    `generated.json`, written last, so an interrupted generation starts again)."""
    marker = root / "generated.json"
    if not marker.exists():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        marker.write_text(json.dumps(generate_files()))
    return json.loads(marker.read_text())


def prepare_landing(tier: str, data_dir: Path) -> tuple[Path, Path, dict[str, int]]:
    """Generate the tier once; return (landing without the last day, the last day's files, rows)."""
    root = data_dir / tier
    landing, day = root / "landing", root / "day"
    generated = generated_once(
        root,
        lambda: {
            "rows": generate(landing, TIERS[tier], seed=42, params=BEHAVIOUR),
            "day_rows": hold_back_day(landing, LAST_DAY, day),
        },
    )
    return landing, day, generated


def _tree_rss_bytes(root_pid: int) -> int:
    """Resident memory of `root_pid` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    total, stack = 0, [root_pid]
    page = os.sysconf("SC_PAGE_SIZE")
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            pass
        stack.extend(children.get(pid, []))
    return total


def measure(command: list[str], env: dict[str, str], log: Path) -> Measured:
    """Run `command`, sampling the memory of its process tree; output goes to `log`."""
    peak = 0
    with log.open("w") as output:
        began = time.perf_counter()
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss_bytes(process.pid))
                done.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        exit_code = process.wait()
        seconds = time.perf_counter() - began
        done.set()
        sampler.join()
    return Measured(round(seconds, 2), round(peak / 2**20, 1), exit_code)


def stage_seconds(dagster_home: Path) -> dict[str, float]:
    """Seconds per stage of the latest run, from STEP_START to STEP_SUCCESS/FAILURE in its event log."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(dagster_home)
    with dg.DagsterInstance.get() as instance:
        [run] = instance.get_runs(limit=1)
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


def dbt_node_seconds(steps_dir: Path, since: float) -> dict[str, dict]:
    """Every dbt node the run's dbt steps ran: its own seconds (dbt's `execution_time`) and the
    checksum of its file (the manifest's), by unique id; from each step's artifacts folder, where
    written since `since` (a step that did not run keeps an earlier run's)."""
    nodes: dict[str, dict] = {}
    for step in sorted(steps_dir.glob("*")):
        results = step / "run_results.json"
        if not results.exists() or results.stat().st_mtime < since:
            continue
        manifest = json.loads((step / "manifest.json").read_text())
        checksums = {unique_id: node["checksum"]["checksum"] for unique_id, node in manifest["nodes"].items()}
        for result in json.loads(results.read_text())["results"]:
            unique_id = result["unique_id"]
            nodes[unique_id] = {
                "seconds": round(result["execution_time"], 3),
                "checksum": checksums.get(unique_id),
                "step": step.name,
            }
    return nodes


def pipeline_env(landing: Path, work: Path, engine: str = "duckdb") -> dict[str, str]:
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
    dbt keeps its parse cache only for the profile it was written with, and the profile holds the
    warehouse path: without this, the tier's first dbt call would parse the whole project again (~6 s),
    which a `make run` user, whose manifest was parsed with the same settings, does not pay."""
    with log.open("w") as output:
        subprocess.run(
            [sys.executable, "-m", "orchestration.cli", "dbt", "parse", "--quiet"],
            cwd=PROJECT_ROOT,
            env=pipeline_env(landing, work),
            stdout=output,
            stderr=subprocess.STDOUT,
            check=True,
        )


def run_pipeline(landing: Path, work: Path, log: Path, engine: str = "duckdb") -> Measured:
    env = pipeline_env(landing, work, engine)
    home = Path(env["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    started = time.time()
    measured = measure([sys.executable, "-m", "orchestration.cli", "run"], env, log)
    measured.stages = stage_seconds(home)
    measured.dbt_nodes = dbt_node_seconds(PROJECT_ROOT / "dbt_project" / "target" / "steps", since=started)
    measured.stages["process start + orchestration"] = round(measured.seconds - sum(measured.stages.values()), 2)
    return measured


def run_reference(landing: Path, work: Path, log: Path) -> Measured:
    database = work / "reference_marts.duckdb"  # not "reference": the file name is the catalog name
    database.unlink(missing_ok=True)
    command = [sys.executable, "-m", "benchmarks.reference.run_reference", str(landing), str(database)]
    return measure(command, dict(os.environ), log)


def bench_tier(tier: str, data_dir: Path, work_dir: Path) -> dict:
    print(f"[{tier}] preparing landing data ...", flush=True)
    landing, day, generated = prepare_landing(tier, data_dir)
    work = work_dir / tier
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    # The daily delivery must not be in the landing folder for the full build.
    for folder in day.iterdir():
        (landing / folder.name / f"{folder.name}_{LAST_DAY}.csv").unlink(missing_ok=True)

    prepare_dbt_parse(landing, work, work / "dbt_parse.log")
    print(f"[{tier}] full build ...", flush=True)
    full = run_pipeline(landing, work, work / "full.log")
    print(f"[{tier}] reference ...", flush=True)
    reference = run_reference(landing, work, work / "reference.log")
    print(f"[{tier}] daily run ...", flush=True)
    for folder in day.iterdir():
        for file in folder.iterdir():
            shutil.copy(file, landing / folder.name / file.name)
    daily = run_pipeline(landing, work, work / "daily.log")
    for folder in day.iterdir():  # leave the cached landing as it was generated
        (landing / folder.name / f"{folder.name}_{LAST_DAY}.csv").unlink(missing_ok=True)

    return {
        "tier": tier,
        "customers": TIERS[tier],
        "rows": generated["rows"],
        "daily_rows": generated["day_rows"],
        "full": asdict(full),
        "reference": asdict(reference),
        "daily": asdict(daily),
        "full_over_reference": round(full.seconds / reference.seconds, 2),
        "daily_share_of_full": round(daily.seconds / full.seconds, 3),
    }


def print_table(results: list[dict]) -> None:
    header = f"{'tier':<4} {'orders':>10} {'full s':>8} {'peak MB':>8} {'ref s':>7} {'ref MB':>7} {'full/ref':>8} {'daily s':>8} {'daily/full':>10}"
    print("\n" + header + "\n" + "-" * len(header))
    for r in results:
        print(
            f"{r['tier']:<4} {r['rows']['orders']:>10,} {r['full']['seconds']:>8.1f} {r['full']['peak_rss_mb']:>8.0f} "
            f"{r['reference']['seconds']:>7.1f} {r['reference']['peak_rss_mb']:>7.0f} {r['full_over_reference']:>8.2f} "
            f"{r['daily']['seconds']:>8.1f} {r['daily_share_of_full']:>10.1%}"
        )
    print("\nWhere the time goes (seconds; share of the run):")
    for r in results:
        for run in ("full", "daily"):
            parts = ", ".join(
                f"{stage} {seconds:.1f} ({seconds / r[run]['seconds']:.0%})"
                for stage, seconds in r[run]["stages"].items()
            )
            print(f"  {r['tier']} {run:<5} {parts}")
    failed = [f"{r['tier']} {run}" for r in results for run in ("full", "reference", "daily") if r[run]["exit_code"]]
    if failed:
        print(f"\nFAILED: {', '.join(failed)} (see the logs under the work directory)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiers", nargs="+", choices=list(TIERS), default=list(TIERS))
    parser.add_argument(
        "--data-dir", type=Path, default=PROJECT_ROOT / "bench-data", help="generated landing files, kept"
    )
    parser.add_argument(
        "--work-dir", type=Path, default=PROJECT_ROOT / "bench-data" / "runs", help="warehouses and logs"
    )
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench-results" / "pipeline.json")
    args = parser.parse_args(argv)

    results = [bench_tier(tier, args.data_dir, args.work_dir) for tier in args.tiers]
    print_table(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    machine = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "duckdb": duckdb.__version__,
        "memory_limit": os.environ.get("LIFECYCLE_DUCKDB_MEMORY_LIMIT", "2GB"),
    }
    args.out.write_text(json.dumps({"machine": machine, "tiers": results}, indent=2))
    print(f"\nWrote {args.out}")
    return 1 if any(r[run]["exit_code"] for r in results for run in ("full", "reference", "daily")) else 0


if __name__ == "__main__":
    sys.exit(main())
