"""Each piece of the stack is one process, started here and stopped by its pid.

A piece runs in a session of its own, so a terminal's Ctrl-C or the exit of the process that started it leaves
it be (`python -m tools.cluster up` returns while the stack runs on). Its pid is recorded with the process's
start time, so a later stop never signals an unrelated process that merely reuses the pid; and with how it was
started, so a fault test can start it again exactly as before."""

import contextlib
import json
import os
import signal
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

STOP_GRACE_SECONDS = 30
KILL_WAIT_SECONDS = 15

# The running pieces this process started, kept so that they can be reaped (a dead child stays a zombie until
# its parent waits for it) and so that Python does not warn about a child still running when it forgets one.
_children: dict[int, subprocess.Popen] = {}


@dataclass(frozen=True)
class Piece:
    """How one process of the stack is started: recorded, so that `restart_piece` can replay it."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(repr=False)  # may hold credentials
    cwd: str
    user: str | None = None  # PostgreSQL refuses to run as root
    stop_signal: int = signal.SIGTERM


@dataclass(frozen=True)
class Record:
    pid: int
    started: int  # clock ticks after boot, from /proc/PID/stat
    piece: Piece


def log_path(root: Path, name: str) -> Path:
    return root / "logs" / f"{name}.log"


def _record_path(root: Path, name: str) -> Path:
    return root / "run" / f"{name}.json"


def _stat(pid: int) -> list[str] | None:
    """/proc/PID/stat after the command name: [state, ppid, pgrp, session, ..., starttime at 19]."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text[text.rindex(")") + 2 :].split()


def launch(root: Path, piece: Piece) -> Record:
    """Start the piece with its output appended to its log (a restart keeps what the first run said)."""
    log = log_path(root, piece.name)
    log.parent.mkdir(parents=True, exist_ok=True)
    as_user = {"user": piece.user, "group": piece.user, "extra_groups": []} if piece.user else {}
    with log.open("ab") as output:
        process = subprocess.Popen(
            piece.argv,
            cwd=piece.cwd,
            env=piece.env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **as_user,
        )
    _children[process.pid] = process
    stat = _stat(process.pid)
    record = Record(process.pid, int(stat[19]) if stat else 0, piece)
    path = _record_path(root, piece.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(record)))
    path.chmod(0o600)
    return record


def records(root: Path) -> list[Record]:
    """The recorded pieces under `root`, in the order they were started."""
    found = []
    for path in (root / "run").glob("*.json"):
        data = json.loads(path.read_text())
        found.append(Record(data["pid"], data["started"], Piece(**data["piece"])))
    return sorted(found, key=lambda record: record.started)


def read_record(root: Path, name: str) -> Record | None:
    return next((record for record in records(root) if record.piece.name == name), None)


def _reap(pid: int) -> None:
    child = _children.get(pid)
    if child is not None:
        if child.poll() is not None:
            del _children[pid]
        return
    with contextlib.suppress(ChildProcessError):  # not ours to reap: its parent does it
        os.waitpid(pid, os.WNOHANG)


def alive(pid: int, started: int = 0) -> bool:
    """Whether the process that was started as `pid` at `started` still runs (a zombie has ended)."""
    stat = _stat(pid)
    if stat is None:
        return False
    if stat[0] in ("Z", "X"):
        _reap(pid)
        return False
    return not started or int(stat[19]) == started


def exit_code(pid: int) -> int | None:
    child = _children.get(pid)
    return child.poll() if child is not None else None


def family(record: Record) -> dict[int, int]:
    """Every running process the piece started, pid -> start time: its process group (a worker's executors and
    their Python workers, which outlive a killed worker for a moment) and its descendants (PostgreSQL's backends
    lead groups of their own). The group id is the piece's pid; a pid now owned by another process means that
    the group is no longer the piece's."""
    if _stat(record.pid) is not None and alive(record.pid) and not alive(record.pid, record.started):
        return {}
    running = {}
    for entry in Path("/proc").iterdir():
        stat = _stat(int(entry.name)) if entry.name.isdigit() else None
        if stat is not None and stat[0] not in ("Z", "X"):
            running[int(entry.name)] = stat
    members = {pid for pid, stat in running.items() if int(stat[2]) == record.pid}
    if record.pid in running:
        members.add(record.pid)
    while True:
        children = {pid for pid, stat in running.items() if int(stat[1]) in members} - members
        if not children:
            return {pid: int(running[pid][19]) for pid in members}
        members |= children


def _wait(gone, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not gone():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def stop(record: Record, grace_seconds: float = STOP_GRACE_SECONDS) -> list[int]:
    """The piece's stop signal to its pid; after the grace, SIGKILL to whatever it started that is left.
    Returns the pids still running after all that (none, normally)."""
    started = family(record)  # before the stop: orphans are adopted by init and leave the family tree
    if alive(record.pid, record.started):
        with contextlib.suppress(ProcessLookupError):
            os.kill(record.pid, record.piece.stop_signal)
        _wait(lambda: not alive(record.pid, record.started), grace_seconds)

    def leftovers() -> list[int]:
        return sorted(pid for pid, begun in {**started, **family(record)}.items() if alive(pid, begun))

    for pid in leftovers():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    _wait(lambda: not leftovers(), KILL_WAIT_SECONDS)
    _reap(record.pid)
    return leftovers()


def kill(record: Record) -> None:
    """SIGKILL to the piece's pid only, as a crash would: what it started is left to notice by itself."""
    if alive(record.pid, record.started):
        os.kill(record.pid, signal.SIGKILL)
        _wait(lambda: not alive(record.pid, record.started), KILL_WAIT_SECONDS)
