"""Where `make run`'s progress lines go: every line as it comes where the output is a log or a pipe, and in a
terminal the lines above one status line that is redrawn in place (carriage return, erase to the line's end)."""

import os
import threading
from collections.abc import Callable, Sequence
from typing import TextIO

ERASE_LINE = "\r\x1b[K"
TICK_SECONDS = 0.5  # how often the status line's clock moves between events


class PlainDisplay:
    """Lines only: what a CI log or a file keeps. Between events it asks `status` each `TICK_SECONDS` for a
    line to add (none when it answers "")."""

    live = False

    def __init__(self, stream: TextIO):
        self._stream = stream
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._ticker: threading.Thread | None = None

    def follow(self, status: Callable[[], str]) -> None:
        self._ticker = threading.Thread(target=self._tick, args=(status,), name="progress-lines", daemon=True)
        self._ticker.start()

    def show(self, lines: Sequence[str]) -> None:
        with self._lock:
            for line in lines:
                self._stream.write(line + "\n")
            self._stream.flush()

    def refresh(self) -> None:
        """Nothing to redraw."""

    def close(self) -> None:
        self._stopped.set()
        if self._ticker is not None:
            self._ticker.join()

    def _tick(self, status: Callable[[], str]) -> None:
        while not self._stopped.wait(TICK_SECONDS):
            line = status()
            if line:
                self.show([line])


class LiveDisplay:
    """Lines above a status line that `status` renders, redrawn on each event and on a clock in between."""

    live = True

    def __init__(self, stream: TextIO, width: Callable[[], int] | None = None):
        self._stream, self._width = stream, width or (lambda: _columns(stream))
        self._status: Callable[[], str] = str
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._ticker: threading.Thread | None = None

    def follow(self, status: Callable[[], str]) -> None:
        """Render `status` on the status line from now on, every `TICK_SECONDS` as well as on each event."""
        self._status = status
        self._ticker = threading.Thread(target=self._tick, name="progress-status", daemon=True)
        self._ticker.start()

    def show(self, lines: Sequence[str]) -> None:
        with self._lock:
            self._stream.write(ERASE_LINE + "".join(line + "\n" for line in lines))
            self._draw()

    def refresh(self) -> None:
        with self._lock:
            self._stream.write(ERASE_LINE)
            self._draw()

    def close(self) -> None:
        self._stopped.set()
        if self._ticker is not None:
            self._ticker.join()
        with self._lock:
            self._stream.write(ERASE_LINE)
            self._stream.flush()

    def _draw(self) -> None:
        # One character short of the width: a line that fills it wraps on some terminals, and the next
        # carriage return would then redraw only its second half.
        self._stream.write(self._status()[: max(self._width() - 1, 0)])
        self._stream.flush()

    def _tick(self) -> None:
        while not self._stopped.wait(TICK_SECONDS):
            self.refresh()


def _columns(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except OSError:
        return 80


def display_for(stream: TextIO) -> PlainDisplay | LiveDisplay:
    """A live display where a terminal that understands cursor control is attached, plain lines otherwise."""
    if stream.isatty() and os.environ.get("TERM", "") != "dumb":
        return LiveDisplay(stream)
    return PlainDisplay(stream)
