"""Write-audit-publish: serving files are complete or untouched, and readers are never disturbed."""

import hashlib
import multiprocessing
import shutil
import subprocess
import sys
import time

import duckdb
import pytest
import sqlalchemy as sa

from orchestration.lib.publish.serving import PublishAuditError, clean_leftovers, publish_marts


def fingerprint(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def make_warehouse(path, customers: int):
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE SCHEMA IF NOT EXISTS marts")
        connection.execute(
            "CREATE OR REPLACE TABLE marts.customers AS SELECT 'C' || i AS customer_id, i * 1.5 AS net_revenue FROM "
            f"range({customers}) t(i)"
        )
        connection.execute(
            "CREATE OR REPLACE TABLE marts.nps_monthly AS SELECT DATE '2024-01-01' AS response_month, 12.5 AS nps"
        )


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    make_warehouse(path, 100)
    return path


def publish(warehouse, serving):
    with duckdb.connect(str(warehouse)) as connection:
        return publish_marts(connection, serving)


def test_publish_writes_the_marts_and_parquet(warehouse, tmp_path):
    serving = tmp_path / "serving" / "lifecycle.duckdb"
    report = publish(warehouse, serving)
    assert report.row_counts == {"customers": 100, "nps_monthly": 1}
    with duckdb.connect(str(serving), read_only=True) as connection:
        assert connection.execute("SELECT count(*), sum(net_revenue) FROM marts.customers").fetchall() == [
            (100, 7425.0)
        ]
        assert connection.execute(
            f"SELECT count(*) FROM '{serving.parent / 'parquet' / 'customers.parquet'}'"
        ).fetchall() == [(100,)]
    assert sorted(p.name for p in serving.parent.iterdir()) == sorted(
        ["lifecycle.duckdb", "parquet", next(serving.parent.glob("parquet-*")).name]
    )
    assert not serving.with_name("lifecycle.duckdb.wal").exists()


def test_a_serving_folder_copied_without_its_links_is_published_again(warehouse, tmp_path):
    original = tmp_path / "serving" / "lifecycle.duckdb"
    publish(warehouse, original)
    serving = tmp_path / "restored" / "lifecycle.duckdb"
    shutil.copytree(original.parent, serving.parent, symlinks=False)  # as `cp -r` does: `parquet` is a folder
    assert not (serving.parent / "parquet").is_symlink()
    make_warehouse(warehouse, 200)

    publish(warehouse, serving)

    parquet = serving.parent / "parquet"
    assert parquet.is_symlink()
    with duckdb.connect() as connection:
        assert connection.execute(f"SELECT count(*) FROM '{parquet / 'customers.parquet'}'").fetchall() == [(200,)]
    assert sorted(p.name for p in serving.parent.iterdir()) == sorted(
        ["lifecycle.duckdb", "parquet", parquet.resolve().name]
    )


def test_a_failed_audit_leaves_the_serving_files_byte_identical(warehouse, tmp_path, monkeypatch):
    serving = tmp_path / "serving" / "lifecycle.duckdb"
    publish(warehouse, serving)
    before = fingerprint(serving.parent)
    make_warehouse(warehouse, 200)

    def failing_audit(*args):
        raise PublishAuditError("customers: 199 rows in the serving file, 200 in the warehouse")

    monkeypatch.setattr("orchestration.lib.publish.serving._audit", failing_audit)
    with pytest.raises(PublishAuditError, match="199 rows in the serving file"):
        publish(warehouse, serving)
    assert fingerprint(serving.parent) == before
    assert not any(".tmp-" in p.name for p in serving.parent.iterdir())


def count_customers_into(serving_file, out):
    """A companion: reads the new serving file it is handed, as the report does."""
    with duckdb.connect(str(serving_file), read_only=True) as connection:
        customers = connection.execute("SELECT count(*) FROM marts.customers").fetchone()[0]
    out.write_text(f"{customers} customers")
    return customers


def test_a_companion_is_written_from_the_new_serving_file_and_swapped_in_with_it(warehouse, tmp_path):
    serving = tmp_path / "serving" / "lifecycle.duckdb"
    publish(warehouse, serving)
    make_warehouse(warehouse, 200)

    with duckdb.connect(str(warehouse)) as connection:
        report = publish_marts(connection, serving, companions={"count.txt": count_customers_into})

    assert (serving.parent / "count.txt").read_text() == "200 customers"
    assert report.companions == {serving.parent / "count.txt": 200}
    assert not any(".tmp-" in p.name for p in serving.parent.iterdir())


def test_a_failing_companion_swaps_nothing_in(warehouse, tmp_path):
    serving = tmp_path / "serving" / "lifecycle.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        publish_marts(connection, serving, companions={"count.txt": count_customers_into})
    before = fingerprint(serving.parent)
    make_warehouse(warehouse, 200)

    def failing(serving_file, out):
        out.write_text("half a report")
        raise RuntimeError("the chart library broke")

    with duckdb.connect(str(warehouse)) as connection, pytest.raises(RuntimeError, match="chart library"):
        publish_marts(connection, serving, companions={"count.txt": failing})

    assert fingerprint(serving.parent) == before  # the marts and the companion of the run before
    assert (serving.parent / "count.txt").read_text() == "100 customers"
    assert not any(".tmp-" in p.name for p in serving.parent.iterdir())


def test_the_audit_compares_rows_and_columns(warehouse, tmp_path, monkeypatch):
    serving = tmp_path / "serving" / "lifecycle.duckdb"
    real_copy = "COPY (SELECT * FROM marts.customers) TO"
    with duckdb.connect(str(warehouse)) as connection:
        # Sabotage the Parquet copy of one mart: the audit must notice before anything is swapped in.
        class Sabotaged:
            def __init__(self, inner):
                self.inner = inner

            def execute(self, sql, *args):
                if sql.startswith(real_copy):
                    sql = sql.replace(real_copy, "COPY (SELECT * FROM marts.customers LIMIT 5) TO")
                return self.inner.execute(sql, *args)

        with pytest.raises(PublishAuditError, match="customers: 5 rows in the Parquet file, 100 in the warehouse"):
            publish_marts(Sabotaged(connection), serving)
    assert not serving.exists()


KILLABLE_PUBLISH = """
import sys, time, duckdb
import orchestration.lib.publish.serving as serving
from pathlib import Path
def slow_audit(*args):
    print("writing done", flush=True)
    time.sleep(60)
serving._audit = slow_audit
with duckdb.connect(sys.argv[1]) as connection:
    serving.publish_marts(connection, Path(sys.argv[2]))
"""


def test_kill_9_during_publish_leaves_no_partial_serving_file_and_the_rerun_succeeds(warehouse, tmp_path):
    serving = tmp_path / "serving" / "lifecycle.duckdb"
    publish(warehouse, serving)
    before = fingerprint(serving.parent)
    make_warehouse(warehouse, 300)
    victim = subprocess.Popen(
        [sys.executable, "-c", KILLABLE_PUBLISH, str(warehouse), str(serving)], stdout=subprocess.PIPE, text=True
    )
    assert victim.stdout.readline().strip() == "writing done"
    victim.kill()
    victim.wait()
    assert any(".tmp-" in p.name for p in serving.parent.iterdir())  # the killed run's leftovers
    assert {k: v for k, v in fingerprint(serving.parent).items() if ".tmp-" not in k} == before

    report = publish(warehouse, serving)
    assert report.row_counts["customers"] == 300
    assert not any(".tmp-" in p.name for p in serving.parent.iterdir())
    assert len(list(serving.parent.glob("parquet-*"))) == 1
    publish(warehouse, serving)  # idempotent: publishing the same marts again gives the same tables
    with duckdb.connect(str(serving), read_only=True) as connection:
        assert connection.execute("SELECT count(*), sum(net_revenue) FROM marts.customers").fetchall() == [
            (300, 67275.0)
        ]


def read_continuously(serving: str, kind: str, seconds: float, queue) -> None:
    """Query the serving file in a loop, as a BI tool would; report errors and the row counts seen."""
    seen, errors = set(), []
    deadline = time.monotonic() + seconds
    # NullPool: each query opens the file anew, as BI tools should to see swaps at once (a pooled
    # connection keeps reading the file it opened, which stays valid, until it is recycled).
    engine = (
        sa.create_engine(f"duckdb:///{serving}", connect_args={"read_only": True}, poolclass=sa.pool.NullPool)
        if kind == "sqlalchemy"
        else None
    )
    while time.monotonic() < deadline:
        try:
            if engine is not None:
                with engine.connect() as connection:
                    seen.add(connection.execute(sa.text("SELECT count(*) FROM marts.customers")).scalar())
            else:
                with duckdb.connect(serving, read_only=True) as connection:
                    seen.add(connection.execute("SELECT count(*) FROM marts.customers").fetchall()[0][0])
        except Exception as error:  # noqa: BLE001 - any error is what this test is looking for
            errors.append(repr(error))
        time.sleep(0.01)
    queue.put((sorted(seen), errors[:3], len(errors)))


@pytest.mark.parametrize("kind", ["duckdb", "sqlalchemy"])
def test_readers_keep_working_during_publish_and_see_the_new_data(warehouse, tmp_path, kind):
    serving = tmp_path / "serving" / "lifecycle.duckdb"
    publish(warehouse, serving)
    queue = multiprocessing.get_context("spawn").Queue()
    reader = multiprocessing.get_context("spawn").Process(
        target=read_continuously, args=(str(serving), kind, 6.0, queue)
    )
    reader.start()
    time.sleep(1.5)
    for customers in (150, 250, 350):
        make_warehouse(warehouse, customers)
        publish(warehouse, serving)
        time.sleep(0.3)
    seen, errors, error_count = queue.get(timeout=60)
    reader.join()
    assert error_count == 0, errors
    assert seen[0] == 100 and 350 in seen
    with duckdb.connect(str(serving), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM marts.customers").fetchall() == [(350,)]


def test_leftovers_are_cleaned(tmp_path):
    folder = tmp_path / "serving"
    folder.mkdir()
    for name in ("lifecycle.duckdb.tmp-abc", "lifecycle.duckdb.tmp-abc.wal", "parquet.tmp-abc"):
        (folder / name).write_text("partial")
    (folder / "parquet-old").mkdir()
    removed = clean_leftovers(folder / "lifecycle.duckdb")
    assert len(removed) == 4 and list(folder.iterdir()) == []


def count_customers_into_folder(serving_file, out):
    """A folder companion, as the audiences' files are: several files written from the new serving file."""
    out.mkdir()
    customers = count_customers_into(serving_file, out / "count.txt")
    (out / "also.txt").write_text("written with it")
    return customers


def test_a_folder_companion_is_swapped_in_behind_a_link_and_old_versions_go(warehouse, tmp_path):
    serving = tmp_path / "serving" / "lifecycle.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        publish_marts(connection, serving, companions={"lists": count_customers_into_folder})
    first = (serving.parent / "lists").resolve()
    make_warehouse(warehouse, 200)
    with duckdb.connect(str(warehouse)) as connection:
        report = publish_marts(connection, serving, companions={"lists": count_customers_into_folder})

    lists = serving.parent / "lists"
    assert lists.is_symlink() and lists.resolve() != first and not first.exists()
    assert (lists / "count.txt").read_text() == "200 customers"
    assert report.companions == {lists: 200}
    assert sorted(p.name for p in serving.parent.glob("lists-*")) == [lists.resolve().name]


def test_a_failing_folder_companion_swaps_nothing_in_and_a_copied_one_is_relinked(warehouse, tmp_path):
    original = tmp_path / "original" / "lifecycle.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        publish_marts(connection, original, companions={"lists": count_customers_into_folder})
    serving = tmp_path / "serving" / "lifecycle.duckdb"
    shutil.copytree(original.parent, serving.parent, symlinks=False)  # `lists` is a real folder now
    make_warehouse(warehouse, 200)

    def failing(serving_file, out):
        out.mkdir()
        (out / "count.txt").write_text("half")
        raise RuntimeError("the CRM export broke")

    with duckdb.connect(str(warehouse)) as connection, pytest.raises(RuntimeError, match="CRM export"):
        publish_marts(connection, serving, companions={"lists": failing})
    assert (serving.parent / "lists" / "count.txt").read_text() == "100 customers"
    assert not any(".tmp-" in p.name for p in serving.parent.iterdir())
    with duckdb.connect(str(warehouse)) as connection:
        publish_marts(connection, serving, companions={"lists": count_customers_into_folder})
    assert (serving.parent / "lists").is_symlink()
    assert (serving.parent / "lists" / "count.txt").read_text() == "200 customers"
