"""A small job run through `make run`'s loggers: its events become the progress lines as they happen, and its
log keeps what the lines leave out (Dagster's debug events, the steps' own messages, the stack)."""

import io
from pathlib import Path

import dagster as dg

from orchestration.cli.display import PlainDisplay
from orchestration.cli.launch import planned_steps
from orchestration.cli.progress import Planned, Progress
from orchestration.cli.run_events import run_loggers
from orchestration.definitions import defs

LOG = Path("/runs/logs/0000.log")


@dg.asset(check_specs=[dg.AssetCheckSpec("has_rows", asset="numbers")])
def numbers(context: dg.AssetExecutionContext):
    context.log.info("counting the numbers")
    yield dg.MaterializeResult(metadata={"rows": 3})
    yield dg.AssetCheckResult(passed=True)


@dg.asset(deps=[numbers])
def ledger():
    raise dg.Failure(description="The ledger cannot be read:\n- ledger.csv: no header (rule: header)")


@dg.asset(deps=[numbers])
def totals():
    raise ValueError("a total of nothing")


@dg.asset(deps=[ledger])
def report():
    """Never runs: the step before it fails."""


def run_small_job() -> tuple[list[str], str]:
    shown, log = io.StringIO(), io.StringIO()
    display = PlainDisplay(shown)
    progress = Progress(display, LOG)
    for planned in (Planned("numbers", 1, 1), Planned("ledger", 1), Planned("totals", 1), Planned("report", 1)):
        progress.feed(planned)
    small = dg.Definitions(
        assets=[numbers, ledger, totals, report],
        jobs=[dg.define_asset_job("small_job")],
        loggers=run_loggers(progress, log),
        executor=dg.in_process_executor,
    )
    small.resolve_job_def("small_job").execute_in_process(
        run_config={"loggers": {"progress": {}, "log_file": {}}},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    display.close()
    return shown.getvalue().splitlines(), log.getvalue()


def test_each_step_is_told_as_it_ends_numbered_as_it_started_with_what_it_materialized_and_checked():
    lines, _ = run_small_job()
    assert lines[0].startswith("[1/4] numbers  done ") and lines[0].endswith("1 of 1 asset, 1 of 1 check passed")


def test_a_failed_step_says_its_failure_or_its_error_with_no_stack_and_the_steps_after_it_are_not_run():
    lines, _ = run_small_job()
    text = "\n".join(lines)
    assert "      The ledger cannot be read:\n      - ledger.csv: no header (rule: header)" in text
    assert "      ValueError: a total of nothing" in text
    assert f"      Full log: {LOG}" in text
    assert "      not run: report" in lines
    assert lines[-2].startswith("Run FAILED after ") and lines[-2].endswith(": 3 of 4 steps ran")
    assert "Traceback" not in text and "Stack Trace" not in text and 'File "' not in text


def test_the_log_keeps_every_event_the_steps_messages_and_the_stack():
    _, log = run_small_job()
    assert "STEP_START" in log and "ASSET_MATERIALIZATION" in log  # the debug events the lines leave out
    assert "counting the numbers" in log
    assert 'raise ValueError("a total of nothing")' in log


def test_the_progress_plans_every_step_of_lifecycle_job_with_its_assets_and_checks():
    job = defs.resolve_job_def("lifecycle_job")
    planned = {step.step: step for step in planned_steps()}
    assert set(planned) == set(job.graph.node_names())
    assert sum(step.assets for step in planned.values()) == len(defs.resolve_asset_graph().get_all_asset_keys())
