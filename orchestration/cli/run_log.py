"""The log file of a `make run`: everything the run writes, Dagster's events and dbt's output among it.

It sits beside the working warehouse, in `logs/<run id>.log`: the folder the run works in wherever the settings
point it, kept or removed with the warehouse (`make clean`), and there whether or not DAGSTER_HOME records the run.
"""

import contextlib
import io
import os
import re
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from orchestration.lib import settings

# dbt colours its status words; a file is read in an editor or by grep, where the codes are noise.
COLOUR_CODES = re.compile(r"\x1b\[[0-9;]*m")


def log_path(run_id: str) -> Path:
    return settings.warehouse_path().parent / "logs" / f"{run_id}.log"


class _LogStream(io.TextIOBase):
    """The log file as Python's stdout and stderr, one writer at a time.

    It offers no file descriptor: Dagster's capture of a step's output (the instance's compute logs) then
    leaves the stream alone, where it would otherwise copy the output back to the terminal from a `tail`
    process that can stop before the last lines."""

    def __init__(self, file: TextIO):
        super().__init__()
        self._file, self._lock = file, threading.Lock()

    @property
    def encoding(self) -> str:
        return self._file.encoding

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            self._file.write(COLOUR_CODES.sub("", text))
            self._file.flush()
        return len(text)

    def isatty(self) -> bool:
        return False


@contextlib.contextmanager
def captured_output(path: Path) -> Iterator[tuple[TextIO, TextIO]]:
    """Send everything written to stdout and stderr to the log at `path`: Python's writes (dagster-dbt prints
    dbt's lines there) and those of child processes and native libraries (their file descriptors 1 and 2).
    Yields the terminal's stdout, for the progress lines, and the log."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(1), "w", encoding=sys.stdout.encoding, errors="replace")
    with open(path, "a", encoding="utf-8", errors="replace") as file:
        log = _LogStream(file)
        os.dup2(file.fileno(), 1)
        os.dup2(file.fileno(), 2)
        try:
            with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
                yield terminal, log
        finally:
            file.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for descriptor in saved:
                os.close(descriptor)
            terminal.close()
