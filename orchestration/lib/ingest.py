"""Incremental, idempotent loading of landing files into the raw tables.

A file is identified by its path relative to the landing root and its content hash:
- unchanged (same path, same hash as the ledger's current version): skipped;
- same content already loaded under another path (a file delivered twice): skipped;
- new or changed: its rows replace that path's earlier rows, under a new load id.
Raw tables keep every delivery's rows with their load metadata; staging keeps, for each
key, the rows of the newest delivery ("newest file wins").
"""

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.lib import ledger
from orchestration.lib.contract import DATE, INTEGER, LOAD_METADATA_COLUMNS, TIMESTAMP, Column, Source
from orchestration.lib.landing import LandingFile, LandingFileError, discover, quote_identifier, read_as_text

BATCH = "landing_batch"
MAX_EXAMPLES = 5


class RowRuleError(ValueError):
    """Rows of a landing file break the contract; the message names file, rows and rules."""

    def __init__(self, file: str, failures: list[tuple[int, str, str | None]], total: int):
        examples = "; ".join(f"row {row}: {rule} (value {value!r})" for row, rule, value in failures)
        super().__init__(f"{file}: {total} row(s) break the contract, e.g. {examples}")
        self.file, self.failures, self.total = file, failures, total


@dataclass(frozen=True)
class FileOutcome:
    path: str
    action: str  # loaded | reloaded | unchanged | duplicate
    rows: int = 0
    extra_columns: tuple[str, ...] = ()


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


def ensure_raw_table(connection: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Create the raw table (empty when the source has no files, so dbt always finds it)."""
    columns = [f"{quote_identifier(c.name)} {c.type}" for c in source.columns]
    columns += [f"{name} {type_}" for name, type_ in LOAD_METADATA_COLUMNS.items()]
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {source.system}")
    connection.execute(f"CREATE TABLE IF NOT EXISTS {source.relation} ({', '.join(columns)})")


def typed(column: Column) -> str:
    """SQL turning the column's text into the contract type, or NULL when it does not parse."""
    text = quote_identifier(column.name)
    if column.type == TIMESTAMP:
        # Offsets are honoured; naive values are UTC (the session time zone).
        return f"try_cast({text} AS TIMESTAMPTZ) AT TIME ZONE 'UTC'"
    if column.type == INTEGER:
        # Exports often write whole numbers as "4.0"; anything with a fraction is rejected.
        number = f"try_cast({text} AS DOUBLE)"
        return f"CASE WHEN {number} = round({number}) THEN try_cast({number} AS INTEGER) END"
    if column.type == DATE:
        return f"try_cast({text} AS DATE)"
    return f"try_cast({text} AS {column.type})"


def _violation_sql(source: Source) -> str:
    """First broken rule of a row, or NULL: a required value missing, or a value of the wrong type."""
    cases = []
    for column in source.columns:
        name = quote_identifier(column.name)
        if not column.nullable:
            cases.append(f"WHEN {name} IS NULL THEN 'not_null:{column.name}'")
        cases.append(f"WHEN {name} IS NOT NULL AND ({typed(column)}) IS NULL THEN 'type:{column.name}'")
    return f"CASE {' '.join(cases)} END"


def _check_rows(connection: duckdb.DuckDBPyConnection, source: Source, file: LandingFile) -> None:
    violation = _violation_sql(source)
    total = connection.execute(f"SELECT count(*) FROM {BATCH} WHERE ({violation}) IS NOT NULL").fetchall()[0][0]
    if not total:
        return
    value_of_rule = " ".join(
        f"WHEN rule LIKE '%:{c.name}' THEN {quote_identifier(c.name)}" for c in source.columns
    )
    failures = connection.execute(
        f"""
        SELECT _source_row, rule, CASE {value_of_rule} END AS value
        FROM (SELECT *, {violation} AS rule FROM {BATCH})
        WHERE rule IS NOT NULL ORDER BY _source_row LIMIT {MAX_EXAMPLES}
        """
    ).fetchall()
    raise RowRuleError(file.relative_path, failures, total)


def _load_file(connection: duckdb.DuckDBPyConnection, source: Source, file: LandingFile, replaces: bool) -> FileOutcome:
    file_columns = read_as_text(connection, file, BATCH)
    missing = [name for name in source.required_columns if name not in file_columns]
    if missing:
        raise LandingFileError(file.relative_path, "required_columns", f"missing required column(s): {', '.join(missing)}")
    for column in source.columns:
        if column.name not in file_columns:
            connection.execute(f"ALTER TABLE {BATCH} ADD COLUMN {quote_identifier(column.name)} VARCHAR")
    _check_rows(connection, source, file)

    contract_names = {column.name for column in source.columns}
    extra = tuple(name for name in file_columns if name not in contract_names)
    target_columns = [c.name for c in source.columns] + list(LOAD_METADATA_COLUMNS)
    select = [typed(c) for c in source.columns] + ["?", "_source_row", "?", "now()::TIMESTAMP"]
    connection.execute("BEGIN TRANSACTION")
    try:
        load_id = ledger.next_load_id(connection)
        if replaces:
            connection.execute(f"DELETE FROM {source.relation} WHERE _source_file = ?", [file.relative_path])
        connection.execute(
            f"INSERT INTO {source.relation} ({', '.join(map(quote_identifier, target_columns))}) "
            f"SELECT {', '.join(select)} FROM {BATCH}",
            [file.relative_path, load_id],
        )
        rows = connection.execute(f"SELECT count(*) FROM {BATCH}").fetchall()[0][0]
        ledger.record_delivery(
            connection, load_id=load_id, source=source.folder, path=file.relative_path,
            size_bytes=file.size_bytes, sha256=file.sha256, rows=rows,
        )
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    finally:
        connection.execute(f"DROP TABLE IF EXISTS {BATCH}")
    return FileOutcome(file.relative_path, "reloaded" if replaces else "loaded", rows, extra)


def ingest_source(connection: duckdb.DuckDBPyConnection, source: Source, landing_root: Path) -> IngestReport:
    """Bring the raw table of `source` up to date with its landing folder."""
    ledger.ensure_ledger(connection)
    ensure_raw_table(connection, source)
    report = IngestReport(source)
    current = ledger.current_versions(connection, source.folder)
    loaded_hashes = set(current.values())
    for file in discover(source, landing_root):
        if current.get(file.relative_path) == file.sha256:
            report.files.append(FileOutcome(file.relative_path, "unchanged"))
        elif file.sha256 in loaded_hashes:
            report.files.append(FileOutcome(file.relative_path, "duplicate"))
        else:
            report.files.append(_load_file(connection, source, file, replaces=file.relative_path in current))
            loaded_hashes.add(file.sha256)
    report.table_rows = connection.execute(f"SELECT count(*) FROM {source.relation}").fetchall()[0][0]
    return report
