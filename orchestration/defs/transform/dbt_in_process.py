"""dbt in the run's own process: dbt's programmatic entry point (`dbtRunner`) on a thread, its events handed to
dagster-dbt as the lines of the subprocess it would otherwise start (docs/decisions/0014-dbt-in-the-run-process.md).

A dbt subprocess pays, at every step of every run, Python's start-up, importing dbt and its adapter, and the
interpreter's exit, and each event crosses a pipe as JSON to be parsed again. In the run's process dbt is
imported once, and each event reaches dagster-dbt as the dictionary its JSON line would have been: the same
`DbtCliInvocation` turns them into Dagster events, collects dbt's error messages and raises dbt's failure.

Only what dagster-dbt and the dbt step use of `subprocess.Popen` is offered: the command (`args`), the events
(`stdout`), `poll`, `wait`, `terminate` and `send_signal`. A thread cannot be killed: stopping dbt raises
`KeyboardInterrupt` in its thread, what Ctrl-C does to the dbt command, which dbt handles by writing its run
results, cancelling its open queries and ending after the node in flight.
"""

import ctypes
import gc
import queue
import threading
from collections.abc import Iterator, Sequence
from subprocess import TimeoutExpired
from typing import Any

from dbt_common.events.base_types import EventMsg
from dbt_common.events.functions import msg_to_dict

# What dbt's JSON output at its default level (info) holds: the only events dagster-dbt reads.
DEBUG = "debug"
FINISHED = object()  # the end of the invocation, after its last event


class DbtThread:
    """A dbt invocation on a thread of this process, looking to dagster-dbt like the dbt process it starts."""

    def __init__(self, arguments: Sequence[str]):
        self.args = ["dbt", *arguments]
        self.returncode: int | None = None
        self.stdout = _EventLines(self)
        self._events: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._stopping, self._stopped = threading.Lock(), False
        # A daemon: a run that stops waiting for a stopped dbt (a long query in flight) can still exit.
        self._thread = threading.Thread(target=self._invoke, args=(list(arguments),), name="dbt", daemon=True)
        self._thread.start()

    def _invoke(self, arguments: list[str]) -> None:
        from dbt.cli.main import dbtRunner  # imported on first use: a run without a dbt step does without it

        try:
            result = dbtRunner(callbacks=[self._on_event]).invoke(arguments)
            # dbt's own exit codes: 0 success, 1 a node failed, 2 dbt could not run.
            self.returncode = 0 if result.success else (2 if result.exception is not None else 1)
            if isinstance(result.exception, KeyboardInterrupt):
                self._events.put(_error_event("dbt was stopped"))
            elif result.exception is not None:
                self._events.put(_error_event(f"dbt could not run: {result.exception}"))
        except BaseException as error:  # noqa: BLE001 - whatever ends dbt must reach the reader, not this thread
            self.returncode = 2
            self._events.put(_error_event(f"dbt could not run: {error}"))
        finally:
            _release_dbt()
            self._events.put(FINISHED)

    def _on_event(self, message: EventMsg) -> None:
        if message.info.level != DEBUG:
            self._events.put(msg_to_dict(message))

    def next_event(self, timeout: float) -> Any:
        """dbt's next event, `FINISHED` after its last one, or `queue.Empty` after `timeout` seconds."""
        return self._events.get(timeout=timeout)

    def poll(self) -> int | None:
        return None if self._thread.is_alive() else self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutExpired(self.args, timeout or 0)
        return self.returncode

    def terminate(self) -> None:
        # Raising from dbt's event callback instead leaves its node queue waiting for ever.
        with self._stopping:
            if self._stopped or not self._thread.is_alive():
                return
            self._stopped = True
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(self._thread.ident), ctypes.py_object(KeyboardInterrupt)
            )

    def send_signal(self, _signal: int) -> None:
        self.terminate()


class _EventLines:
    """dbt's events as dagster-dbt reads a process's output: iterated once, then closed."""

    # How often a reader waiting for dbt's next event lets Dagster's interrupt (a run terminated) through.
    WAIT_SECONDS = 0.5

    def __init__(self, dbt: DbtThread):
        self._dbt, self.closed = dbt, False

    def __iter__(self) -> Iterator[dict[str, Any]]:
        while not self.closed:
            try:
                event = self._dbt.next_event(self.WAIT_SECONDS)
            except queue.Empty:
                continue
            if event is FINISHED:
                self.closed = True
                return
            yield event

    def __enter__(self) -> "_EventLines":
        return self

    def __exit__(self, *_exc: object) -> None:
        pass


def _release_dbt() -> None:
    """Drop what dbt keeps of an invocation: its adapter and the database dbt-duckdb holds open.

    dbt's adapter and manifest each hold a multiprocessing lock (a named semaphore, for dbt's spawned
    processes) that is released only when they are collected: the command line ends with `os._exit`,
    where nothing is collected, and Python's resource tracker would then warn of leaked semaphores.
    """
    from dbt.adapters.factory import reset_adapters

    _release_duckdb()
    reset_adapters()
    gc.collect()


def _release_duckdb() -> None:
    """Close the database dbt-duckdb keeps open between invocations of one process.

    dbt-duckdb holds its database in a class attribute for the next invocation; while it is open, DuckDB
    refuses this process another connection to the file with other settings (read-only, as the summary
    and the publish step open it).
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        environment, DuckDBConnectionManager._ENV = DuckDBConnectionManager._ENV, None
    if environment is not None:
        environment.close()


def _error_event(message: str) -> dict[str, Any]:
    """An error event in dbt's JSON shape, for an invocation that ended without dbt reporting why."""
    return {"info": {"name": "MainEncounteredError", "level": "error", "msg": message}, "data": {}}
