"""Incremental, idempotent loading of landing files into the raw tables, behind the quality gates.

A file is identified by its path relative to the landing root and its content hash (not read again
while its size and modification time stay those it was hashed with: `landing.discover`):
- unchanged (same path, same hash as the ledger's current version): skipped;
- same content already loaded under another path (a file delivered twice): skipped;
- new or changed: validated, then its good rows replace that path's earlier rows.

Row-level problems quarantine, batch-level problems block:
- each row gets its first broken rule (`row_rules.py`); bad rows go to `quarantine.<source>`
  with file, row, rule and the raw row, and the good rows proceed;
- the file is blocked, and nothing of it merged, when it cannot be read, lacks a required
  column, has more bad rows than `max_bad_row_share`, or has far fewer rows per event day than
  the trailing deliveries (`min_volume_ratio`);
- the good rows of the run's files are validated together by the Great Expectations suite
  (on a fixed-size sample when there are more than `gx_sample_rows`) before anything is
  merged; a failure there blocks them all.
Raw tables keep every delivery's rows with load metadata; staging keeps, for each key, the rows
of the newest delivery ("newest file wins").
"""

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.lib import ledger
from orchestration.lib.batch_validation import prepare_validation, validate_batch
from orchestration.lib.contract import LOAD_METADATA_COLUMNS, Source
from orchestration.lib.landing import LandingFile, LandingFileError, discover, read_as_text
from orchestration.lib.row_rules import bad_rows_sql, classify_sql, quote
from orchestration.lib.warehouse import session_cursor, transaction

BATCH, CHECKED = "landing_batch", "landing_checked"
MAX_EXAMPLES = 5
# Sources ingested side by side (`ingest_sources`): one source alone leaves a core idle half the
# time (hashing, GX on pandas, commits); more than two fight over the memory limit.
PARALLEL_SOURCES = 2


@dataclass(frozen=True)
class Thresholds:
    max_bad_row_share: float = 0.05
    min_volume_ratio: float = 0.2
    min_history_files: int = 3  # the volume check needs this many earlier deliveries
    gx_sample_rows: int = 100_000  # larger batches are validated by GX on a sample of this size


@dataclass(frozen=True)
class FileOutcome:
    path: str
    action: str  # loaded | reloaded | unchanged | duplicate | blocked
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


def quarantine_relation(source: Source) -> str:
    return f"quarantine.{source.folder}"


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
            _load_id BIGINT, _source_file VARCHAR, _source_row BIGINT, rule VARCHAR, raw_row JSON, quarantined_at TIMESTAMP
        )
        """
    )


def _examples(connection: duckdb.DuckDBPyConnection, bad_table: str) -> list[str]:
    rows = connection.execute(
        f"SELECT _source_row, _rule, _raw_row FROM {bad_table} ORDER BY _source_row LIMIT {MAX_EXAMPLES}"
    ).fetchall()
    examples = []
    for row, rule, raw in rows:
        column = rule.split(":", 1)[1] if ":" in rule and not rule.startswith("order:") else None
        value = connection.execute("SELECT json_extract_string(?::JSON, ?)", [raw, f"$.{column}"]).fetchall()[0][0] if column else raw
        examples.append(f"row {row}: {rule} (value {value!r})")
    return examples


def _check_volume(connection, source: Source, file: LandingFile, rows: int, event_days: int, thresholds: Thresholds) -> None:
    if rows == 0 or event_days == 0:
        return
    history, mean = ledger.trailing_rows_per_day(connection, source.folder)
    if history < thresholds.min_history_files or not mean:
        return
    per_day = rows / event_days
    if per_day < thresholds.min_volume_ratio * mean:
        raise LandingFileError(
            file.relative_path, "volume_drop",
            f"{per_day:.1f} rows per event day against a trailing average of {mean:.1f} over the last {history} "
            f"deliveries (below {thresholds.min_volume_ratio:.0%})",
        )


@dataclass
class _Classified:
    """A file whose rows have been checked, waiting to be validated and merged: typed rows in temp
    table `table`, the bad ones with their raw row in `bad_table`."""

    file: LandingFile
    replaces: bool
    table: str
    bad_table: str
    total: int
    bad: int
    by_rule: tuple[tuple[str, int], ...]
    examples: tuple[str, ...]
    event_days: int
    extra: tuple[str, ...]


def _classify_file(connection: duckdb.DuckDBPyConnection, source: Source, file: LandingFile, replaces: bool,
                   thresholds: Thresholds, table: str) -> _Classified:
    """Read a file and give every row its first broken rule; raise LandingFileError to block it."""
    file_columns = read_as_text(connection, file, BATCH)
    missing = [name for name in source.required_columns if name not in file_columns]
    if missing:
        raise LandingFileError(file.relative_path, "required_columns", f"missing required column(s): {', '.join(missing)}")
    for column in source.columns:
        if column.name not in file_columns:
            connection.execute(f"ALTER TABLE {BATCH} ADD COLUMN {quote(column.name)} VARCHAR")
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {CHECKED} AS {classify_sql(source, BATCH)}")
    bad_table = f"{table}_bad"
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {bad_table} AS {bad_rows_sql(BATCH, CHECKED)}")

    [(total,)] = connection.execute(f"SELECT count(*) FROM {CHECKED}").fetchall()
    by_rule = tuple(connection.execute(
        f"SELECT _rule, count(*) FROM {bad_table} GROUP BY 1 ORDER BY 2 DESC, 1"
    ).fetchall())
    bad = sum(count for _, count in by_rule)
    examples = tuple(_examples(connection, bad_table)) if bad else ()
    if bad and bad > thresholds.max_bad_row_share * total:
        rules = ", ".join(f"{count} x {rule}" for rule, count in by_rule)
        raise LandingFileError(
            file.relative_path, by_rule[0][0],
            f"{bad} of {total} rows ({bad / total:.1%}) break the contract, more than the "
            f"{thresholds.max_bad_row_share:.0%} allowed: {rules}; e.g. {'; '.join(examples)}",
        )
    event_days = connection.execute(
        f"SELECT count(DISTINCT CAST({quote(source.event_column)} AS DATE)) FROM {CHECKED} WHERE _rule IS NULL"
    ).fetchall()[0][0]
    _check_volume(connection, source, file, total - bad, event_days, thresholds)
    connection.execute(f"ALTER TABLE {CHECKED} RENAME TO {table}")
    contract_names = {column.name for column in source.columns}
    extra = tuple(name for name in file_columns if name not in contract_names)
    return _Classified(file, replaces, table, bad_table, total, bad, by_rule, examples, event_days, extra)


def _gx_failures(connection: duckdb.DuckDBPyConnection, source: Source, pending: list[_Classified], sample_rows: int):
    """One Great Expectations validation over the good rows of every file waiting to be merged.

    Up to `sample_rows` rows go to GX whole; beyond that a fixed-size random sample does. The
    row rules have already judged every row in SQL, so GX is an independent second opinion,
    and a pandas copy of a 9M-row batch would cost gigabytes and minutes for no new rule.
    """
    names = ", ".join(quote(column.name) for column in source.columns)
    union = " UNION ALL ".join(
        f"SELECT {names}, {index} AS _delivery FROM {item.table} WHERE _rule IS NULL" for index, item in enumerate(pending)
    )
    good_rows = sum(item.total - item.bad for item in pending)
    if good_rows > sample_rows:
        union = f"SELECT * FROM ({union}) USING SAMPLE reservoir({int(sample_rows)} ROWS) REPEATABLE (42)"
    frame = connection.execute(union).df()
    return validate_batch(frame, source, datetime.now(UTC).replace(tzinfo=None), delivery_column="_delivery")


def _merge(connection: duckdb.DuckDBPyConnection, source: Source, item: _Classified) -> FileOutcome:
    """Replace the file's earlier rows with its good rows, and quarantine its bad ones (inside the
    caller's transaction)."""
    contract_names = [column.name for column in source.columns]
    target_columns = contract_names + list(LOAD_METADATA_COLUMNS)
    path = item.file.relative_path
    load_id = ledger.next_load_id(connection)
    if item.replaces:
        connection.execute(f"DELETE FROM {source.relation} WHERE _source_file = ?", [path])
        connection.execute(f"DELETE FROM {quarantine_relation(source)} WHERE _source_file = ?", [path])
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
        connection, load_id=load_id, source=source.folder, path=path, size_bytes=item.file.size_bytes,
        sha256=item.file.sha256, rows=item.total - item.bad, rows_quarantined=item.bad, event_days=item.event_days,
    )
    return FileOutcome(
        path, "reloaded" if item.replaces else "loaded", item.total - item.bad, item.bad, item.by_rule, item.extra, item.examples
    )


def _merge_all(connection: duckdb.DuckDBPyConnection, source: Source, pending: list[_Classified]) -> list[FileOutcome]:
    """Merge the validated files in one transaction: all of them or none. One commit, not one per file:
    each commit of a few small files' rows made DuckDB checkpoint (12 s of 2M tickets in 36 files)."""
    with transaction(connection):
        return [_merge(connection, source, item) for item in pending]


def _block(connection, report: IngestReport, source: Source, file: LandingFile, error: LandingFileError) -> None:
    ledger.record_block(
        connection, source=source.folder, path=file.relative_path, sha256=file.sha256, rule=error.rule, detail=error.detail
    )
    report.files.append(FileOutcome(file.relative_path, "blocked", problem=str(error)))


def ingest_source(connection: duckdb.DuckDBPyConnection, source: Source, landing_root: Path,
                  thresholds: Thresholds = Thresholds()) -> IngestReport:
    """Bring the raw table of `source` up to date with its landing folder.

    Every new or changed file is classified row by row (and blocked on its own when it must be);
    the good rows of all of them are then validated together by Great Expectations (a failure
    blocks them all), and they are merged together in one transaction. A blocked file is reported
    and recorded in `ingest.blocked_files`, never raised: the caller decides to fail the run.
    """
    ledger.ensure_ledger(connection)
    ensure_tables(connection, source)
    report = IngestReport(source)
    current = ledger.current_versions(connection, source.folder)
    loaded_hashes = set(current.values())
    pending: list[_Classified] = []
    known = ledger.known_hashes(connection, source.folder)
    files = discover(source, landing_root, known)
    remembered = {file.relative_path: known_hash for file in files if (known_hash := file.known_hash())}
    if remembered != known:  # a run that finds every file as it was writes nothing
        ledger.remember_hashes(connection, source.folder, remembered)
    for file in files:
        if current.get(file.relative_path) == file.sha256:
            report.files.append(FileOutcome(file.relative_path, "unchanged"))
        elif file.sha256 in loaded_hashes:
            report.files.append(FileOutcome(file.relative_path, "duplicate"))
        else:
            # GX takes seconds to load: on a thread of its own (once) while DuckDB reads the files. Not
            # while they are hashed (`discover`): the two would take turns on the GIL (+6 s at 9M orders).
            prepare_validation()
            try:
                table = f"landing_pending_{len(pending)}"
                pending.append(_classify_file(connection, source, file, file.relative_path in current, thresholds, table))
                loaded_hashes.add(file.sha256)
            except LandingFileError as error:
                connection.execute(f"DROP TABLE IF EXISTS {table}_bad")
                _block(connection, report, source, file, error)
            finally:
                connection.execute(f"DROP TABLE IF EXISTS {BATCH}")
                connection.execute(f"DROP TABLE IF EXISTS {CHECKED}")
    try:
        failures = _gx_failures(connection, source, pending, thresholds.gx_sample_rows) if pending else []
        if failures:
            for item in pending:
                error = LandingFileError(
                    item.file.relative_path, f"gx:{failures[0].expectation}",
                    "the rows to merge fail the Great Expectations suite: " + "; ".join(map(str, failures)),
                )
                _block(connection, report, source, item.file, error)
        elif pending:
            report.files.extend(_merge_all(connection, source, pending))
    finally:
        for item in pending:
            connection.execute(f"DROP TABLE IF EXISTS {item.table}")
            connection.execute(f"DROP TABLE IF EXISTS {item.bad_table}")
    report.table_rows = connection.execute(f"SELECT count(*) FROM {source.relation}").fetchall()[0][0]
    return report


def ingest_sources(connection: duckdb.DuckDBPyConnection, sources: list[Source], landing_root: Path,
                   thresholds: Thresholds = Thresholds(),
                   then: Callable[[duckdb.DuckDBPyConnection, Source], object] | None = None) -> list[tuple[IngestReport, object]]:
    """`ingest_source` for each source, `PARALLEL_SOURCES` at a time, each on a cursor of its own (its
    own transaction and temp tables; DuckDB runs their queries side by side). `then(cursor, source)`
    runs after a source's ingest, on its cursor. Returns (report, what `then` returned) in the order
    of `sources`; an error of one source is raised once all are done."""
    ledger.ensure_ledger(connection)
    for source in sources:  # the DDL first, on one cursor: concurrent catalog writes conflict
        ensure_tables(connection, source)

    def ingest_one(source: Source) -> tuple[IngestReport, object]:
        with session_cursor(connection) as cursor:
            report = ingest_source(cursor, source, landing_root, thresholds)
            return report, then(cursor, source) if then else None

    with ThreadPoolExecutor(max_workers=PARALLEL_SOURCES, thread_name_prefix="ingest") as pool:
        futures = [pool.submit(ingest_one, source) for source in sources]
    return [future.result() for future in futures]


def rules_summary(report: IngestReport) -> dict[str, int]:
    """Quarantined rows per rule over the report's files."""
    totals: Counter[str] = Counter()
    for outcome in report.files:
        for rule, count in outcome.quarantined_by_rule:
            totals[rule] += count
    return dict(totals)
