"""`python -m orchestration.cli check`: one line per file, the exit status a script can act on, one line for a
folder or warehouse it cannot read."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.cli.arguments import main
from orchestration.lib.ingest.contract import SOURCES
from orchestration.lib.ingest.load import ingest_sources
from orchestration.lib.settings import PROJECT_ROOT
from orchestration.lib.warehouse.connection import connect
from tests.helpers import warehouse_fingerprint, write_csv

ORDERS_HEADER = "order_id,customer_id,ordered_at,status,currency,amount"
GOOD_ORDERS = [f"O{i},C{i},2024-03-01T10:00:00Z,completed,USD,{i}.50" for i in range(1, 41)]


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    from tools.sample_data import generate

    folder = tmp_path_factory.mktemp("sample") / "landing"
    generate(folder, customers=200, seed=1)
    return folder


@pytest.fixture(scope="module")
def ingested(sample, tmp_path_factory) -> tuple[Path, Path]:
    """The sample folder and a warehouse a real ingest loaded it into."""
    warehouse = tmp_path_factory.mktemp("ingested") / "warehouse.duckdb"
    connection = connect(warehouse)
    ingest_sources(connection, list(SOURCES), sample)
    connection.close()
    return sample, warehouse


def check(folder: Path, warehouse: Path, monkeypatch, capsys) -> tuple[int, list[str], str]:
    monkeypatch.setenv("LIFECYCLE_WAREHOUSE", str(warehouse))
    status = main(["check", str(folder)])
    printed = capsys.readouterr()
    return status, printed.out.splitlines(), printed.err


def landing_files(folder: Path) -> int:
    return sum(1 for path in folder.rglob("*") if path.is_file())


def test_a_clean_sample_folder_passes_as_a_first_run(sample, tmp_path, monkeypatch, capsys):
    status, lines, errors = check(sample, tmp_path / "warehouse.duckdb", monkeypatch, capsys)
    assert (status, errors) == (0, "")
    assert (
        lines[0]
        == f"Checked {sample} as a first run (no warehouse at {tmp_path / 'warehouse.duckdb'}); nothing was written."
    )
    assert sum(line.startswith("  accepted ") for line in lines) == landing_files(sample)
    assert lines[-1].startswith(f"Nothing would be blocked. {landing_files(sample)} files accepted (")
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_files_already_loaded_are_reported_unchanged_and_the_warehouse_is_left_as_it_was(ingested, monkeypatch, capsys):
    landing, warehouse = ingested
    before = warehouse_fingerprint(warehouse)
    status, lines, _ = check(landing, warehouse, monkeypatch, capsys)
    assert status == 0
    assert lines[0] == f"Checked {landing} against the ledger of {warehouse}; nothing was written."
    for source in SOURCES:
        files = landing_files(landing / source.folder)
        index = lines.index(f"{source.folder}/")
        assert lines[index + 1] == f"  unchanged  {files} files loaded before as they are now, not read again"
    assert (
        lines[-1]
        == f"Nothing would be blocked. 0 files accepted (0 rows, 0 quarantined); {landing_files(landing)} unchanged."
    )
    assert warehouse_fingerprint(warehouse) == before


def test_a_blocked_file_fails_the_check_with_the_message_ingest_records(ingested, tmp_path, monkeypatch, capsys):
    landing, warehouse = ingested
    copy = tmp_path / "landing"
    shutil.copytree(landing, copy)
    write_csv(copy / "orders" / "partial.csv", "order_id,ordered_at", "X1,2024-03-01")
    write_csv(copy / "orders" / "march.csv", ORDERS_HEADER, *GOOD_ORDERS, "O99,C1,2024-03-02,completed,USD,-3")
    write_csv(copy / "refunds" / "r.csv", "refund_id", "R1")
    status, lines, _ = check(copy, warehouse, monkeypatch, capsys)
    assert status == 1
    orders = lines[lines.index("orders/") + 1 : lines.index("support_tickets/")]
    assert orders == [
        "  accepted   orders/march.csv: 40 rows, 1 quarantined (1 x range:amount), new",
        "               row 41: range:amount (value '-3')",
        "  BLOCKED    orders/partial.csv: missing required column(s): customer_id, status, currency, amount "
        "(rule: required_columns)",
        f"  unchanged  {landing_files(landing / 'orders')} files loaded before as they are now, not read again",
    ]
    assert "ignored: refunds/: not a source folder" in "\n".join(lines)
    assert lines[-1].startswith("1 file would be blocked: a run would fail. 1 file accepted (40 rows, 1 quarantined);")


def test_an_empty_folder_as_a_first_run_fails_the_check_as_the_run_would_stop(tmp_path, monkeypatch, capsys):
    """A run with no row of any source stops after its ingest (tests/pipeline/test_pipeline.py); with the
    warehouse's rows kept, files already loaded are a run with nothing new (exit 0, tested above)."""
    (tmp_path / "landing").mkdir()
    status, lines, errors = check(tmp_path / "landing", tmp_path / "warehouse.duckdb", monkeypatch, capsys)
    assert (status, errors) == (1, "")
    assert lines[-1] == (
        "Nothing to build: no source would hold a row, and a run would stop after its ingest. "
        "0 files accepted (0 rows, 0 quarantined)."
    )


def test_the_only_file_delivered_replaced_by_an_empty_one_leaves_nothing_to_build(tmp_path, monkeypatch, capsys):
    """The run would delete the replaced file's rows and load none: no source would hold a row."""
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    write_csv(landing / "orders" / "march.csv", ORDERS_HEADER, *GOOD_ORDERS)
    connection = connect(warehouse)
    ingest_sources(connection, list(SOURCES), landing)
    connection.close()
    write_csv(landing / "orders" / "march.csv", ORDERS_HEADER)
    status, lines, _ = check(landing, warehouse, monkeypatch, capsys)
    assert status == 1
    assert "  accepted   orders/march.csv: 0 rows, replacing its loaded version" in lines
    assert lines[-1].startswith("Nothing to build: no source would hold a row, and a run would stop after its ingest.")


def test_a_missing_folder_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    status, lines, errors = check(tmp_path / "nowhere", tmp_path / "warehouse.duckdb", monkeypatch, capsys)
    assert (status, lines, errors) == (2, [], f"Not checked: No landing folder at {tmp_path / 'nowhere'}\n")


def test_an_unreachable_bucket_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    from orchestration.lib import storage

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # the discard port: nothing listens
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    storage._filesystem.cache_clear()  # a client made with this endpoint
    status, lines, errors = check("s3://landing-bucket/daily", tmp_path / "warehouse.duckdb", monkeypatch, capsys)
    storage._filesystem.cache_clear()
    assert (status, lines) == (2, [])
    assert errors.startswith(
        "Not checked: object storage at http://127.0.0.1:9 failed to list s3://landing-bucket/daily: "
    )
    assert errors.count("\n") == 1


def test_a_file_that_is_no_warehouse_is_one_line_and_exit_2(sample, tmp_path, monkeypatch, capsys):
    warehouse = tmp_path / "warehouse.duckdb"
    warehouse.write_text("not a database")
    status, lines, errors = check(sample, warehouse, monkeypatch, capsys)
    assert (status, lines) == (2, [])
    assert errors.startswith(f"Not checked: The warehouse {warehouse} cannot be read: ")
    assert errors.count("\n") == 1


def test_a_warehouse_held_by_a_run_is_one_line_and_exit_2(sample, tmp_path, monkeypatch, capsys):
    warehouse = tmp_path / "warehouse.duckdb"
    connect(warehouse).close()
    hold = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(60)"
    holder = subprocess.Popen([sys.executable, "-c", hold, str(warehouse)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setenv("LIFECYCLE_LOCK_RETRIES", "1")
        status, lines, errors = check(sample, warehouse, monkeypatch, capsys)
    finally:
        holder.kill()
        holder.wait()
    assert (status, lines) == (2, [])
    assert errors.startswith(f"Not checked: The warehouse {warehouse} is locked by another process (tried 1 times)")


def test_the_command_line_end_to_end(tmp_path):
    landing = tmp_path / "landing"
    write_csv(landing / "orders" / "march.csv", ORDERS_HEADER, *GOOD_ORDERS)
    write_csv(landing / "orders" / "april.csv", ORDERS_HEADER, *GOOD_ORDERS[:10], "O99,C1,2024-04-02,completed,USD,-3")
    environment = {**os.environ, "LIFECYCLE_WAREHOUSE": str(tmp_path / "warehouse" / "warehouse.duckdb")}
    done = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "check", str(landing)],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[1:] == [
        "orders/",
        "  BLOCKED    orders/april.csv: 1 of 11 rows (9.1%) break the contract, more than the 5% allowed: "
        "1 x range:amount; e.g. row 11: range:amount (value '-3') (rule: range:amount)",
        "  accepted   orders/march.csv: 40 rows, new",
        "1 file would be blocked: a run would fail. 1 file accepted (40 rows, 0 quarantined).",
    ]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "warehouse").exists()
