import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.defs.transform.project import manifest_is_current
from orchestration.lib.settings import DBT_PROJECT_DIR

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")


def pytest_sessionstart(session):
    """Prepare the dbt manifest once, before any test imports the definitions."""
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    if not manifest_is_current(DBT_PROJECT_DIR, manifest):
        subprocess.run([sys.executable, "-m", "orchestration.cli", "dbt", "parse", "--quiet"], check=True)


def _set_outputs(patch: pytest.MonkeyPatch, folder: Path) -> None:
    patch.setenv("LIFECYCLE_LAKE_DIR", str(folder / "lake"))
    patch.setenv("LIFECYCLE_SPARK_DIR", str(folder / "spark"))
    patch.setenv("LIFECYCLE_SERVING", str(folder / "serving" / "lifecycle.duckdb"))
    patch.setenv("LIFECYCLE_ALERTS_LOG", str(folder / "alerts" / "alerts.jsonl"))


@pytest.fixture(scope="session", autouse=True)
def session_outputs(tmp_path_factory):
    """The default tiers run on DuckDB whatever the shell says (the `spark` tier sets its own engine), and
    nothing a test writes lands in the repository's data/ folder, not even from a module-scoped fixture
    (which is set up before `private_outputs`)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LIFECYCLE_ENGINE", "duckdb")
        _set_outputs(patch, tmp_path_factory.mktemp("outputs"))
        yield


@pytest.fixture(autouse=True)
def private_outputs(tmp_path, monkeypatch):
    """Each test its own lake, Spark folder and serving file (a test may point them elsewhere)."""
    _set_outputs(monkeypatch, tmp_path)


@pytest.fixture
def landing(tmp_path, monkeypatch) -> Path:
    """An empty landing root and a fresh warehouse, both private to the test."""
    root = tmp_path / "landing"
    root.mkdir()
    monkeypatch.setenv("LIFECYCLE_LANDING_DIR", str(root))
    monkeypatch.setenv("LIFECYCLE_WAREHOUSE", str(tmp_path / "warehouse" / "warehouse.duckdb"))
    return root


@pytest.fixture
def raw_warehouse(tmp_path):
    """A connection to a fresh warehouse file, for tests of the ingest functions themselves."""
    from orchestration.lib.warehouse.connection import connect

    connection = connect(tmp_path / "warehouse.duckdb")
    yield connection
    connection.close()
