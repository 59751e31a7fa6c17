"""`make run`'s progress lines from synthetic facts: every line in a log or a pipe, the terminal's status line
redrawn in place, and a failure told by its step, its check, its message's first lines and the log's path."""

import io
import re
from pathlib import Path

import pytest

from orchestration.cli.display import ERASE_LINE, LiveDisplay, PlainDisplay, display_for
from orchestration.cli.progress import (
    MESSAGE_LINES,
    Evaluated,
    Materialized,
    Planned,
    Progress,
    RunEnded,
    RunStarted,
    StepEnded,
    StepStarted,
    duration,
)

LOG = Path("/runs/logs/0000.log")
DBT = "dbt_models_before_clv"
ORDERS_LOADED = {
    "files_loaded": 3,
    "files_reloaded": 1,
    "files_unchanged": 32,
    "files_duplicate": [],
    "files_skipped": [],
    "rows_loaded": 14082,
    "rows_quarantined": 2,
}
BLOCKED = "orders/late.csv: missing required column(s): currency, amount (rule: required_columns)"
PLAN = [Planned("ingest_landing_files", assets=1, checks=1), Planned(DBT, assets=2, checks=3), Planned("publish", 1)]


def good_run() -> list:
    return [
        *PLAN,
        RunStarted(100.0),
        StepStarted("ingest_landing_files", 100.5),
        Materialized("ingest_landing_files", "shop/orders", ORDERS_LOADED),
        Evaluated("ingest_landing_files", "shop/orders", "landing_batches_valid", True, metadata={"files_blocked": []}),
        StepEnded("ingest_landing_files", 102.0),
        StepStarted(DBT, 102.1),
        Materialized(DBT, "staging/stg_orders"),
        Evaluated(DBT, "staging/stg_orders", "not_null_id", True),
        Materialized(DBT, "marts/customers"),
        Evaluated(DBT, "marts/customers", "unique_id", True),
        Evaluated(DBT, "marts/customers", "not_null_id", True),
        StepEnded(DBT, 114.2),
        StepStarted("publish", 114.3),
        Materialized("publish", "published_marts"),
        StepEnded("publish", 116.0),
        RunEnded(116.1, success=True),
    ]


def blocked_run() -> list:
    return [
        *PLAN,
        RunStarted(100.0),
        StepStarted("ingest_landing_files", 100.5),
        Materialized("ingest_landing_files", "shop/orders", {**ORDERS_LOADED, "files_loaded": 0, "rows_loaded": 0}),
        Evaluated(
            "ingest_landing_files",
            "shop/orders",
            "landing_batches_valid",
            False,
            "ERROR",
            metadata={"files_blocked": [BLOCKED]},
        ),
        StepEnded(
            "ingest_landing_files",
            101.7,
            failure=f"Blocked landing files (nothing of them was merged; correct and re-deliver them):\n- {BLOCKED}",
        ),
        RunEnded(102.0, success=False, failure="Execution of run for lifecycle_job failed."),
    ]


class Clock:
    def __init__(self, now: float = 0.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def plain(facts: list) -> list[str]:
    out = io.StringIO()
    display = PlainDisplay(out)
    # A clock before every step: the display's own ticks never find a step running long enough to tell.
    progress = Progress(display, LOG, dbt_steps={DBT}, clock=Clock(0.0))
    for fact in facts:
        progress.feed(fact)
    display.close()
    return out.getvalue().splitlines()


def screen(written: str) -> list[str]:
    """What a terminal shows after `written`: a carriage return goes back to the line's start, erase clears
    the rest of it."""
    lines, column = [""], 0
    for token in re.findall(r"\r|\n|\x1b\[K|[^\r\n\x1b]+", written):
        if token == "\r":
            column = 0
        elif token == "\n":
            lines.append("")
            column = 0
        elif token == "\x1b[K":
            lines[-1] = lines[-1][:column]
        else:
            lines[-1] = lines[-1][:column] + token + lines[-1][column + len(token) :]
            column += len(token)
    return lines


def test_a_good_run_is_a_line_as_each_step_ends_with_its_sources_and_dbt_counts():
    assert plain(good_run()) == [
        "[1/3] ingest_landing_files   done      1.5s  1 of 1 asset, 1 of 1 check passed",
        "      shop/orders          3 new, 1 changed, 32 unchanged, 0 blocked files; 14,082 rows loaded, 2 quarantined",
        "[2/3] dbt_models_before_clv  done     12.1s  2 of 2 models, 3 of 3 tests passed",
        "[3/3] publish                done      1.7s  1 of 1 asset",
        "3 steps done in 16.1s",
    ]


def test_a_blocked_file_names_the_step_the_check_the_file_and_rule_and_the_log_and_what_did_not_run():
    lines = plain(blocked_run())
    assert lines == [
        "[1/3] ingest_landing_files   FAILED    1.2s  1 of 1 asset, 0 of 1 check passed (1 failed)",
        "      shop/orders          0 new, 1 changed, 32 unchanged, 1 blocked files; 0 rows loaded, 2 quarantined",
        "      failed check: shop/orders :: landing_batches_valid (ERROR)",
        "      Blocked landing files (nothing of them was merged; correct and re-deliver them):",
        f"      - {BLOCKED}",
        f"      Full log: {LOG}",
        "Run FAILED after 2.0s: 1 of 3 steps ran",
        f"      not run: {DBT}, publish",
    ]


def test_a_long_failure_message_shows_its_first_lines_and_leaves_the_rest_to_the_log():
    message = "\n".join(f"line {number}" for number in range(1, 21))
    facts = [*PLAN, RunStarted(0.0), StepStarted(DBT, 0.0), StepEnded(DBT, 1.0, failure=message)]
    lines = plain(facts)
    shown = lines[lines.index(f"[1/3] {DBT}  FAILED    1.0s  0 of 2 models, 0 of 3 tests passed") + 1 :]
    assert shown == [
        *(f"      line {number}" for number in range(1, MESSAGE_LINES + 1)),
        f"      ... {20 - MESSAGE_LINES} more lines in the log",
        f"      Full log: {LOG}",
    ]


def test_a_run_failing_outside_its_steps_says_why_once():
    facts = [*PLAN, RunStarted(0.0), RunEnded(0.5, success=False, failure="resource duckdb could not start")]
    assert plain(facts) == [
        "Run FAILED after 0.5s: 0 of 3 steps ran",
        f"      not run: ingest_landing_files, {DBT}, publish",
        "      resource duckdb could not start",
        f"      Full log: {LOG}",
    ]


def test_the_terminal_shows_the_running_step_on_one_status_line_and_keeps_only_the_end_lines():
    out, clock = io.StringIO(), Clock(100.0)
    display = LiveDisplay(out, width=lambda: 100)
    progress = Progress(display, LOG, dbt_steps={DBT}, clock=clock)
    facts = good_run()
    for fact in facts[: facts.index(Materialized(DBT, "marts/customers"))]:
        progress.feed(fact)
    clock.now = 107.1
    assert progress.status() == f"[2/3] {DBT}  running  [########............] 2 of 5  5.0s"
    progress.feed(Materialized(DBT, "marts/customers"))
    assert screen(out.getvalue())[-1] == f"[2/3] {DBT}  running  [############........] 3 of 5  5.0s"
    for fact in facts[facts.index(Materialized(DBT, "marts/customers")) + 1 :]:
        progress.feed(fact)
    display.close()
    assert out.getvalue().endswith(ERASE_LINE)
    assert screen(out.getvalue()) == [*plain(good_run()), ""]


class _Untimed(PlainDisplay):
    """A plain display that asks for nothing between events: the test asks, at the times it sets."""

    def follow(self, status):
        pass


def test_a_pipe_tells_a_step_still_running_once_each_half_minute_and_never_one_that_ended():
    out, clock = io.StringIO(), Clock(100.0)
    progress = Progress(_Untimed(out), LOG, dbt_steps={DBT}, clock=clock)
    facts = good_run()
    for fact in facts[: facts.index(Materialized(DBT, "marts/customers"))]:
        progress.feed(fact)
    said = []
    for now in (131.0, 132.2, 133.0, 162.2, 163.0):
        clock.now = now
        said.append(progress.still_running())
    assert said == [
        "",
        f"[2/3] {DBT}  running  [########............] 2 of 5  30.1s",
        "",
        f"[2/3] {DBT}  running  [########............] 2 of 5  1m 00s",
        "",
    ]
    for fact in facts[facts.index(Materialized(DBT, "marts/customers")) :]:
        progress.feed(fact)
    clock.now = 500.0
    assert progress.still_running() == ""


def test_the_status_line_is_cut_to_the_terminals_width_so_it_never_wraps():
    out = io.StringIO()
    display = LiveDisplay(out, width=lambda: 30)
    progress = Progress(display, LOG, clock=Clock(1.0))
    for fact in [*PLAN, RunStarted(0.0), StepStarted("ingest_landing_files", 0.0)]:
        progress.feed(fact)
    display.close()
    drawn = [part for part in out.getvalue().split(ERASE_LINE) if part]
    assert drawn and max(len(part) for part in drawn) == 29


def test_a_pipe_gets_plain_lines():
    assert isinstance(display_for(io.StringIO()), PlainDisplay)


@pytest.mark.parametrize(("seconds", "said"), [(0.04, "0.0s"), (12.34, "12.3s"), (59.94, "59.9s"), (65, "1m 05s")])
def test_durations_read_in_seconds_then_minutes(seconds, said):
    assert duration(seconds) == said
