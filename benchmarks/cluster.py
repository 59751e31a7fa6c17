"""The pipeline on the cluster path, for `benchmarks.engines`: the stack of tools/cluster started afresh (object
store, PostgreSQL, a Spark master, two workers, the Thrift and Connect servers), the landing files put into its
bucket, and `python -m orchestration.cli run` with the cluster's settings, as `make test-cluster` runs it.

Besides what every engine's run records, it samples the memory of the stack's processes during the run (the
Spark processes, each with its children: executors and their Python workers; and the storage pieces apart) and
measures what the build left in the buckets."""

import shutil
import time
from pathlib import Path

import s3fs

from benchmarks.pipeline import Measured, rss_by_group, run_pipeline
from tools.cluster import Cluster, running_cluster
from tools.cluster import mount as cluster_mount

LANDING = "landing/lifecycle"
LAKE = "lake/lifecycle"
SPARK_WAREHOUSE = "lake/warehouse"  # the servers' spark.sql.warehouse.dir: dbt's tables
SPARK_PIECES = ("master", "worker", "thrift", "connect")
STORAGE_PIECES = ("s3", "mount", "postgres")


def _bucket(cluster: Cluster) -> s3fs.S3FileSystem:
    return s3fs.S3FileSystem(
        endpoint_url=cluster.s3_endpoint, key=cluster.access_key, secret=cluster.secret_key, skip_instance_cache=True
    )


def process_groups(cluster: Cluster) -> dict[str, list[int]]:
    """The stack's pids by what they are: all the Spark processes, all the storage pieces, and each piece."""
    pieces = {name: [pid] for name, pid in cluster.pids.items()}
    return {
        "spark": [pid for name, pid in cluster.pids.items() if name.startswith(SPARK_PIECES)],
        "storage": [pid for name, pid in cluster.pids.items() if name.startswith(STORAGE_PIECES)],
        **pieces,
    }


def fresh_stack_root(root: Path) -> Path:
    """`root` emptied of an earlier stack's data, which must be stopped: removing a folder the buckets are still
    mounted in would delete their objects."""
    if cluster_mount.mounted_at(cluster_mount.mount_point(root)):
        raise SystemExit(f"a stack under {root} still has its buckets mounted: `python -m tools.cluster down {root}`")
    shutil.rmtree(root, ignore_errors=True)
    return root


def run_on_cluster(landing: Path, work: Path, stack_root: Path) -> tuple[Measured, dict]:
    """The full build of `landing` on a new stack under `stack_root`, the pipeline host's folder being `work`
    (hidden from the Spark hosts, as is `landing`). Returns the run's measurements and the cluster's own: the
    seconds to start the stack and to put the landing files, the stack's memory idle before the run, and the
    megabytes in the buckets after it."""
    began = time.perf_counter()
    with running_cluster(fresh_stack_root(stack_root), hidden=[work, landing]) as cluster:
        started = time.perf_counter()
        bucket = _bucket(cluster)
        bucket.put(f"{landing}/", f"{LANDING}/", recursive=True)
        put = time.perf_counter()
        groups = process_groups(cluster)
        idle = rss_by_group(groups)
        measured = run_pipeline(
            f"s3://{LANDING}",
            work,
            work / "run.log",
            "spark",
            watched=groups,
            **cluster.environment(),
            LIFECYCLE_LAKE_DIR=f"s3://{LAKE}",
            DAGSTER_STORAGE="postgres",
        )
        in_buckets = {
            "landing": bucket.du(LANDING),
            "lake": bucket.du(LAKE),
            "spark warehouse": bucket.du(SPARK_WAREHOUSE) if bucket.exists(SPARK_WAREHOUSE) else 0,
        }
    return measured, {
        "stack_start_seconds": round(started - began, 1),
        "landing_put_seconds": round(put - started, 1),
        "idle_rss_mb": {name: round(used / 2**20, 1) for name, used in idle.items()},
        "bucket_mb": {name: round(size / 2**20, 1) for name, size in in_buckets.items()},
    }
