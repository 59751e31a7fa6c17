"""One machine's ceiling: tier XL (10M customers, ~45M orders, five Parquet files per source) built with the
default memory settings and under a deliberately small limit, beside tier L's Parquet build on the same
settings.

    python -m benchmarks.ceiling [--small-limit 4GB] [--no-l]

XL is generated in five parts of 2M customers, one after the other, so the generator holds one part at a
time: part 0 is tier L's own data (the same seed), parts 1-4 other seeds with their keys prefixed `P<n>-`
(customers, orders, tickets and answers of different parts never share a key). Marketing spend and exchange
rates come from part 0 only: they describe channels and currencies, not customers. Each run records its
wall time, each stage's seconds, the peak memory of the whole process tree and the most DuckDB held in its
temp directory at once (what it spilled). Prints a table and writes JSON.
"""

import argparse
import json
import shutil
import sys
from dataclasses import asdict
from pathlib import Path

import duckdb

from benchmarks.pipeline import (
    BEHAVIOUR,
    PROJECT_ROOT,
    _typed_parquet,
    generated_once,
    prepare_dbt_parse,
    prepare_landing,
    run_pipeline,
)
from orchestration.lib.ingest.contract import ORDERS, SOURCES, SUPPORT_TICKETS, SURVEY_RESPONSES
from orchestration.lib.settings import duckdb_memory_limit
from tools.sample_data import generate

PARTS = 5
CUSTOMERS_PER_PART = 2_000_000
PER_CUSTOMER_SOURCES = (ORDERS, SUPPORT_TICKETS, SURVEY_RESPONSES)
NO_DAY = "1900-01-01"  # _typed_parquet leaves out one day's rows: none here


def _append_part(scratch: Path, landing: Path, part: int) -> None:
    """One part's monthly files as one file per source, its keys prefixed so that parts never collide."""
    with duckdb.connect() as connection:
        for source in SOURCES:
            if part and source not in PER_CUSTOMER_SOURCES:
                continue
            keys = [*source.key, "customer_id"] if source in PER_CUSTOMER_SOURCES else []
            renamed = ", ".join(f"'P{part}-' || {column} AS {column}" for column in keys)
            select = f"* REPLACE ({renamed})" if part and keys else "*"
            files = sorted(str(path) for path in (scratch / source.folder).glob("*.parquet"))
            target = landing / source.folder / f"{source.folder}_part{part}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            connection.execute(f"COPY (SELECT {select} FROM read_parquet({files})) TO '{target}' (FORMAT parquet)")


def prepare_xl(data_dir: Path) -> tuple[Path, dict]:
    root = data_dir / "XL"
    landing = root / "parquet"

    def generate_files() -> dict:
        rows: dict[str, int] = {}
        for part in range(PARTS):
            print(f"[XL] generating part {part + 1} of {PARTS} ...", flush=True)
            scratch = root / f"part{part}"
            written = generate(scratch, CUSTOMERS_PER_PART, seed=42 + part, params=BEHAVIOUR, file_format="parquet")
            _typed_parquet(scratch, NO_DAY)
            _append_part(scratch, landing, part)
            shutil.rmtree(scratch)
            for folder, count in written.items():
                if part == 0 or folder in {source.folder for source in PER_CUSTOMER_SOURCES}:
                    rows[folder] = rows.get(folder, 0) + count
        return {"rows": rows}

    return landing, generated_once(root, generate_files)


def build(name: str, landing: Path, work: Path, **settings: str) -> dict:
    runs = work / name
    shutil.rmtree(runs, ignore_errors=True)
    runs.mkdir(parents=True)
    prepare_dbt_parse(landing, runs, runs / "dbt_parse.log")
    limit = settings.get("LIFECYCLE_DUCKDB_MEMORY_LIMIT", duckdb_memory_limit())
    print(f"[{name}] full build, memory limit {limit} ...", flush=True)
    measured = run_pipeline(landing, runs, runs / "full.log", **settings)
    # The warehouse and the lake are gigabytes at XL: keep the log and the Dagster history only.
    (runs / "warehouse.duckdb").unlink(missing_ok=True)
    for folder in (runs / "lake", runs / "serving"):
        shutil.rmtree(folder, ignore_errors=True)
    return {"name": name, "memory_limit": limit, **asdict(measured)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small-limit", default="4GB", help="the deliberately small memory limit XL must also pass")
    parser.add_argument("--no-l", action="store_true", help="leave out tier L's Parquet build")
    parser.add_argument("--data-dir", type=Path, default=PROJECT_ROOT / "bench-data")
    parser.add_argument("--work-dir", type=Path, default=PROJECT_ROOT / "bench-data" / "runs" / "ceiling")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench-results" / "ceiling.json")
    args = parser.parse_args(argv)

    results: list[dict] = []
    generated: dict = {"rows": {}}

    def record(result: dict) -> None:
        """Each build's figures as soon as it ends: an XL build takes minutes, and a stopped bench keeps them."""
        results.append(result)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"rows": generated["rows"], "builds": results}, indent=2))
        print(f"[{result['name']}] {result['seconds']:.1f} s, peak {result['peak_rss_mb']:.0f} MB", flush=True)

    if not args.no_l:
        landings, _, _ = prepare_landing("L", args.data_dir)
        record(build("L", landings["parquet"], args.work_dir))
    landing, generated = prepare_xl(args.data_dir)
    print(f"[XL] {', '.join(f'{rows:,} {folder}' for folder, rows in generated['rows'].items())}", flush=True)
    record(build("XL", landing, args.work_dir))
    record(build("XL, small limit", landing, args.work_dir, LIFECYCLE_DUCKDB_MEMORY_LIMIT=args.small_limit))

    baseline = next((r for r in results if r["name"] == "L" and not r["exit_code"]), None)
    print(f"\n{'build':<18} {'limit':>10} {'seconds':>8} {'x L':>6} {'peak MB':>8} {'spilled MB':>10}  result")
    for r in results:
        ratio = f"{r['seconds'] / baseline['seconds']:.2f}" if baseline else "-"
        outcome = "ok" if not r["exit_code"] else "FAILED"
        print(
            f"{r['name']:<18} {r['memory_limit']:>10} {r['seconds']:>8.1f} {ratio:>6} {r['peak_rss_mb']:>8.0f} "
            f"{r['spilled_mb']:>10.0f}  {outcome}"
        )
        print(f"{'':<18} {', '.join(f'{stage} {seconds:.1f}' for stage, seconds in r['stages'].items())}")
    print(f"\nWrote {args.out}")
    return 1 if any(r["exit_code"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
