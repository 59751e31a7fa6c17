"""The run's loggers under `make run`: Dagster's events, as they happen, to the progress lines and to the log file.

A run hands every event to its loggers in the thread that runs the steps, so the progress keeps pace with the
steps; these loggers are given to the job for `make run` only (`launch`), and runs from the UI keep Dagster's.
"""

import logging
from collections.abc import Callable
from typing import TextIO

import dagster as dg

from orchestration.cli import progress

LOG_FORMAT = "%(asctime)s - %(levelname)s - %(message)s"
EventType = dg.DagsterEventType


def failure_text(failure_data) -> str:
    """What a failed step said (`dg.Failure`'s description), or else the innermost error Dagster wraps: its
    message without the stack, which the log keeps."""
    failure, error = failure_data.user_failure_data, failure_data.error
    while error is not None and error.cause is not None:
        error = error.cause
    return failure.description if failure and failure.description else error.message.strip() if error else ""


def _metadata(entries) -> dict[str, object]:
    return {key: getattr(value, "value", value) for key, value in (entries or {}).items()}


def fact_of(event: dg.DagsterEvent, at: float):
    """The progress fact an event tells, or None for the many events the progress lines leave to the log."""
    kind, step = event.event_type, event.step_key
    if kind == EventType.RUN_START:
        return progress.RunStarted(at)
    if kind == EventType.STEP_START:
        return progress.StepStarted(step, at)
    if kind == EventType.ASSET_MATERIALIZATION:
        materialization = event.step_materialization_data.materialization
        return progress.Materialized(step, event.asset_key.to_user_string(), _metadata(materialization.metadata))
    if kind == EventType.ASSET_CHECK_EVALUATION:
        evaluation = event.asset_check_evaluation_data
        return progress.Evaluated(
            step,
            evaluation.asset_key.to_user_string(),
            evaluation.check_name,
            evaluation.passed,
            evaluation.severity.value,
            _metadata(evaluation.metadata),
        )
    if kind == EventType.STEP_SUCCESS:
        return progress.StepEnded(step, at)
    if kind == EventType.STEP_FAILURE:
        return progress.StepEnded(step, at, failure=failure_text(event.step_failure_data) or "failed")
    if kind == EventType.RUN_SUCCESS:
        return progress.RunEnded(at, success=True)
    if kind == EventType.RUN_FAILURE:
        error = event.job_failure_data.error
        return progress.RunEnded(at, success=False, failure=error.message.strip() if error else event.message)
    return None


class _ProgressHandler(logging.Handler):
    def __init__(self, feed: Callable[[object], None]):
        super().__init__(level=logging.DEBUG)
        self._feed = feed

    def emit(self, record: logging.LogRecord) -> None:
        # What Dagster attaches to each record it hands a run's loggers (as its own JSON logger reads it).
        event = (getattr(record, "dagster_meta", None) or {}).get("dagster_event")
        fact = fact_of(event, record.created) if event is not None else None
        if fact is not None:
            self._feed(fact)


def _logger(name: str, handler: logging.Handler) -> dg.LoggerDefinition:
    def build(_context) -> logging.Logger:
        logger = logging.Logger(name, level=logging.DEBUG)  # every event, the debug ones (a step's start) too
        logger.addHandler(handler)
        return logger

    return dg.LoggerDefinition(build, description=f"make run: {name}")


def run_loggers(shown: progress.Progress, log: TextIO) -> dict[str, dg.LoggerDefinition]:
    """The progress lines, and every event and message of the run written to `log` in Dagster's console form."""
    to_log = logging.StreamHandler(log)
    to_log.setFormatter(logging.Formatter(LOG_FORMAT))
    return {"progress": _logger("progress", _ProgressHandler(shown.feed)), "log_file": _logger("log_file", to_log)}
