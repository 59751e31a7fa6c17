import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import s3fs

from orchestration.defs.transform.artifacts import PARTIAL_PARSE_FILE
from orchestration.defs.transform.project import manifest_is_current
from orchestration.lib import storage
from orchestration.lib.settings import DBT_PROJECT_DIR
from tools.cluster.object_store import running_object_store
from tools.sample_data import generate

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")


# The modules that take longest (each runs the pipeline several times), in that order: under pytest-xdist
# (`make test` runs two workers) they start first, and the many short modules fill the end of both workers.
SLOWEST_MODULES = (
    "test_pipeline_faults",
    "test_pipeline",
    "test_as_of",
    "test_audience_history",
    "test_incremental",
    "test_make_run_output",
    "test_marts",
    "test_out_of_memory",
)
# Session fixtures that build a warehouse: the modules using one go to the same worker, which builds it once.
SHARED_BUILDS = ("published_sample",)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own, which reads the groups into each test's id
def pytest_collection_modifyitems(config, items):
    """Each module one unit of work for pytest-xdist (`--dist loadgroup`), its module fixtures built once, and
    the modules sharing a session build one unit; the slowest units first."""
    group = {}  # module -> its unit of work
    for item in items:
        shared = [name for name in SHARED_BUILDS if name in item.fixturenames]
        group[item.module] = shared[0] if shared else group.get(item.module, item.module.__name__)
    for item in items:
        item.add_marker(pytest.mark.xdist_group(group[item.module]))

    def slowness(item) -> int:
        name = item.module.__name__.rsplit(".", 1)[-1]
        return SLOWEST_MODULES.index(name) if name in SLOWEST_MODULES else len(SLOWEST_MODULES)

    items.sort(key=slowness)  # stable: each module's tests keep their order (`--no-loadscope-reorder` keeps it)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids):
    """Under `--dist loadgroup`, each test id a worker collected must end in its group, as the scheduler reads
    it (after the last `]`, so a parameter holding an `@` is no group): without it every test is scheduled
    alone and both workers build each module's warehouse, slower but silently."""
    ungrouped = [nodeid for nodeid in ids if nodeid.rfind("@") <= nodeid.rfind("]")]
    if node.config.getoption("dist") == "loadgroup" and ungrouped:
        pytest.exit("pytest-xdist did not tag the tests with their groups (see the pytest pin in pyproject.toml)", 4)


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


@pytest.fixture(scope="session")
def build_paths(tmp_path_factory) -> Path:
    """The folder of this worker's fresh warehouse (`landing`), lake and Spark folder: the same paths in every test.

    They are dbt vars, and dbt keeps its parse cache only for the vars it was written with: at new paths in each
    test, a test's first build would parse the whole project again (seconds), where a user's build, whose paths
    stay, starts from its last parse. Each test finds the folder emptied but for those parse caches."""
    return tmp_path_factory.mktemp("build_paths")


def _empty_but_the_parse_caches(folder: Path) -> None:
    """Remove everything under `folder` except dbt's parse caches in the warehouse's step folders."""
    warehouse, steps = folder / "warehouse", folder / "warehouse" / "dbt"
    kept = {warehouse, steps, *steps.glob("*/"), *steps.glob(f"*/{PARTIAL_PARSE_FILE}")}
    for path in [*folder.iterdir(), *warehouse.glob("*"), *steps.glob("*/*")]:
        if path not in kept and path.exists():
            _remove(path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


@pytest.fixture(autouse=True)
def private_outputs(build_paths, tmp_path, monkeypatch):
    """Each test its own lake, Spark folder and serving file (a test may point them elsewhere); the lake and the
    Spark folder at this worker's `build_paths`, emptied for the test."""
    _empty_but_the_parse_caches(build_paths)
    _set_outputs(monkeypatch, tmp_path)
    monkeypatch.setenv("LIFECYCLE_LAKE_DIR", str(build_paths / "lake"))
    monkeypatch.setenv("LIFECYCLE_SPARK_DIR", str(build_paths / "spark"))


@pytest.fixture
def landing(tmp_path, build_paths, monkeypatch) -> Path:
    """An empty landing root and a fresh warehouse, both the test's own (the warehouse at this worker's
    `build_paths`, emptied for the test)."""
    root = tmp_path / "landing"
    root.mkdir()
    monkeypatch.setenv("LIFECYCLE_LANDING_DIR", str(root))
    monkeypatch.setenv("LIFECYCLE_WAREHOUSE", str(build_paths / "warehouse" / "warehouse.duckdb"))
    return root


@pytest.fixture
def raw_warehouse(tmp_path):
    """A connection to a fresh warehouse file, for tests of the ingest functions themselves."""
    from orchestration.lib.warehouse.connection import connect

    connection = connect(tmp_path / "warehouse.duckdb")
    yield connection
    connection.close()


# Object storage: a real S3 server (SeaweedFS) on 127.0.0.1 with the generated landing files in bucket `landing`
# (`bucket`, per module), and a test's settings pointing landing and lake at it (`on_bucket`).
LANDING_BUCKET = "s3://landing/lifecycle"
LAKE_BUCKET = "s3://lake/lifecycle"


@pytest.fixture(scope="module")
def bucket(tmp_path_factory):
    with running_object_store(tmp_path_factory.mktemp("s3")) as store:
        generated = tmp_path_factory.mktemp("generated")
        generate(generated, customers=150, seed=5)
        client = s3fs.S3FileSystem(
            endpoint_url=store.endpoint, key=store.access_key, secret=store.secret_key, skip_instance_cache=True
        )
        client.put(f"{generated}/", "landing/lifecycle/", recursive=True)
        yield store, client, generated


@pytest.fixture
def on_bucket(bucket, tmp_path, monkeypatch):
    store, client, generated = bucket
    for name, value in store.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LIFECYCLE_LANDING_DIR", LANDING_BUCKET)
    monkeypatch.setenv("LIFECYCLE_LAKE_DIR", f"{LAKE_BUCKET}/{tmp_path.name}")
    monkeypatch.setenv("LIFECYCLE_RAW_LAKE", "on")
    monkeypatch.setenv("LIFECYCLE_WAREHOUSE", str(tmp_path / "warehouse" / "warehouse.duckdb"))
    storage._filesystem.cache_clear()  # a client made with other credentials must not be reused
    yield store, client, generated
    storage._filesystem.cache_clear()
