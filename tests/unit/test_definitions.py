"""The code location loads, keys its assets as the dbt sources are named, and turns dbt tests into
blocking checks (the whole surface is snapshotted in `test_public_surface.py`)."""

import gc
import json
import subprocess
import sys
from pathlib import Path

import dagster as dg

from orchestration.definitions import defs
from orchestration.garbage_collection import FULL_EVERY, MIDDLE_EVERY, YOUNG_ALLOCATIONS
from orchestration.lib.ingest.contract import SOURCES


def test_definitions_load():
    dg.Definitions.validate_loadable(defs)


def test_raw_assets_are_keyed_like_dbt_sources():
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {f"{source.system}/{source.table}" for source in SOURCES} <= keys
    assert {
        "staging/stg_shop__orders",
        "staging/stg_support__tickets",
        "staging/stg_surveys__responses",
        "staging/stg_marketing__spend",
        "staging/stg_finance__fx_rates",
    } <= keys


def test_staging_depends_on_raw_assets():
    graph = defs.resolve_asset_graph()
    parents = graph.get(dg.AssetKey(["staging", "stg_shop__orders"])).parent_keys
    assert dg.AssetKey(["shop", "orders"]) in parents


def test_dbt_tests_are_blocking_checks():
    graph = defs.resolve_asset_graph()
    check_names = {key.name for key in graph.asset_check_keys}
    assert "primary_key_int_orders_converted_order_id" in check_names
    from orchestration.defs.transform.assets import DBT_STEPS
    from orchestration.defs.transform.project import dbt_project

    manifest = json.loads(Path(dbt_project().manifest_path).read_text())
    warnings = {node["name"] for node in manifest["nodes"].values() if node["config"].get("severity") == "warn"}
    specs = [spec for step in DBT_STEPS for spec in step.check_specs]
    # a dbt test configured to warn (the audience history's two logs agreeing) is a warning, as in dbt
    assert specs and all(spec.blocking == (spec.name not in warnings) for spec in specs)
    assert 0 < len(warnings) < len(specs)


def test_the_dbt_version_comes_from_the_installed_package_not_a_subprocess(monkeypatch):
    """dagster-dbt would run `dbt --version` (~4 s) in every run; ours reads dbt-core's package metadata."""
    from importlib import metadata

    import dagster_dbt.core.resource
    from packaging import version

    from orchestration.defs.resources import build_resources

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"ran {args}")

    monkeypatch.setattr(dagster_dbt.core.resource, "check_output", no_subprocess)
    assert build_resources()["dbt"]._cli_version == version.parse(metadata.version("dbt-core"))


def test_no_dbt_adapter_is_built_in_the_dagster_process(monkeypatch):
    """dagster-dbt would build one before every dbt call (2-3 s) for row counts and column metadata,
    which the project does not fetch; dbt runs in its own process either way."""
    from dagster_dbt import DbtCliResource
    from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

    from orchestration.defs.resources import build_resources

    built, started = [], []
    monkeypatch.setattr(
        DbtCliResource, "_initialize_dbt_core_adapter", lambda self, args: built.append(args) or "adapter"
    )
    monkeypatch.setattr(DbtCliInvocation, "run", classmethod(lambda cls, **kwargs: started.append(kwargs) or "started"))
    assert build_resources()["dbt"].cli(["ls"]) == "started"
    assert (built, [call["adapter"] for call in started]) == ([], [None])


def test_the_private_dagster_dbt_members_overridden_were_checked_against_the_installed_version():
    """`LifecycleDbtCliResource` overrides two private members of dagster-dbt's resource and mirrors its `cli` for
    dbt in the run's process: a new dagster-dbt may rename or change them silently. Read them, `cli` and
    `DbtCliInvocation` in the new version, then move `CHECKED_AGAINST`."""
    from importlib import metadata

    from orchestration.defs.transform.dbt_cli import CHECKED_AGAINST

    assert metadata.version("dagster-dbt") == CHECKED_AGAINST


def test_splitting_the_dbt_project_in_two_steps_loses_no_check():
    """A dbt test whose parents fall in both steps belongs to neither unless told where: dbt would still
    run it, but its failure would not show as a failed check, and nothing downstream would wait for it."""
    from dagster_dbt import dbt_assets

    from orchestration.defs.transform.assets import DBT_STEPS
    from orchestration.defs.transform.project import dbt_project

    @dbt_assets(manifest=dbt_project().manifest_path, project=dbt_project(), name="whole_project")
    def whole_project(): ...

    split = {key.name for step in DBT_STEPS for key in step.check_keys}
    assert {key.name for key in whole_project.check_keys} - split == set()


def test_every_launch_runs_in_one_process():
    """Materialize all/selected, a single asset and a backfill run the ad-hoc asset job: the Definitions'
    executor, as lifecycle_job's."""
    for job in ("__ASSET_JOB", "lifecycle_job", "freshness_checks_job"):
        assert defs.resolve_job_def(job).executor_def is dg.in_process_executor, job


def test_the_manifest_is_current_until_a_file_dbt_parses_changes(tmp_path):
    import os

    from orchestration.defs.transform.project import manifest_is_current

    for name in ("dbt_project.yml", "profiles.yml", "models/staging/stg_a.sql", "macros/m.sql", "README.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("-- one")
        os.utime(tmp_path / name, (1_000, 1_000))
    manifest = tmp_path / "target" / "manifest.json"
    assert not manifest_is_current(tmp_path, manifest)
    manifest.parent.mkdir()
    manifest.write_text("{}")
    os.utime(manifest, (2_000, 2_000))
    assert manifest_is_current(tmp_path, manifest)
    os.utime(tmp_path / "README.md", (3_000, 3_000))  # dbt does not parse it
    assert manifest_is_current(tmp_path, manifest)
    os.utime(tmp_path / "models" / "staging" / "stg_a.sql", (3_000, 3_000))
    assert not manifest_is_current(tmp_path, manifest)


def test_a_process_that_loads_the_definitions_collects_garbage_at_the_runs_pace():
    assert gc.get_threshold() == (YOUNG_ALLOCATIONS, MIDDLE_EVERY, FULL_EVERY)


def test_the_definitions_objects_are_left_out_of_collections_and_freed_at_exit():
    """Frozen once loaded (a full collection does not walk them again), handed back at the interpreter's exit:
    a process that loads the definitions and exits normally (a run worker, the code server) prints no leak."""
    assert gc.get_freeze_count() > 100_000
    loaded = subprocess.run(
        [sys.executable, "-c", "import gc, orchestration.definitions; print(gc.get_freeze_count())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(loaded.stdout) > 100_000
    assert "leaked" not in loaded.stderr, loaded.stderr[-2000:]
