"""A scale-out stack on 127.0.0.1 for the cluster test tier and the benchmarks: SeaweedFS as the object store,
PostgreSQL for the Hive metastore and Dagster, the buckets mounted for the Spark hosts, a Spark standalone master
and workers, and the Thrift and Connect servers. No piece relies on another's local disk, and none can see the
pipeline's data folder. Every process is started here, recorded by pid and stopped by it."""

from tools.cluster.cluster import Cluster, ClusterError
from tools.cluster.faults import kill_piece, restart_piece, stop_piece
from tools.cluster.stack import running_cluster, start_cluster, stop_cluster

__all__ = [
    "Cluster",
    "ClusterError",
    "kill_piece",
    "restart_piece",
    "running_cluster",
    "start_cluster",
    "stop_cluster",
    "stop_piece",
]
