"""Which parse cache a dbt step starts from (orchestration/defs/transform/artifacts.py): dbt can use only one
written with the same vars and profile, and a build's paths are vars."""

import os
from pathlib import Path

import pytest

from orchestration.defs.transform import artifacts

CACHE = artifacts.PARTIAL_PARSE_FILE


@pytest.fixture
def folders(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """A warehouse's dbt steps folder, and the project's cache (written by another warehouse's build)."""
    project_cache = tmp_path / "project" / "target" / CACHE
    monkeypatch.setattr(artifacts, "_parse_cache", lambda: project_cache)
    return tmp_path / "warehouse" / "dbt", project_cache


def _write(path: Path, text: str, mtime: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, ns=(mtime, mtime))


def test_a_step_starts_from_its_warehouses_newest_cache_even_when_the_projects_is_newer(folders):
    steps, project_cache = folders
    _write(steps / "dbt_models_before_clv" / CACHE, "this warehouse, first step", 1_000)
    _write(steps / "dbt_marts_after_clv" / CACHE, "this warehouse, second step", 2_000)
    _write(project_cache, "another warehouse", 3_000)
    artifacts.seed_partial_parse(steps / "dbt_models_before_clv")
    assert (steps / "dbt_models_before_clv" / CACHE).read_text() == "this warehouse, second step"


def test_a_warehouses_first_build_starts_from_the_projects_cache(folders):
    steps, project_cache = folders
    _write(project_cache, "make manifest", 1_000)
    artifacts.seed_partial_parse(steps / "dbt_models_before_clv")
    assert (steps / "dbt_models_before_clv" / CACHE).read_text() == "make manifest"


def test_without_any_cache_dbt_parses_in_full(folders):
    steps, _ = folders
    artifacts.seed_partial_parse(steps / "dbt_models_before_clv")
    assert not (steps / "dbt_models_before_clv" / CACHE).exists()
