"""The warehouse a build as of a past date works in: the working warehouse's raw sources without what
happened after the date.

A build as of a past date must give what a build of the same landing files would have given had the data
ended that day, so every event after the date is left out of the sources (orders by when they were
placed, tickets by when they were opened, answers by when they were given, spend and rates by their date),
and dbt and the CLV step then build in this copy exactly as they build in the working warehouse. A copy,
not a filter in the models: the working warehouse's incremental models keep their state, and no model
needs a second code path. Fields that record later events of an earlier row (a ticket opened before the
date and resolved after it) keep their values: the exports hold each row's latest state, not its history.
The copy is dbt's (macro `copy_sources_as_of`), so a day is reckoned in the reporting time zone by the
same definition the models use.
"""

import json
from datetime import date
from pathlib import Path

from orchestration.defs.transform.dbt_cli import LifecycleDbtCliResource
from orchestration.lib import settings
from orchestration.lib.warehouse.connection import open_warehouse


def copy_sources_as_of(
    dbt: LifecycleDbtCliResource, working: Path, past: Path, as_of: date, target_path: Path
) -> dict[str, int]:
    """Write `past` afresh with each raw source of `working` up to and including `as_of`; return the rows
    copied per source relation."""
    for stale in (past, past.with_name(f"{past.name}.wal")):
        stale.unlink(missing_ok=True)
    past.parent.mkdir(parents=True, exist_ok=True)
    arguments = ["run-operation", "copy_sources_as_of", "--args", json.dumps({"working": str(working)})]
    arguments += settings.dbt_vars_arguments(warehouse=past, as_of=as_of)
    dbt.cli_in_process(arguments, context=None, target_path=target_path).wait()  # a past date is built on DuckDB only
    with open_warehouse(past, read_only=True) as connection:
        tables = connection.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall()
        return {
            relation: connection.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]
            for (relation,) in sorted(tables)
        }
