"""PostgreSQL for the Hive metastore and Dagster's storage: a fresh data folder under the stack's root,
listening on 127.0.0.1 only (no Unix socket, so nothing is shared with a system server), password
authentication, one user owning the `metastore` and `dagster` databases."""

import os
import pwd
import signal
import stat
import subprocess
from pathlib import Path

from tools.cluster.processes import Piece

NAME = "postgres"
OS_USER = "postgres"
DATABASES = ("metastore", "dagster")


def binaries() -> Path:
    """The newest PostgreSQL installed the Debian way (/usr/lib/postgresql/<version>/bin)."""
    installed = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: int(path.parts[-3]))
    if not installed:
        raise FileNotFoundError("no PostgreSQL server under /usr/lib/postgresql (Debian: postgresql-15)")
    return installed[-1].parent


def _let_postgres_through(folder: Path) -> None:
    """PostgreSQL runs as its own OS user, which must be able to reach its data folder: pytest's temporary
    folders, for one, are private to root. Each ancestor gains search permission for others (not listing)."""
    for ancestor in folder.parents:
        mode = ancestor.stat().st_mode
        if not mode & stat.S_IXOTH:
            ancestor.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


def init(root: Path, *, user: str, password: str) -> Path:
    """initdb as the postgres OS user; returns the data folder."""
    home = root / "postgres"
    home.mkdir(parents=True)
    _let_postgres_through(home)
    os.chown(home, *_ids())
    home.chmod(0o700)
    password_file = home / "password"
    password_file.write_text(password + "\n")
    os.chown(password_file, *_ids())
    data = home / "data"
    log = root / "logs" / "initdb.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        done = subprocess.run(
            ["runuser", "-u", OS_USER, "--", str(binaries() / "initdb"), "-D", str(data), "-U", user]
            + [f"--pwfile={password_file}", "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
            cwd=home,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    password_file.unlink()
    if done.returncode != 0:
        raise RuntimeError(f"initdb failed (exit {done.returncode}), see {log}")
    return data


def _ids() -> tuple[int, int]:
    entry = pwd.getpwnam(OS_USER)
    return entry.pw_uid, entry.pw_gid


def piece(data: Path, port: int) -> Piece:
    argv = [
        str(binaries() / "postgres"),
        "-D",
        str(data),
        "-p",
        str(port),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "unix_socket_directories=",
        # Two servers' metastore connection pools and Dagster's run workers together.
        "-c",
        "max_connections=200",
    ]
    # SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every client to leave.
    return Piece(NAME, argv, {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}, str(data.parent), OS_USER, signal.SIGINT)


def _connect(port: int, user: str, password: str, database: str = "postgres"):
    import psycopg2

    return psycopg2.connect(
        host="127.0.0.1", port=port, user=user, password=password, dbname=database, connect_timeout=5
    )


def ready(port: int, user: str, password: str) -> bool:
    with _connect(port, user, password) as connection, connection.cursor() as cursor:
        cursor.execute("select 1")
        return cursor.fetchone() == (1,)


def create_databases(port: int, user: str, password: str) -> None:
    connection = _connect(port, user, password)
    try:
        connection.autocommit = True  # CREATE DATABASE cannot run inside a transaction
        with connection.cursor() as cursor:
            for database in DATABASES:
                cursor.execute(f'create database "{database}"')
    finally:
        connection.close()
