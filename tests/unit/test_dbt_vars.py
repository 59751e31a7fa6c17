"""dbt gets the pipeline's settings one way: as `--vars` resolved by `settings.dbt_vars`, never through
the environment, and dbt run by hand gets the same ones with the user's vars over them."""

import json
import re

import yaml

from orchestration.cli.commands import _with_pipeline_target, _with_pipeline_vars
from orchestration.lib import settings
from tests.helpers import MODELS_DIR

DBT_PROJECT = MODELS_DIR.parent


def _vars_read(text: str) -> set[str]:
    return set(re.findall(r"(?<!env_)var\(\s*['\"](\w+)['\"]", text))


def test_every_var_the_profile_and_macros_read_is_resolved_by_the_pipeline_or_set_by_the_project():
    project_vars = set(yaml.safe_load((DBT_PROJECT / "dbt_project.yml").read_text())["vars"])
    read = _vars_read((DBT_PROJECT / "profiles.yml").read_text())
    read |= {name for path in (DBT_PROJECT / "macros").rglob("*.sql") for name in _vars_read(path.read_text())}
    assert read - project_vars - set(settings.dbt_vars()) == set()
    assert {"target", "warehouse", "duckdb_memory_limit", "spark_dir", "spark_thrift_host"} <= _vars_read(
        (DBT_PROJECT / "profiles.yml").read_text()
    )


def test_no_dbt_file_reads_a_pipeline_setting_from_the_environment():
    files = [DBT_PROJECT / "profiles.yml", DBT_PROJECT / "dbt_project.yml", *(DBT_PROJECT / "macros").rglob("*.sql")]
    files += list((DBT_PROJECT / "models").rglob("*.sql"))
    readers = {path.name for path in files if re.search(r"env_var\(", path.read_text())}
    assert readers == set()


def test_dbt_by_hand_gets_the_pipelines_vars_with_the_users_over_them(monkeypatch, tmp_path):
    monkeypatch.setenv("LIFECYCLE_WAREHOUSE", str(tmp_path / "w.duckdb"))
    arguments = _with_pipeline_vars(["build", "-s", "customers", "--vars", "{churn_days: 120}"])
    assert arguments[:3] == ["build", "-s", "customers"] and arguments[3] == "--vars" and len(arguments) == 5
    given = json.loads(arguments[4])
    assert given["churn_days"] == 120 and given["warehouse"] == str(tmp_path / "w.duckdb") and given["as_of"] == ""
    assert json.loads(_with_pipeline_vars(["parse", "--vars=as_of: '2025-01-31'"])[2])["as_of"] == "2025-01-31"


def test_dbt_by_hand_names_the_runs_target_so_a_parse_by_hand_is_the_runs_parse_cache(monkeypatch):
    """dbt keys its parse cache on `--target` as well as on the vars: `make manifest`'s parse must name the
    target the pipeline's dbt steps name, or the first step of the next run parses the project again."""
    from orchestration.defs.transform.assets import DbtBuildConfig, dbt_build_args

    monkeypatch.setenv("LIFECYCLE_ENGINE", "duckdb")
    run = dbt_build_args(DbtBuildConfig(), settings.dbt_target())
    parse = _with_pipeline_target(["parse", "--quiet"])
    assert parse[parse.index("--target") + 1] == run[run.index("--target") + 1]
    assert _with_pipeline_target(["build", "-t", "spark"]) == ["build", "-t", "spark"]


def test_dbt_build_knows_every_option_a_step_gives_it():
    """`--use-fast-test-edges` is one of dbt's hidden options: a dbt without it must fail here, not in a run."""
    from dbt.cli.main import cli

    from orchestration.defs.transform.assets import DbtBuildConfig, dbt_build_args

    build = cli.commands["build"]
    known = {option for parameter in build.params for option in (*parameter.opts, *parameter.secondary_opts)}
    given = dbt_build_args(DbtBuildConfig(full_refresh=True), "duckdb")
    assert "--use-fast-test-edges" in given
    assert {argument for argument in given if argument.startswith("--")} <= known
