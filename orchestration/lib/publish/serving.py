"""Write-audit-publish of the marts: BI tools read a serving copy, never the working warehouse.

Publishing writes every table of schema `marts` into a new DuckDB file and one Parquet file per
mart, both under temporary names beside the serving path; audits them against the warehouse
(row counts, column names and types); and only then swaps them in:
- the DuckDB file with `os.replace`, atomic on one file system: a reader that has the old file
  open keeps reading it, a new connection sees the new one;
- the Parquet set through `parquet`, a symbolic link replaced atomically to point at the new
  `parquet-<token>` folder, so readers never see a mix of two runs.
Files derived from the new serving file (the lifecycle report, the audiences' folder) are written from
it after the audit, under temporary names too, and swapped in right after the marts (a file with
`os.replace`, a folder behind a link as the Parquet set is): a reader finds them from the same run as
the marts, and a failure in any of them swaps nothing in.
Any failure removes the temporary files and leaves the serving files byte-identical; leftovers of
a killed run are removed at the start of the next publish.
"""

import os
import shutil
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

SCHEMA = "marts"
TEMP_MARKER = ".tmp-"
PARQUET = "parquet"


class PublishAuditError(RuntimeError):
    """The new serving files do not match the warehouse; nothing was swapped in."""


# Writes a file or a folder derived from the serving file: (the new, audited serving file, where to write) ->
# anything the caller wants back (the report's summary, say).
Companion = Callable[[Path, Path], object]


@dataclass(frozen=True)
class PublishReport:
    serving_path: Path
    parquet_folder: Path
    row_counts: dict[str, int]
    bytes_written: int
    companions: dict[Path, object] = field(default_factory=dict)  # each companion's path and what it returned


def _temporaries(folder: Path, serving_name: str, companion_names: tuple[str, ...] = ()) -> list[Path]:
    prefixes = tuple(f"{name}{TEMP_MARKER}" for name in (serving_name, PARQUET, *companion_names))
    return [path for path in folder.iterdir() if path.name.startswith(prefixes)] if folder.is_dir() else []


def _unlinked_versions(folder: Path, name: str) -> list[Path]:
    """The versioned folders `<name>-<token>` that the link `name` does not point at."""
    link = folder / name
    current = link.resolve() if link.is_symlink() else None
    return [p for p in folder.glob(f"{name}-*") if p.is_dir() and not p.is_symlink() and p.resolve() != current]


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)


def clean_leftovers(serving_path: Path, companion_names: tuple[str, ...] = ()) -> list[Path]:
    """Remove what an interrupted publish left behind (temporary files, unused Parquet folders)."""
    folder = serving_path.parent
    leftovers = _temporaries(folder, serving_path.name, companion_names)
    for name in (PARQUET, *companion_names):
        leftovers += _unlinked_versions(folder, name)
    for path in leftovers:
        _remove(path)
    return leftovers


def _relink_copied_folder(folder: Path, name: str) -> None:
    """A serving folder copied without its links (`cp -r`, many backup tools) has `parquet` (or a folder
    companion) as a real folder, which the atomic swap of the link cannot replace: make it a versioned
    folder again, behind a link. Readers lose the path only between the rename and the link's swap
    (microseconds)."""
    link = folder / name
    if link.is_dir() and not link.is_symlink():
        versioned = folder / f"{name}-{uuid.uuid4().hex[:12]}"
        link.rename(versioned)
        _point_link_at(versioned, name)


def _point_link_at(versioned: Path, name: str) -> None:
    """Atomically make `name` (beside `versioned`) link to it: a new link under a temporary name, renamed over."""
    temporary = versioned.with_name(f"{name}{TEMP_MARKER}{versioned.name}.link")
    temporary.symlink_to(versioned.name)
    os.replace(temporary, versioned.with_name(name))


def _swap_in(temporary: Path, folder: Path, name: str, token: str) -> None:
    """A companion's new file replaces the old one; a new folder becomes `name-<token>` behind the link `name`."""
    if temporary.is_dir():
        versioned = folder / f"{name}-{token}"
        temporary.rename(versioned)
        _point_link_at(versioned, name)
    else:
        os.replace(temporary, folder / name)


def _schema(connection: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    return [(name, type_) for name, type_, *_ in connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]


def _audit(
    warehouse: duckdb.DuckDBPyConnection, database: Path, parquet: Path, tables: dict[str, str]
) -> dict[str, int]:
    counts = {}
    with duckdb.connect(str(database), read_only=True) as published:
        published_tables = sorted(
            name
            for (name,) in published.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [SCHEMA]
            ).fetchall()
        )
        if published_tables != sorted(tables):
            raise PublishAuditError(f"the serving file holds {published_tables}, the warehouse {sorted(tables)}")
        for table in tables:
            expected_rows = warehouse.execute(f"SELECT count(*) FROM {tables[table]}").fetchall()[0][0]
            expected_schema = _schema(warehouse, tables[table])
            for label, connection, relation in (
                ("serving file", published, f"{SCHEMA}.{table}"),
                ("Parquet file", published, f"read_parquet('{parquet / f'{table}.parquet'}')"),
            ):
                rows = connection.execute(f"SELECT count(*) FROM {relation}").fetchall()[0][0]
                if rows != expected_rows:
                    raise PublishAuditError(f"{table}: {rows} rows in the {label}, {expected_rows} in the warehouse")
                schema = _schema(connection, relation)
                if schema != expected_schema:
                    raise PublishAuditError(
                        f"{table}: the {label}'s columns {schema} differ from the warehouse's {expected_schema}"
                    )
            counts[table] = expected_rows
    return counts


def warehouse_marts(warehouse: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The marts a DuckDB database holds (the warehouse, or a serving file): every base table of schema `marts`."""
    return {
        name: f"{SCHEMA}.{name}"
        for (name,) in warehouse.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' "
            "AND table_catalog = current_database() ORDER BY 1",
            [SCHEMA],
        ).fetchall()
    }


def publish_marts(
    warehouse: duckdb.DuckDBPyConnection,
    serving_path: Path,
    marts: dict[str, str] | None = None,
    companions: Mapping[str, Companion] | None = None,
) -> PublishReport:
    """Copy, audit and swap in the marts; see the module docstring for the guarantees.

    `marts` maps each mart's name to a relation `warehouse` can read it from (default: the warehouse's
    own schema `marts`; with Spark, the Parquet files of its tables). `companions` maps a file name
    beside the serving file to what writes it from the new serving file.
    """
    companions = dict(companions or {})
    folder = serving_path.parent
    folder.mkdir(parents=True, exist_ok=True)
    clean_leftovers(serving_path, tuple(companions))
    for name in (PARQUET, *companions):
        _relink_copied_folder(folder, name)
    token = uuid.uuid4().hex[:12]
    new_database = folder / f"{serving_path.name}{TEMP_MARKER}{token}"
    new_parquet = folder / f"parquet{TEMP_MARKER}{token}"
    tables = dict(sorted((marts if marts is not None else warehouse_marts(warehouse)).items()))
    alias = f"serving_{token}"
    try:
        warehouse.execute(f"ATTACH '{new_database}' AS {alias}")
        try:
            warehouse.execute(f"CREATE SCHEMA {alias}.{SCHEMA}")
            for table in tables:
                warehouse.execute(f"CREATE TABLE {alias}.{SCHEMA}.{table} AS SELECT * FROM {tables[table]}")
        finally:
            warehouse.execute(f"DETACH {alias}")  # checkpoints: the file is complete, no WAL left behind
        new_parquet.mkdir()
        for table in tables:
            warehouse.execute(
                f"COPY (SELECT * FROM {tables[table]}) TO '{new_parquet / f'{table}.parquet'}' (FORMAT parquet)"
            )
        counts = _audit(warehouse, new_database, new_parquet, tables)
        written = {name: (folder / f"{name}{TEMP_MARKER}{token}", write) for name, write in companions.items()}
        returned = {folder / name: write(new_database, temporary) for name, (temporary, write) in written.items()}

        bytes_written = new_database.stat().st_size + sum(p.stat().st_size for p in new_parquet.iterdir())
        os.replace(new_database, serving_path)
        _swap_in(new_parquet, folder, PARQUET, token)
        for name, (temporary, _) in written.items():
            _swap_in(temporary, folder, name, token)
    except BaseException:
        for path in (new_database, Path(f"{new_database}.wal"), new_parquet):
            _remove(path)
        for name in companions:
            _remove(folder / f"{name}{TEMP_MARKER}{token}")
        raise
    clean_leftovers(serving_path, tuple(companions))
    return PublishReport(serving_path, folder / PARQUET, counts, bytes_written, returned)
