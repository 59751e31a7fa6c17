"""dbt in the run's own process: dbt's programmatic entry point (`dbtRunner`) on a thread, its events handed to
dagster-dbt as the lines of the subprocess it would otherwise start (docs/decisions/0014-dbt-in-the-run-process.md).

A dbt subprocess pays, at every step of every run, Python's start-up, importing dbt and its adapter, and the
interpreter's exit, and each event crosses a pipe as JSON to be parsed again. In the run's process dbt is
imported once, and each event reaches dagster-dbt as the dictionary its JSON line would have been: the same
`DbtCliInvocation` turns them into Dagster events, collects dbt's error messages and raises dbt's failure.

Only what dagster-dbt and the dbt step use of `subprocess.Popen` is offered: the command (`args`), the events
(`stdout`), `returncode`, `poll`, `wait` and `terminate`; the invocation that reads them (`_InProcessInvocation`)
streams the events itself, so no `with` on the output and no signal. A thread cannot be killed: stopping dbt
cancels its open queries (as dbt does on Ctrl-C) and raises `KeyboardInterrupt` in its thread, which dbt handles
as Ctrl-C by writing its run results and returning before the next node.
"""

import ctypes
import gc
import json
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from subprocess import TimeoutExpired
from typing import Any

from dbt_common.events.base_types import EventMsg
from dbt_common.events.functions import msg_to_dict
from dbt_common.exceptions.base import env_secrets, scrub_secrets

# What dbt's JSON output at its default level (info) holds: the only events dagster-dbt reads.
DEBUG = "debug"
FINISHED = object()  # the end of the invocation, after its last event
# dbt's exit codes: a node failed; dbt could not run (or was stopped).
FAILED, NOT_RUN = 1, 2
# dbt documents one invocation at a time per process; the run's steps never overlap, and this says so if they did.
_ONE_AT_A_TIME = threading.Lock()


class DbtThread:
    """A dbt invocation on a thread of this process, looking to dagster-dbt like the dbt process it starts."""

    CANCEL_EVERY_SECONDS = 0.5

    def __init__(self, arguments: Sequence[str], run_results: Path | None = None):
        """`run_results`: where to write the invocation's run results, for a dbt told not to write its own
        (`--no-write-json`, which also leaves out the manifest dbt writes twice in each build)."""
        if not _ONE_AT_A_TIME.acquire(blocking=False):
            raise RuntimeError("dbt is already running in this process: one dbt invocation at a time")
        self.args = ["dbt", *arguments]
        self.returncode: int | None = None
        self.stdout = _EventLines(self)
        self._run_results = run_results
        self._events: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock, self._stopped, self._ended, self._saw_error = threading.Lock(), False, False, False
        self._secrets = env_secrets()  # read once: dbt reads its secrets from the environment as it starts
        # A daemon: a run that stops waiting for a stopped dbt can still exit.
        self._thread = threading.Thread(target=self._invoke, args=(list(arguments),), name="dbt", daemon=True)
        try:
            self._thread.start()
        except BaseException:
            _ONE_AT_A_TIME.release()
            raise

    def _invoke(self, arguments: list[str]) -> None:
        try:
            try:
                from dbt.cli.main import dbtRunner  # the run's first dbt step imports dbt's command line

                result = dbtRunner(callbacks=[self._on_event]).invoke(arguments)
                if self._run_results is not None and hasattr(result.result, "write"):  # dbt's own test for it
                    result.result.write(str(self._run_results))
                self.returncode = 0 if result.success else (NOT_RUN if result.exception is not None else FAILED)
                if isinstance(result.exception, KeyboardInterrupt):
                    self._events.put(_error_event("dbt was stopped"))
                elif result.exception is not None and not self._saw_error:
                    self._events.put(_error_event(f"dbt could not run: {result.exception}"))
            except BaseException as error:  # noqa: BLE001 - whatever ends dbt must reach the reader, not this thread
                self.returncode = NOT_RUN
                self._events.put(_error_event(f"dbt could not run: {error!r}"))
            finally:
                self._end_interrupts()
                try:
                    _release_dbt()
                except Exception as error:  # noqa: BLE001 - the build's outcome stands; the reader is told
                    self._events.put(_error_event(f"dbt's database could not be closed: {error}"))
        finally:
            _ONE_AT_A_TIME.release()
            self._events.put(FINISHED)

    def _end_interrupts(self) -> None:
        """From here on `terminate` raises nothing in this thread, and one raised but not yet delivered is withdrawn."""
        with self._lock:
            self._ended = True
            if self._stopped:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(threading.get_ident()), None)

    def _on_event(self, message: EventMsg) -> None:
        if message.info.level == DEBUG:
            return
        event = msg_to_dict(message)
        if self._secrets:  # what dbt's own JSON output does to each line
            event = json.loads(scrub_secrets(json.dumps(event), self._secrets))
        if message.info.level == "error" and event["info"].get("msg"):
            self._saw_error = True
        self._events.put(event)

    def next_event(self, timeout: float) -> Any:
        """dbt's next event, `FINISHED` after its last one, or `queue.Empty` after `timeout` seconds."""
        return self._events.get(timeout=timeout)

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def poll(self) -> int | None:
        if self._thread.is_alive():
            return None
        return NOT_RUN if self.returncode is None else self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._thread.is_alive():
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise TimeoutExpired(self.args, timeout or 0)
            self._thread.join(self.CANCEL_EVERY_SECONDS if left is None else min(left, self.CANCEL_EVERY_SECONDS))
            if self._stopped and self._thread.is_alive():
                # DuckDB interrupts only a query already running: one dbt began after the stop is cancelled here.
                _cancel_queries()
        return self.poll()

    def terminate(self) -> None:
        # Raising from dbt's event callback instead leaves its node queue waiting for ever.
        with self._lock:
            if self._stopped or self._ended:
                return
            self._stopped = True
            _cancel_queries()
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(self._thread.ident), ctypes.py_object(KeyboardInterrupt)
            )


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
                if not self._dbt.is_alive():  # ended without its last word: nothing more will come
                    self.closed = True
                continue
            if event is FINISHED:
                self.closed = True
                return
            yield event


def _cancel_queries() -> None:
    """Cancel the queries dbt's adapters have running, as dbt does on Ctrl-C (DuckDB interrupts them)."""
    from dbt.adapters.factory import FACTORY

    for adapter in list(FACTORY.adapters.values()):
        adapter.cancel_open_connections()


def _release_dbt() -> None:
    """Drop what dbt keeps of an invocation in the process: its loggers (the step's log file open), its adapter,
    and the database dbt-duckdb may keep open.

    dbt's adapter and manifest each hold a multiprocessing lock (a named semaphore, for dbt's spawned
    processes) released only when they are collected: this project's command line ends with `os._exit`,
    where nothing is collected, and Python's resource tracker would then warn of leaked semaphores. The full
    collection here is also the one the run's pace counts on (`orchestration/garbage_collection.py`).
    """
    from dbt.adapters.factory import reset_adapters
    from dbt_common.events.event_manager_client import cleanup_event_logger

    cleanup_event_logger()
    _release_duckdb()
    reset_adapters()
    gc.collect()


def _release_duckdb() -> None:
    """Close the database dbt-duckdb holds in a class attribute between invocations of one process (always with
    its `keep_open` setting, else until its last connection closes).

    While it is open, DuckDB refuses this process another connection to the file with other settings (the
    summary and the publish step open it read-only), and its warn-once messages would stay silent in the
    next dbt step.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        environment, DuckDBConnectionManager._ENV = DuckDBConnectionManager._ENV, None
        DuckDBConnectionManager._LOGGED_MESSAGES.clear()
    if environment is not None:
        environment.close()


def _error_event(message: str) -> dict[str, Any]:
    """An error event in dbt's JSON shape, for an invocation that ended without dbt reporting why."""
    return {"info": {"name": "MainEncounteredError", "level": "error", "msg": message}, "data": {}}
