"""The CLV step's reads and writes on a Spark cluster (`settings.spark_server`), over Spark Connect.

The server collapses the purchase histories into their distinct rows with counts, which is all the fits
need; the pipeline host fits on those; the executors score every customer with the fitted models
(`clv.partitions`) and write the predictions where the lake's CLV tables are. The project's CLV code
reaches the executors as an artifact of the session, so the cluster's Python needs only numpy, scipy and
pandas.
"""

import tempfile
import zipfile
from datetime import date
from pathlib import Path

import pandas as pd

from orchestration.lib import clv, settings
from orchestration.lib.clv.partitions import partition_predictor
from orchestration.lib.clv.pipeline import OUTPUT_TABLES, WAREHOUSE_HISTORY_COLUMNS
from orchestration.lib.warehouse import spark_server

HISTORIES = "intermediate.int_customer_purchase_histories"
SPARK_TYPES = {
    "VARCHAR": "string",
    "DOUBLE": "double",
    "BIGINT": "bigint",
    "BOOLEAN": "boolean",
    "TIMESTAMP": "timestamp",
    "DATE": "date",
}
PACKAGE = Path(__file__).resolve().parents[2]  # the `orchestration` package


def spark_schema(table: str) -> str:
    return ", ".join(f"{name} {SPARK_TYPES[type_]}" for name, type_ in OUTPUT_TABLES[table].items())


def distinct_histories() -> pd.DataFrame:
    """The purchase histories' distinct rows with the number of customers sharing each, in a fixed order."""
    columns = ", ".join(WAREHOUSE_HISTORY_COLUMNS)
    spark_server.refresh(*HISTORIES.split("."))  # dbt's server has just rewritten it
    return spark_server.sql_to_pandas(
        f"SELECT {columns}, count(*) AS {clv.CUSTOMERS_COLUMN} FROM {HISTORIES} GROUP BY {columns} ORDER BY {columns}",
        "collapse the purchase histories",
    )


def as_of_date() -> date | None:
    frame = spark_server.sql_to_pandas("SELECT as_of_date FROM intermediate.int_as_of_dates", "read the as-of date")
    return None if frame.empty else pd.Timestamp(frame.iloc[0, 0]).date()


def holdout_transactions(sample_customers: int, as_of: date) -> pd.DataFrame:
    """The completed orders up to `as_of` of a fixed sample of customers (the server's hash decides the sample)."""
    return spark_server.sql_to_pandas(
        f"""
        WITH sample AS (
            SELECT customer_id FROM {HISTORIES}
            ORDER BY hash(customer_id), customer_id LIMIT {int(sample_customers)}
        )
        SELECT orders.customer_id, orders.order_date AS ordered_at
        FROM intermediate.int_orders_converted AS orders
        JOIN sample ON orders.customer_id = sample.customer_id
        WHERE orders.is_completed AND orders.has_fx_rate AND orders.order_date <= DATE'{as_of.isoformat()}'
        """,
        "read the holdout sample's orders",
    )


def _location(table: str) -> str:
    return f"{settings.spark_lake_location()}/clv/{table}"


def write_predictions(fits: dict[str, clv.FitResult] | None, *, purchase_model: str, monthly_discount_rate: float):
    """Score every customer on the executors (null predictions when the models could not be fitted)."""
    spark = spark_server.session()
    with spark_server.requesting("score the customers"):
        histories = spark_server.table(*HISTORIES.split(".")).select("customer_id", *WAREHOUSE_HISTORY_COLUMNS)
        if fits:
            _ship_code(spark)
            predictor = partition_predictor(
                fits[purchase_model],
                fits["gamma_gamma"],
                monthly_discount_rate=monthly_discount_rate,
                purchase_model=purchase_model,
            )
            scored = histories.mapInPandas(predictor, spark_schema("clv_predictions"))
        else:
            columns = [
                "customer_id" if name == "customer_id" else f"CAST(NULL AS double) AS {name}"
                for name in OUTPUT_TABLES["clv_predictions"]
                if name != "purchase_model"
            ]
            scored = histories.selectExpr(*columns, f"'{purchase_model}' AS purchase_model")
        _write(scored, "clv_predictions")


def write_frame(frame: pd.DataFrame, table: str) -> None:
    """A small output the pipeline host computed (the fits, the holdout tracking), as the cluster's table."""
    spark = spark_server.session()
    with spark_server.requesting(f"write clv.{table}"):
        _write(spark.createDataFrame(frame if not frame.empty else [], spark_schema(table)), table)


def _write(frame, table: str) -> None:
    frame.write.mode("overwrite").parquet(_location(table))
    spark_server.refresh("clv", table)


def _code_archive(folder: Path) -> Path:
    """The CLV package as a zip the executors import (`orchestration.lib.clv`), written in `folder`."""
    archive = folder / "lifecycle_clv.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in [PACKAGE / "__init__.py", PACKAGE / "lib" / "__init__.py", *(PACKAGE / "lib" / "clv").glob("*.py")]:
            bundle.write(path, path.relative_to(PACKAGE.parent).as_posix())
    return archive


def _ship_code(spark) -> None:
    # The upload is done when addArtifacts returns: the zip lives no longer than the call (the command line
    # ends without running exit handlers, so nothing may count on one to remove it).
    with tempfile.TemporaryDirectory(prefix="lifecycle-clv-") as folder:
        spark.addArtifacts(str(_code_archive(Path(folder))), pyfile=True)
