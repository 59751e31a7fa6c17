"""The `spark` tier (`make test-spark`, in CI): the same data built on DuckDB and on Spark (dbt-spark,
`session` method, local mode) publishes the same marts — row counts and a checksum per mart, money
to the cent, same columns and types. pyspark is a large download, so only this tier installs it."""

from pathlib import Path

import duckdb
import pytest

from tests.helpers import assert_same_marts, run_lifecycle_job
from tools.fingerprint import fingerprints
from tools.sample_data import generate

pytestmark = pytest.mark.spark

CUSTOMERS = 1000


def _build(engine: str, landing: Path, work: Path, monkeypatch) -> Path:
    serving = work / "serving" / "lifecycle.duckdb"
    with monkeypatch.context() as patch:
        patch.setenv("LIFECYCLE_ENGINE", engine)
        patch.setenv("LIFECYCLE_WAREHOUSE", str(work / "warehouse.duckdb"))
        patch.setenv("LIFECYCLE_LAKE_DIR", str(work / "lake"))
        patch.setenv("LIFECYCLE_SPARK_DIR", str(work / "spark"))
        patch.setenv("LIFECYCLE_SERVING", str(serving))
        result = run_lifecycle_job()
    assert result.success, f"the {engine} build failed"
    return serving


def test_duckdb_and_spark_publish_identical_marts(landing, tmp_path, monkeypatch):
    pytest.importorskip("pyspark", reason="the spark tier installs pyspark: make test-spark")
    generate(landing, customers=CUSTOMERS, seed=7)

    on_duckdb = _build("duckdb", landing, tmp_path / "duckdb", monkeypatch)
    on_spark = _build("spark", landing, tmp_path / "spark", monkeypatch)

    # Spark built the marts (its table folders exist); the DuckDB run never started Spark.
    assert (tmp_path / "spark" / "spark" / "warehouse" / "marts.db" / "customers").is_dir()
    assert not (tmp_path / "duckdb" / "spark").exists()

    expected, actual = assert_same_marts(on_duckdb, on_spark, "DuckDB (left) and Spark (right)")
    assert expected["customers"].rows == CUSTOMERS

    # A second Spark build of the same files appends to the audience history (an incremental model on plain
    # Parquet, reading the table it appends to) and finds nobody entering or exiting.
    _build("spark", landing, tmp_path / "spark", monkeypatch)
    again = fingerprints(on_spark)
    assert again["audience_changes"].rows == 0
    assert again["audience_members"] == actual["audience_members"]
    history = tmp_path / "spark" / "spark" / "warehouse" / "history.db" / "audience_build_sizes"
    with duckdb.connect() as connection:
        [(builds,)] = connection.execute(
            f"SELECT count(DISTINCT run_id) FROM read_parquet('{history}/*.parquet')"
        ).fetchall()
    assert builds == 2
