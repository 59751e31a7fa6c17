"""The raw lake: every validated delivery of every source as one Parquet file, for engines that read
files rather than the DuckDB warehouse (Spark's external tables, see dbt macro `create_lake_tables`).

Layout: `<lake>/raw/<system>/<table>/load_date=<YYYY-MM-DD>/<load_id>-<sha256 prefix>.parquet`
(partitioned by source and load date; the delivered file's hash in the name, so a lake kept beside a
new warehouse, whose load ids start again, is not mistaken for current). The lake mirrors the raw
tables, which the quality gates fill: a file exists for each delivery the raw table holds, and for no
other. `sync_source` restores that after every ingest, so a replaced delivery's old file goes, and an
interrupted run (a file half-written under its hidden temporary name) is repaired by the next.
Timestamps are written as UTC instants, so every engine reads the same moment.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.lib.ingest.contract import LOAD_METADATA_COLUMNS, TIMESTAMP, Source
from orchestration.lib.ingest.ledger import LEDGER
from orchestration.lib.ingest.row_rules import quote

PARTITION = "load_date"


@dataclass(frozen=True)
class LakeSync:
    written: int
    removed: int


def table_dir(lake_root: Path, source: Source) -> Path:
    return lake_root / "raw" / source.system / source.table


def _select_list(source: Source) -> str:
    types = {column.name: column.type for column in source.columns} | LOAD_METADATA_COLUMNS
    return ", ".join(
        f"CAST({quote(name)} AS TIMESTAMPTZ) AS {quote(name)}" if type_ == TIMESTAMP else quote(name)
        for name, type_ in types.items()
    )


def sync_source(connection: duckdb.DuckDBPyConnection, source: Source, lake_root: Path) -> LakeSync:
    """Write the deliveries the lake lacks, remove the ones the raw table no longer holds."""
    folder = table_dir(lake_root, source)
    for leftover in folder.glob(f"{PARTITION}=*/.*.tmp"):
        leftover.unlink()
    present = {path.stem: path for path in folder.glob(f"{PARTITION}=*/*.parquet")}
    deliveries = connection.execute(
        f"""
        SELECT raw._load_id, CAST(min(raw._loaded_at) AS DATE), coalesce(any_value(ledger.sha256), 'unrecorded')
        FROM {source.relation} AS raw LEFT JOIN {LEDGER} AS ledger ON ledger.load_id = raw._load_id
        GROUP BY raw._load_id ORDER BY raw._load_id
        """
    ).fetchall()
    wanted = {f"{load_id}-{sha256[:12]}": (load_id, load_date) for load_id, load_date, sha256 in deliveries}
    written = 0
    for name, (load_id, load_date) in wanted.items():
        if name in present:
            continue
        target = folder / f"{PARTITION}={load_date.isoformat()}" / f"{name}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(f".{target.name}.tmp")  # hidden: readers skip it until the rename
        connection.execute(
            f"COPY (SELECT {_select_list(source)} FROM {source.relation} "
            f"WHERE _load_id = {int(load_id)} ORDER BY _source_row) "
            f"TO '{staged}' (FORMAT parquet, COMPRESSION zstd)"
        )
        os.replace(staged, target)
        written += 1
    removed = 0
    for name, path in present.items():
        if name not in wanted:
            path.unlink()
            removed += 1
            if not any(path.parent.iterdir()):
                path.parent.rmdir()
    return LakeSync(written, removed)
