"""With the `spark` extra installed, Great Expectations still loads in a run worker as Dagster's code server
starts one (multiprocessing's spawn from `python -m ...`), where pyspark would take the process for its own
doctests and end it."""

import os
import subprocess
import sys

import pyspark  # noqa: F401  the tier's premise: without pyspark this test proves nothing
import pytest

from orchestration.lib.settings import PROJECT_ROOT

pytestmark = pytest.mark.spark

WORK = """
def load_great_expectations():
    from orchestration.lib.ingest.expectations import _context

    _context()
    print("GX loaded", flush=True)
"""

LAUNCH = """
import multiprocessing

from launcher.work import load_great_expectations

if __name__ == "__main__":
    worker = multiprocessing.get_context("spawn").Process(target=load_great_expectations)
    worker.start()
    worker.join()
"""


def test_great_expectations_loads_in_a_spawned_run_worker(tmp_path):
    package = tmp_path / "launcher"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "work.py").write_text(WORK)
    (package / "__main__.py").write_text(LAUNCH)
    result = subprocess.run(
        [sys.executable, "-m", "launcher"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "GX loaded" in result.stdout, result.stdout + result.stderr
    assert "Skipping doctests" not in result.stderr
