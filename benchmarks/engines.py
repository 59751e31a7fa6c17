"""The same pipeline on DuckDB, on Spark in local mode and on a Spark cluster, at several data sizes, and whether
they published the same marts.

    python -m benchmarks.engines --customers 5000 50000 [--engines duckdb spark cluster] \\
        --out bench-results/engines.json

For each size: sample landing files from the project's generator (cached under `--data-dir`), then for each
engine a full build through `python -m orchestration.cli run` on fresh folders: wall time, seconds per stage,
peak memory of the run's process tree (with local Spark, its JVM is in it), the bytes its folder holds on disk
at most and after the build; then the fingerprints of each serving file (rows and checksum per mart) against
DuckDB's. `cluster` starts the stack of tools/cluster afresh for each size (benchmarks/cluster.py), puts the
landing files in its bucket and runs with its settings; it also records the peak memory of the Spark processes
and of the storage pieces, and the bytes in the buckets. Needs the spark extra (`make test-spark` installs it)
and Java 17+; `cluster` also what `make test-cluster` needs.
"""

import argparse
import json
import os
import platform
import shutil
from dataclasses import asdict
from pathlib import Path

from benchmarks.cluster import run_on_cluster
from benchmarks.pipeline import PROJECT_ROOT, disk_bytes, generated_once, run_pipeline
from orchestration.lib.settings import ENGINES
from tools.fingerprint import fingerprints
from tools.sample_data import generate

CLUSTER = "cluster"


def landing_for(customers: int, data_dir: Path) -> tuple[Path, dict[str, int]]:
    landing = data_dir / f"customers-{customers}" / "landing"
    return landing, generated_once(landing.parent, lambda: generate(landing, customers, seed=42))


def bench_size(customers: int, data_dir: Path, work_dir: Path, engines: list[str]) -> dict:
    landing, rows = landing_for(customers, data_dir)
    result: dict = {"customers": customers, "rows": rows, "engines": {}}
    serving = {}
    for engine in engines:
        work = work_dir / f"customers-{customers}" / engine
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        load_before = os.getloadavg()
        if engine == CLUSTER:
            measured, on_cluster = run_on_cluster(landing, work, work.with_name(f"{CLUSTER}-stack"))
        else:
            measured, on_cluster = run_pipeline(landing, work, work / "run.log", engine), {}
        if measured.exit_code != 0:
            raise SystemExit(f"{engine} at {customers} customers failed; see {work / 'run.log'}")
        on_disk = disk_bytes(work)
        result["engines"][engine] = asdict(measured) | {
            "disk_mb": round(sum(on_disk.values()) / 2**20, 1),
            "disk_mb_by_folder": {name: round(size / 2**20, 1) for name, size in sorted(on_disk.items())},
            **on_cluster,
            # the machine's load averages (1, 5, 15 minutes) as the run began and ended
            "load_average": {"before": load_before, "after": os.getloadavg()},
        }
        serving[engine] = fingerprints(work / "serving" / "lifecycle.duckdb")
        print(
            f"{customers:>9,} customers  {engine:<7} {measured.seconds:>8.1f} s  {measured.peak_rss_mb:>8.0f} MB  "
            f"{measured.stages}",
            flush=True,
        )
    reference = serving.get("duckdb")
    result["identical_to_duckdb"] = {
        engine: fingerprint == reference for engine, fingerprint in serving.items() if engine != "duckdb" and reference
    }
    result["marts_differing_from_duckdb"] = {
        engine: sorted(mart for mart in reference if fingerprint.get(mart) != reference[mart])
        for engine, fingerprint in serving.items()
        if engine != "duckdb" and reference
    }
    result["identical_marts"] = all(result["identical_to_duckdb"].values())
    result["mart_rows"] = {mart: fingerprint.rows for mart, fingerprint in next(iter(serving.values())).items()}
    return result


def growth(results: list[dict]) -> dict[str, dict[str, float]]:
    """Per engine, the largest size's figures over the smallest's: the history (orders), the run's peak memory
    and the bytes on its host's disk (and the Spark processes' peak memory, on the cluster)."""
    small, large = min(results, key=lambda r: r["customers"]), max(results, key=lambda r: r["customers"])
    if small is large:
        return {}
    grown = {}
    for engine in large["engines"].keys() & small["engines"].keys():
        before, after = small["engines"][engine], large["engines"][engine]
        figures = {
            "orders": (small["rows"]["orders"], large["rows"]["orders"]),
            "peak_rss": (before["peak_rss_mb"], after["peak_rss_mb"]),
            "disk_after_build": (before["disk_mb"], after["disk_mb"]),
            "disk_peak": (before["folder_peak_mb"], after["folder_peak_mb"]),
        }
        if "spark" in after["watched_peak_rss_mb"]:
            figures["spark_peak_rss"] = (before["watched_peak_rss_mb"]["spark"], after["watched_peak_rss_mb"]["spark"])
        grown[engine] = {name: round(b / a, 2) if a else None for name, (a, b) in figures.items()}
    return grown


def print_table(results: list[dict], grown: dict[str, dict[str, float]]) -> None:
    print(
        f"\n{'customers':>10} {'orders':>10} {'engine':<7} {'total s':>8} {'ingest':>7} {'dbt':>7} {'CLV':>6} "
        f"{'publish':>8} {'peak MB':>8} {'Spark MB':>8} {'disk MB':>8}  identical"
    )
    for result in results:
        for engine, measured in result["engines"].items():
            stages = measured["stages"]
            spark = measured["watched_peak_rss_mb"].get("spark")
            identical = result["identical_to_duckdb"].get(engine)
            print(
                f"{result['customers']:>10,} {result['rows']['orders']:>10,} {engine:<7} {measured['seconds']:>8.1f} "
                f"{stages.get('ingest + gates', 0):>7.1f} {stages.get('dbt build + tests', 0):>7.1f} "
                f"{stages.get('CLV fit', 0):>6.1f} {stages.get('publish', 0):>8.1f} {measured['peak_rss_mb']:>8.0f} "
                f"{'-' if spark is None else f'{spark:.0f}':>8} {measured['disk_mb']:>8.1f}  "
                f"{'-' if identical is None else 'yes' if identical else 'NO'}"
            )
    print("\npeak MB: the run's process tree; Spark MB: the cluster's Spark processes; disk MB: the run's folder")
    for result in results:
        on_cluster = result["engines"].get(CLUSTER)
        if on_cluster:
            idle = on_cluster["idle_rss_mb"]
            print(
                f"{result['customers']:>10,} customers on the cluster: Spark {idle['spark']:.0f} MB idle, "
                f"{on_cluster['watched_peak_rss_mb']['spark']:.0f} MB at most; storage (S3, mount, PostgreSQL) "
                f"{idle['storage']:.0f} MB idle, {on_cluster['watched_peak_rss_mb']['storage']:.0f} MB at most; "
                f"in the buckets {on_cluster['bucket_mb']}; the folder at most {on_cluster['folder_peak_mb']:.1f} MB"
            )
    for result in results:
        for engine, marts in result["marts_differing_from_duckdb"].items():
            if marts:
                print(f"{result['customers']:>10,} customers, {engine}: marts unlike DuckDB's: {', '.join(marts)}")
    for engine, figures in grown.items():
        print(f"largest size over smallest, {engine}: " + ", ".join(f"{k} {v}x" for k, v in figures.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[5_000, 50_000])
    parser.add_argument("--data-dir", type=Path, default=PROJECT_ROOT / "bench-data" / "engines")
    parser.add_argument("--work-dir", type=Path, default=PROJECT_ROOT / "bench-data" / "engines-work")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench-results" / "engines.json")
    parser.add_argument("--engines", nargs="+", choices=[*ENGINES, CLUSTER], default=[*ENGINES, CLUSTER])
    args = parser.parse_args(argv)
    results = [bench_size(customers, args.data_dir, args.work_dir, args.engines) for customers in args.customers]
    grown = growth(results)
    print_table(results, grown)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    machine = {"cpus": os.cpu_count(), "platform": platform.platform(), "load_average": os.getloadavg()}
    args.out.write_text(json.dumps({"machine": machine, "results": results, "growth": grown}, indent=2))
    print(f"\nJSON: {args.out}")
    return 0 if all(result["identical_marts"] for result in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
