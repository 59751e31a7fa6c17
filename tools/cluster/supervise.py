"""Launching a piece, waiting until it serves, and stopping it: the steps the whole stack's start and stop and
the fault tests' single-piece operations share."""

import logging
import time
from collections.abc import Callable
from pathlib import Path

from tools.cluster import mount, postgres, processes, s3, servers, spark
from tools.cluster.cluster import Cluster, ClusterError

READY_TIMEOUT_SECONDS = 180  # the servers start slowly on two busy cores
LOG_TAIL_LINES = 25
START_ORDER = (s3.NAME, postgres.NAME, mount.NAME, spark.MASTER, spark.WORKER, servers.THRIFT, servers.CONNECT)

logger = logging.getLogger(__name__)
_launched_at: dict[str, float] = {}


def launch(cluster: Cluster, piece: processes.Piece) -> None:
    _launched_at[piece.name] = time.monotonic()
    cluster.pids[piece.name] = processes.launch(cluster.root, piece).pid


def _serves(cluster: Cluster, name: str) -> Callable[[float], bool]:
    """Whether the piece serves, given the seconds left to find out."""
    if name == s3.NAME:
        return lambda _: s3.ready(cluster.s3_port, cluster.filer_port, cluster.buckets)
    if name == postgres.NAME:
        return lambda _: postgres.ready(cluster.postgres_port, cluster.postgres_user, cluster.postgres_password)
    if name == mount.NAME:
        return lambda _: mount.ready(cluster.root, cluster.buckets)
    if name == spark.MASTER:
        return lambda _: spark.alive_workers(cluster.master_ui_port) == cluster.workers
    if name.startswith(spark.WORKER):
        worker_ui_port = spark.ui_port(processes.read_record(cluster.root, name).piece)
        return lambda _: spark.registered(worker_ui_port, cluster.master_url)
    if name == servers.THRIFT:
        return lambda seconds: servers.thrift_answers(cluster.thrift_port, seconds)
    if name == servers.CONNECT:
        return lambda seconds: servers.connect_answers(cluster.connect_url, seconds)
    raise ValueError(f"no piece {name!r}")


def _log_tail(root: Path, name: str) -> str:
    log = processes.log_path(root, name)
    lines = log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:] if log.exists() else []
    return "\n".join(lines)


def wait_ready(cluster: Cluster, name: str, timeout: float) -> None:
    """Return once the piece serves; raise ClusterError naming it and its log if it exits or the time is up."""
    record = processes.read_record(cluster.root, name)
    serves = _serves(cluster, name)
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            if serves(max(deadline - time.monotonic(), 1)):
                since = time.monotonic() - _launched_at.get(name, time.monotonic())
                logger.info("%s ready %.1f s after its start (pid %d)", name, since, record.pid)
                return
        except Exception as error:  # noqa: BLE001 — not ready yet; told if it never becomes so
            last_error = error
        log = processes.log_path(cluster.root, name)
        if not processes.alive(record.pid, record.started):
            raise ClusterError(
                f"{name} exited (code {processes.exit_code(record.pid)}) before it was ready; its log {log} ends:\n"
                f"{_log_tail(cluster.root, name)}"
            )
        if time.monotonic() > deadline:
            raise ClusterError(
                f"{name} not ready after {timeout:.0f} s ({last_error or 'no answer'}); its log {log} ends:\n"
                f"{_log_tail(cluster.root, name)}"
            )
        time.sleep(0.25)


def ordered_records(cluster: Cluster) -> list[processes.Record]:
    """The recorded pieces in start order, with any pid the Cluster knows that has no record."""
    recorded = {record.piece.name: record for record in processes.records(cluster.root)}
    for name, pid in cluster.pids.items():
        recorded.setdefault(name, processes.Record(pid, 0, processes.Piece(name, [], {}, "")))

    def rank(record: processes.Record) -> int:
        kind = record.piece.name.split("-")[0]
        return START_ORDER.index(kind) if kind in START_ORDER else len(START_ORDER)

    return sorted(recorded.values(), key=rank)


def stop(cluster: Cluster, record: processes.Record) -> list[str]:
    """Stop one piece; returns what is left of it (none, normally). The buckets are unmounted before their
    mount's process is stopped, and the sockets SeaweedFS leaves behind are removed."""
    began = time.monotonic()
    problems = []
    if record.piece.name == mount.NAME:
        problems += [f"{path} still mounted" for path in mount.unmount(cluster.root)]
    left = processes.stop(record)
    if left:
        problems.append(f"{record.piece.name} still runs (pids {', '.join(map(str, left))})")
    elif record.piece.name == s3.NAME:
        s3.remove_sockets(record.piece)
    elif record.piece.name == mount.NAME:
        mount.socket_file(cluster.root).unlink(missing_ok=True)
    logger.info("%s stopped in %.1f s", record.piece.name, time.monotonic() - began)
    return problems
