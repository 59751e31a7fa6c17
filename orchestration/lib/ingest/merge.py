"""Merging validated files into a source's raw table: a file's good rows replace its earlier version's,
its bad rows go to quarantine, and the ledger records the delivery, all in the caller's transaction."""

import duckdb

from orchestration.lib.ingest import ledger
from orchestration.lib.ingest.contract import LOAD_METADATA_COLUMNS, ORDERS, Source
from orchestration.lib.ingest.gates import Classified
from orchestration.lib.ingest.quarantine import quarantine_relation
from orchestration.lib.ingest.row_rules import quote
from orchestration.lib.warehouse.connection import transaction


def ensure_tables(connection: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Create the raw and quarantine tables (empty when the source has no files, so dbt always finds them)."""
    columns = [f"{quote(c.name)} {c.type}" for c in source.columns]
    columns += [f"{name} {type_}" for name, type_ in LOAD_METADATA_COLUMNS.items()]
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {source.system}")
    connection.execute(f"CREATE TABLE IF NOT EXISTS {source.relation} ({', '.join(columns)})")
    connection.execute("CREATE SCHEMA IF NOT EXISTS quarantine")
    connection.execute(
        f"""
        CREATE TABLE IF NOT EXISTS {quarantine_relation(source)} (
            _load_id BIGINT, _source_file VARCHAR, _source_row BIGINT, rule VARCHAR, raw_row JSON,
            quarantined_at TIMESTAMP
        )
        """
    )


def _merge(connection: duckdb.DuckDBPyConnection, source: Source, item: Classified) -> None:
    """Replace the file's earlier rows with its good rows, and quarantine its bad ones (inside the
    caller's transaction)."""
    contract_names = [column.name for column in source.columns]
    target_columns = contract_names + list(LOAD_METADATA_COLUMNS)
    path = item.file.relative_path
    load_id = ledger.next_load_id(connection)
    if item.replaces:
        connection.execute(f"DELETE FROM {source.relation} WHERE _source_file = ?", [path])
        connection.execute(f"DELETE FROM {quarantine_relation(source)} WHERE _source_file = ?", [path])
        if source == ORDERS:
            connection.execute(f"DELETE FROM {ledger.ORDER_CUSTOMERS} WHERE _source_file = ?", [path])
    connection.execute(
        f"INSERT INTO {source.relation} ({', '.join(map(quote, target_columns))}) "
        f"SELECT {', '.join(map(quote, contract_names))}, ?, _source_row, ?, now()::TIMESTAMP "
        f"FROM {item.table} WHERE _rule IS NULL",
        [path, load_id],
    )
    connection.execute(
        f"INSERT INTO {quarantine_relation(source)} "
        f"SELECT ?, ?, _source_row, _rule, _raw_row, now()::TIMESTAMP FROM {item.bad_table}",
        [load_id, path],
    )
    ledger.record_delivery(
        connection,
        load_id=load_id,
        source=source.folder,
        path=path,
        size_bytes=item.file.size_bytes,
        sha256=item.file.sha256,
        rows=item.total - item.bad,
        rows_quarantined=item.bad,
        event_days=item.event_days,
    )


def merge_all(connection: duckdb.DuckDBPyConnection, source: Source, pending: list[Classified]) -> None:
    """Merge the validated files in one transaction: all of them or none. One commit, not one per file:
    each commit of a few small files' rows makes DuckDB checkpoint."""
    with transaction(connection):
        for item in pending:
            _merge(connection, source, item)
