"""Reading one landing file into DuckDB as text, row by row, or saying in words why it cannot be read."""

import re

import duckdb

from orchestration.lib.ingest.discover import LandingFile, LandingFileError
from orchestration.lib.warehouse.relations import quote_identifier


def _reader_sql(file: LandingFile) -> str:
    location = str(file.path).replace("'", "''")
    if file.file_format == "csv":
        # Everything is read as text: types are the contract's business, not the sniffer's.
        return f"read_csv('{location}', header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"')"
    if file.file_format == "parquet":
        return f"read_parquet('{location}')"
    return f"read_json('{location}', format = 'newline_delimited')"


def read_as_text(connection: duckdb.DuckDBPyConnection, file: LandingFile, table: str) -> list[str]:
    """Load `file` into temp table `table`: every column as trimmed text, one row per data row in file
    order, so that the table's `rowid` + 1 is the row's number in the file (`row_rules.source_row`;
    a `row_number()` window over the read cost a third of the read).

    Returns the file's column names, normalised to lower case.
    """
    if file.size_bytes == 0:
        raise LandingFileError(file.relative_path, "readable_file", "the file is empty (not even a header)")
    try:
        described = connection.sql(f"DESCRIBE SELECT * FROM {_reader_sql(file)}").fetchall()
        columns = [row[0] for row in described]
        normalised = [name.strip().lstrip("\ufeff").lower() for name in columns]
        duplicated = sorted({name for name in normalised if normalised.count(name) > 1})
        if duplicated:
            raise LandingFileError(
                file.relative_path, "unique_columns", f"columns appear twice: {', '.join(duplicated)}"
            )
        as_text = ", ".join(
            f"nullif(trim(cast({quote_identifier(original)} as varchar)), '') as {quote_identifier(name)}"
            for original, name in zip(columns, normalised, strict=True)
        )
        connection.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {as_text} FROM {_reader_sql(file)}")
    except duckdb.Error as error:
        raise LandingFileError(file.relative_path, *_read_failure(error, file.file_format)) from error
    return normalised


def _read_failure(error: duckdb.Error, file_format: str) -> tuple[str, str]:
    """A rule name and a plain-words reason for a file DuckDB could not read."""
    text = str(error)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    where = f" (line {line.group(1)})" if line else ""
    if "not utf-8 encoded" in text.lower():
        return "encoding", f"is not UTF-8 encoded{where}: save it as UTF-8"
    if file_format == "csv" and (
        "sniffing" in text or "Unterminated quote" in text or "Expected Number of Columns" in text
    ):
        return "well_formed_csv", (
            f"is not well-formed CSV{where}: a row has the wrong number of fields or an unterminated quote "
            "(a truncated or damaged file?)"
        )
    return "readable_file", f"cannot be read as {file_format}: {text.strip().splitlines()[0]}"
