"""The cluster tier (`make test-cluster`, in CI): the pipeline with nothing on a shared disk.

One stack on 127.0.0.1, every piece its own process (`tools.cluster`): SeaweedFS serving S3, PostgreSQL (the
Hive metastore and the Dagster instance), a Spark master, two workers, a Thrift server for dbt and a Spark
Connect server for the Python steps; the Spark processes cannot see the pipeline's folder. The landing files
are put in a bucket; `make run` with the cluster's settings publishes the same marts as the DuckDB build of
the same objects, its run is in the PostgreSQL-backed Dagster instance, and no JVM runs under it.
"""

import contextlib
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import s3fs

from tests.helpers import assert_same_marts
from tools.cluster import kill_piece, restart_piece, running_cluster
from tools.sample_data import generate

pytestmark = pytest.mark.cluster

REPO = Path(__file__).resolve().parents[2]
CUSTOMERS = 1000
LANDING = "s3://landing/lifecycle"
LAKE = "s3://lake/lifecycle"
RUN_LOG = re.compile(r"Dagster's and dbt's full log in (\S+)")


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """The pipeline host's folder: warehouse, serving files, Dagster home. The Spark hosts never see it."""
    return tmp_path_factory.mktemp("pipeline-host")


@pytest.fixture(scope="module")
def cluster(work, tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("cluster") / "stack", hidden=[work]) as started:
        yield started


def _bucket(cluster) -> s3fs.S3FileSystem:
    return s3fs.S3FileSystem(
        endpoint_url=cluster.s3_endpoint, key=cluster.access_key, secret=cluster.secret_key, skip_instance_cache=True
    )


def _pipeline_environment(cluster, folder: Path, **settings: str) -> dict[str, str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("LIFECYCLE_", "AWS_", "DAGSTER_"))
    }
    return {
        **environment,
        **cluster.environment(),
        "LIFECYCLE_LANDING_DIR": LANDING,
        "LIFECYCLE_WAREHOUSE": str(folder / "warehouse" / "warehouse.duckdb"),
        "LIFECYCLE_SERVING": str(folder / "serving" / "lifecycle.duckdb"),
        "DAGSTER_HOME": str(folder / "dagster_home"),
        **settings,
    }


def _descendants(root: int) -> set[str]:
    """The programs (`comm`) of every process under `root`, from /proc."""
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            text = stat.read_text()
            pid = int(stat.parent.name)
            names[pid] = text[text.index("(") + 1 : text.rindex(")")]
            parents[pid] = int(text[text.rindex(")") + 2 :].split()[1])
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier}
        found |= {names[pid] for pid in frontier}
    return found


class _ProgramWatch(threading.Thread):
    """Samples the process tree under `pid` while it runs: every program that ran under it."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.root, self.seen, self.done = pid, set(), threading.Event()

    def run(self):
        while not self.done.is_set():
            self.seen |= _descendants(self.root)
            time.sleep(0.2)


def _run_log(output: Path) -> Path | None:
    """The run's own log, where dbt's lines go: `make run` names it in its output before the run starts."""
    found = RUN_LOG.search(output.read_text(errors="replace")) if output.exists() else None
    return Path(found.group(1)) if found else None


class _KillWorkerDuringDbt(threading.Thread):
    """Kills one Spark worker (SIGKILL, as a crash would) once the run's first dbt step has built for a while."""

    def __init__(self, cluster, log: Path):
        super().__init__(daemon=True)
        self.cluster, self.log, self.done = cluster, log, threading.Event()
        self.killed_during: str | None = None

    def run(self):
        while not self.done.is_set():
            run_log = _run_log(self.log)
            text = run_log.read_text(errors="replace") if run_log and run_log.exists() else ""
            if "OK created sql table model intermediate." in text:  # dbt is well into the models
                kill_piece(self.cluster, "worker-1")
                self.killed_during = text.splitlines()[-1]
                return
            time.sleep(0.5)


def _make_run(environment: dict[str, str], log: Path, cluster=None) -> tuple[int, set[str], str | None]:
    """`make run`; the programs that ran under it; with a `cluster`, the log line at which a worker was killed."""
    with log.open("w") as output:
        process = subprocess.Popen(["make", "run"], cwd=REPO, env=environment, stdout=output, stderr=subprocess.STDOUT)
        watches = [_ProgramWatch(process.pid), *([_KillWorkerDuringDbt(cluster, log)] if cluster else [])]
        for watch in watches:
            watch.start()
        code = process.wait(timeout=1500)
        for watch in watches:
            watch.done.set()
            watch.join()
    return code, watches[0].seen, watches[1].killed_during if cluster else None


def test_make_run_on_the_cluster_publishes_the_duckdb_marts(cluster, work, monkeypatch):
    generated = work / "generated"
    generate(generated, customers=CUSTOMERS, seed=7)
    _bucket(cluster).put(f"{generated}/", LANDING.removeprefix("s3://") + "/", recursive=True)

    # The DuckDB engine reads the same bucket (exports usually land in one).
    on_duckdb = work / "duckdb"
    code, _, _ = _make_run(_pipeline_environment(cluster, on_duckdb, LIFECYCLE_ENGINE="duckdb"), work / "duckdb.log")
    assert code == 0, (work / "duckdb.log").read_text()[-4000:]

    on_cluster = work / "cluster"
    environment = _pipeline_environment(
        cluster,
        on_cluster,
        LIFECYCLE_ENGINE="spark",
        LIFECYCLE_LAKE_DIR=LAKE,
        DAGSTER_STORAGE="postgres",
        LIFECYCLE_SPARK_FETCH_ROWS="300",  # the customers mart in four batches
    )
    # A worker dies while dbt builds: the build finishes on the other one.
    try:
        code, programs, killed_during = _make_run(environment, work / "cluster.log", cluster)
    finally:
        restart_piece(cluster, "worker-1")
    assert code == 0, (work / "cluster.log").read_text()[-6000:]
    assert "java" not in programs, f"a JVM ran under the pipeline: {sorted(programs)}"
    assert killed_during, "no worker was killed during the dbt build"

    expected, _ = assert_same_marts(
        on_duckdb / "serving" / "lifecycle.duckdb",
        on_cluster / "serving" / "lifecycle.duckdb",
        "DuckDB (left) and the cluster (right)",
    )
    assert expected["customers"].rows == CUSTOMERS

    # The lake and Spark's tables are objects in the bucket, not files on the pipeline host.
    bucket = _bucket(cluster)
    assert bucket.find("lake/lifecycle/raw/shop/orders"), "the raw lake is not in the bucket"
    assert bucket.find("lake/warehouse/marts.db/customers"), "Spark's customers table is not in the bucket"

    # The lake is the history: the pipeline host's warehouse keeps the ledger, not the raw rows.
    with duckdb.connect(str(on_cluster / "warehouse" / "warehouse.duckdb"), read_only=True) as warehouse:
        for table in ("shop.orders", "support.tickets", "surveys.responses", "marketing.spend", "finance.fx_rates"):
            assert warehouse.execute(f"SELECT count(*) FROM {table}").fetchall() == [(0,)], table
        [(deliveries,)] = warehouse.execute("SELECT count(*) FROM ingest.file_ledger").fetchall()
    assert deliveries == len(list(generated.rglob("*.csv")))

    # The run is in the team's Dagster instance, on PostgreSQL.
    for key, value in environment.items():
        if key.startswith("DAGSTER_PG_"):
            monkeypatch.setenv(key, value)
    instance = dg.DagsterInstance.from_config(str(on_cluster / "dagster_home"))
    try:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        runs = instance.get_runs()
        assert [run.status for run in runs] == [dg.DagsterRunStatus.SUCCESS]
    finally:
        instance.dispose()
