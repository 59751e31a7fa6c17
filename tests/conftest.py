import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from orchestration.lib.settings import DBT_PROJECT_DIR

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")


def _manifest_is_stale(manifest: Path) -> bool:
    if not manifest.exists():
        return True
    sources = [p for folder in ("models", "macros", "data-tests") for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file()]
    sources += [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    return max(p.stat().st_mtime for p in sources) > manifest.stat().st_mtime


def pytest_sessionstart(session):
    """Prepare the dbt manifest once, before any test imports the definitions."""
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    if _manifest_is_stale(manifest):
        dbt = Path(sys.executable).parent / "dbt"
        env = {**os.environ, "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR)}
        subprocess.run(
            [str(dbt), "parse", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
             "--target", "duckdb", "--quiet"],
            check=True, env=env,
        )


def _set_outputs(patch: pytest.MonkeyPatch, folder: Path) -> None:
    patch.setenv("LIFECYCLE_LAKE_DIR", str(folder / "lake"))
    patch.setenv("LIFECYCLE_SPARK_DIR", str(folder / "spark"))
    patch.setenv("LIFECYCLE_SERVING", str(folder / "serving" / "lifecycle.duckdb"))


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


ORDERS_HEADER = "order_id,customer_id,ordered_at,status,currency,amount,cost,channel,customer_email"


@pytest.fixture
def raw_warehouse(tmp_path):
    """A connection to a fresh warehouse file, for tests of the ingest functions themselves."""
    from orchestration.lib.warehouse import connect

    connection = connect(tmp_path / "warehouse.duckdb")
    yield connection
    connection.close()


def write_csv(path: Path, header: str, *rows: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def run_lifecycle_job(*selection: str, run_config: dict | None = None) -> dg.ExecuteInProcessResult:
    """Run the real job in process; `selection` (asset key strings like "shop/orders") runs a subset."""
    from orchestration.definitions import defs

    job = defs.resolve_job_def("lifecycle_job")
    asset_selection = [dg.AssetKey.from_user_string(key) for key in selection] or None
    return job.execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False, asset_selection=asset_selection,
        run_config=run_config,
    )


# With the orders' first table, their conversion: their staging is a view, and the tickets' and responses'
# relationships tests read the customers from it.
RAW_AND_STAGING = (
    "shop/orders", "support/tickets", "surveys/responses", "marketing/spend", "finance/fx_rates",
    "staging/stg_shop__orders", "staging/stg_support__tickets", "staging/stg_surveys__responses",
    "staging/stg_marketing__spend", "staging/stg_finance__fx_rates",
    "intermediate/int_fx_rates_resolved", "intermediate/int_orders_converted",
)
