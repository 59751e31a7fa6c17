"""The object store alone (SeaweedFS serving S3 on 127.0.0.1), for tests that need a bucket and no Spark: landing
and the raw lake in object storage on the DuckDB engine."""

import secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tools.cluster import processes, s3
from tools.cluster.cluster import ClusterError

READY_TIMEOUT_SECONDS = 60
REGION = "us-east-1"


@dataclass
class ObjectStore:
    root: Path
    endpoint: str  # http://127.0.0.1:PORT
    access_key: str
    secret_key: str = field(repr=False)
    ports: s3.Ports
    buckets: tuple[str, ...]
    piece: processes.Piece = field(repr=False)
    record: processes.Record | None = field(repr=False)

    def stop(self) -> None:
        """Stop the server (a fault: what it holds stays on disk), checked gone."""
        if self.record is None:
            return
        left = processes.stop(self.record)
        s3.remove_sockets(self.piece)
        if left:
            raise ClusterError(f"the S3 server left processes running: {left}")

    def start(self) -> None:
        """Start it again on the same ports and data, and wait until it serves."""
        self.record = processes.launch(self.root, self.piece)
        _wait_serving(self)

    def environment(self) -> dict[str, str]:
        """The AWS variables a client of this store is given."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
        }


@contextmanager
def running_object_store(root: Path, buckets: Sequence[str] = ("landing", "lake")) -> Iterator[ObjectStore]:
    """An S3 server with `buckets`, its data and log under `root`, stopped (and checked gone) on leaving."""
    root = Path(root).absolute()
    ports = s3.Ports.choose()
    access_key, secret_key = secrets.token_hex(10).upper(), secrets.token_urlsafe(30)
    piece = s3.piece(root, ports, buckets=buckets, access_key=access_key, secret_key=secret_key)
    store = ObjectStore(
        root, f"http://127.0.0.1:{ports.s3}", access_key, secret_key, ports, tuple(buckets), piece, record=None
    )
    try:
        store.start()
        yield store
    finally:
        store.stop()


def _wait_serving(store: ObjectStore) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while not _serves(store.ports, store.buckets):
        if not processes.alive(store.record.pid, store.record.started) or time.monotonic() > deadline:
            raise ClusterError(f"the S3 server did not start: see {processes.log_path(store.root, s3.NAME)}")
        time.sleep(0.2)


def _serves(ports: s3.Ports, buckets: Sequence[str]) -> bool:
    try:
        return s3.ready(ports.s3, ports.filer, buckets)
    except OSError:
        return False
