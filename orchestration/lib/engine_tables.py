"""Where the Python steps find the tables dbt built, on whichever engine built them.

DuckDB: in the warehouse, as `<schema>.<table>`. Spark: in its warehouse folder, as the Parquet files
of a managed table (`<LIFECYCLE_SPARK_DIR>/warehouse/<schema>.db/<table>`), which DuckDB reads in
place: the CLV step needs only the RFM summary, and publishing only the marts, so no JVM is started
outside dbt. The CLV outputs go the other way: to the lake, which Spark reads as external tables.
"""

from pathlib import Path

from orchestration.lib import settings


def spark_table_dir(schema: str, table: str) -> Path:
    return settings.spark_dir() / "warehouse" / f"{schema}.db" / table


def relation(schema: str, table: str) -> str:
    """A relation DuckDB can select from, for the table `schema.table` of the configured engine."""
    if settings.engine() == "spark":
        folder = spark_table_dir(schema, table)
        if not folder.is_dir():
            raise FileNotFoundError(f"Spark has not built {schema}.{table} (no folder {folder})")
        return f"read_parquet('{folder}/*.parquet')"
    return f"{schema}.{table}"


def spark_tables(schema: str) -> list[str]:
    """The tables Spark built in `schema` (views have no folder)."""
    folder = settings.spark_dir() / "warehouse" / f"{schema}.db"
    return sorted(path.name for path in folder.iterdir() if path.is_dir()) if folder.is_dir() else []


def clv_output_dir(table: str) -> Path:
    """Where the CLV step writes `clv.<table>` for Spark (dbt macro `create_lake_tables` reads it)."""
    return settings.lake_dir() / "clv" / table
