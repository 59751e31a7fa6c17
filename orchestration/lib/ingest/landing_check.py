"""A landing folder judged as ingest would judge it, with nothing written to the warehouse (`make check`).

The ingest functions themselves run, so the verdicts and their words cannot drift from a run's: on a
scratch DuckDB database in a temporary folder, given a copy of what they read from the working warehouse.
That is the ledger's tables (what is loaded, blocked, skipped on purpose, hashed, and the deliveries the
volume rule averages) and the orders' customer ids with their file (the known ids of the unknown-customer
rule; a changed orders file takes its earlier ids with it, as in a run). The warehouse is attached
read-only for the copy only; the raw lake and the serving files are never opened.
"""

import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.lib.ingest import ledger
from orchestration.lib.ingest.contract import ORDERS, SOURCES, Source
from orchestration.lib.ingest.discover import Stray, strays
from orchestration.lib.ingest.gates import Thresholds
from orchestration.lib.ingest.load import FileOutcome, IngestReport, ingest_sources, nothing_delivered
from orchestration.lib.ingest.merge import ensure_tables
from orchestration.lib.storage import Root
from orchestration.lib.warehouse.connection import attach_read_only, connect

WORKING = "working"


class LandingNotFoundError(FileNotFoundError):
    """The landing folder is not there: no such local folder, or nothing under the prefix in object storage."""


class UnreadableWarehouseError(RuntimeError):
    """The working warehouse is there but DuckDB cannot open it (not a DuckDB file, or another version's)."""


@dataclass(frozen=True)
class LandingVerdict:
    landing: Root
    warehouse: Path | None  # the warehouse whose ledger the files were judged against; None: as a first run
    reports: tuple[IngestReport, ...]
    strays: tuple[Stray, ...]
    # Each source's rows the warehouse holds, by the file they came from (`_source_file`).
    rows_in_warehouse: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    @property
    def blocked(self) -> list[FileOutcome]:
        return [outcome for report in self.reports for outcome in report.blocked]

    def rows_held(self, report: IngestReport) -> int:
        """The source's rows after the run: the warehouse's, less those of the files it would replace, and the new."""
        replaced = {outcome.path for outcome in report.files if outcome.action == "reloaded"}
        before = self.rows_in_warehouse.get(report.source.relation, {})
        return sum(rows for path, rows in before.items() if path not in replaced) + report.rows_loaded

    @property
    def nothing_to_build(self) -> bool:
        """A run would stop after its ingest, no source holding a row."""
        return nothing_delivered(self.rows_held(report) for report in self.reports)


def _tables(connection: duckdb.DuckDBPyConnection) -> set[str]:
    rows = connection.execute(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE database_name = ?", [WORKING]
    ).fetchall()
    return {name for (name,) in rows}


@contextmanager
def _attached(connection: duckdb.DuckDBPyConnection, warehouse: Path) -> Iterator[set[str]]:
    """`warehouse` attached read-only to `connection` as WORKING while the block runs; yields its tables."""
    try:
        attach_read_only(connection, warehouse, WORKING)
    except duckdb.Error as error:
        reason = str(error).strip().splitlines()[0]
        raise UnreadableWarehouseError(f"The warehouse {warehouse} cannot be read: {reason}") from None
    try:
        yield _tables(connection)
    finally:
        connection.execute(f"DETACH {WORKING}")


def copy_what_ingest_reads(connection: duckdb.DuckDBPyConnection, found: set[str]) -> None:
    """Give the scratch database `connection` the attached warehouse's ledger and the orders' customer ids by
    file (`found`: the warehouse's tables)."""
    next_load_id = 1
    if ledger.LEDGER in found:
        [(highest,)] = connection.execute(f"SELECT max(load_id) FROM {WORKING}.{ledger.LEDGER}").fetchall()
        next_load_id = (highest or 0) + 1
    # The run's deliveries numbered after the warehouse's, as a run would number them.
    connection.execute("CREATE SCHEMA IF NOT EXISTS ingest")
    connection.execute(f"CREATE SEQUENCE ingest.load_id_sequence START {int(next_load_id)}")
    ledger.ensure_ledger(connection)
    for table in (ledger.LEDGER, ledger.BLOCKED, ledger.SKIPPED, ledger.HASHES, ledger.ORDER_CUSTOMERS):
        if table in found:  # by name: a warehouse made before a column was added lacks it
            connection.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {WORKING}.{table}")
    ensure_tables(connection, ORDERS)
    if ORDERS.relation in found:
        connection.execute(
            f"INSERT INTO {ORDERS.relation} (customer_id, _source_file) "
            f"SELECT DISTINCT customer_id, _source_file FROM {WORKING}.{ORDERS.relation}"
        )


def rows_by_file(
    connection: duckdb.DuckDBPyConnection, found: set[str], sources: Sequence[Source]
) -> dict[str, dict[str, int]]:
    """Each source's rows in the attached warehouse, by the landing file they came from."""
    return {
        source.relation: dict(
            connection.execute(
                f"SELECT _source_file, count(*) FROM {WORKING}.{source.relation} GROUP BY _source_file"
            ).fetchall()
        )
        for source in sources
        if source.relation in found
    }


def check_landing(
    landing: Root, warehouse: Path, thresholds: Thresholds, sources: Sequence[Source] = SOURCES
) -> LandingVerdict:
    """Judge every file of `landing` as the next run would against `warehouse` (as a first run when there is
    none), and list what no source reads. Raises LandingNotFoundError, `storage.StorageError` (a bucket out
    of reach), `WarehouseLockedError` and UnreadableWarehouseError."""
    if not landing.exists():
        raise LandingNotFoundError(
            f"No landing folder at {landing}" + (" (no object under that prefix)" if landing.remote else "")
        )
    against = warehouse if warehouse.is_file() else None
    with tempfile.TemporaryDirectory(prefix="lifecycle-check-") as scratch:
        connection = connect(Path(scratch) / "check.duckdb")
        rows_in_warehouse = {}
        try:
            if against:
                with _attached(connection, against) as found:
                    copy_what_ingest_reads(connection, found)
                    rows_in_warehouse = rows_by_file(connection, found, sources)
            outcomes = ingest_sources(
                connection,
                list(sources),
                landing,
                thresholds,
                spool=Path(scratch) / "spool" if landing.remote else None,
            )
        finally:
            connection.close()
    return LandingVerdict(
        landing, against, tuple(report for report, _ in outcomes), tuple(strays(landing, sources)), rows_in_warehouse
    )
