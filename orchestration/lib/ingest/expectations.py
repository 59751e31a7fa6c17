"""Great Expectations 1.x on the rows about to be merged: the last gate before the raw tables.

The row rules (`row_rules.py`) have already sent bad rows to quarantine; this suite re-checks the
batch that remains, as a whole, with GX's own expectations (schema, keys, enums, ranges, orderings,
no timestamps from the future). A failure here means the batch is blocked. GX runs on a pandas
batch in an ephemeral context: `dagster-ge` supports only GX < 1.0, and GX's SQL datasource does
not work on DuckDB.
"""

import importlib.machinery
import os
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import pandas as pd

from orchestration.lib.ingest.contract import DATE, TIMESTAMP, Source
from orchestration.lib.ingest.row_rules import CONTROL_CHARACTERS, FUTURE_TOLERANCE, guards_control_characters


@dataclass(frozen=True)
class ExpectationFailure:
    expectation: str
    column: str
    unexpected_count: int
    sample: list

    def __str__(self) -> str:
        return f"{self.expectation}({self.column}): {self.unexpected_count} unexpected, e.g. {self.sample[:3]}"


def _give_a_bare_main_a_spec() -> None:
    """GX imports pyspark when it is installed (the `spark` extra), and pyspark's Connect package ends the
    process (`sys.exit(0)`, "Skipping doctests") whenever it is imported where `__main__` has neither a spec
    nor a file, taking it for its own doctests. A run worker that Dagster's code server starts with
    multiprocessing's spawn from `python -m dagster ...` has such a `__main__` (the spawn bootstrap's), as
    has a pytest-xdist worker. It is given a spec named `__main__`: pyspark then sees a real main, and
    multiprocessing's spawn, which would run a `__main__` with a file as a script in every process it
    starts, leaves one of that name alone, as it left the bare one."""
    main = sys.modules.get("__main__")
    if main is not None and getattr(main, "__spec__", None) is None and not hasattr(main, "__file__"):
        main.__spec__ = importlib.machinery.ModuleSpec("__main__", None)


def _load_context():
    _give_a_bare_main_a_spec()
    import great_expectations as gx  # slow to import: only when a batch is validated

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    return gx, context


@cache
def _start_loading() -> Future:
    """GX's import and context take seconds; loaded once per process, on a thread of its own (a failure
    is raised by `validate_batch`)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # here: the environment is not thread-safe
    # GX imports SQLAlchemy's ORM, which Dagster's storage may be importing on the run's thread at the same
    # moment; a module two threads import at once can be seen half-initialized (`partially initialized module
    # 'sqlalchemy.orm.exc'`), so the ORM is imported whole here, on the calling thread, first.
    import sqlalchemy.orm  # noqa: F401

    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gx-context")
    future = executor.submit(_load_context)
    executor.shutdown(wait=False)  # the thread ends with its one task
    return future


# Sources are ingested on threads side by side: the first to need GX starts loading it, the others
# share it (`cache` alone would let two threads both start), and its context and data source, not made
# for concurrent use, validate one batch at a time.
_start_lock, _gx_lock = threading.Lock(), threading.Lock()


def _loading_context() -> Future:
    with _start_lock:
        return _start_loading()


def prepare_validation() -> None:
    """Start loading GX in the background, so the first `validate_batch` does not wait for all of it."""
    _loading_context()


def _context():
    return _loading_context().result()


def build_suite(gx, source: Source, now: datetime, delivery_column: str | None = None):
    """The source's suite; with `delivery_column`, keys must be unique within each delivery (file)."""
    expectations = gx.expectations
    suite = gx.ExpectationSuite(name=f"{source.folder}_landing_batch")
    columns = [c.name for c in source.columns] + ([delivery_column] if delivery_column else [])
    suite.add_expectation(expectations.ExpectTableColumnsToMatchSet(column_set=columns, exact_match=True))
    key = list(source.key) + ([delivery_column] if delivery_column else [])
    if len(key) == 1:
        suite.add_expectation(expectations.ExpectColumnValuesToBeUnique(column=key[0]))
    else:
        suite.add_expectation(expectations.ExpectCompoundColumnsToBeUnique(column_list=key))
    latest = now + FUTURE_TOLERANCE
    for column in source.columns:
        if not column.nullable:
            suite.add_expectation(expectations.ExpectColumnValuesToNotBeNull(column=column.name))
        if guards_control_characters(column):
            suite.add_expectation(
                expectations.ExpectColumnValuesToNotMatchRegex(column=column.name, regex=CONTROL_CHARACTERS)
            )
        if column.accepted_values:
            suite.add_expectation(
                expectations.ExpectColumnValuesToBeInSet(column=column.name, value_set=list(column.accepted_values))
            )
        if column.min_value is not None or column.max_value is not None:
            suite.add_expectation(
                expectations.ExpectColumnValuesToBeBetween(
                    column=column.name, min_value=column.min_value, max_value=column.max_value
                )
            )
        if column.type in (TIMESTAMP, DATE):
            # DuckDB hands dates to pandas as datetime64 too, so one datetime bound serves both.
            suite.add_expectation(expectations.ExpectColumnValuesToBeBetween(column=column.name, max_value=latest))
    for rule in source.score_ranges:
        suite.add_expectation(
            expectations.ExpectColumnValuesToBeBetween(
                column=rule.column,
                min_value=rule.min_value,
                max_value=rule.max_value,
                row_condition=f'{rule.when_column}=="{rule.when_value}"',
                condition_parser="pandas",
            )
        )
    for ordering in source.orderings:
        suite.add_expectation(
            expectations.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=ordering.later,
                column_B=ordering.earlier,
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            )
        )
    return suite


def validate_batch(
    frame: pd.DataFrame, source: Source, now: datetime, delivery_column: str | None = None
) -> list[ExpectationFailure]:
    """Validate the batch with the source's suite; an empty list means it may be merged."""
    if frame.empty:
        return []
    gx, context = _context()
    with _gx_lock:
        data_source = context.data_sources.add_or_update_pandas(name="landing")
        asset = data_source.add_dataframe_asset(name=f"{source.folder}_{id(frame)}")
        batch = asset.add_batch_definition_whole_dataframe("whole_file").get_batch(
            batch_parameters={"dataframe": frame}
        )
        result = batch.validate(
            build_suite(gx, source, now, delivery_column), result_format={"result_format": "SUMMARY"}
        )
        data_source.delete_asset(asset.name)
    failures = []
    for outcome in result.results:
        if outcome.success:
            continue
        kwargs = outcome.expectation_config.kwargs
        failures.append(
            ExpectationFailure(
                expectation=outcome.expectation_config.type,
                column=str(kwargs.get("column") or kwargs.get("column_A") or kwargs.get("column_list") or "table"),
                unexpected_count=int(outcome.result.get("unexpected_count") or 0),
                sample=[
                    str(value)
                    for value in (
                        outcome.result.get("partial_unexpected_list") or outcome.result.get("observed_value") or []
                    )
                ][:5],
            )
        )
    return failures
