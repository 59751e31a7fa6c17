"""Single pieces stopped, killed and started again, for fault tests: a crashed worker, an object store
restarted on the same port over the same data."""

from tools.cluster import mount, processes, supervise
from tools.cluster.cluster import Cluster, ClusterError
from tools.cluster.supervise import READY_TIMEOUT_SECONDS


def _record(cluster: Cluster, name: str) -> processes.Record:
    record = processes.read_record(cluster.root, name)
    if record is None:
        raise ClusterError(f"no piece {name!r} in the stack under {cluster.root} (pieces: {', '.join(cluster.pids)})")
    return record


def kill_piece(cluster: Cluster, name: str) -> None:
    """SIGKILL to one piece's pid, as a crash of its host would be; what it started is left to notice."""
    processes.kill(_record(cluster, name))


def stop_piece(cluster: Cluster, name: str) -> None:
    problems = supervise.stop(cluster, _record(cluster, name))
    if problems:
        raise ClusterError("; ".join(problems))


def restart_piece(cluster: Cluster, name: str, timeout: float = READY_TIMEOUT_SECONDS) -> int:
    """Start a piece again exactly as before (same ports, same data folder), stopping it first if it still
    runs, and wait until it serves. Updates `cluster.pids` in place and cluster.json; returns the new pid.

    A restarted mount reaches only the Spark hosts started after it: each host's namespace holds the copy
    of the mount it was started with."""
    record = _record(cluster, name)
    if processes.alive(record.pid, record.started):
        stop_piece(cluster, name)
    if name == mount.NAME:
        mount.unmount(cluster.root)  # a killed mount leaves its dead FUSE mount behind
        mount.prepare(cluster.root)
    supervise.launch(cluster, record.piece)
    cluster.save()
    supervise.wait_ready(cluster, name, timeout)
    return cluster.pids[name]
