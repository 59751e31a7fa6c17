"""Start and stop the whole stack.

Every piece is started by this tool (the test harness or a developer), never by the pipeline under test, and
waits for the pieces it needs: the object store, then the bucket's mount (every Spark host's namespace copies
it when it starts), PostgreSQL with the metastore's schema, the master with all its workers, and last the two
servers, each ready once it has answered a query run on the executors."""

import secrets
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tools.cluster import metastore, mount, postgres, processes, s3, servers, spark, supervise
from tools.cluster.cluster import Cluster, ClusterError
from tools.cluster.namespace import check_hidden
from tools.cluster.ports import free_port
from tools.cluster.supervise import READY_TIMEOUT_SECONDS

REGION = "us-east-1"


def _needed_by_spark_hosts(python: str) -> list[Path]:
    java = shutil.which("java")
    needed = [spark.spark_home(), Path(python).absolute().parent.parent, spark.POSTGRESQL_JAR]
    return needed + ([Path(java).resolve()] if java else [])


def _check_fresh(root: Path) -> None:
    running = [record.piece.name for record in processes.records(root) if processes.alive(record.pid, record.started)]
    if running:
        raise ClusterError(f"a stack already runs under {root} ({', '.join(running)}): stop it first")
    for folder in ("s3", "postgres", "metastore", "spark", "mnt"):
        if (root / folder).exists():
            raise FileExistsError(f"{root / folder} is left from an earlier stack: remove it, or choose another root")


def start_cluster(
    root: Path,
    *,
    hidden: Sequence[Path] = (),
    buckets: Sequence[str] = ("landing", "lake"),
    python: str = sys.executable,
    workers: int = 2,
    warehouse_bucket: str = "lake",
    shuffle_partitions: int = 8,
    timeout: float = READY_TIMEOUT_SECONDS,
) -> Cluster:
    """Start the stack under `root` (a new folder, or one without an earlier stack's data) and wait until every
    piece serves. `hidden` folders are out of the Spark hosts' sight; `python` runs the executors' Python code
    (pandas UDFs); the Spark warehouse is `file:MOUNT/<warehouse_bucket>/warehouse`. On failure, whatever was
    started is stopped and the error names the piece and its log."""
    root = Path(root).absolute()
    if warehouse_bucket not in buckets:
        raise ValueError(f"the warehouse bucket {warehouse_bucket!r} is not among the buckets {list(buckets)}")
    _check_fresh(root)
    root.mkdir(parents=True, exist_ok=True)
    hidden = tuple(check_hidden(hidden, root=root, needed=_needed_by_spark_hosts(python)))
    weed_ports = s3.Ports.choose()
    master_port, master_ui_port = free_port(), free_port()
    cluster = Cluster(
        root=root,
        s3_endpoint=f"http://127.0.0.1:{weed_ports.s3}",
        access_key=secrets.token_hex(10).upper(),
        secret_key=secrets.token_urlsafe(30),
        region=REGION,
        mount=mount.mount_point(root),
        thrift_host="127.0.0.1",
        thrift_port=free_port(),
        connect_url=f"sc://127.0.0.1:{free_port()}",
        postgres_port=free_port(),
        postgres_user="lifecycle",
        postgres_password=secrets.token_urlsafe(24),
        pids={},
        buckets=tuple(buckets),
        filer_port=weed_ports.filer,
        master_url=f"spark://127.0.0.1:{master_port}",
        master_ui_port=master_ui_port,
        workers=workers,
        hidden=hidden,
    )
    try:
        _start(cluster, weed_ports, master_port, python, warehouse_bucket, shuffle_partitions, timeout)
    except BaseException:
        try:
            stop_cluster(cluster)
        except ClusterError as error:
            print(f"lifecycle-cluster: after a failed start, {error}", file=sys.stderr)
        raise
    cluster.save()
    return cluster


def _start(
    cluster: Cluster,
    weed_ports: s3.Ports,
    master_port: int,
    python: str,
    warehouse_bucket: str,
    shuffle_partitions: int,
    timeout: float,
) -> None:
    cluster.save()  # `down` finds a half-started stack too
    _start_storage(cluster, weed_ports, python, timeout)
    _start_spark_hosts(cluster, master_port, python)
    supervise.wait_ready(cluster, postgres.NAME, timeout)
    postgres.create_databases(cluster.postgres_port, cluster.postgres_user, cluster.postgres_password)
    metastore.create_schema(
        cluster.root, port=cluster.postgres_port, user=cluster.postgres_user, password=cluster.postgres_password
    )
    supervise.wait_ready(cluster, spark.MASTER, timeout)
    _start_servers(cluster, python, warehouse_bucket, shuffle_partitions, timeout)


def _start_storage(cluster: Cluster, weed_ports: s3.Ports, python: str, timeout: float) -> None:
    """The object store, PostgreSQL (ready later), and the buckets' mount, which must be in place before any
    Spark host starts: each host's namespace copies the mounts there are when it starts."""
    root = cluster.root
    keys = {"access_key": cluster.access_key, "secret_key": cluster.secret_key}
    supervise.launch(cluster, s3.piece(root, weed_ports, buckets=cluster.buckets, **keys))
    data = postgres.init(root, user=cluster.postgres_user, password=cluster.postgres_password)
    supervise.launch(cluster, postgres.piece(data, cluster.postgres_port))
    supervise.wait_ready(cluster, s3.NAME, timeout)
    mount.prepare(root)
    environment = spark.environment(root, mount.NAME, python)
    supervise.launch(cluster, mount.piece(root, filer_port=cluster.filer_port, hidden=cluster.hidden, env=environment))
    supervise.wait_ready(cluster, mount.NAME, timeout)


def _start_spark_hosts(cluster: Cluster, master_port: int, python: str) -> None:
    """The master and its workers, started together: a worker retries until the master answers."""
    root, hidden = cluster.root, cluster.hidden
    ui_port = cluster.master_ui_port
    supervise.launch(cluster, spark.master_piece(root, port=master_port, ui_port=ui_port, python=python, hidden=hidden))
    for number in range(1, cluster.workers + 1):
        ports = {"port": free_port(), "ui_port": free_port()}
        worker = spark.worker_piece(root, number, master_url=cluster.master_url, python=python, hidden=hidden, **ports)
        supervise.launch(cluster, worker)


def _start_servers(
    cluster: Cluster, python: str, warehouse_bucket: str, shuffle_partitions: int, timeout: float
) -> None:
    """The Thrift and Connect servers, started together, each waited for until a query ran on the executors."""
    root, hidden = cluster.root, cluster.hidden
    settings = {
        "master_url": cluster.master_url,
        "warehouse": f"file:{cluster.mount / warehouse_bucket / 'warehouse'}",
        "postgres": (cluster.postgres_port, cluster.postgres_user, cluster.postgres_password),
        "python": python,
        "cores": cluster.workers,
        "shuffle_partitions": shuffle_partitions,
    }
    thrift = servers.properties(root, servers.THRIFT, **settings)
    connect = servers.properties(root, servers.CONNECT, **settings)
    port = cluster.thrift_port
    supervise.launch(cluster, servers.thrift_piece(root, thrift, port=port, python=python, hidden=hidden))
    port = cluster.connect_port
    supervise.launch(cluster, servers.connect_piece(root, connect, port=port, python=python, hidden=hidden))
    supervise.wait_ready(cluster, servers.THRIFT, timeout)
    supervise.wait_ready(cluster, servers.CONNECT, timeout)


def stop_cluster(cluster: Cluster) -> None:
    """Stop every piece by its pid (its stop signal, then SIGKILL after a grace), the Spark hosts first and the
    object store last; unmount the buckets; check that all is gone, else raise naming what is left."""
    problems = []
    for record in reversed(supervise.ordered_records(cluster)):
        problems += supervise.stop(cluster, record)
    problems += [f"{path} still mounted" for path in mount.unmount(cluster.root)]
    if problems:
        raise ClusterError(f"the stack under {cluster.root} did not stop: " + "; ".join(problems))


@contextmanager
def running_cluster(root: Path, **settings) -> Iterator[Cluster]:
    """The stack for the length of a `with` block, stopped however the block ends."""
    cluster = start_cluster(root, **settings)
    try:
        yield cluster
    finally:
        stop_cluster(cluster)
