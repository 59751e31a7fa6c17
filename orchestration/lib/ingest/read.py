"""Reading one landing file into DuckDB, row by row, or saying in words why it cannot be read."""

import re
from collections.abc import Callable

import duckdb

from orchestration.lib.ingest.discover import LandingFile, LandingFileError
from orchestration.lib.warehouse.relations import quote_identifier

# DuckDB's own limit on a CSV line; a file with a longer one is read again with the configured limit,
# so that ordinary files keep the reader's smaller buffers.
DUCKDB_MAX_LINE_BYTES = 2_097_152
LINE_TOO_LONG = re.compile(r"Maximum line size of (\d+) bytes exceeded\. Actual Size:\s*(\d+)")

# Delimiters a spreadsheet saves CSV with in other locales; the contract reads commas only.
OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}
# A number written with a decimal comma, thousands maybe grouped with points: `12,5`, `1.234,56`.
DECIMAL_COMMA = re.compile(r"[+-]?\d[\d.]*,\d+")
HINT_LINES = 20  # the header and the first rows, enough to see decimal commas
HINT_LINE_BYTES = 65_536


def _reader_sql(file: LandingFile, max_line_bytes: int = DUCKDB_MAX_LINE_BYTES) -> str:
    location = str(file.path).replace("'", "''")
    if file.file_format == "csv":
        # Everything is read as text: types are the contract's business, not the sniffer's.
        return (
            f"read_csv('{location}', header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"', "
            f"max_line_size = {int(max_line_bytes)})"
        )
    if file.file_format == "parquet":
        return f"read_parquet('{location}')"
    return f"read_json('{location}', format = 'newline_delimited')"


def nothing_typed(name: str, delivered_type: str) -> bool:
    """Every column as text: what a CSV or JSON-lines file gets, and the default."""
    return False


def read_batch(
    connection: duckdb.DuckDBPyConnection,
    file: LandingFile,
    table: str,
    max_line_bytes: int = DUCKDB_MAX_LINE_BYTES,
    keep_typed: Callable[[str, str], bool] = nothing_typed,
) -> tuple[list[str], frozenset[str]]:
    """Load `file` into temp table `table`, one row per data row in file order, so that the table's
    `rowid` + 1 is the row's number in the file (`row_rules.source_row`; a `row_number()` window over
    the read would cost a third of the read). Every column is trimmed text, except a Parquet column for
    which `keep_typed(name, its DuckDB type)` holds: its file declared a type the contract takes as it
    is, and writing it out as text to parse it back would be all the work. A CSV line may be up to
    `max_line_bytes` long (a long free-text answer).

    Returns the file's column names, normalised to lower case, and those of them kept typed.
    """
    if file.size_bytes == 0:
        raise LandingFileError(file.relative_path, "readable_file", "the file is empty (not even a header)")
    keep = keep_typed if file.file_format == "parquet" else nothing_typed
    try:
        return _read(connection, file, table, DUCKDB_MAX_LINE_BYTES, keep)
    except duckdb.Error as error:
        if not LINE_TOO_LONG.search(str(error)) or max_line_bytes <= DUCKDB_MAX_LINE_BYTES:
            raise LandingFileError(file.relative_path, *_read_failure(error, file)) from error
    try:
        return _read(connection, file, table, max_line_bytes, keep)
    except duckdb.Error as error:
        raise LandingFileError(file.relative_path, *_read_failure(error, file)) from error


def _read(
    connection: duckdb.DuckDBPyConnection,
    file: LandingFile,
    table: str,
    max_line_bytes: int,
    keep_typed: Callable[[str, str], bool],
) -> tuple[list[str], frozenset[str]]:
    reader = _reader_sql(file, max_line_bytes)
    described = connection.sql(f"DESCRIBE SELECT * FROM {reader}").fetchall()
    columns = [row[0] for row in described]
    normalised = [name.strip().lstrip("\ufeff").lower() for name in columns]
    duplicated = sorted({name for name in normalised if normalised.count(name) > 1})
    if duplicated:
        raise LandingFileError(file.relative_path, "unique_columns", f"columns appear twice: {', '.join(duplicated)}")
    typed = frozenset(
        name
        for name, (_, delivered_type, *_) in zip(normalised, described, strict=True)
        if keep_typed(name, delivered_type)
    )
    read = ", ".join(
        f"{quote_identifier(original)} as {quote_identifier(name)}"
        if name in typed
        else f"nullif(trim(cast({quote_identifier(original)} as varchar)), '') as {quote_identifier(name)}"
        for original, name in zip(columns, normalised, strict=True)
    )
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {read} FROM {reader}")
    return normalised, typed


def delimiter_hint(file: LandingFile) -> str:
    """Why a CSV file's columns come out wrong: its header is separated by another delimiter (a
    spreadsheet in many locales saves CSV with `;`). Such a file often has decimal commas too (`12,5`),
    which a comma-separated reading takes for delimiters: the rows then have more fields than the header,
    so DuckDB reads a row as the header, or the file as damaged, and the header's names are lost. Hence
    the file's own first lines, not the columns DuckDB read."""
    if file.file_format != "csv":
        return ""
    with file.path.open("rb") as handle:
        lines = [handle.readline(HINT_LINE_BYTES).decode("utf-8", "replace") for _ in range(HINT_LINES)]
    header = lines[0].lstrip("\ufeff").rstrip("\r\n")
    delimiter = next((d for d in OTHER_DELIMITERS if d in header), None) if "," not in header else None
    if delimiter is None:
        return ""
    seen = f"the header looks {OTHER_DELIMITERS[delimiter]}-delimited: {header[:60]!r}"
    decimal_comma = next(
        (value for line in lines[1:] for value in line.strip().split(delimiter) if DECIMAL_COMMA.fullmatch(value)),
        None,
    )
    if decimal_comma is None:
        return f" ({seen}; save the file comma-separated)"
    decimal_point = decimal_comma.replace(".", "").replace(",", ".")
    return (
        f" ({seen}, with decimal commas such as {decimal_comma!r}; save the file comma-separated with decimal "
        f"points ({decimal_point!r}): the pipeline reads no other delimiter or decimal mark)"
    )


def _read_failure(error: duckdb.Error, file: LandingFile) -> tuple[str, str]:
    """A rule name and a plain-words reason for a file DuckDB could not read."""
    file_format = file.file_format
    text = str(error)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    where = f" (line {line.group(1)})" if line else ""
    too_long = LINE_TOO_LONG.search(text)
    if too_long:
        limit, actual = (int(value) for value in too_long.groups())
        return "line_length", (
            f"has a line{where} of {actual:,} bytes, longer than the limit of {limit:,} bytes (a very long "
            "free-text field?): raise LIFECYCLE_CSV_MAX_LINE_BYTES to read it"
        )
    if "not utf-8 encoded" in text.lower():
        return "encoding", f"is not UTF-8 encoded{where}: save it as UTF-8"
    if file_format == "csv" and (
        "sniffing" in text or "Unterminated quote" in text or "Expected Number of Columns" in text
    ):
        return "well_formed_csv", (
            f"is not well-formed CSV{where}: a row has the wrong number of fields or an unterminated quote"
            f"{delimiter_hint(file) or ' (a truncated or damaged file?)'}"
        )
    return "readable_file", f"cannot be read as {file_format}: {text.strip().splitlines()[0]}"
