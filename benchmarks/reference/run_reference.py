"""Run the benchmark reference, `marts.sql`: three marts from the landing files (CSV or Parquet) by DuckDB alone.

    python -m benchmarks.reference.run_reference LANDING_DIR DATABASE [--threads N] [--memory-limit 2GB]

The as-of date is the latest event date in the data, as in the pipeline's usual build (a build as of a
past date, `LIFECYCLE_AS_OF`, also leaves out the later events, which this script does not: it refuses
to run with it set). Prints the row count of each table and the elapsed seconds as JSON.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import duckdb

from orchestration.lib import settings
from tools.fingerprint import rows_in_one_only

SCRIPT = Path(__file__).with_name("marts.sql")
READERS = {"csv": Path(__file__).with_name("read_csv.sql"), "parquet": Path(__file__).with_name("read_parquet.sql")}
TABLES = ("customers", "cohort_retention", "nps_monthly")


def file_format(landing: Path) -> str:
    """The format of the landing files, one for all of them (the reference reads one format at a time)."""
    found = {path.suffix.lstrip(".") for path in landing.rglob("*.*") if path.suffix.lstrip(".") in READERS}
    if len(found) != 1:
        raise ValueError(f"{landing} must hold CSV or Parquet files, not {sorted(found) or 'neither'}")
    return found.pop()


def render(landing: Path) -> str:
    """The reader for the landing's format, then marts.sql, with their placeholders filled in.

    Plain replace, not str.format: the SQL has braces of its own (the read_csv type maps).
    """
    if settings.as_of_date():
        raise SystemExit("The reference builds the usual marts only: unset LIFECYCLE_AS_OF")
    return (
        (READERS[file_format(landing)].read_text() + "\n" + SCRIPT.read_text())
        .replace("{landing}", str(landing.resolve()).replace("'", "''"))
        .replace("{as_of}", "NULL")
    )


def run_reference(landing: Path, database: Path, threads: int | None = None, memory_limit: str | None = None) -> dict:
    """Build `reference.customers`, `reference.cohort_retention` and `reference.nps_monthly` in
    `database` from the CSV files under `landing`; returns their row counts and the seconds taken.

    `threads` and `memory_limit` are DuckDB's settings (None: DuckDB's defaults, all cores and
    80% of RAM); pass the pipeline's bound to compare like with like.
    """
    sql = render(Path(landing))
    began = time.perf_counter()
    # A fresh connection per run, so nothing cached from an earlier run helps this one.
    with duckdb.connect(str(database)) as connection:
        connection.execute("SET TimeZone = 'UTC'")  # naive timestamps are UTC, as at ingestion
        if threads is not None:
            connection.execute(f"SET threads = {int(threads)}")
        if memory_limit is not None:
            connection.execute("SET memory_limit = ?", [memory_limit])
        connection.execute(sql)
        rows = {table: connection.execute(f"SELECT count(*) FROM reference.{table}").fetchone()[0] for table in TABLES}
    return {"rows": rows, "seconds": round(time.perf_counter() - began, 3)}


def differences(database: Path, marts: Path) -> dict[str, int]:
    """Rows of each reference table with no equal row in the pipeline's mart of the same name in `marts`
    (a warehouse or serving file), and the other way round, on the reference's columns (doubles to
    1e-9): 0 for each table when the reference computes what the pipeline publishes."""
    with duckdb.connect() as connection:
        connection.execute(f"ATTACH '{database}' AS reference_file (READ_ONLY)")
        connection.execute(f"ATTACH '{marts}' AS marts_file (READ_ONLY)")
        counted = {}
        for table in TABLES:
            described = connection.execute(f"DESCRIBE reference_file.reference.{table}").fetchall()
            counted[table] = rows_in_one_only(
                connection,
                f"reference_file.reference.{table}",
                f"marts_file.marts.{table}",
                [(name, kind) for name, kind, *_ in described],
            )
        return counted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("landing", type=Path, help="the landing root (one folder per source)")
    parser.add_argument("database", type=Path, help="DuckDB file to write the reference tables to")
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all cores)")
    # The pipeline bounds each DuckDB connection (LIFECYCLE_DUCKDB_MEMORY_LIMIT, default 2GB);
    # the reference gets the same bound by default, so that the comparison is fair.
    parser.add_argument("--memory-limit", default=settings.duckdb_memory_limit(), help="DuckDB memory_limit")
    args = parser.parse_args(argv)
    print(json.dumps(run_reference(args.landing, args.database, args.threads, args.memory_limit)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
