"""Incremental, idempotent loading of landing files into the raw tables, behind the quality gates.

A file is identified by its path relative to the landing root and its content hash (not read again
while its size and modification time stay those it was hashed with: `discover`):
- unchanged (same path, same hash as the ledger's current version): skipped;
- same content already loaded under another path (a file delivered twice): skipped;
- a version skipped on purpose (`ingest.skipped_files`): reported, never read;
- new or changed: validated, then its good rows replace that path's earlier rows.

New and changed files pass the gates (`gates`): bad rows go to `quarantine.<source>`, a file that
cannot be used whole is blocked and recorded in `ingest.blocked_files`, and the good rows of the
run's files are merged together (`merge`). Raw tables keep every delivery's rows with load metadata;
staging keeps, for each key, the rows of the newest delivery ("newest file wins").
"""

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.lib.ingest import ledger
from orchestration.lib.ingest.contract import ORDERS, Source
from orchestration.lib.ingest.discover import LandingFile, LandingFileError, discover
from orchestration.lib.ingest.expectations import prepare_validation
from orchestration.lib.ingest.gates import (
    BATCH,
    CHECKED,
    Classified,
    Thresholds,
    classify_file,
    gx_failures,
    unknown_customers,
)
from orchestration.lib.ingest.merge import ensure_tables, merge_all
from orchestration.lib.storage import Root
from orchestration.lib.warehouse.connection import session_cursor

# Sources ingested side by side (`ingest_sources`): one source alone leaves a core idle half the
# time (hashing, GX on pandas, commits); more than two fight over the memory limit.
PARALLEL_SOURCES = 2


@dataclass(frozen=True)
class FileOutcome:
    path: str
    action: str  # loaded | reloaded | unchanged | duplicate | skipped | blocked
    rows: int = 0
    rows_quarantined: int = 0
    quarantined_by_rule: tuple[tuple[str, int], ...] = ()
    extra_columns: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()  # a few quarantined rows, for the check's metadata
    problem: str = ""  # why a blocked file was blocked


@dataclass
class IngestReport:
    source: Source
    files: list[FileOutcome] = field(default_factory=list)
    table_rows: int = 0

    def count(self, *actions: str) -> int:
        return sum(1 for outcome in self.files if outcome.action in actions)

    @property
    def rows_loaded(self) -> int:
        return sum(outcome.rows for outcome in self.files if outcome.action in ("loaded", "reloaded"))

    @property
    def rows_quarantined(self) -> int:
        return sum(outcome.rows_quarantined for outcome in self.files)

    @property
    def blocked(self) -> list[FileOutcome]:
        return [outcome for outcome in self.files if outcome.action == "blocked"]


def _block(connection, report: IngestReport, source: Source, file: LandingFile, error: LandingFileError) -> None:
    first_blocked = ledger.record_block(
        connection,
        source=source.folder,
        path=file.relative_path,
        sha256=file.sha256,
        rule=error.rule,
        detail=error.detail,
    )
    still = f" [still blocked: the same file since {first_blocked:%Y-%m-%d %H:%M} UTC]" if first_blocked else ""
    report.files.append(FileOutcome(file.relative_path, "blocked", problem=f"{error}{still}"))


def _without_unknown_customers(
    connection, report: IngestReport, source: Source, pending: list[Classified], thresholds: Thresholds
) -> list[Classified]:
    blocked = unknown_customers(connection, pending, thresholds)
    for item in pending:
        if item.file.relative_path in blocked:
            _block(connection, report, source, item.file, blocked[item.file.relative_path])
    return [item for item in pending if item.file.relative_path not in blocked]


def _merged(item: Classified) -> FileOutcome:
    rows = item.total - item.bad
    action = "reloaded" if item.replaces else "loaded"
    return FileOutcome(item.file.relative_path, action, rows, item.bad, item.by_rule, item.extra, item.examples)


def ingest_source(
    connection: duckdb.DuckDBPyConnection,
    source: Source,
    landing_root: Root | Path,
    thresholds: Thresholds = Thresholds(),
    orders_merged: Callable[[], object] | None = None,
    spool: Path | None = None,
) -> IngestReport:
    """Bring the raw table of `source` up to date with its landing folder.

    Every new or changed file is classified row by row (and blocked on its own when it must be);
    the good rows of all of them are then validated together by Great Expectations (a failure
    blocks them all), and they are merged together in one transaction. A blocked file is reported
    and recorded in `ingest.blocked_files`, never raised: the caller decides to fail the run.
    A source whose customers should be the orders' has each file's share of unknown ids judged
    once `orders_merged()` returns (the orders of the same run, ingested beside it, count as known).
    A landing root in object storage has its new and changed objects copied into `spool` to be read.
    """
    ledger.ensure_ledger(connection)
    ensure_tables(connection, source)
    report = IngestReport(source)
    current = ledger.current_versions(connection, source.folder)
    loaded_hashes = set(current.values())
    pending: list[Classified] = []
    skipped = ledger.skipped_versions(connection, source.folder)
    known = ledger.known_hashes(connection, source.folder)
    files = discover(source, landing_root, known, spool)
    remembered = {file.relative_path: known_hash for file in files if (known_hash := file.known_hash())}
    if remembered != known:  # a run that finds every file as it was writes nothing
        ledger.remember_hashes(connection, source.folder, remembered)
    for file in files:
        if current.get(file.relative_path) == file.sha256:
            report.files.append(FileOutcome(file.relative_path, "unchanged"))
        elif file.sha256 in loaded_hashes:
            report.files.append(FileOutcome(file.relative_path, "duplicate"))
        elif (file.relative_path, file.sha256) in skipped:
            report.files.append(FileOutcome(file.relative_path, "skipped"))
        else:
            # GX takes seconds to load: on a thread of its own (once) while DuckDB reads the files. Not
            # while they are hashed (`discover`): the two would take turns on the GIL.
            prepare_validation()
            try:
                table = f"landing_pending_{len(pending)}"
                pending.append(
                    classify_file(connection, source, file, file.relative_path in current, thresholds, table)
                )
                loaded_hashes.add(file.sha256)
            except LandingFileError as error:
                connection.execute(f"DROP TABLE IF EXISTS {table}_bad")
                _block(connection, report, source, file, error)
            finally:
                connection.execute(f"DROP TABLE IF EXISTS {BATCH}")
                connection.execute(f"DROP TABLE IF EXISTS {CHECKED}")
    try:
        failures = gx_failures(connection, source, pending, thresholds.gx_sample_rows) if pending else []
        if failures:
            for item in pending:
                error = LandingFileError(
                    item.file.relative_path,
                    f"gx:{failures[0].expectation}",
                    "the rows to merge fail the Great Expectations suite: " + "; ".join(map(str, failures)),
                )
                _block(connection, report, source, item.file, error)
        elif pending:
            if source.customers_known_from_orders:
                if orders_merged:
                    orders_merged()
                pending = _without_unknown_customers(connection, report, source, pending, thresholds)
            merge_all(connection, source, pending)
            report.files.extend(_merged(item) for item in pending)
    finally:
        for item in pending:
            connection.execute(f"DROP TABLE IF EXISTS {item.table}")
            connection.execute(f"DROP TABLE IF EXISTS {item.bad_table}")
    report.table_rows = connection.execute(f"SELECT count(*) FROM {source.relation}").fetchall()[0][0]
    return report


def ingest_sources(
    connection: duckdb.DuckDBPyConnection,
    sources: list[Source],
    landing_root: Root | Path,
    thresholds: Thresholds = Thresholds(),
    then: Callable[[duckdb.DuckDBPyConnection, Source], object] | None = None,
    spool: Path | None = None,
) -> list[tuple[IngestReport, object]]:
    """`ingest_source` for each source, `PARALLEL_SOURCES` at a time, each on a cursor of its own (its
    own transaction and temp tables; DuckDB runs their queries side by side). `then(cursor, source)`
    runs after a source's ingest, on its cursor. Returns (report, what `then` returned) in the order
    of `sources`; an error of one source is raised once all are done.

    The orders are started first: tickets and answers read, judge and validate their files beside
    them, and wait for the orders' merge only to count the customers those files name."""
    ledger.ensure_ledger(connection)
    for source in sources:  # the DDL first, on one cursor: concurrent catalog writes conflict
        ensure_tables(connection, source)
    orders_merged = threading.Event()
    if ORDERS not in sources:
        orders_merged.set()

    def ingest_one(source: Source) -> tuple[IngestReport, object]:
        try:
            with session_cursor(connection) as cursor:
                report = ingest_source(cursor, source, landing_root, thresholds, orders_merged.wait, spool)
                return report, then(cursor, source) if then else None
        finally:
            if source == ORDERS:
                orders_merged.set()

    in_order = sorted(sources, key=lambda source: source != ORDERS)  # a stable sort: the orders first
    with ThreadPoolExecutor(max_workers=PARALLEL_SOURCES, thread_name_prefix="ingest") as pool:
        futures = {source: pool.submit(ingest_one, source) for source in in_order}
    return [futures[source].result() for source in sources]


def nothing_delivered(rows_held: Iterable[int]) -> bool:
    """No source holds a row once every source is ingested: a run has nothing to build, and stops after its
    ingest (the ingest step and `check` both ask this)."""
    return not any(rows_held)


def rules_summary(report: IngestReport) -> dict[str, int]:
    """Quarantined rows per rule over the report's files."""
    totals: Counter[str] = Counter()
    for outcome in report.files:
        for rule, count in outcome.quarantined_by_rule:
            totals[rule] += count
    return dict(totals)
