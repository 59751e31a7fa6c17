"""The gates a landing file passes before anything of it is merged.

Row-level problems quarantine, file-level problems block:
- each row gets its first broken rule (`row_rules`); bad rows are kept aside with their raw row,
  and the good rows proceed;
- the file is blocked when it cannot be read, lacks a required column, has more bad rows than
  `max_bad_row_share`, or has far fewer rows per event day than the trailing deliveries
  (`min_volume_ratio`);
- the good rows of the run's files are then validated together by the Great Expectations suite
  (`expectations`, on a fixed-size sample beyond `gx_sample_rows`); a failure there blocks them all.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

import duckdb

from orchestration.lib import settings
from orchestration.lib.ingest import ledger
from orchestration.lib.ingest.contract import ORDERS, Source
from orchestration.lib.ingest.discover import LandingFile, LandingFileError
from orchestration.lib.ingest.expectations import validate_batch
from orchestration.lib.ingest.read import delimiter_hint, read_batch
from orchestration.lib.ingest.row_rules import bad_rows_sql, classify_sql, quote, taken_as_delivered

BATCH, CHECKED = "landing_batch", "landing_checked"
MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Thresholds:
    max_bad_row_share: float = 0.05
    min_volume_ratio: float = 0.2
    min_history_files: int = 3  # the volume check needs this many earlier deliveries
    gx_sample_rows: int = 100_000  # larger batches are validated by GX on a sample of this size
    max_line_bytes: int = 64 * 2**20  # the longest CSV line read; a longer one blocks its file
    # A delivery of tickets or answers is blocked when more than this share of its rows name a customer
    # no order carries, once it has at least `unknown_customer_min_rows` rows (a few prospects' rows are
    # no sign of mismatched ids).
    max_unknown_customer_share: float = 0.2
    unknown_customer_min_rows: int = 20


def configured_thresholds() -> Thresholds:
    """The thresholds the settings give (`LIFECYCLE_*`): what a run judges with, and `check` too."""
    return Thresholds(
        max_bad_row_share=settings.max_bad_row_share(),
        min_volume_ratio=settings.min_volume_ratio(),
        gx_sample_rows=settings.gx_sample_rows(),
        max_line_bytes=settings.csv_max_line_bytes(),
        max_unknown_customer_share=settings.max_unknown_customer_share(),
    )


def _examples(connection: duckdb.DuckDBPyConnection, bad_table: str) -> list[str]:
    rows = connection.execute(
        f"SELECT _source_row, _rule, _raw_row FROM {bad_table} ORDER BY _source_row LIMIT {MAX_EXAMPLES}"
    ).fetchall()
    examples = []
    for row, rule, raw in rows:
        column = rule.split(":", 1)[1] if ":" in rule and not rule.startswith("order:") else None
        value = (
            connection.execute("SELECT json_extract_string(?::JSON, ?)", [raw, f"$.{column}"]).fetchall()[0][0]
            if column
            else raw
        )
        examples.append(f"row {row}: {rule} (value {value!r})")
    return examples


def _check_volume(
    connection, source: Source, file: LandingFile, rows: int, event_days: int, thresholds: Thresholds
) -> None:
    if rows == 0 or event_days == 0:
        return
    history, mean = ledger.trailing_rows_per_day(connection, source.folder)
    if history < thresholds.min_history_files or not mean:
        return
    per_day = rows / event_days
    if per_day < thresholds.min_volume_ratio * mean:
        raise LandingFileError(
            file.relative_path,
            "volume_drop",
            f"{per_day:.1f} rows per event day against a trailing average of {mean:.1f} over the last {history} "
            f"deliveries (below {thresholds.min_volume_ratio:.0%})",
        )


@dataclass
class Classified:
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


def classify_file(
    connection: duckdb.DuckDBPyConnection,
    source: Source,
    file: LandingFile,
    replaces: bool,
    thresholds: Thresholds,
    table: str,
) -> Classified:
    """Read a file and give every row its first broken rule; raise LandingFileError to block it."""
    file_columns, delivered_typed = read_batch(
        connection, file, BATCH, thresholds.max_line_bytes, partial(taken_as_delivered, source)
    )
    missing = [name for name in source.required_columns if name not in file_columns]
    if missing:
        raise LandingFileError(
            file.relative_path,
            "required_columns",
            f"missing required column(s): {', '.join(missing)}{delimiter_hint(file)}",
        )
    added = [column.name for column in source.columns if column.name not in file_columns]
    for name in added:
        connection.execute(f"ALTER TABLE {BATCH} ADD COLUMN {quote(name)} VARCHAR")
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {CHECKED} AS {classify_sql(source, BATCH, delivered_typed)}")
    bad_table = f"{table}_bad"
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {bad_table} AS {bad_rows_sql(BATCH, CHECKED, file_columns + added)}"
    )

    [(total,)] = connection.execute(f"SELECT count(*) FROM {CHECKED}").fetchall()
    by_rule = tuple(
        connection.execute(f"SELECT _rule, count(*) FROM {bad_table} GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
    )
    bad = sum(count for _, count in by_rule)
    examples = tuple(_examples(connection, bad_table)) if bad else ()
    if bad and bad > thresholds.max_bad_row_share * total:
        rules = ", ".join(f"{count} x {rule}" for rule, count in by_rule)
        raise LandingFileError(
            file.relative_path,
            by_rule[0][0],
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
    return Classified(file, replaces, table, bad_table, total, bad, by_rule, examples, event_days, extra)


def gx_failures(connection: duckdb.DuckDBPyConnection, source: Source, pending: list[Classified], sample_rows: int):
    """One Great Expectations validation over the good rows of every file waiting to be merged.

    Up to `sample_rows` rows go to GX whole; beyond that a fixed-size random sample does. The
    row rules have already judged every row in SQL, so GX is an independent second opinion,
    and a pandas copy of a 9M-row batch would cost gigabytes and minutes for no new rule.
    """
    names = ", ".join(quote(column.name) for column in source.columns)
    union = " UNION ALL ".join(
        f"SELECT {names}, {index} AS _delivery FROM {item.table} WHERE _rule IS NULL"
        for index, item in enumerate(pending)
    )
    good_rows = sum(item.total - item.bad for item in pending)
    if good_rows > sample_rows:
        union = f"SELECT * FROM ({union}) USING SAMPLE reservoir({int(sample_rows)} ROWS) REPEATABLE (42)"
    frame = connection.execute(union).df()
    return validate_batch(frame, source, datetime.now(UTC).replace(tzinfo=None), delivery_column="_delivery")


# The orders' customers: in the raw table, and those whose rows the lake has taken over (`lake.sync_source`).
_KNOWN_CUSTOMERS = (
    f"(SELECT customer_id FROM {ORDERS.relation} UNION ALL SELECT customer_id FROM {ledger.ORDER_CUSTOMERS})"
)


def _has_orders(connection: duckdb.DuckDBPyConnection) -> bool:
    [(tables,)] = connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [ORDERS.system, ORDERS.table],
    ).fetchall()
    return bool(tables) and connection.execute(f"SELECT EXISTS (SELECT 1 FROM {_KNOWN_CUSTOMERS})").fetchall()[0][0]


def unknown_customers(
    connection: duckdb.DuckDBPyConnection, pending: list[Classified], thresholds: Thresholds
) -> dict[str, LandingFileError]:
    """The deliveries whose good rows mostly name customers no order carries, by path, with the error
    that blocks them: the ids of the help desk or survey tool likely do not match the shop's. One
    pass over the known customers for all the run's files of a source. Without any order there is
    nothing to match against: every id is a prospect's, and nothing is blocked."""
    if not _has_orders(connection):
        return {}
    files = " UNION ALL ".join(
        f"SELECT {index} AS delivery, customer_id FROM {item.table} WHERE _rule IS NULL"
        for index, item in enumerate(pending)
    )
    # The known ids among the delivered ones, by a semi-join that hashes the deliveries' ids (a day's
    # few) and streams the orders past them, rather than collecting every order's distinct id first.
    counts = connection.execute(
        f"""
        WITH files AS ({files}),
        known AS (
            SELECT customer_id FROM (SELECT DISTINCT customer_id FROM files) AS delivered
            WHERE customer_id IN (SELECT customer_id FROM {_KNOWN_CUSTOMERS})
        )
        SELECT delivery, count(*), count(*) FILTER (WHERE known.customer_id IS NULL),
               list(DISTINCT files.customer_id ORDER BY files.customer_id) FILTER (WHERE known.customer_id IS NULL)
        FROM files
        LEFT JOIN known USING (customer_id)
        GROUP BY delivery
        """
    ).fetchall()
    blocked = {}
    for delivery, total, unknown, examples in counts:
        if total < thresholds.unknown_customer_min_rows or unknown <= thresholds.max_unknown_customer_share * total:
            continue
        path = pending[delivery].file.relative_path
        blocked[path] = LandingFileError(
            path,
            "unknown_customers",
            f"{unknown} of {total} rows ({unknown / total:.1%}) name a customer_id that no order carries, more than "
            f"the {thresholds.max_unknown_customer_share:.0%} allowed: do the ids of this system match the shop's "
            f"(e-mails in one, numeric ids in the other?); e.g. {', '.join(map(repr, examples[:3]))}",
        )
    return blocked
