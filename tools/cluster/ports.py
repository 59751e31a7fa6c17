"""Free ports on 127.0.0.1, chosen when a piece starts, so that two stacks (or a leftover of one) never collide.

They are chosen below the kernel's ephemeral range: the ports a `bind(0)` gets (every Spark driver's and
executor's own) come from that range, so one of them could take a port chosen there between the choice and
the server's bind ("Address already in use")."""

import random
import socket
from pathlib import Path

# A SeaweedFS client finds a server's gRPC port at its HTTP port plus this offset, whatever the server was told
# (`weed mount -filer=host:port`, the admin server's own worker), so both ports of a pair must be free.
SEAWEED_GRPC_OFFSET = 10000

_handed_out: set[int] = set()


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


LOWEST_PORT = 10000
ATTEMPTS = 1000


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def free_port(below: int | None = None) -> int:
    """A port nothing listens on now, below the ephemeral range (or `below`), and one this process has not
    handed out before."""
    top = below or _ephemeral_start()
    for _ in range(ATTEMPTS):
        port = random.randrange(LOWEST_PORT, top)
        if port not in _handed_out and _bindable(port):
            _handed_out.add(port)
            return port
    raise RuntimeError(f"no free port between {LOWEST_PORT} and {top} on 127.0.0.1")


def free_seaweed_port() -> int:
    """A free port whose gRPC partner (port + SEAWEED_GRPC_OFFSET) is free too, both below the ephemeral range."""
    while True:
        port = free_port(below=_ephemeral_start() - SEAWEED_GRPC_OFFSET)
        grpc = port + SEAWEED_GRPC_OFFSET
        if grpc not in _handed_out and _bindable(grpc):
            _handed_out.add(grpc)
            return port


def accepting(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as client:
        client.settimeout(1)
        return client.connect_ex((host, port)) == 0
