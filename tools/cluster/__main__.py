"""`python -m tools.cluster up ROOT [--hide DIR]...` starts the stack, writes ROOT/cluster.json and prints its
settings as `export` lines, and returns with the stack running; `python -m tools.cluster down ROOT` stops it."""

import argparse
import logging
import shlex
import sys
from pathlib import Path

from tools.cluster.cluster import Cluster, ClusterError
from tools.cluster.stack import start_cluster, stop_cluster


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.cluster", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start the stack under ROOT and leave it running")
    up.add_argument("root", type=Path)
    up.add_argument("--hide", type=Path, action="append", default=[], help="a folder the Spark hosts must not see")
    up.add_argument("--bucket", action="append", help="a bucket to create (default: landing and lake)")
    up.add_argument("--python", default=sys.executable, help="the executors' Python (pandas UDFs)")
    up.add_argument("--workers", type=int, default=2)
    down = commands.add_parser("down", help="stop the stack under ROOT")
    down.add_argument("root", type=Path)
    arguments = parser.parse_args(argv)
    logging.basicConfig(format="lifecycle-cluster: %(message)s", stream=sys.stderr)
    logging.getLogger("tools.cluster").setLevel(logging.INFO)

    try:
        if arguments.command == "up":
            cluster = start_cluster(
                arguments.root,
                hidden=arguments.hide,
                buckets=arguments.bucket or ("landing", "lake"),
                python=arguments.python,
                workers=arguments.workers,
            )
            for key, value in cluster.environment().items():
                print(f"export {key}={shlex.quote(value)}")
        else:
            stop_cluster(Cluster.load(arguments.root.absolute()))
    except ClusterError as error:
        print(f"lifecycle-cluster: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
