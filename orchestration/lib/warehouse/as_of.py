"""A warehouse as of a past date: the working warehouse's raw tables without what happened after it.

A build as of a past date must give what a build of the same landing files would have given had the
data ended that day, so every event after the date is left out of the sources (orders by when they
were placed, tickets by when they were opened, answers by when they were given, spend and rates by
their date), and dbt and the CLV step then build in this copy exactly as they build in the working
warehouse. A copy, not a filter in the models: the working warehouse's incremental models keep their
state, and no model needs a second code path. Fields that record later events of an earlier row (a
ticket opened before the date and resolved after it) keep their values: the exports hold each row's
latest state, not its history.
"""

from datetime import date
from pathlib import Path

from orchestration.lib.ingest.contract import SOURCES, TIMESTAMP, Source
from orchestration.lib.warehouse.connection import open_warehouse


def _event_day(source: Source, reporting_timezone: str) -> str:
    """The reporting day of a row's event, as dbt's `to_reporting_time` macro reckons it."""
    column = next(c for c in source.columns if c.name == source.event_column)
    if column.type == TIMESTAMP and reporting_timezone.upper() != "UTC":
        return f"CAST(({column.name} AT TIME ZONE 'UTC') AT TIME ZONE '{reporting_timezone}' AS DATE)"
    return f"CAST({column.name} AS DATE)"


def copy_sources_as_of(working: Path, past: Path, as_of: date, reporting_timezone: str) -> dict[str, int]:
    """Write `past` afresh with each raw source of `working` up to and including `as_of`; return the rows
    copied per source relation. A source the working warehouse lacks (never delivered) stays absent, as it is there."""
    for stale in (past, past.with_name(f"{past.name}.wal")):
        stale.unlink(missing_ok=True)
    copied = {}
    with open_warehouse(past) as connection:
        connection.execute(f"ATTACH '{working}' AS working (READ_ONLY)")
        present = {
            f"{schema}.{table}"
            for schema, table in connection.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'working'"
            ).fetchall()
        }
        for source in SOURCES:
            if source.relation not in present:
                continue
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS {source.system}")
            connection.execute(
                f"CREATE TABLE {source.relation} AS SELECT * FROM working.{source.relation} "
                f"WHERE {_event_day(source, reporting_timezone)} <= ?",
                [as_of],
            )
            copied[source.relation] = connection.execute(f"SELECT count(*) FROM {source.relation}").fetchall()[0][0]
        connection.execute("DETACH working")
    return copied
