"""A fingerprint per published mart (columns and types, rows, an order-independent checksum), to show that two builds
of the same data — on DuckDB and on Spark, say — published the same marts.

Money columns are exact decimals in whole cents, so they are compared as they are; other doubles
are already rounded by the marts. Columns that record when a run happened (`fitted_at`) are left out.
"""

from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.lib.publish.serving import SCHEMA, warehouse_marts

RUN_TIME_COLUMNS = frozenset({"fitted_at"})


@dataclass(frozen=True)
class Fingerprint:
    columns: tuple[tuple[str, str], ...]
    rows: int
    checksum: int


def _fingerprint(connection: duckdb.DuckDBPyConnection, relation: str) -> Fingerprint:
    schema = tuple(
        (name, type_) for name, type_, *_ in connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    )
    columns = ", ".join(name for name, _ in schema if name not in RUN_TIME_COLUMNS)
    rows, checksum = connection.execute(
        f"SELECT count(*), coalesce(sum(hash(row({columns}))), 0) FROM {relation}"
    ).fetchall()[0]
    return Fingerprint(schema, rows, int(checksum))


def fingerprints(serving_path: Path) -> dict[str, Fingerprint]:
    """Every mart of a serving DuckDB file."""
    with duckdb.connect(str(serving_path), read_only=True) as connection:
        return {table: _fingerprint(connection, relation) for table, relation in warehouse_marts(connection).items()}


def parquet_fingerprints(folder: Path) -> dict[str, Fingerprint]:
    """Every mart of a serving Parquet folder (one `<mart>.parquet` each)."""
    with duckdb.connect() as connection:
        return {
            path.stem: _fingerprint(connection, f"read_parquet('{path}')") for path in sorted(folder.glob("*.parquet"))
        }


def rows_in_one_only(
    connection: duckdb.DuckDBPyConnection, one: str, other: str, columns: list[tuple[str, str]]
) -> int:
    """Rows of relation `one` with no equal row in `other`, plus those of `other` with none in `one`
    (EXCEPT ALL both ways), compared on `columns` ((name, type) pairs; doubles to 1e-9)."""
    select = ", ".join(f'round("{name}", 9)' if kind == "DOUBLE" else f'"{name}"' for name, kind in columns)
    one, other = f"SELECT {select} FROM {one}", f"SELECT {select} FROM {other}"
    return connection.execute(
        f"SELECT (SELECT count(*) FROM ({one} EXCEPT ALL {other})) + (SELECT count(*) FROM ({other} EXCEPT ALL {one}))"
    ).fetchall()[0][0]


def differing_rows(left: Path, right: Path, table: str, limit: int = 5) -> list[tuple]:
    """A few rows of `table` that one serving file has and the other lacks (for a failure message)."""
    with duckdb.connect() as connection:
        connection.execute(f"ATTACH '{left}' AS left_file (READ_ONLY)")
        connection.execute(f"ATTACH '{right}' AS right_file (READ_ONLY)")
        names = [
            name
            for name, *_ in connection.execute(f"DESCRIBE left_file.{SCHEMA}.{table}").fetchall()
            if name not in RUN_TIME_COLUMNS
        ]
        columns = ", ".join(names)
        return connection.execute(
            f"""
            (SELECT 'left only' AS side, {columns} FROM left_file.{SCHEMA}.{table}
             EXCEPT ALL SELECT 'left only', {columns} FROM right_file.{SCHEMA}.{table})
            UNION ALL
            (SELECT 'right only', {columns} FROM right_file.{SCHEMA}.{table}
             EXCEPT ALL SELECT 'right only', {columns} FROM left_file.{SCHEMA}.{table})
            ORDER BY 2, 3 LIMIT {int(limit)}
            """
        ).fetchall()
