"""Free ports on 127.0.0.1, chosen when a piece starts, so that two stacks (or a leftover of one) never collide."""

import socket

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


def free_port() -> int:
    """A port nothing listens on now, and one this process has not handed out before (the kernel may offer a
    just-closed port again)."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def free_seaweed_port() -> int:
    """A free port whose gRPC partner (port + SEAWEED_GRPC_OFFSET) is free too."""
    while True:
        port = free_port()
        grpc = port + SEAWEED_GRPC_OFFSET
        if grpc < 65536 and grpc not in _handed_out and _bindable(grpc):
            _handed_out.add(grpc)
            return port


def accepting(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as client:
        client.settimeout(1)
        return client.connect_ex((host, port)) == 0
