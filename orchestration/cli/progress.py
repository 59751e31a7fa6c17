"""What `make run` shows while its run works: a line as each step ends, with what it did and how long it took.

`Progress` is fed facts about the run (`run_events` makes them from Dagster's events) and writes its lines
through a display (`display`). In a terminal one live status line, redrawn in place, shows the running step;
where the output is a log or a pipe, a step still running is told every `STILL_RUNNING_SECONDS` instead, so a
long step is seen to be alive without a line for every step that starts.
"""

import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.cli.display import LiveDisplay, PlainDisplay

MESSAGE_LINES = 6  # of a failure's message; the whole of it is in the log
CHECKS_NAMED = 5  # failed checks named under a failed step
BAR_WIDTH = 20
DETAIL = " " * 6  # a step's details, under its line
STILL_RUNNING_SECONDS = 30.0


@dataclass(frozen=True)
class RunStarted:
    at: float


@dataclass(frozen=True)
class Planned:
    """A step of the run, with the assets it means to materialize and the checks it means to evaluate."""

    step: str
    assets: int = 0
    checks: int = 0


@dataclass(frozen=True)
class StepStarted:
    step: str
    at: float


@dataclass(frozen=True)
class Materialized:
    step: str
    asset: str
    metadata: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Evaluated:
    step: str
    asset: str
    check: str
    passed: bool
    severity: str = "ERROR"
    metadata: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class StepEnded:
    step: str
    at: float
    failure: str | None = None  # what a failed step said; None when it succeeded


@dataclass(frozen=True)
class RunEnded:
    at: float
    success: bool
    failure: str | None = None  # what a run that failed outside its steps said


@dataclass
class _Step:
    planned_assets: int = 0
    planned_checks: int = 0
    number: int = 0  # in the order the steps started
    started: float | None = None
    ended: float | None = None
    told_running: int = 0  # how many STILL_RUNNING_SECONDS a plain display has told it running
    failed: bool = False
    assets: list[Materialized] = field(default_factory=list)
    checks: list[Evaluated] = field(default_factory=list)


def duration(seconds: float) -> str:
    seconds = max(seconds, 0.0)
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m {rest:02d}s"


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def source_line(asset: str, loaded: Mapping[str, object], checked: Mapping[str, object]) -> str:
    """A landing source's files and rows, from the ingest step's metadata on the source and on its check
    (`defs/ingest/assets.py`)."""
    files = (
        f"{loaded.get('files_loaded', 0)} new, {loaded.get('files_reloaded', 0)} changed, "
        f"{loaded.get('files_unchanged', 0)} unchanged, {len(checked.get('files_blocked') or [])} blocked"
    )
    rarer = [
        _count(len(loaded.get(key) or []), noun)
        for key, noun in (("files_duplicate", "repeated delivery"), ("files_skipped", "skipped"))
        if loaded.get(key)
    ]
    files += "".join(f", {part}" for part in rarer)
    rows = f"{loaded.get('rows_loaded', 0):,} rows loaded, {loaded.get('rows_quarantined', 0):,} quarantined"
    return f"{asset:<20} {files} files; {rows}"


def message_lines(message: str) -> list[str]:
    """The first lines of a failure's message, and how many more the log holds."""
    lines = [line.rstrip() for line in message.strip().splitlines() if line.strip()]
    if len(lines) > MESSAGE_LINES:
        return [*lines[:MESSAGE_LINES], f"... {_count(len(lines) - MESSAGE_LINES, 'more line')} in the log"]
    return lines


class Progress:
    """The run's steps as lines (`display.show`) and, for a terminal, its status line (`status`)."""

    def __init__(
        self,
        display: PlainDisplay | LiveDisplay,
        log: Path,
        dbt_steps: Collection[str] = (),
        clock: Callable[[], float] = time.time,
    ):
        self._display, self._log, self._dbt_steps, self._clock = display, log, frozenset(dbt_steps), clock
        self._steps: dict[str, _Step] = {}
        self._started_at: float | None = None
        self._lock = threading.Lock()
        display.follow(self.status if display.live else self.still_running)

    def feed(self, fact) -> None:
        with self._lock:  # the terminal's clock reads the steps from its own thread
            lines = self._apply(fact)
        if lines:
            self._display.show(lines)
        else:
            self._display.refresh()

    def _apply(self, fact) -> list[str]:
        """Take the fact in; the lines it adds to the output."""
        if isinstance(fact, RunStarted):
            self._started_at = fact.at
        elif isinstance(fact, Planned):
            step = self._step(fact.step)
            step.planned_assets, step.planned_checks = fact.assets, fact.checks
        elif isinstance(fact, StepStarted):
            return self._start(fact)
        elif isinstance(fact, Materialized):
            self._step(fact.step).assets.append(fact)
        elif isinstance(fact, Evaluated):
            self._step(fact.step).checks.append(fact)
        elif isinstance(fact, StepEnded):
            return self._end(fact)
        elif isinstance(fact, RunEnded):
            return self._end_run(fact)
        return []

    def status(self) -> str:
        """The running step, its share done and time so far: the terminal's live line ("" between steps)."""
        with self._lock:
            return self._status()

    def still_running(self) -> str:
        """The running step's status line once each `STILL_RUNNING_SECONDS` it has run, "" in between."""
        with self._lock:
            running = [step for step in self._steps.values() if step.started is not None and step.ended is None]
            if not running:
                return ""
            periods = int((self._clock() - running[-1].started) // STILL_RUNNING_SECONDS)
            if periods <= running[-1].told_running:
                return ""
            running[-1].told_running = periods
            return self._status()

    def _status(self) -> str:
        running = [(key, step) for key, step in self._steps.items() if step.started is not None and step.ended is None]
        if not running:
            return ""
        key, step = running[-1]
        planned, done = step.planned_assets + step.planned_checks, len(step.assets) + len(step.checks)
        bar = ""
        if planned:
            filled = min(BAR_WIDTH, BAR_WIDTH * done // planned)
            bar = f"  [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done} of {planned}"
        return f"{self._label(key, step)}  running{bar}  {duration(self._clock() - step.started)}"

    def _step(self, key: str) -> _Step:
        return self._steps.setdefault(key, _Step())

    def _label(self, key: str, step: _Step) -> str:
        width = max(len(name) for name in self._steps)
        return f"[{step.number}/{len(self._steps)}] {key:<{width}}"

    def _start(self, fact: StepStarted) -> list[str]:
        step = self._step(fact.step)
        step.number = 1 + sum(1 for other in self._steps.values() if other.started is not None)
        step.started = fact.at
        return []  # the status line (a terminal), or `still_running` (a plain display), tells a running step

    def _did(self, key: str, step: _Step) -> str:
        """What a step did: its models and tests (a dbt step), or its assets and checks, done of planned."""
        assets, checks = ("model", "test") if key in self._dbt_steps else ("asset", "check")
        parts = []
        if step.planned_assets or step.assets:
            parts.append(f"{len(step.assets)} of {_count(step.planned_assets, assets)}")
        if step.planned_checks or step.checks:
            passed = sum(check.passed for check in step.checks)
            failed = len(step.checks) - passed
            parts.append(
                f"{passed} of {_count(step.planned_checks, checks)} passed" + (f" ({failed} failed)" if failed else "")
            )
        return ", ".join(parts)

    def _sources(self, step: _Step) -> list[str]:
        checked = {check.asset: check.metadata for check in step.checks if "files_blocked" in check.metadata}
        return [
            DETAIL + source_line(asset.asset, asset.metadata, checked.get(asset.asset, {}))
            for asset in step.assets
            if "files_loaded" in asset.metadata
        ]

    def _failure(self, step: _Step, message: str) -> list[str]:
        failed = [check for check in step.checks if not check.passed]
        lines = [f"failed check: {c.asset} :: {c.check} ({c.severity})" for c in failed[:CHECKS_NAMED]]
        if len(failed) > CHECKS_NAMED:
            lines.append(f"... and {_count(len(failed) - CHECKS_NAMED, 'more failed check')}")
        lines += message_lines(message) + [f"Full log: {self._log}"]
        return [DETAIL + line for line in lines]

    def _end(self, fact: StepEnded) -> list[str]:
        step = self._step(fact.step)
        if step.started is None:  # ended without a start Dagster told of: timed from its end
            self._start(StepStarted(fact.step, fact.at))
        step.ended, step.failed = fact.at, fact.failure is not None
        verb = "done" if fact.failure is None else "FAILED"
        did = self._did(fact.step, step)
        lines = [f"{self._label(fact.step, step)}  {verb:<6} {duration(fact.at - step.started):>7}  {did}".rstrip()]
        lines += self._sources(step)
        if fact.failure is not None:
            lines += self._failure(step, fact.failure)
        return lines

    def _end_run(self, fact: RunEnded) -> list[str]:
        ran = [key for key, step in self._steps.items() if step.started is not None]
        took = duration(fact.at - self._started_at) if self._started_at is not None else "-"
        if fact.success:
            return [f"{_count(len(ran), 'step')} done in {took}"]
        lines = [f"Run FAILED after {took}: {len(ran)} of {_count(len(self._steps), 'step')} ran"]
        not_run = [key for key in self._steps if key not in ran]
        if not_run:
            lines.append(f"{DETAIL}not run: {', '.join(not_run)}")
        if fact.failure and not any(step.failed for step in self._steps.values()):  # else its step told it
            lines += [DETAIL + line for line in [*message_lines(fact.failure), f"Full log: {self._log}"]]
        return lines
