"""The buckets as a folder for the Spark hosts: `weed mount` of the filer's /buckets, so that bucket b's key k
is the file MOUNT/b/k. Spark reads and writes `file:` paths there, and the bytes go to the object store
(Spark's own S3 connector is not installable here).

The mount is made from inside a hidden namespace (see namespace.py) like the other Spark pieces, yet the
Spark hosts, each in a namespace of its own, must see it: so the mount point lies in a folder bind-mounted onto
itself and made shared, through which the FUSE mount made inside reaches the parent namespace, from which every
Spark host's namespace copies it when it starts."""

import hashlib
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

from tools.cluster.namespace import isolated
from tools.cluster.ports import SEAWEED_GRPC_OFFSET
from tools.cluster.processes import Piece
from tools.cluster.s3 import weed

NAME = "mount"
UNIX_SOCKET_PATH_MAX = 100  # sun_path holds 108 bytes


def share(root: Path) -> Path:
    return root / "mnt"


def mount_point(root: Path) -> Path:
    return share(root) / "buckets"


def mounted_at(path: Path) -> bool:
    """Whether something is mounted at `path` in this namespace (/proc/self/mountinfo, which unlike
    os.path.ismount also sees a FUSE mount whose daemon has died)."""
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        target = re.sub(r"\\([0-7]{3})", lambda octal: chr(int(octal[1], 8)), line.split()[4])  # space: \040
        if target == str(path):
            return True
    return False


def prepare(root: Path) -> Path:
    """The shared folder and the mount point inside it; returns the mount point."""
    folder = share(root)
    mount_point(root).mkdir(parents=True, exist_ok=True)
    if not mounted_at(folder):
        subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
    subprocess.run(["mount", "--make-shared", str(folder)], check=True)
    return mount_point(root)


def piece(root: Path, *, filer_port: int, hidden: Sequence[Path], env: dict[str, str]) -> Piece:
    cache = root / "mount-cache"
    cache.mkdir(parents=True, exist_ok=True)
    argv = [
        weed(),
        "mount",
        # host:port.grpcPort: the filer's gRPC port said outright rather than left to the offset convention.
        f"-filer=127.0.0.1:{filer_port}.{filer_port + SEAWEED_GRPC_OFFSET}",
        "-filer.path=/buckets",
        f"-dir={mount_point(root)}",
        f"-cacheDir={cache}",
        f"-localSocket={socket_file(root)}",
    ]
    return Piece(NAME, isolated(argv, hidden, mounts_reach_parent=True), env, str(cache))


def socket_file(root: Path) -> Path:
    """Its control socket, which it leaves behind when it stops: under the root rather than in /tmp, where one
    named after the mount point's hash would pile up; in /tmp all the same for a root too long for a socket."""
    beside = root / "mount-cache" / "mount.sock"
    if len(str(beside)) < UNIX_SOCKET_PATH_MAX:
        return beside
    return Path("/tmp") / f"lifecycle-cluster-mount-{hashlib.sha256(str(root).encode()).hexdigest()[:16]}.sock"


def ready(root: Path, buckets: Sequence[str]) -> bool:
    point = mount_point(root)
    return mounted_at(point) and all((point / bucket).is_dir() for bucket in buckets)


def unmount(root: Path) -> list[str]:
    """Unmount the buckets (which ends `weed mount`), then the shared folder. Returns what is still mounted."""
    point, folder = mount_point(root), share(root)
    if mounted_at(point):
        for command in (["fusermount3", "-u"], ["fusermount", "-u"], ["umount", "-l"]):
            try:
                if subprocess.run([*command, str(point)], capture_output=True).returncode == 0:
                    break
            except FileNotFoundError:
                continue
    if mounted_at(folder):
        subprocess.run(["umount", str(folder)], capture_output=True)
    return [str(path) for path in (point, folder) if mounted_at(path)]
