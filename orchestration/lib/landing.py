"""Finding landing files and reading one of them into DuckDB as text, row by row."""

import hashlib
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import duckdb

from orchestration.lib.contract import FILE_FORMATS, Source

# A file whose size and modification time are those it had when it was last hashed is taken to hold
# the same content, without reading it (rsync's quick check; at tier L it spares reading 1.1 GB of
# unchanged files each day). Only a file left alone this long before it was hashed is remembered:
# a write within the file system's timestamp granularity after the hash could keep the same time.
SETTLED_NS = 2_000_000_000


class KnownHash(NamedTuple):
    """What a landing file was when it was last hashed."""

    size_bytes: int
    modified_ns: int  # modification time, in ns since the epoch
    sha256: str


class LandingFileError(ValueError):
    """A landing file cannot be used as a whole (unreadable, empty, wrong columns)."""

    def __init__(self, file: str, rule: str, detail: str):
        super().__init__(f"{file}: {detail} (rule: {rule})")
        self.file, self.rule, self.detail = file, rule, detail


@dataclass(frozen=True)
class LandingFile:
    path: Path
    relative_path: str  # relative to the landing root: the file's identity in the ledger
    size_bytes: int
    sha256: str
    modified_ns: int | None = None  # its modification time, when that vouches for `sha256` (SETTLED_NS)

    @property
    def file_format(self) -> str:
        return FILE_FORMATS[self.path.suffix.lower()]

    def known_hash(self) -> KnownHash | None:
        """What to remember of the file for the next `discover`; None when its time cannot vouch for its hash."""
        return KnownHash(self.size_bytes, self.modified_ns, self.sha256) if self.modified_ns is not None else None


def discover(source: Source, landing_root: Path, known: Mapping[str, KnownHash]) -> list[LandingFile]:
    """Files of a source in delivery order (modification time, then name). A missing folder is no files.

    `known` holds what each relative path was when last hashed (`ledger.known_hashes`): a file that
    still has that size and modification time is not read again.
    """
    folder = landing_root / source.folder
    if not folder.is_dir():
        return []
    found = [(p, p.stat()) for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in FILE_FORMATS]
    found.sort(key=lambda item: (item[1].st_mtime_ns, str(item[0])))
    files = []
    for path, stat in found:
        relative_path = path.relative_to(landing_root).as_posix()
        recorded = known.get(relative_path)
        if recorded and (recorded.size_bytes, recorded.modified_ns) == (stat.st_size, stat.st_mtime_ns):
            files.append(LandingFile(path, relative_path, stat.st_size, recorded.sha256, recorded.modified_ns))
            continue
        hashed_at = time.time_ns()
        sha256 = _sha256(path)
        settled = stat.st_mtime_ns < hashed_at - SETTLED_NS and _unchanged_since(path, stat)
        files.append(LandingFile(path, relative_path, stat.st_size, sha256, stat.st_mtime_ns if settled else None))
    return files


def _unchanged_since(path: Path, stat) -> bool:
    """Whether `path` still has the size and modification time of `stat` (not rewritten while it was read)."""
    now = path.stat()
    return (now.st_size, now.st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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
            raise LandingFileError(file.relative_path, "unique_columns", f"columns appear twice: {', '.join(duplicated)}")
        as_text = ", ".join(
            f"nullif(trim(cast({quote_identifier(original)} as varchar)), '') as {quote_identifier(name)}"
            for original, name in zip(columns, normalised)
        )
        connection.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS "
            f"SELECT {as_text} FROM {_reader_sql(file)}"
        )
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
    if file_format == "csv" and ("sniffing" in text or "Unterminated quote" in text or "Expected Number of Columns" in text):
        return "well_formed_csv", (
            f"is not well-formed CSV{where}: a row has the wrong number of fields or an unterminated quote "
            "(a truncated or damaged file?)"
        )
    return "readable_file", f"cannot be read as {file_format}: {text.strip().splitlines()[0]}"
