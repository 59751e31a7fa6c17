"""The Spark Thrift server (dbt-spark's `thrift` method) and the Spark Connect server, both drivers on the
standalone cluster, sharing the Hive metastore on PostgreSQL and the warehouse in a bucket.

Two servers over the same tables cache different views of them: when one rewrites a table, the other still
lists the old files (FAILED_READ_FILE.FILE_NOT_EXIST) until its metadata cache expires. The servers expire
that cache after METADATA_CACHE_TTL_SECONDS; a caller who reads on one server what it has just written on the
other must still run `REFRESH TABLE <name>` (or `spark.catalog.refreshTable`) first."""

import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from tools.cluster import metastore
from tools.cluster.namespace import isolated
from tools.cluster.ports import accepting
from tools.cluster.processes import Piece
from tools.cluster.spark import POSTGRESQL_JAR, environment, host_folder, spark_home

THRIFT = "thrift"
CONNECT = "connect"
METADATA_CACHE_TTL_SECONDS = 10
EXECUTOR_MEMORY = "512m"
DRIVER_MEMORY = "1g"
READY_QUERY = "select count(*) from range(8)"  # a job on the executors: the server has its share of cores


def properties(
    root: Path,
    name: str,
    *,
    master_url: str,
    warehouse: str,
    postgres: tuple[int, str, str],
    python: str,
    cores: int,
    shuffle_partitions: int,
) -> dict[str, str]:
    folder = host_folder(root, name)
    jdo = metastore.connection_settings(*postgres)
    return {
        "spark.master": master_url,
        "spark.app.name": f"lifecycle-cluster-{name}",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.memory": DRIVER_MEMORY,
        "spark.driver.extraClassPath": str(POSTGRESQL_JAR),
        "spark.driver.extraJavaOptions": f"-Djava.io.tmpdir={folder / 'local'}",
        "spark.executor.memory": EXECUTOR_MEMORY,
        # One single-core executor per worker for each server, so the second server is not left waiting for
        # cores the first has taken ("Initial job has not accepted any resources").
        "spark.executor.cores": "1",
        "spark.cores.max": str(cores),
        "spark.pyspark.python": python,
        "spark.ui.enabled": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(shuffle_partitions),
        "spark.sql.catalogImplementation": "hive",
        "spark.sql.hive.metastore.jars": "builtin",
        "spark.sql.warehouse.dir": warehouse,
        "spark.sql.metadataCacheTTLSeconds": str(METADATA_CACHE_TTL_SECONDS),
        # Hadoop's checksummed local file system would leave a .crc file beside every file in the bucket.
        "spark.hadoop.fs.file.impl": "org.apache.hadoop.fs.RawLocalFileSystem",
        "spark.hadoop.hive.exec.scratchdir": str(folder / "hive-scratch"),
        "spark.hadoop.datanucleus.schema.autoCreateAll": "false",
        "spark.hadoop.hive.metastore.schema.verification": "false",
        **{f"spark.hadoop.{key}": value for key, value in jdo.items()},
    }


def _write_properties(path: Path, settings: dict[str, str]) -> Path:
    path.touch(mode=0o600)  # holds the metastore's password
    path.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
    return path


def _submit(root: Path, name: str, settings: dict[str, str], main_class: str, *arguments: str) -> list[str]:
    settings_file = _write_properties(host_folder(root, name) / "spark.properties", settings)
    return [
        str(spark_home() / "bin" / "spark-submit"),
        "--properties-file",
        str(settings_file),
        "--class",
        main_class,
        "spark-internal",
        *arguments,
    ]


def thrift_piece(root: Path, settings: dict[str, str], *, port: int, python: str, hidden: Sequence[Path]) -> Piece:
    argv = _submit(
        root,
        THRIFT,
        settings,
        "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
        "--hiveconf",
        "hive.server2.thrift.bind.host=127.0.0.1",
        "--hiveconf",
        f"hive.server2.thrift.port={port}",
    )
    folder = host_folder(root, THRIFT)
    return Piece(THRIFT, isolated(argv, hidden), environment(root, THRIFT, python), str(folder))


def connect_piece(root: Path, settings: dict[str, str], *, port: int, python: str, hidden: Sequence[Path]) -> Piece:
    settings = {
        **settings,
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
    }
    argv = _submit(root, CONNECT, settings, "org.apache.spark.sql.connect.service.SparkConnectServer")
    folder = host_folder(root, CONNECT)
    return Piece(CONNECT, isolated(argv, hidden), environment(root, CONNECT, python), str(folder))


def _within(seconds: float, query: Callable[[], object]) -> object:
    """The query's result, or TimeoutError: a server without executors accepts a query and never answers."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["result"] = query()
        except Exception as error:  # noqa: BLE001 — handed to the waiting thread
            outcome["error"] = error

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if "error" in outcome:
        raise outcome["error"]
    if "result" not in outcome:
        raise TimeoutError(f"no answer to {READY_QUERY!r} in {seconds:.0f} s")
    return outcome["result"]


def thrift_answers(port: int, seconds: float) -> bool:
    if not accepting(port):  # PyHive would print every refused connection
        return False

    def query() -> object:
        from pyhive import hive  # dbt-spark's PyHive extra

        connection = hive.connect(host="127.0.0.1", port=port, username="lifecycle-cluster")
        try:
            cursor = connection.cursor()
            cursor.execute("show databases")  # the metastore answers
            cursor.fetchall()
            cursor.execute(READY_QUERY)
            return cursor.fetchall()
        finally:
            connection.close()

    return _within(seconds, query) == [(8,)]


def connect_answers(url: str, seconds: float) -> bool:
    if not accepting(int(url.rsplit(":", 1)[1])):
        return False

    def query() -> object:
        with warnings.catch_warnings():  # pyspark's warning about pandas 3 on import: the tier tests pandas UDFs
            warnings.simplefilter("ignore", FutureWarning)
            from pyspark.sql import SparkSession

        session = SparkSession.builder.remote(url).create()  # not getOrCreate: leaves the caller's default be
        try:
            session.sql("show databases").collect()
            return session.sql(READY_QUERY).collect()[0][0]
        finally:
            session.stop()

    return _within(seconds, query) == 8
