"""The same pipeline on DuckDB and on Spark (local mode), at several data sizes, and whether the two
published the same marts.

    python -m benchmarks.engines --customers 5000 50000 --out bench-results/engines.json

For each size: sample landing files from the project's generator (cached under `--data-dir`), then
for each engine a full build through `python -m orchestration.cli run` on fresh folders (wall time,
peak memory of the whole process tree including Spark's JVM, seconds per stage), then the
fingerprints of the two serving files (rows and checksum per mart). Needs the spark extra
(`make test-spark` installs it) and Java 17+.
"""

import argparse
import json
import os
import platform
import shutil
from dataclasses import asdict
from pathlib import Path

from benchmarks.pipeline import PROJECT_ROOT, generated_once, run_pipeline
from orchestration.lib.settings import ENGINES
from tools.fingerprint import fingerprints
from tools.sample_data import generate


def landing_for(customers: int, data_dir: Path) -> tuple[Path, dict[str, int]]:
    landing = data_dir / f"customers-{customers}" / "landing"
    return landing, generated_once(landing.parent, lambda: generate(landing, customers, seed=42))


def bench_size(customers: int, data_dir: Path, work_dir: Path) -> dict:
    landing, rows = landing_for(customers, data_dir)
    result: dict = {"customers": customers, "rows": rows, "engines": {}}
    serving = {}
    for engine in ENGINES:
        work = work_dir / f"customers-{customers}" / engine
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        measured = run_pipeline(landing, work, work / "run.log", engine)
        if measured.exit_code != 0:
            raise SystemExit(f"{engine} at {customers} customers failed; see {work / 'run.log'}")
        result["engines"][engine] = asdict(measured)
        serving[engine] = fingerprints(work / "serving" / "lifecycle.duckdb")
        print(
            f"{customers:>9,} customers  {engine:<7} {measured.seconds:>8.1f} s  {measured.peak_rss_mb:>8.0f} MB  "
            f"{measured.stages}"
        )
    result["identical_marts"] = serving["duckdb"] == serving["spark"]
    result["mart_rows"] = {mart: fingerprint.rows for mart, fingerprint in serving["duckdb"].items()}
    return result


def print_table(results: list[dict]) -> None:
    print(
        f"\n{'customers':>10} {'orders':>10} {'engine':<7} {'total s':>8} {'ingest':>7} {'dbt':>7} {'CLV':>6} "
        f"{'publish':>8} {'peak MB':>8}  identical"
    )
    for result in results:
        for engine, measured in result["engines"].items():
            stages = measured["stages"]
            print(
                f"{result['customers']:>10,} {result['rows']['orders']:>10,} {engine:<7} {measured['seconds']:>8.1f} "
                f"{stages.get('ingest + gates', 0):>7.1f} {stages.get('dbt build + tests', 0):>7.1f} "
                f"{stages.get('CLV fit', 0):>6.1f} {stages.get('publish', 0):>8.1f} {measured['peak_rss_mb']:>8.0f}  "
                f"{'yes' if result['identical_marts'] else 'NO'}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[5_000, 50_000])
    parser.add_argument("--data-dir", type=Path, default=PROJECT_ROOT / "bench-data" / "engines")
    parser.add_argument("--work-dir", type=Path, default=PROJECT_ROOT / "bench-data" / "engines-work")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench-results" / "engines.json")
    args = parser.parse_args(argv)
    results = [bench_size(customers, args.data_dir, args.work_dir) for customers in args.customers]
    print_table(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"machine": {"cpus": os.cpu_count(), "platform": platform.platform()}, "results": results}, indent=2)
    )
    print(f"\nJSON: {args.out}")
    return 0 if all(result["identical_marts"] for result in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
