"""The raw lake: every validated delivery of every source as one Parquet file, for engines that read
files rather than the DuckDB warehouse (Spark's external tables, see dbt macro `create_lake_tables`).

Layout: `<lake>/raw/<system>/<table>/load_date=<YYYY-MM-DD>/<load_id>.parquet` (partitioned by source
and load date). The lake mirrors the raw tables, which the quality gates fill: a file exists for
each `_load_id` the raw table holds, and for no other. `sync_source` restores that after every
ingest, so a replaced delivery's old file goes, and an interrupted run is repaired by the next.
Timestamps are written as UTC instants, so every engine reads the same moment.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.lib.contract import LOAD_METADATA_COLUMNS, TIMESTAMP, Source
from orchestration.lib.row_rules import quote

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
    present = {int(path.stem): path for path in folder.glob(f"{PARTITION}=*/*.parquet") if path.stem.isdigit()}
    wanted = dict(connection.execute(
        f"SELECT _load_id, CAST(min(_loaded_at) AS DATE) FROM {source.relation} GROUP BY _load_id"
    ).fetchall())
    written = 0
    for load_id, load_date in sorted(wanted.items()):
        if load_id in present:
            continue
        target = folder / f"{PARTITION}={load_date.isoformat()}" / f"{load_id}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(f".{target.name}.tmp")  # hidden: readers skip it until the rename
        connection.execute(
            f"COPY (SELECT {_select_list(source)} FROM {source.relation} WHERE _load_id = {int(load_id)} ORDER BY _source_row) "
            f"TO '{staged}' (FORMAT parquet, COMPRESSION zstd)"
        )
        os.replace(staged, target)
        written += 1
    removed = 0
    for load_id, path in present.items():
        if load_id not in wanted:
            path.unlink()
            removed += 1
            if not any(path.parent.iterdir()):
                path.parent.rmdir()
    return LakeSync(written, removed)
