"""orchestration.event_log: Dagster's SQLite event log with its connections kept open between events."""

import shutil
from importlib import metadata

import dagster as dg
from dagster._core.storage.event_log import SqliteEventLogStorage

from orchestration.event_log import CHECKED_AGAINST, OPEN_RUN_FILES, PooledSqliteEventLogStorage
from orchestration.lib.settings import PROJECT_ROOT


@dg.asset
def counted() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": 3})


@dg.asset_check(asset=counted)
def counted_has_rows() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


def test_the_project_instance_records_runs_where_dagsters_default_keeps_them(tmp_path, monkeypatch):
    shutil.copy(PROJECT_ROOT / "orchestration" / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        runs = [
            dg.materialize([counted], selection=[counted], instance=instance).run_id,
            dg.materialize([counted, counted_has_rows], instance=instance).run_id,
        ]
    assert sorted(path.stem for path in (tmp_path / "history" / "runs").glob("*.db")) == sorted([*runs, "index"])

    with dg.DagsterInstance.get() as instance:  # read back by another instance, as the UI reads make run's runs
        latest = instance.get_latest_materialization_event(dg.AssetKey("counted"))
        assert (latest.run_id, latest.asset_materialization.metadata["rows"].value) == (runs[1], 3)
        check = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey("counted"), "counted_has_rows")]
        )
        assert [execution.run_id for execution in check.values()] == [runs[1]]


def test_an_instance_opened_by_its_folder_reads_that_folders_runs_whatever_dagster_home_says(tmp_path, monkeypatch):
    """As the crash tier watches `make run`'s events from its own process: `DagsterInstance.from_config(path)`."""
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        run_id = dg.materialize([counted], instance=instance).run_id
    monkeypatch.setenv("DAGSTER_HOME", str(elsewhere))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        assert instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    assert not elsewhere.exists()


def test_only_a_few_run_files_stay_open_besides_the_index(tmp_path):
    storage = PooledSqliteEventLogStorage(str(tmp_path))
    for number in range(OPEN_RUN_FILES + 3):
        with storage.run_connection(f"run-{number}"):
            pass
    with storage.index_connection():
        pass
    expected = [f"run-{number}" for number in range(3, OPEN_RUN_FILES + 3)]
    assert list(storage._engines) == [*expected, "index"]
    storage.dispose()
    assert not storage._engines


def test_each_connection_waits_for_the_disk_only_at_checkpoints(tmp_path, monkeypatch):
    shutil.copy(PROJECT_ROOT / "orchestration" / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with dg.DagsterInstance.get() as instance:
        run_id = dg.materialize([counted, counted_has_rows], instance=instance).run_id
        storage = instance.event_log_storage
        for connect in (lambda: storage.run_connection(run_id), storage.index_connection):
            with connect() as connection:
                assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL; SQLite's is FULL (2)


def test_a_table_or_column_found_is_not_looked_for_again_and_one_missing_is(tmp_path, monkeypatch):
    storage = PooledSqliteEventLogStorage(str(tmp_path))
    looked_for = []
    dagsters_has_table = SqliteEventLogStorage.has_table
    monkeypatch.setattr(
        SqliteEventLogStorage, "has_table", lambda self, name: looked_for.append(name) or dagsters_has_table(self, name)
    )
    assert [storage.supports_asset_checks for _ in range(3)] == [True] * 3
    assert [storage.has_table("no_such_table") for _ in range(2)] == [False] * 2
    assert looked_for == ["asset_check_executions", "no_such_table", "no_such_table"]
    with storage.index_connection() as connection:
        assert storage._has_asset_key_index_cols_on_connection(connection)
        assert not storage._has_asset_key_col_on_connection(connection, "no_such_column")
    assert storage._asset_key_columns_found == {"last_materialization_timestamp"}
    storage.dispose()


def test_the_private_dagster_members_overridden_were_checked_against_the_installed_version():
    """`PooledSqliteEventLogStorage` overrides `SqliteEventLogStorage._connect`, `has_table` and
    `_has_asset_key_col_on_connection`: a new Dagster may change them silently. Read them in the new version,
    then move `CHECKED_AGAINST`."""
    assert metadata.version("dagster") == CHECKED_AGAINST
