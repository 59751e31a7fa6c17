"""The Spark hosts' view of the disk: a private mount namespace in which each hidden folder (the pipeline's
data folder) has an empty tmpfs over it. Whatever the pipeline left on the local disk is then out of reach of
the Spark master, the workers and their executors, the Thrift and Connect servers and the bucket's mount, as it
would be on hosts of their own: data can only reach them through the object store.

`unshare` starts a shell in the new namespace that mounts the tmpfs and then execs the piece's command, so the
recorded pid is the piece's own (spark-class and spark-submit exec java in turn)."""

import shlex
import shutil
from collections.abc import Sequence
from pathlib import Path

UNSHARE = "unshare"

# tmpfs source name, seen in /proc/PID/mountinfo of a Spark process: says who put it there.
TMPFS_NAME = "lifecycle-cluster-hidden"


def check_hidden(hidden: Sequence[Path], *, root: Path, needed: Sequence[Path]) -> list[Path]:
    """The hidden folders as absolute paths, created when missing (a folder made after the namespace would be
    visible inside it). None may hold the stack's root or what the Spark hosts need to run (`needed`: Spark,
    the workers' Python, Java), nor lie inside the stack's root (the bucket's mount point is there)."""
    folders = []
    for folder in (Path(path).absolute() for path in hidden):
        for path in (root, *needed):
            if path == folder or folder in path.parents:
                raise ValueError(f"cannot hide {folder}: the Spark hosts need {path} inside it")
        if root in folder.parents:
            raise ValueError(f"cannot hide {folder}: it lies inside the stack's root {root}")
        folder.mkdir(parents=True, exist_ok=True)
        folders.append(folder)
    return folders


def isolated(argv: Sequence[str], hidden: Sequence[Path], *, mounts_reach_parent: bool = False) -> list[str]:
    """`argv` run in a mount namespace of its own where every hidden folder is an empty tmpfs.

    With `mounts_reach_parent`, mounts the piece makes under a shared mount of the parent (the bucket's
    mount point) appear in the parent too; the tmpfs must not, so each hidden folder's enclosing mount is
    made a slave first (a no-op where it is private already)."""
    commands = []
    for folder in hidden:
        quoted = shlex.quote(str(folder))
        if mounts_reach_parent:
            commands.append(f'mount --make-slave "$(findmnt -n -o TARGET -T {quoted})"')
        commands.append(f"mount -t tmpfs -o size=64k,mode=0555 {TMPFS_NAME} {quoted}")
    commands.append('exec "$@"')
    propagation = "unchanged" if mounts_reach_parent else "private"
    return [
        shutil.which(UNSHARE) or UNSHARE,
        "--mount",
        "--propagation",
        propagation,
        "--",
        "sh",
        "-c",
        " && ".join(commands),
        "lifecycle-cluster",
        *argv,
    ]
