"""The Spark standalone cluster: a master and its workers on 127.0.0.1, each a JVM of its own in a hidden
namespace (namespace.py), its scratch space under the stack's root."""

import json
import os
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from tools.cluster.namespace import isolated
from tools.cluster.processes import Piece

MASTER = "master"
WORKER = "worker"
POSTGRESQL_JAR = Path("/usr/share/java/postgresql.jar")  # Debian's libpostgresql-jdbc-java
WORKER_CORES = 2
WORKER_MEMORY = "1g"
DAEMON_MEMORY = "512m"


def spark_home() -> Path:
    """The pyspark package's folder: it ships Spark's jars and launch scripts."""
    import pyspark

    return Path(pyspark.__file__).parent


def worker_name(number: int) -> str:
    return f"{WORKER}-{number}"


def host_folder(root: Path, name: str) -> Path:
    """What one Spark host keeps locally: its working folder, shuffle and spill space, temporary files."""
    folder = root / "spark" / name
    (folder / "local").mkdir(parents=True, exist_ok=True)
    return folder


def environment(root: Path, name: str, python: str) -> dict[str, str]:
    """A Spark host's environment, built afresh: nothing of the caller's (the pipeline's settings, its
    credentials) leaks into the cluster."""
    conf = root / "spark" / "conf"  # empty: keeps out any spark-defaults.conf or spark-env.sh found elsewhere
    conf.mkdir(parents=True, exist_ok=True)
    kept = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "JAVA_HOME") if key in os.environ}
    return {
        **kept,
        "SPARK_HOME": str(spark_home()),
        "SPARK_CONF_DIR": str(conf),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_LOCAL_DIRS": str(host_folder(root, name) / "local"),
        "SPARK_DAEMON_MEMORY": DAEMON_MEMORY,
        # The master's REST submission server would listen on a fixed port of every address.
        "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false",
        "PYSPARK_PYTHON": python,
    }


def _spark_class(*arguments: str) -> list[str]:
    return [str(spark_home() / "bin" / "spark-class"), *arguments]


def _addresses(port: int, ui_port: int) -> list[str]:
    return ["--host", "127.0.0.1", "--port", str(port), "--webui-port", str(ui_port)]


def master_piece(root: Path, *, port: int, ui_port: int, python: str, hidden: Sequence[Path]) -> Piece:
    argv = _spark_class("org.apache.spark.deploy.master.Master", *_addresses(port, ui_port))
    return Piece(MASTER, isolated(argv, hidden), environment(root, MASTER, python), str(host_folder(root, MASTER)))


def worker_piece(
    root: Path, number: int, *, master_url: str, port: int, ui_port: int, python: str, hidden: Sequence[Path]
) -> Piece:
    name = worker_name(number)
    folder = host_folder(root, name)
    argv = _spark_class(
        "org.apache.spark.deploy.worker.Worker",
        master_url,
        *_addresses(port, ui_port),
        # Two servers share the workers: each must find a core free (see servers.py).
        "--cores",
        str(WORKER_CORES),
        "--memory",
        WORKER_MEMORY,
        "--work-dir",
        str(folder / "work"),
    )
    return Piece(name, isolated(argv, hidden), environment(root, name, python), str(folder))


def ui_port(piece: Piece) -> int:
    return int(piece.argv[piece.argv.index("--webui-port") + 1])


def registered(worker_ui_port: int, master_url: str) -> bool:
    """Whether the worker has registered with the master, from its own web UI's JSON. (The master's count of
    alive workers would not do for a restarted worker: it may not yet have noticed that the old one died.)"""
    with urllib.request.urlopen(f"http://127.0.0.1:{worker_ui_port}/json/", timeout=5) as response:
        return json.loads(response.read())["masterurl"] == master_url


def alive_workers(ui_port: int) -> int:
    """Workers registered with the master, from its web UI's JSON."""
    with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=5) as response:
        return int(json.loads(response.read())["aliveworkers"])
