"""The raw lake: every validated delivery of every source as one Parquet file, for engines that read
files rather than the DuckDB warehouse (Spark's external tables, see dbt macro `create_lake_tables`).

Layout: `<lake>/raw/<system>/<table>/load_date=<YYYY-MM-DD>/<load_id>-<sha256 prefix>.parquet`
(partitioned by source and load date; the delivered file's hash in the name, so a lake kept beside a
new warehouse, whose load ids start again, is not mistaken for current). The lake mirrors the raw
tables, which the quality gates fill: a file exists for each delivery the raw table holds, and for no
other. `sync_source` restores that after every ingest, so a replaced delivery's old file goes, and an
interrupted run (a file half-written under its hidden temporary name) is repaired by the next. The lake
may be a prefix in object storage, where each file is one put: it exists whole or not at all.
Timestamps are written as UTC instants, so every engine reads the same moment.
"""

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import duckdb

from orchestration.lib.ingest import ledger
from orchestration.lib.ingest.contract import LOAD_METADATA_COLUMNS, ORDERS, TIMESTAMP, Source
from orchestration.lib.ingest.ledger import LEDGER
from orchestration.lib.ingest.row_rules import quote
from orchestration.lib.storage import Root
from orchestration.lib.warehouse.connection import transaction

PARTITION = "load_date"


@dataclass(frozen=True)
class LakeSync:
    written: int
    removed: int


def table_folder(source: Source) -> str:
    """A source's folder below the lake root."""
    return f"raw/{source.system}/{source.table}"


def table_dir(lake_root: Path, source: Source) -> Path:
    return lake_root / table_folder(source)


def _select_list(source: Source) -> str:
    types = {column.name: column.type for column in source.columns} | LOAD_METADATA_COLUMNS
    return ", ".join(
        f"CAST({quote(name)} AS TIMESTAMPTZ) AS {quote(name)}" if type_ == TIMESTAMP else quote(name)
        for name, type_ in types.items()
    )


def sync_source(
    connection: duckdb.DuckDBPyConnection, source: Source, lake: Root | Path, *, lake_is_history: bool = False
) -> LakeSync:
    """Write the deliveries the lake lacks, remove the ones the raw table no longer holds.

    Where the lake is the history (`lake_is_history`: a Spark cluster reads it), the raw table is emptied once
    the lake holds its rows, and the ledger says which deliveries are current; the orders' customer ids stay
    in the ledger's schema for the unknown-customer rule."""
    lake = lake if isinstance(lake, Root) else Root(str(lake))
    listed = lake.list(table_folder(source))
    for leftover in listed:
        if PurePosixPath(leftover.relative_path).name.startswith("."):  # a local write cut short
            lake.delete(leftover.relative_path)
    present = {
        PurePosixPath(file.relative_path).stem: file.relative_path
        for file in listed
        if file.relative_path.endswith(".parquet") and not PurePosixPath(file.relative_path).name.startswith(".")
    }
    deliveries = connection.execute(
        f"""
        SELECT raw._load_id, CAST(min(raw._loaded_at) AS DATE), coalesce(any_value(ledger.sha256), 'unrecorded')
        FROM {source.relation} AS raw LEFT JOIN {LEDGER} AS ledger ON ledger.load_id = raw._load_id
        GROUP BY raw._load_id ORDER BY raw._load_id
        """
    ).fetchall()
    if lake_is_history:  # the raw table holds only this run's deliveries: the ledger knows the others
        in_raw = {load_id for load_id, *_ in deliveries}
        deliveries += [row for row in ledger.current_deliveries(connection, source.folder) if row[0] not in in_raw]
    wanted = {f"{load_id}-{sha256[:12]}": (load_id, load_date) for load_id, load_date, sha256 in deliveries}
    written = 0
    for name, (load_id, load_date) in wanted.items():
        if name in present:
            continue
        relative = f"{table_folder(source)}/{PARTITION}={load_date.isoformat()}/{name}.parquet"
        with lake.new_file(relative) as staged:
            connection.execute(
                f"COPY (SELECT {_select_list(source)} FROM {source.relation} "
                f"WHERE _load_id = {int(load_id)} ORDER BY _source_row) "
                f"TO '{staged}' (FORMAT parquet, COMPRESSION zstd)"
            )
        written += 1
    removed = 0
    for name, relative in present.items():
        if name not in wanted:
            lake.delete(relative)
            removed += 1
    if lake_is_history:
        _hand_over_to_lake(connection, source)
    return LakeSync(written, removed)


def _hand_over_to_lake(connection: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Empty the raw table, whose rows the lake now holds, keeping the orders' customer ids by file."""
    with transaction(connection):
        if source == ORDERS:
            connection.execute(
                f"INSERT INTO {ledger.ORDER_CUSTOMERS} SELECT DISTINCT customer_id, _source_file FROM {source.relation}"
            )
        connection.execute(f"DELETE FROM {source.relation}")
