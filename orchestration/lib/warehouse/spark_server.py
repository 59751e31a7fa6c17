"""A Spark cluster's tables, read and written by the Python steps over Spark Connect (`settings.spark_server`).

No JVM on the pipeline host: pyspark's Connect client speaks gRPC to the server, which plans and runs on the
cluster's executors and hands results back as Arrow. The Thrift server that dbt talks to shares the
metastore but caches file listings of its own, so a table another server may have rewritten is refreshed
before it is read.
"""

import math
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import duckdb
import pyarrow as pa

from orchestration.lib import settings

CONNECT_TIMEOUT_SECONDS = 10


class SparkServerError(RuntimeError):
    """The Spark Connect server could not be reached or failed a request: names the server and the request."""


def unreachable() -> list[str]:
    """Each of the cluster's SQL servers that does not accept a connection, in words; empty when both do."""
    server = settings.spark_server()
    if server is None:
        return []
    connect_host, _, connect_port = server.connect_url.removeprefix("sc://").split("/")[0].rpartition(":")
    problems = []
    for piece, host, port in (
        ("Spark Thrift server (LIFECYCLE_SPARK_THRIFT, dbt)", server.thrift_host, server.thrift_port),
        ("Spark Connect server (LIFECYCLE_SPARK_CONNECT, the CLV and publish steps)", connect_host, int(connect_port)),
    ):
        try:
            socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_SECONDS).close()
        except OSError as error:
            problems.append(f"the {piece} at {host}:{port} is unreachable: {error.strerror or error}")
    return problems


@cache
def session():
    """The Connect client session (one per process; a Connect session is cheap and holds no JVM)."""
    from pyspark.sql import SparkSession

    server = settings.spark_server()
    if server is None:
        raise SparkServerError("no Spark cluster is configured (LIFECYCLE_SPARK_THRIFT, LIFECYCLE_SPARK_CONNECT)")
    return SparkSession.builder.remote(server.connect_url).getOrCreate()


@contextmanager
def requesting(what: str) -> Iterator[None]:
    """Turn a failure of the server into one line naming the server and `what` was asked of it."""
    try:
        yield
    except SparkServerError:
        raise
    except Exception as error:  # noqa: BLE001 - gRPC and Spark errors alike: say where and what
        server = settings.spark_server()
        where = server.connect_url if server else "(none configured)"
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise SparkServerError(f"Spark Connect server {where} failed to {what}: {first_line}") from None


def refresh(schema: str, name: str) -> None:
    """Drop this server's cached listing of `schema.name`: the other server may have rewritten its files."""
    with requesting(f"refresh {schema}.{name}"):
        session().sql(f"REFRESH TABLE {schema}.{name}")


def table(schema: str, name: str):
    """A DataFrame of `schema.name`, as the metastore and the files are now."""
    refresh(schema, name)
    with requesting(f"read {schema}.{name}"):
        return session().table(f"{schema}.{name}")


def sql_to_pandas(query: str, what: str):
    """The result of a query the server runs, as pandas (for results a step needs whole and small)."""
    with requesting(what):
        return session().sql(query).toPandas()


def load_into(connection: duckdb.DuckDBPyConnection, schema: str, name: str) -> str:
    """Copy the cluster's table `schema.name` into a temporary DuckDB table, about `settings.spark_fetch_rows()`
    rows at a time over Arrow; returns the temporary table's name."""
    frame = table(schema, name)
    target = f"spark_{schema}_{name}"
    with requesting(f"read {schema}.{name}"):
        rows = frame.count()
        batches = max(1, math.ceil(rows / settings.spark_fetch_rows()))
        for batch in range(batches):
            part = frame if batches == 1 else frame.where(_batch_filter(frame, batches, batch))
            connection.register("spark_batch", _naive_utc(part.toArrow()))
            if batch == 0:
                connection.execute(f"CREATE OR REPLACE TEMP TABLE {target} AS SELECT * FROM spark_batch")
            else:
                connection.execute(f"INSERT INTO {target} SELECT * FROM spark_batch")
            connection.unregister("spark_batch")
    return target


def _naive_utc(table: pa.Table) -> pa.Table:
    """Spark's timestamps arrive as instants in UTC; the marts' are plain timestamps in UTC, as DuckDB builds them."""
    fields = [
        field.with_type(pa.timestamp(field.type.unit)) if pa.types.is_timestamp(field.type) and field.type.tz else field
        for field in table.schema
    ]
    return table.cast(pa.schema(fields))


def _batch_filter(frame, batches: int, batch: int):
    from pyspark.sql import functions

    return functions.pmod(functions.xxhash64(*frame.columns), functions.lit(batches)) == batch
