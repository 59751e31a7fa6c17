"""A build as of a past date gives what a fresh build of the same files, ending that day, gives; it leaves the
current marts, report and working warehouse as they were. And the sample `make run` builds raises no metric flag."""

import hashlib
import shutil

import dagster as dg
import duckdb
import pytest

from orchestration.cli.launch import as_of_config
from orchestration.defs.automation.metric_flags import FLAG_MARTS
from orchestration.lib.ingest.contract import SOURCES
from tests.helpers import mart_differences, run_lifecycle_job
from tools.sample_data import generate

AS_OF = "2025-06-15"


def _files_hashes(folder, leave_out: str = "") -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not (leave_out and path.relative_to(folder).as_posix().startswith(leave_out))
    }


def _files_ending(landing, target, day: str) -> dict[str, int]:
    """The landing files with every row whose event is after `day` removed (the sample writes UTC times,
    so the date is the first ten characters); a file left without rows is not delivered. Rows kept per folder."""
    kept = {}
    with duckdb.connect() as connection:
        for source in SOURCES:
            kept[source.folder] = 0
            for file in sorted((landing / source.folder).glob("*.csv")):
                reader = f"read_csv('{file}', header = true, all_varchar = true)"
                rows = connection.execute(
                    f"SELECT count(*) FROM {reader} WHERE substr({source.event_column}, 1, 10) <= ?", [day]
                ).fetchall()[0][0]
                if rows:
                    (target / source.folder).mkdir(parents=True, exist_ok=True)
                    connection.execute(
                        f"COPY (SELECT * FROM {reader} WHERE substr({source.event_column}, 1, 10) <= '{day}') "
                        f"TO '{target / source.folder / file.name}' (HEADER, FORMAT csv)"
                    )
                    kept[source.folder] += rows
    return kept


@pytest.fixture(scope="module")
def sample_build(tmp_path_factory):
    """The sample `make run` generates (5,000 customers, seed 42), built as usual: its landing folder, working
    warehouse, serving file and the run's result."""
    root = tmp_path_factory.mktemp("as_of")
    generate(root / "landing", customers=5000, seed=42)
    paths = {
        "LIFECYCLE_LANDING_DIR": root / "landing",
        "LIFECYCLE_WAREHOUSE": root / "current" / "warehouse.duckdb",
        "LIFECYCLE_SERVING": root / "current" / "serving" / "lifecycle.duckdb",
    }
    with pytest.MonkeyPatch.context() as patch:
        for variable, path in paths.items():
            patch.setenv(variable, str(path))
        patch.delenv("LIFECYCLE_AS_OF", raising=False)
        result = run_lifecycle_job()
    assert result.success
    return root, paths, result


def test_the_sample_raises_no_metric_flag(sample_build):
    _, paths, result = sample_build
    with duckdb.connect(str(paths["LIFECYCLE_SERVING"]), read_only=True) as connection:
        assert connection.execute(
            "SELECT count(*), count(*) FILTER (WHERE is_raised) FROM marts.metric_flags"
        ).fetchall()[0] == (13, 0)
    flags = [e for e in result.get_asset_check_evaluations() if e.check_name in FLAG_MARTS]
    assert len(flags) == len(FLAG_MARTS) and all(flag.passed for flag in flags)


def test_a_build_as_of_a_past_date_equals_a_fresh_build_of_the_files_ending_that_day(
    sample_build, tmp_path, monkeypatch
):
    root, paths, _ = sample_build
    for variable, path in paths.items():
        monkeypatch.setenv(variable, str(path))
    monkeypatch.delenv("LIFECYCLE_AS_OF", raising=False)
    current_serving = paths["LIFECYCLE_SERVING"].parent
    published_before = _files_hashes(current_serving)
    working_before = tmp_path / "working_before.duckdb"
    shutil.copyfile(paths["LIFECYCLE_WAREHOUSE"], working_before)

    past = run_lifecycle_job(run_config=as_of_config(AS_OF))
    assert past.success

    # Beside the current marts, named by the date, with its own report; the current ones untouched.
    past_serving = current_serving / "as_of" / AS_OF / "lifecycle.duckdb"
    assert past_serving.exists() and (past_serving.parent / "report.html").exists()
    assert _files_hashes(current_serving, leave_out="as_of/") == published_before
    # The working warehouse's marts and audience history are the current build's (the past date was built in a
    # file of its own).
    working = mart_differences(
        working_before, paths["LIFECYCLE_WAREHOUSE"], ("marts", "intermediate", "clv", "history")
    )
    assert working["history.audience_membership_changes"] == 0
    assert set(working.values()) == {0}, working
    assert (paths["LIFECYCLE_WAREHOUSE"].parent / "as_of" / f"{AS_OF}.duckdb").exists()
    # Every materialization of the past date's build says which date and warehouse it was.
    customers = next(e for e in past.get_asset_materialization_events() if e.asset_key.path == ["marts", "customers"])
    assert customers.materialization.metadata["as_of_date"] == dg.TextMetadataValue(AS_OF)

    # A fresh build, in folders of its own, of the same files with every event after the date removed.
    kept = _files_ending(paths["LIFECYCLE_LANDING_DIR"], tmp_path / "landing", AS_OF)
    assert all(rows > 0 for rows in kept.values()), kept
    monkeypatch.setenv("LIFECYCLE_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("LIFECYCLE_WAREHOUSE", str(tmp_path / "fresh" / "warehouse.duckdb"))
    monkeypatch.setenv("LIFECYCLE_SERVING", str(tmp_path / "fresh" / "serving" / "lifecycle.duckdb"))
    # The same date from the environment: the same build as the launchpad's, one concept either way.
    monkeypatch.setenv("LIFECYCLE_AS_OF", AS_OF)
    assert run_lifecycle_job().success
    fresh_serving = tmp_path / "fresh" / "serving" / "as_of" / AS_OF / "lifecycle.duckdb"

    with duckdb.connect(str(past_serving), read_only=True) as connection:
        [(as_of, newest_first_order)] = connection.execute(
            "SELECT any_value(as_of_date), CAST(max(first_order_at) AS DATE) FROM marts.customers"
        ).fetchall()
    assert as_of.isoformat() == AS_OF and newest_first_order.isoformat() <= AS_OF
    differences = mart_differences(past_serving, fresh_serving)
    assert set(differences.values()) == {0}, differences
