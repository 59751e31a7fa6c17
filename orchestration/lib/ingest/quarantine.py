"""The quarantine: where a landing file's bad rows wait, and how they get back out to be corrected and re-delivered."""

from pathlib import Path

import duckdb

from orchestration.lib.ingest.contract import Source
from orchestration.lib.warehouse.relations import quote_identifier


def quarantine_relation(source: Source) -> str:
    return f"quarantine.{source.folder}"


def export_quarantine(connection: duckdb.DuckDBPyConnection, source: Source, target: Path) -> int:
    """Write the source's quarantined rows as a contract CSV (raw values as delivered), with the
    file, row and rule that sent each one to quarantine as three trailing columns. Once corrected,
    the file can be dropped into the landing folder as a new delivery: its rows then win over
    older deliveries of the same keys, and the trailing columns are ignored as extra columns."""
    columns = ", ".join(f"raw_row ->> '{column.name}' AS {quote_identifier(column.name)}" for column in source.columns)
    target.parent.mkdir(parents=True, exist_ok=True)
    relation = connection.sql(
        f"SELECT {columns}, _source_file AS quarantined_from_file, _source_row AS quarantined_from_row, "
        "rule AS quarantine_rule "
        f"FROM {quarantine_relation(source)} ORDER BY _source_file, _source_row"
    )
    rows = len(relation.fetchall())
    relation.write_csv(str(target), header=True)
    return rows
