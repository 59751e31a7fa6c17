"""The contract's row-level rules as SQL: each row of a landing batch gets its first broken rule, or NULL.

Rules, in the order they are tried (a row reports the first it breaks):
`not_null:<column>`, `type:<column>` (present but not parseable), `control_characters:<column>` (a
text column other than free text holding a control character: a NUL, tab or line break in an id),
`accepted_values:<column>`,
`range:<column>`, `future:<column>` (more than FUTURE_TOLERANCE ahead of the load),
`order:<later>_before_<earlier>`, and `duplicate_key` (the key appears more than once in the file).
"""

from datetime import timedelta

from orchestration.lib.ingest.contract import DATE, INTEGER, ISO_4217_CURRENCIES, MONEY, TEXT, TIMESTAMP, Column, Source
from orchestration.lib.warehouse.relations import quote_identifier as quote

FUTURE_TOLERANCE = timedelta(days=1)
# ASCII control characters (0x00-0x1F, 0x7F), in RE2 (DuckDB) and Python `re` (Great Expectations) alike.
CONTROL_CHARACTERS = "[\\x00-\\x1f\\x7f]"


def guards_control_characters(column: Column) -> bool:
    """Whether the column must be free of control characters: every text column but free text."""
    return column.type == TEXT and not column.free_text


def source_row(batch: str) -> str:
    """The 1-based row number in its file of a row of `batch`: the batch is created in file order and
    never has rows deleted, so its rowid is the position (`read.read_batch`)."""
    return f"{batch}.rowid + 1"


def text_column(name: str) -> str:
    return quote(f"{name}__text")


# The types a Parquet file may declare for a contract column that are taken as they are rather than
# written out as text and parsed back (`read.read_batch`): those whose values the text route would give
# back unchanged. Not FLOAT for a DOUBLE (its text is its shortest decimal, which the cast would not
# give), nor DECIMAL, nor nanosecond timestamps; text columns are always read as text (trimmed).
TAKEN_AS_DELIVERED = {
    # DuckDB reads Parquet's second and millisecond timestamps as TIMESTAMP; nanoseconds as TIMESTAMP_NS.
    TIMESTAMP: frozenset({"TIMESTAMP", "TIMESTAMP WITH TIME ZONE"}),
    INTEGER: frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}),
    MONEY: frozenset({"DOUBLE"}),  # and RATE, the same type
    DATE: frozenset({"DATE"}),
}


def taken_as_delivered(source: Source, name: str, delivered_type: str) -> bool:
    """Whether the source's column `name`, delivered typed as `delivered_type`, is read as it is."""
    column = source.column(name)
    return column is not None and delivered_type in TAKEN_AS_DELIVERED.get(column.type, ())


def typed_expression(column: Column, delivered_typed: bool = False) -> str:
    """SQL turning the column's text (or, `delivered_typed`, its value as the file typed it) into the
    contract type (normalised), or NULL when it does not parse."""
    text = quote(column.name)
    if delivered_typed and column.type != TIMESTAMP:
        return f"try_cast({text} AS {column.type})"  # an integer beyond the contract's range is NULL
    if column.type == TIMESTAMP:
        # Offsets are honoured; naive values are UTC (the session time zone).
        return f"try_cast({text} AS TIMESTAMPTZ) AT TIME ZONE 'UTC'"
    if column.type == INTEGER:
        # Exports often write whole numbers as "4.0"; anything with a fraction is rejected.
        number = f"try_cast({text} AS DOUBLE)"
        return f"CASE WHEN {number} = round({number}) THEN try_cast({number} AS INTEGER) END"
    if column.accepted_values == ISO_4217_CURRENCIES:
        return f"upper({text})"
    if column.accepted_values:
        return f"lower({text})"
    return f"try_cast({text} AS {column.type})"


def _literal_list(values) -> str:
    return ", ".join("'" + value.replace("'", "''") + "'" for value in values)


def violation_expression(source: Source) -> str:
    """CASE expression over the typed batch (`<col>` typed, `<col>__text` as delivered)."""
    cases = []
    for column in source.columns:
        name, text = quote(column.name), text_column(column.name)
        if not column.nullable:
            cases.append((f"{text} IS NULL", f"not_null:{column.name}"))
        cases.append((f"{text} IS NOT NULL AND {name} IS NULL", f"type:{column.name}"))
    for column in filter(guards_control_characters, source.columns):
        condition = f"regexp_matches({text_column(column.name)}, '{CONTROL_CHARACTERS}')"
        cases.append((condition, f"control_characters:{column.name}"))
    for column in source.columns:
        name = quote(column.name)
        if column.accepted_values:
            cases.append((f"{name} NOT IN ({_literal_list(column.accepted_values)})", f"accepted_values:{column.name}"))
        if column.min_value is not None:
            cases.append((f"{name} < {column.min_value}", f"range:{column.name}"))
        if column.max_value is not None:
            cases.append((f"{name} > {column.max_value}", f"range:{column.name}"))
        if column.type in (TIMESTAMP, DATE):
            limit = f"now()::TIMESTAMP + INTERVAL {int(FUTURE_TOLERANCE.total_seconds())} SECOND"
            cases.append((f"{name} > {limit}", f"future:{column.name}"))
    for rule in source.score_ranges:
        condition = (
            f"{quote(rule.when_column)} = '{rule.when_value}' AND "
            f"{quote(rule.column)} NOT BETWEEN {rule.min_value} AND {rule.max_value}"
        )
        cases.append((condition, f"range:{rule.column}"))
    for ordering in source.orderings:
        cases.append(
            (
                f"{quote(ordering.later)} < {quote(ordering.earlier)}",
                f"order:{ordering.later}_before_{ordering.earlier}",
            )
        )
    cases.append(("_key_count > 1", "duplicate_key"))
    return "CASE " + " ".join(f"WHEN {condition} THEN '{rule}'" for condition, rule in cases) + " END"


def classify_sql(source: Source, batch: str, delivered_typed: frozenset[str] = frozenset()) -> str:
    """SELECT over the batch (text but for the columns in `delivered_typed`): `_source_row`, the typed
    contract columns and `_rule`.

    The delivered text is only read to judge the row; the raw row of a bad one is fetched from the
    batch afterwards (`bad_rows_sql`), so good rows never pay for a JSON copy of themselves.
    """
    typed = ", ".join(
        f"{typed_expression(c, c.name in delivered_typed)} AS {quote(c.name)}, {quote(c.name)} AS {text_column(c.name)}"
        for c in source.columns
    )
    names = ", ".join(quote(c.name) for c in source.columns)
    key = ", ".join(quote(k) for k in source.key)
    typed_key = ", ".join(
        f"{typed_expression(source.column(k), k in delivered_typed)} AS {quote(k)}" for k in source.key
    )
    # Repeated keys by aggregate and join, not a window over the whole file (a third faster; usually
    # none repeat). The key is typed a second time for the aggregate rather than the typed rows
    # shared by both: DuckDB would write the whole typed batch aside and read it back. A null key
    # never joins, but it already broke not_null, which comes first.
    return f"""
        WITH repeated AS (
            SELECT {key}, count(*) AS _key_count FROM (SELECT {typed_key} FROM {batch}) GROUP BY {key}
            HAVING count(*) > 1
        ),
        counted AS (
            SELECT typed.*, coalesce(repeated._key_count, 1) AS _key_count
            FROM (SELECT {source_row(batch)} AS _source_row, {typed} FROM {batch}) AS typed
            LEFT JOIN repeated USING ({key})
        )
        SELECT _source_row, {names}, {violation_expression(source)} AS _rule FROM counted
    """


def bad_rows_sql(batch: str, checked: str, columns: list[str]) -> str:
    """The rows of `checked` that broke a rule, with their rule and the delivered row as JSON: every one
    of the batch's `columns` as text, a typed Parquet column's too (a double's `nan` would otherwise be
    JSON's invalid `NaN`), so that a quarantined row reads the same whichever format delivered it."""
    as_text = ", ".join(f"{quote(name)} := cast(batch.{quote(name)} AS VARCHAR)" for name in columns)
    return f"""
        SELECT checked._source_row, checked._rule, to_json(struct_pack({as_text})) AS _raw_row
        FROM {batch} AS batch
        INNER JOIN {checked} AS checked ON checked._source_row = {source_row("batch")}
        WHERE checked._rule IS NOT NULL
    """
