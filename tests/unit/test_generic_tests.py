"""The project's own generic data tests (dbt_project/macros/tests/generic_tests.sql) on a real dbt project and
DuckDB file: each fails on exactly the rows that break its rule, with hand-counted failures."""

import json
import shutil

import pytest
from dbt.cli.main import dbtRunner

from orchestration.lib.settings import DBT_PROJECT_DIR

ROWS = "(1, 'a', 1), (2, null, 2), (2, 'c', null), (null, 'd', 4), (5, 'e', 5), (6, null, null)"
SCHEMA = """version: 2
models:
  - name: broken
    data_tests:
      - not_null_columns:
          name: not_null_columns_broken
          arguments:
            columns: [name, quantity]
    columns:
      - name: id
        data_tests: [primary_key]
  - name: whole
    data_tests:
      - not_null_columns:
          name: not_null_columns_whole
          arguments:
            columns: [id, name, quantity]
    columns:
      - name: id
        data_tests: [primary_key]
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, tuple[str, int]]:
    """Each test's (status, failures) after `dbt build` of one broken and one whole model."""
    project = tmp_path_factory.mktemp("generic_tests")
    (project / "models").mkdir()
    (project / "macros").mkdir()
    shutil.copy(DBT_PROJECT_DIR / "macros" / "tests" / "generic_tests.sql", project / "macros")
    (project / "dbt_project.yml").write_text(
        "name: generic\nversion: '1.0'\nprofile: generic\nconfig-version: 2\n"
        "models:\n  generic:\n    +materialized: table\n"
    )
    (project / "profiles.yml").write_text(
        f"generic:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: {project / 'generic.duckdb'}\n"
        "      threads: 1\n"
    )
    (project / "models" / "broken.sql").write_text(f"select * from (values {ROWS}) as t(id, name, quantity)")
    (project / "models" / "whole.sql").write_text(
        "select * from (values (1, 'a', 1), (2, 'b', 0)) as t(id, name, quantity)"
    )
    (project / "models" / "schema.yml").write_text(SCHEMA)
    folders = ["--project-dir", str(project), "--profiles-dir", str(project), "--target-path", str(project / "target")]
    result = dbtRunner().invoke(["--log-level", "none", "build", *folders, "--log-path", str(project / "target")])
    assert result.exception is None
    run_results = json.loads((project / "target" / "run_results.json").read_text())["results"]
    return {
        entry["unique_id"].split(".")[2]: (entry["status"], entry["failures"])
        for entry in run_results
        if entry["unique_id"].startswith("test.")
    }


def test_primary_key_fails_once_per_duplicated_value_and_once_for_the_null_key(results):
    # id 2 twice (one failing row) and id null (another): 2.
    assert results["primary_key_broken_id"] == ("fail", 2)
    assert results["primary_key_whole_id"] == ("pass", 0)


def test_not_null_columns_fails_each_row_with_a_null_in_any_listed_column_once(results):
    # (2, null, 2), (2, 'c', null) and (6, null, null), once for its two nulls; the null id is not a listed
    # column, and zero is not null: 3.
    assert results["not_null_columns_broken"] == ("fail", 3)
    assert results["not_null_columns_whole"] == ("pass", 0)
