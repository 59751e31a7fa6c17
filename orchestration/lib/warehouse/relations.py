"""Where the Python steps find the tables dbt built, on whichever engine built them, and where they
write the tables dbt reads.

DuckDB: in the warehouse, as `<schema>.<table>`. Spark in local mode: in its warehouse folder, as the
Parquet files of a managed table (`<LIFECYCLE_SPARK_DIR>/warehouse/<schema>.db/<table>`), which DuckDB
reads in place: the CLV step reads the RFM summary and a sample of orders, publishing the marts, so no JVM
is started outside dbt. The CLV outputs go the other way: to the lake, which Spark reads as external
tables. A Spark cluster's tables are fetched from its Connect server (`spark_server`).
"""

import os
from pathlib import Path

import duckdb

from orchestration.lib import settings


def spark_table_dir(schema: str, table: str) -> Path:
    return settings.spark_dir() / "warehouse" / f"{schema}.db" / table


def relation(schema: str, table: str) -> str:
    """A relation DuckDB can select from, for the table `schema.table` of the configured engine (not a
    cluster's: `readable`)."""
    if settings.spark_server():
        raise ValueError(f"{schema}.{table} is on the Spark cluster: read it with `readable`")
    if settings.engine() == "spark":
        folder = spark_table_dir(schema, table)
        if not folder.is_dir():
            raise FileNotFoundError(f"Spark has not built {schema}.{table} (no folder {folder})")
        return f"read_parquet('{folder}/*.parquet')"
    return f"{schema}.{table}"


def readable(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> str:
    """`relation`, or for a Spark cluster's table a temporary copy in `connection`, fetched over the network."""
    if settings.spark_server():
        from orchestration.lib.warehouse import spark_server

        return spark_server.load_into(connection, schema, table)
    return relation(schema, table)


def clv_output_dir(table: str) -> Path:
    """Where the CLV step writes `clv.<table>` for Spark (dbt macro `create_lake_tables` reads it)."""
    return settings.lake_dir() / "clv" / table


def write_clv_output(connection: duckdb.DuckDBPyConnection, table: str, query: str) -> None:
    """`clv.<table>` where the engine reads it: a warehouse table (DuckDB) or a Parquet file in the lake (Spark)."""
    if settings.engine() == "spark":
        folder = clv_output_dir(table)
        folder.mkdir(parents=True, exist_ok=True)
        staged = folder / f".{table}.parquet.tmp"  # hidden until complete, then swapped in
        connection.execute(f"COPY ({query}) TO '{staged}' (FORMAT parquet, COMPRESSION zstd)")
        os.replace(staged, folder / f"{table}.parquet")
    else:
        connection.execute("CREATE SCHEMA IF NOT EXISTS clv")
        connection.execute(f"CREATE OR REPLACE TABLE clv.{table} AS {query}")


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
