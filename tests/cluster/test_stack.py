"""The `cluster` tier (`make test-cluster`): the scale-out stack of tools/cluster, started as the tier and the
benchmarks start it, does what the pipeline will ask of it, and shares no disk with the pipeline. A Parquet
file put through S3 is a table over Thrift; Connect reads that table, runs pandas code on the executors and
saves a table whose files land in the bucket; the Spark hosts cannot read the pipeline's data folder; the
metastore keeps the tables across a restart of the Thrift server; and the stop leaves nothing behind."""

import io
import os
from pathlib import Path

import pandas as pd
import pytest

from tools.cluster import Cluster, restart_piece, running_cluster, stop_cluster
from tools.cluster.mount import mounted_at
from tools.cluster.processes import family, records

pytestmark = [
    pytest.mark.cluster,
    # pyspark on pandas 3: the pandas UDF below is the proof that it works here.
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]

ORDERS = pd.DataFrame(
    {
        "customer": ["ada", "ada", "bob", "cy", "cy", "cy"],
        "amount": [10.0, 32.5, 7.25, 1.0, 2.0, 4.0],
    }
)
SECRET = "what the pipeline keeps on its own disk"


@pytest.fixture(scope="module")
def pipeline_data(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pipeline-data")
    (folder / "marker").write_text(SECRET)
    return folder


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, pipeline_data) -> Cluster:
    with running_cluster(tmp_path_factory.mktemp("stack"), hidden=[pipeline_data]) as stack:
        yield stack


@pytest.fixture(scope="module")
def s3(cluster):
    import s3fs

    return s3fs.S3FileSystem(
        endpoint_url=cluster.s3_endpoint,
        key=cluster.access_key,
        secret=cluster.secret_key,
        client_kwargs={"region_name": cluster.region},
    )


def _thrift(cluster: Cluster, statement: str) -> list[tuple]:
    from pyhive import hive

    connection = hive.connect(host=cluster.thrift_host, port=cluster.thrift_port, username="tier")
    try:
        cursor = connection.cursor()
        cursor.execute(statement)
        return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()


@pytest.fixture(scope="module")
def connect(cluster):
    from pyspark.sql import SparkSession

    session = SparkSession.builder.remote(cluster.connect_url).getOrCreate()
    yield session
    session.stop()


@pytest.fixture(scope="module")
def thrift_tables(cluster, s3) -> None:
    """`orders`, external over a Parquet file put through S3, and `spend`, managed, made from it by CTAS."""
    parquet = io.BytesIO()
    ORDERS.to_parquet(parquet, index=False)
    s3.pipe("lake/raw/orders/part-0.parquet", parquet.getvalue())
    _thrift(cluster, f"create table orders using parquet location 'file:{cluster.mount}/lake/raw/orders'")
    _thrift(
        cluster,
        "create table spend using parquet as"
        " select customer, sum(amount) as spend, count(*) as orders from orders group by customer",
    )


def _expected_spend() -> list[tuple]:
    grouped = ORDERS.groupby("customer")["amount"].agg(["sum", "count"]).reset_index()
    return [(row.customer, row.sum, row.count) for row in grouped.itertuples()]


def test_a_parquet_file_put_through_s3_is_a_table_over_thrift_and_its_ctas_lands_in_the_bucket(
    cluster, s3, thrift_tables
):
    assert _thrift(cluster, "select customer, spend, orders from spend order by customer") == _expected_spend()

    files = s3.find("lake/warehouse/spend")
    assert any(path.endswith(".parquet") for path in files), files
    assert not [path for path in files if path.endswith(".crc")], "checksum side files reached the bucket"


def test_connect_reads_the_thrift_table_runs_pandas_on_the_executors_and_saves_to_the_bucket(
    cluster, s3, thrift_tables, connect
):
    connect.sql("refresh table spend")  # written by the other server (see tools/cluster/servers.py)
    table = connect.table("spend").orderBy("customer").toArrow()
    assert list(zip(*table.to_pydict().values(), strict=True)) == _expected_spend()

    def spread(orders: pd.DataFrame) -> pd.DataFrame:
        import numpy as np

        return pd.DataFrame(
            {
                "customer": [orders["customer"].iloc[0]],
                "deviation": [float(np.std(orders["amount"].to_numpy()))],
                # Set by a Spark worker for the executors it launches: where the function ran.
                "ran_in": [os.environ.get("SPARK_EXECUTOR_DIRS", "the driver")],
            }
        )

    schema = "customer string, deviation double, ran_in string"
    spreads = connect.table("orders").groupBy("customer").applyInPandas(spread, schema)
    spreads.write.saveAsTable("spread")

    rows = connect.table("spread").orderBy("customer").collect()
    expected = ORDERS.groupby("customer")["amount"].std(ddof=0)
    assert {row.customer: row.deviation for row in rows} == pytest.approx(expected.to_dict())
    workers = cluster.root / "spark"
    assert all(Path(row.ran_in.split(os.pathsep)[0]).is_relative_to(workers) for row in rows), rows

    assert any(path.endswith(".parquet") for path in s3.find("lake/warehouse/spread"))
    assert _thrift(cluster, "select count(*) from spread") == [(3,)]


def test_the_spark_hosts_cannot_read_the_pipeline_data_folder(cluster, connect, pipeline_data):
    marker = pipeline_data / "marker"
    assert marker.read_text() == SECRET  # here, beside the pipeline, it is there

    with pytest.raises(Exception, match="PATH_NOT_FOUND|does not exist"):
        connect.read.text(f"file:{marker}").collect()  # the driver

    buckets = cluster.mount  # the closure travels to the executors: it takes paths, not the Cluster's secrets

    def look(batches):
        for batch in batches:
            yield batch.assign(
                marker_seen=os.path.exists(marker),
                data_listing=str(os.listdir(pipeline_data)),
                bucket_seen=os.path.isdir(buckets / "lake"),
            )

    schema = "id long, marker_seen boolean, data_listing string, bucket_seen boolean"
    seen = connect.range(0, 4, 1, 4).mapInPandas(look, schema).collect()  # four tasks on the executors
    assert len(seen) == 4
    assert not [row for row in seen if row.marker_seen or row.data_listing != "[]"], seen
    assert all(row.bucket_seen for row in seen), "the executors must still see the buckets"

    with pytest.raises(Exception, match="PATH_NOT_FOUND|does not exist"):
        _thrift(cluster, f"select * from text.`file:{marker}`")


def test_the_metastore_keeps_the_tables_when_the_thrift_server_restarts(cluster, thrift_tables):
    before = cluster.pids["thrift"]
    restart_piece(cluster, "thrift")
    assert cluster.pids["thrift"] != before
    tables = {row[1] for row in _thrift(cluster, "show tables")}
    assert {"orders", "spend"} <= tables
    assert _thrift(cluster, "select count(*) from orders") == [(len(ORDERS),)]


def test_the_stop_leaves_no_process_and_no_mount(cluster, connect):
    connect.stop()  # a client left connected would retry the gone server on its own teardown
    started = {pid: begun for record in records(cluster.root) for pid, begun in family(record).items()}
    assert set(cluster.pids.values()) <= set(started)
    assert mounted_at(cluster.mount)

    stop_cluster(cluster)

    assert not [pid for pid, begun in started.items() if _running(pid, begun)]
    assert not mounted_at(cluster.mount)


def _running(pid: int, begun: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    fields = stat[stat.rindex(")") + 2 :].split()
    return fields[0] != "Z" and int(fields[19]) == begun
