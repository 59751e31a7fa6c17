"""What `make run` prints, from its command (`python -m orchestration.cli run`) on a small generated landing
folder with a warehouse, serving file and Dagster instance of its own: a line per step as it ends before
the summary, at most 40 lines in all, Dagster's and dbt's output in the run's log file, and a blocked file
told in a few lines that name the step, the file, its rule and the log, with no traceback."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.cli.launch import planned_steps
from orchestration.lib.ingest.contract import SOURCES
from orchestration.lib.settings import PROJECT_ROOT
from tools.sample_data import generate

CUSTOMERS = 200
BLOCKED = "orders/late_delivery.csv: missing required column(s): currency, amount (rule: required_columns)"
DBT_NODE_LINE = re.compile(r"^\d+ of \d+ (START|OK|PASS|FAIL|ERROR|WARN) ")


def make_run(root: Path, environment: dict[str, str]) -> tuple[int, list[str]]:
    done = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "run"],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.PIPE,  # a pipe, as in CI: plain lines
        stderr=subprocess.STDOUT,
        text=True,
        timeout=900,
    )
    (root / f"stdout-{len(list(root.glob('stdout-*')))}.txt").write_text(done.stdout)
    return done.returncode, done.stdout.splitlines()


def log_named(lines: list[str]) -> Path:
    [named] = [line.removeprefix("Full log:").strip() for line in lines if line.startswith("Full log:")]
    return Path(named)


def progress_part(lines: list[str]) -> list[str]:
    """From the run's first line to the summary's, without the blank line the summary starts with."""
    first = next(i for i, line in enumerate(lines) if re.match(r"Run \S+: a line per step", line))
    summary = next(i for i, line in enumerate(lines) if re.match(r"Run (SUCCESS|FAILURE|NOT PUBLISHED): ", line))
    return [line for line in lines[first:summary] if line]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("make_run")
    generate(root / "landing", customers=CUSTOMERS, seed=1)
    (root / "dagster_home").mkdir()
    shutil.copy(PROJECT_ROOT / "orchestration" / "dagster.yaml", root / "dagster_home" / "dagster.yaml")
    environment = {
        **os.environ,  # the session's private lake, serving file and engine (tests/conftest.py)
        "LIFECYCLE_LANDING_DIR": str(root / "landing"),
        "LIFECYCLE_WAREHOUSE": str(root / "warehouse" / "warehouse.duckdb"),
        "LIFECYCLE_SERVING": str(root / "serving" / "lifecycle.duckdb"),
        "DAGSTER_HOME": str(root / "dagster_home"),
    }
    return root, environment


@pytest.fixture(scope="module")
def good_run(workspace) -> tuple[int, list[str]]:
    return make_run(*workspace)


@pytest.fixture(scope="module")
def blocked_run(workspace, good_run) -> tuple[int, list[str]]:
    """The run after the good one, with a file that misses two required columns."""
    root, environment = workspace
    (root / "landing" / "orders" / "late_delivery.csv").write_text(
        "order_id,customer_id,ordered_at,status\nX1,C1,2025-01-01,completed\n"
    )
    return make_run(root, environment)


def test_a_good_run_prints_a_line_per_step_as_it_ends_then_the_summary_in_40_lines_at_most(good_run):
    code, lines = good_run
    assert code == 0, "\n".join(lines[-40:])
    # More only for what a person must see: a failed check (at this size, raised metric flags) and its lines.
    flagged = [line for line in lines if line.startswith(("  FAILED ", "    ")) or "  running  " in line]
    assert len(lines) - len(flagged) <= 40, "\n".join(lines)
    # A step still running after 30 s is told again (a busy machine); the rest is a line per step as it ends.
    shown = [line for line in progress_part(lines) if "  running  " not in line]
    steps = [planned.step for planned in planned_steps()]
    # The run's first line, a line per step as it ends, one per source, the run's last line.
    assert len(shown) <= len(steps) + len(SOURCES) + 2, "\n".join(shown)
    for number, step in enumerate(steps, start=1):
        told = [line for line in shown if re.match(rf"\[\d/{len(steps)}\] {step} ", line)]
        assert len(told) == 1 and re.match(rf"\[{number}/{len(steps)}\] {step} +done +\d", told[0]), (step, shown)
    assert shown[-1].startswith(f"{len(steps)} steps done in ")
    assert any(line.startswith("Business summary as of ") for line in lines)
    assert lines[-1].startswith("Full log:")
    assert [line for line in lines if line.startswith("Serving:")][0].endswith("(what BI tools read)")


def test_a_good_runs_output_holds_nothing_of_dbts_or_dagsters_own_logs(good_run):
    _, lines = good_run
    assert not [line for line in lines if DBT_NODE_LINE.match(line) or " - DEBUG - " in line or " - INFO - " in line]


def test_the_runs_log_beside_the_warehouse_holds_dbts_node_lines_and_dagsters_events(workspace, good_run):
    root, _ = workspace
    _, lines = good_run
    log = log_named(lines)
    run_id = re.match(r"Run (\S+): a line per step", progress_part(lines)[0]).group(1)
    assert log == root / "warehouse" / "logs" / f"{run_id}.log"
    text = log.read_text()
    assert sum(bool(DBT_NODE_LINE.match(line)) for line in text.splitlines()) > 100
    assert "STEP_START" in text and "ASSET_CHECK_EVALUATION" in text
    assert "\x1b[" not in text  # dbt's colours left out
    # What the screen leaves out: each table's rows and every headline figure, after the run's events.
    assert "  marts.customers " in text and "  CAC payback, email " in text


def test_a_blocked_file_is_told_by_its_step_file_rule_and_log_with_no_traceback(workspace, blocked_run):
    code, lines = blocked_run
    assert code == 1
    shown = "\n".join(progress_part(lines))
    assert re.search(r"^\[1/\d\] ingest_landing_files +FAILED ", shown, re.MULTILINE), shown
    assert f"- {BLOCKED}" in shown
    log = log_named(lines)
    assert f"Full log: {log}" in shown and log.is_file()
    assert "Stack Trace:" in log.read_text()  # the stack is in the log, not on the screen
    everything = "\n".join(lines)
    assert "Traceback" not in everything and 'File "' not in everything
    # The serving files are the good run's, and said to be: nothing claims this run published.
    [serving] = [line for line in lines if line.startswith("Serving:")]
    assert "this run published nothing" in serving
    assert not [line for line in lines if line.startswith("Report:")]
