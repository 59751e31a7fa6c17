"""Ingestion is incremental and idempotent, and bad files get a message naming file, row and rule."""

import json
import math
import os
import time
from datetime import date, datetime
from functools import partial
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.lib.ingest.contract import FX_RATES, ORDERS, SOURCES, SUPPORT_TICKETS, SURVEY_RESPONSES
from orchestration.lib.ingest.load import ingest_source
from tests.helpers import ORDERS_HEADER, write_csv

HEADER = ORDERS_HEADER


@pytest.fixture
def warehouse(raw_warehouse):
    return raw_warehouse


def rows(connection, sql):
    return connection.execute(sql).fetchall()


def test_types_and_time_zones_follow_the_contract(landing, warehouse):
    write_csv(
        landing / "orders" / "a.csv",
        HEADER,
        "O1,C1,2024-03-01T10:00:00+02:00,completed,USD,10.50,4.20,email,a@example.com",
        "O2,C1,2024-03-02 09:30:00,refunded,USD,7,,,",
    )
    report = ingest_source(warehouse, ORDERS, landing)
    assert (report.rows_loaded, report.table_rows) == (2, 2)
    assert rows(
        warehouse,
        "SELECT order_id, ordered_at, amount, cost, channel, _source_file, _source_row FROM shop.orders ORDER BY 1",
    ) == [
        ("O1", datetime(2024, 3, 1, 8, 0), 10.5, 4.2, "email", "orders/a.csv", 1),
        ("O2", datetime(2024, 3, 2, 9, 30), 7.0, None, None, "orders/a.csv", 2),
    ]


def test_rerun_with_the_same_files_changes_nothing(landing, warehouse):
    write_csv(landing / "orders" / "a.csv", HEADER, "O1,C1,2024-03-01,completed,USD,10,,,")
    ingest_source(warehouse, ORDERS, landing)
    before = rows(warehouse, "SELECT * FROM shop.orders")
    report = ingest_source(warehouse, ORDERS, landing)
    assert report.rows_loaded == 0 and report.count("unchanged") == 1
    assert rows(warehouse, "SELECT * FROM shop.orders") == before
    assert rows(warehouse, "SELECT count(*) FROM ingest.file_ledger") == [(1,)]


def test_a_new_file_is_loaded_alone(landing, warehouse):
    write_csv(landing / "orders" / "a.csv", HEADER, "O1,C1,2024-03-01,completed,USD,10,,,")
    ingest_source(warehouse, ORDERS, landing)
    write_csv(
        landing / "orders" / "b.csv",
        HEADER,
        "O2,C2,2024-03-02,completed,USD,20,,,",
        "O3,C2,2024-03-03,completed,USD,30,,,",
    )
    report = ingest_source(warehouse, ORDERS, landing)
    assert [(f.path, f.action, f.rows) for f in report.files] == [
        ("orders/a.csv", "unchanged", 0),
        ("orders/b.csv", "loaded", 2),
    ]
    assert rows(warehouse, "SELECT count(*) FROM shop.orders") == [(3,)]


def test_a_changed_file_is_reloaded(landing, warehouse):
    path = write_csv(
        landing / "orders" / "a.csv",
        HEADER,
        "O1,C1,2024-03-01,completed,USD,10,,,",
        "O2,C1,2024-03-02,completed,USD,5,,,",
    )
    ingest_source(warehouse, ORDERS, landing)
    write_csv(path, HEADER, "O1,C1,2024-03-01,refunded,USD,10,,,")
    report = ingest_source(warehouse, ORDERS, landing)
    assert [(f.action, f.rows) for f in report.files] == [("reloaded", 1)]
    assert rows(warehouse, "SELECT order_id, status, _load_id FROM shop.orders") == [("O1", "refunded", 2)]
    assert rows(warehouse, "SELECT path, rows FROM ingest.file_ledger ORDER BY load_id") == [
        ("orders/a.csv", 2),
        ("orders/a.csv", 1),
    ]


def test_the_same_file_delivered_twice_is_loaded_once(landing, warehouse):
    write_csv(landing / "orders" / "a.csv", HEADER, "O1,C1,2024-03-01,completed,USD,10,,,")
    write_csv(landing / "orders" / "copy_of_a.csv", HEADER, "O1,C1,2024-03-01,completed,USD,10,,,")
    report = ingest_source(warehouse, ORDERS, landing)
    assert sorted(f.action for f in report.files) == ["duplicate", "loaded"]
    assert rows(warehouse, "SELECT count(*) FROM shop.orders") == [(1,)]


def test_ledger_records_path_size_hash_rows(landing, warehouse):
    path = write_csv(landing / "orders" / "a.csv", HEADER, "O1,C1,2024-03-01,completed,USD,10,,,")
    ingest_source(warehouse, ORDERS, landing)
    [(source, rel, size, sha, count)] = rows(
        warehouse, "SELECT source, path, size_bytes, sha256, rows FROM ingest.file_ledger"
    )
    assert (source, rel, size, count) == ("orders", "orders/a.csv", os.path.getsize(path), 1)
    assert len(sha) == 64


def _counting_reads(monkeypatch) -> list[str]:
    """The names of the landing files read to be hashed, from now on."""
    from orchestration.lib.ingest import discover

    reads, sha256 = [], discover.file_sha256
    monkeypatch.setattr(discover, "file_sha256", lambda path: reads.append(path.name) or sha256(path))
    return reads


def _set_modified(path, seconds_ago: float) -> int:
    modified_ns = time.time_ns() - int(seconds_ago * 1e9)
    os.utime(path, ns=(modified_ns, modified_ns))
    return modified_ns


def test_an_unchanged_file_is_recognised_by_size_and_time_without_reading_it(landing, warehouse, monkeypatch):
    path = write_csv(landing / "orders" / "a.csv", HEADER, "O1,C1,2024-03-01,completed,USD,10,,,")
    _set_modified(path, seconds_ago=3600)
    reads = _counting_reads(monkeypatch)
    ingest_source(warehouse, ORDERS, landing)
    [(size, _, sha256)] = rows(warehouse, "SELECT size_bytes, modified_ns, sha256 FROM ingest.file_hashes")
    assert reads == ["a.csv"] and size == os.path.getsize(path)

    report = ingest_source(warehouse, ORDERS, landing)
    assert reads == ["a.csv"] and [f.action for f in report.files] == ["unchanged"]
    # Touched, not changed: read once more to be sure, still unchanged, and known by its new time from then on.
    modified_ns = _set_modified(path, seconds_ago=60)
    report = ingest_source(warehouse, ORDERS, landing)
    assert reads == ["a.csv", "a.csv"] and [f.action for f in report.files] == ["unchanged"]
    assert rows(warehouse, "SELECT modified_ns, sha256 FROM ingest.file_hashes") == [(modified_ns, sha256)]
    ingest_source(warehouse, ORDERS, landing)
    assert reads == ["a.csv", "a.csv"]
    # A file gone from the landing folder leaves the cache.
    path.unlink()
    ingest_source(warehouse, ORDERS, landing)
    assert rows(warehouse, "SELECT count(*) FROM ingest.file_hashes") == [(0,)]


def test_a_file_rewritten_within_its_timestamp_is_read_again(landing, warehouse):
    """A file hashed just after it was written is not remembered: a second write in the same timestamp tick
    (same size, same time) would otherwise go unseen. Here the rewrite keeps the time to the nanosecond."""
    path = write_csv(landing / "orders" / "a.csv", HEADER, "O1,C1,2024-03-01,completed,USD,10,,,")
    modified_ns = _set_modified(path, seconds_ago=0.5)
    ingest_source(warehouse, ORDERS, landing)
    assert rows(warehouse, "SELECT count(*) FROM ingest.file_hashes") == [(0,)]
    write_csv(path, HEADER, "O1,C1,2024-03-01,completed,USD,20,,,")
    os.utime(path, ns=(modified_ns, modified_ns))
    report = ingest_source(warehouse, ORDERS, landing)
    assert [(f.action, f.rows) for f in report.files] == [("reloaded", 1)]
    assert rows(warehouse, "SELECT amount FROM shop.orders") == [(20.0,)]


def test_parquet_and_json_lines_are_read_like_csv(landing, warehouse):
    (landing / "orders").mkdir()
    pq.write_table(
        pa.table(
            {
                "order_id": ["P1"],
                "customer_id": ["C1"],
                "ordered_at": ["2024-03-01T00:00:00Z"],
                "status": ["completed"],
                "currency": ["EUR"],
                "amount": [12.5],
            }
        ),
        landing / "orders" / "a.parquet",
    )
    record = {
        "order_id": "J1",
        "customer_id": "C2",
        "ordered_at": "2024-03-02 00:00:00",
        "status": "pending",
        "currency": "USD",
        "amount": 3,
    }
    (landing / "orders" / "b.jsonl").write_text(json.dumps(record) + "\n")
    ingest_source(warehouse, ORDERS, landing)
    assert rows(warehouse, "SELECT order_id, currency, amount FROM shop.orders ORDER BY 1") == [
        ("J1", "USD", 3.0),
        ("P1", "EUR", 12.5),
    ]


def _delivered_as_parquet_and_csv(source, table: pa.Table, landing, tmp_path) -> dict:
    """Ingest `table` once as a typed Parquet file and once as the CSV of the same values; per format,
    the loaded rows (load metadata aside), the quarantined rows with their raw row, and the columns
    the Parquet file's batch kept typed."""
    from orchestration.lib.ingest.discover import discover
    from orchestration.lib.ingest.gates import Thresholds
    from orchestration.lib.ingest.read import read_batch
    from orchestration.lib.ingest.row_rules import taken_as_delivered
    from orchestration.lib.warehouse.connection import connect

    csv_landing = tmp_path / "csv_landing"
    (landing / source.folder).mkdir()
    pq.write_table(table, landing / source.folder / "a.parquet")

    def as_text(value) -> str:
        return "" if value is None else value.isoformat(sep=" ") if isinstance(value, datetime) else str(value)

    write_csv(
        csv_landing / source.folder / "a.csv",
        ",".join(table.column_names),
        *(",".join(as_text(value) for value in row.values()) for row in table.to_pylist()),
    )
    [delivered] = discover(source, landing, {})
    with connect(tmp_path / "probe.duckdb") as probe:
        _, typed = read_batch(probe, delivered, "probe", keep_typed=partial(taken_as_delivered, source))
    outcomes = {"typed": typed}
    for name, root in (("parquet", landing), ("csv", csv_landing)):
        with connect(tmp_path / f"{name}.duckdb") as connection:
            report = ingest_source(connection, source, root, Thresholds(max_bad_row_share=0.9))
            assert report.blocked == []
            loaded = rows(
                connection,
                f"SELECT * EXCLUDE (_source_file, _load_id, _loaded_at) FROM {source.relation} ORDER BY _source_row",
            )
            quarantined = rows(
                connection, f"SELECT _source_row, rule, raw_row FROM quarantine.{source.folder} ORDER BY 1"
            )
            outcomes[name] = (loaded, quarantined)
    return outcomes


def test_a_typed_parquet_delivery_is_judged_and_loaded_as_its_csv_twin(landing, tmp_path):
    """A Parquet file's typed timestamps and integers are taken as they are (not written out as text
    and parsed back), and every row ends where the same values delivered as CSV end: loaded the same,
    or quarantined under the same rule."""
    berlin = pa.timestamp("us", tz="Europe/Berlin")
    columns = {  # name: (Arrow type, values)
        "ticket_id": (pa.string(), ["T1", "T2", "T3", "T4", "T5", "T5", "T6"]),
        "customer_id": (pa.string(), [" C1 ", "C2", "C3", "C4", "C5", "C5", "C6"]),
        "created_at": (pa.timestamp("us"), [datetime(2024, 3, 1, 10, 0, 0, 250_000)] * 6 + [datetime(2024, 3, 2)]),
        "first_response_at": (
            berlin,
            [datetime(2024, 3, 1, 12, 0, tzinfo=ZoneInfo("Europe/Berlin")), None] + [None] * 5,
        ),
        "resolved_at": (pa.timestamp("ms"), [None, None, None, datetime(2024, 2, 1), None, None, None]),
        "status": (pa.string(), ["open"] * 7),
        "channel": (pa.string(), ["email", "chat", "phone", "email", "other", "other", "chat"]),
        "csat_score": (pa.int64(), [5, None, 7, None, 2**40, 3, 4]),
    }
    table = pa.table({name: pa.array(values, type=kind) for name, (kind, values) in columns.items()})
    outcomes = _delivered_as_parquet_and_csv(SUPPORT_TICKETS, table, landing, tmp_path)
    assert outcomes["typed"] == {"created_at", "first_response_at", "resolved_at", "csat_score"}
    assert outcomes["parquet"][0] == outcomes["csv"][0]
    loaded, quarantined = outcomes["parquet"]
    assert [(row, rule) for row, rule, _ in quarantined] == [(row, rule) for row, rule, _ in outcomes["csv"][1]]
    assert [(row, rule) for row, rule, _ in quarantined] == [
        (3, "range:csat_score"),
        (4, "order:resolved_at_before_created_at"),
        (5, "type:csat_score"),
        (6, "duplicate_key"),
    ]
    assert [row[:4] for row in loaded] == [
        ("T1", "C1", datetime(2024, 3, 1, 10, 0, 0, 250_000), datetime(2024, 3, 1, 11, 0)),
        ("T2", "C2", datetime(2024, 3, 1, 10, 0, 0, 250_000), None),
        ("T6", "C6", datetime(2024, 3, 2), None),
    ]


def test_typed_parquet_dates_doubles_and_keys_end_as_their_csv_twin(landing, tmp_path):
    """Dates and doubles taken as typed, a key of a typed date and a currency told apart only by case,
    a date in the future, a rate below zero, and an infinite rate: the same rows load, the same are
    quarantined, and a quarantined row's raw values read the same as from the CSV. (A rate that is not
    a number blocks either file: Great Expectations counts NaN as null.)"""
    days = [date(2024, 3, 1), date(2024, 3, 1), date(2024, 3, 1), date(2024, 3, 2), date(2999, 1, 1), date(2024, 3, 3)]
    table = pa.table(
        {
            "rate_date": pa.array(days, type=pa.date32()),
            "currency": pa.array(["EUR", "eur", "GBP", "EUR", "EUR", "JPY"]),
            "rate_to_reporting": pa.array([1.1, 1.2, -1.0, 1.25, 1.3, float("inf")], type=pa.float64()),
        }
    )
    outcomes = _delivered_as_parquet_and_csv(FX_RATES, table, landing, tmp_path)
    assert outcomes["typed"] == {"rate_date", "rate_to_reporting"}
    loaded, quarantined = outcomes["parquet"]
    assert quarantined == outcomes["csv"][1]
    assert [(row, rule) for row, rule, _ in quarantined] == [
        (1, "duplicate_key"),
        (2, "duplicate_key"),
        (3, "range:rate_to_reporting"),
        (5, "future:rate_date"),
    ]
    assert json.loads(quarantined[2][2]) == {"rate_date": "2024-03-01", "currency": "GBP", "rate_to_reporting": "-1.0"}
    assert (
        [row[:2] for row in loaded]
        == [row[:2] for row in outcomes["csv"][0]]
        == [
            (date(2024, 3, 2), "EUR"),
            (date(2024, 3, 3), "JPY"),
        ]
    )
    assert [row[2] for row in loaded] == [row[2] for row in outcomes["csv"][0]] == [1.25, math.inf]


def test_a_missing_source_folder_gives_an_empty_table(landing, warehouse):
    for source in SOURCES:
        assert ingest_source(warehouse, source, landing).table_rows == 0


def only_problem(report):
    [blocked] = report.blocked
    return blocked.problem


def test_missing_required_column_blocks_the_file(landing, warehouse):
    write_csv(
        landing / "orders" / "a.csv", "order_id,ordered_at,status,currency,amount", "O1,2024-03-01,completed,USD,10"
    )
    report = ingest_source(warehouse, ORDERS, landing)
    assert only_problem(report) == "orders/a.csv: missing required column(s): customer_id (rule: required_columns)"
    assert rows(warehouse, "SELECT count(*) FROM shop.orders") == [(0,)]
    assert rows(warehouse, "SELECT path, rule FROM ingest.blocked_files") == [("orders/a.csv", "required_columns")]


def test_a_file_with_too_many_bad_rows_is_blocked_with_file_row_and_rule(landing, warehouse):
    write_csv(
        landing / "orders" / "a.csv",
        HEADER,
        "O1,C1,2024-03-01,completed,USD,10,,,",
        'O2,C1,2024-03-01,completed,USD,"12,50",,,',
        "O3,,2024-03-01,completed,USD,1,,,",
    )
    problem = only_problem(ingest_source(warehouse, ORDERS, landing))
    assert problem.startswith("orders/a.csv: 2 of 3 rows (66.7%) break the contract, more than the 5% allowed")
    assert "row 2: type:amount (value '12,50')" in problem
    assert "row 3: not_null:customer_id" in problem
    assert rows(warehouse, "SELECT count(*) FROM shop.orders UNION ALL SELECT count(*) FROM quarantine.orders") == [
        (0,),
        (0,),
    ]


def test_a_few_bad_rows_are_quarantined_and_the_rest_loads(landing, warehouse):
    good = [f"O{i},C{i},2024-03-01,completed,USD,{i},,," for i in range(1, 41)]
    write_csv(landing / "orders" / "a.csv", HEADER, *good, "O99,C1,2024-03-01,completed,USD,-5,,,")
    report = ingest_source(warehouse, ORDERS, landing)
    assert (report.rows_loaded, report.rows_quarantined, report.blocked) == (40, 1, [])
    [(file, row, rule, raw)] = rows(
        warehouse, "SELECT _source_file, _source_row, rule, raw_row ->> 'amount' FROM quarantine.orders"
    )
    assert (file, row, rule, raw) == ("orders/a.csv", 41, "range:amount", "-5")
    assert rows(warehouse, "SELECT rows, rows_quarantined FROM ingest.file_ledger") == [(40, 1)]


def test_duplicate_keys_within_a_file_are_quarantined(landing, warehouse):
    good = [f"O{i},C{i},2024-03-01,completed,USD,{i},,," for i in range(1, 41)]
    write_csv(landing / "orders" / "a.csv", HEADER, *good, "O1,C1,2024-03-02,completed,USD,99,,,")
    report = ingest_source(warehouse, ORDERS, landing)
    assert report.rows_quarantined == 2
    assert rows(warehouse, "SELECT DISTINCT rule FROM quarantine.orders") == [("duplicate_key",)]


def test_a_sharp_volume_drop_blocks_the_file(landing, warehouse):
    for day in (1, 2, 3):
        write_csv(
            landing / "orders" / f"2024-03-0{day}.csv",
            HEADER,
            *[f"O{day}-{i},C{i},2024-03-0{day},completed,USD,1,,," for i in range(20)],
        )
        assert ingest_source(warehouse, ORDERS, landing).blocked == []
    write_csv(landing / "orders" / "2024-03-04.csv", HEADER, "O4-1,C1,2024-03-04,completed,USD,1,,,")
    problem = only_problem(ingest_source(warehouse, ORDERS, landing))
    assert problem.startswith("orders/2024-03-04.csv: 1.0 rows per event day against a trailing average of 20.0")
    assert "(rule: volume_drop)" in problem


def test_an_empty_file_is_blocked(landing, warehouse):
    (landing / "support_tickets").mkdir()
    (landing / "support_tickets" / "empty.csv").write_text("")
    assert "support_tickets/empty.csv: the file is empty" in only_problem(
        ingest_source(warehouse, SUPPORT_TICKETS, landing)
    )


def test_the_files_of_a_run_are_merged_all_or_none(landing, warehouse, monkeypatch):
    from orchestration.lib.ingest import ledger

    write_csv(landing / "orders" / "a.csv", HEADER, "O1,C1,2024-03-01,completed,USD,10,,,")
    write_csv(landing / "orders" / "b.csv", HEADER, "O2,C2,2024-03-02,completed,USD,20,,,")
    record_delivery, calls = ledger.record_delivery, []

    def failing_on_the_second_file(connection, **delivery):
        calls.append(delivery["path"])
        if len(calls) == 2:
            raise OSError("disk full")
        record_delivery(connection, **delivery)

    monkeypatch.setattr(ledger, "record_delivery", failing_on_the_second_file)
    with pytest.raises(OSError, match="disk full"):
        ingest_source(warehouse, ORDERS, landing)
    # The first file's rows were inserted before the failure, and rolled back with the rest.
    assert rows(warehouse, "SELECT count(*) FROM shop.orders UNION ALL SELECT count(*) FROM ingest.file_ledger") == [
        (0,),
        (0,),
    ]
    monkeypatch.setattr(ledger, "record_delivery", record_delivery)
    report = ingest_source(warehouse, ORDERS, landing)
    assert (report.count("loaded"), report.table_rows) == (2, 2)


def test_sources_ingested_side_by_side_read_naive_times_as_utc_whatever_the_host_zone(landing, tmp_path, monkeypatch):
    import time

    from orchestration.lib.ingest.load import ingest_sources
    from orchestration.lib.warehouse.connection import connect

    # The cursors each source runs on start from DuckDB's defaults, the host's zone among them.
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        connection = connect(tmp_path / "zoned.duckdb")
        write_csv(landing / "orders" / "a.csv", HEADER, "O1,C1,2024-03-02 09:30:00,completed,USD,7,,,")
        write_csv(
            landing / "support_tickets" / "t.csv",
            "ticket_id,customer_id,created_at,first_response_at,resolved_at,status,channel,csat_score",
            "T1,C1,2024-03-02 10:00:00,2024-03-02 11:00:00,,open,email,",
        )
        outcomes = ingest_sources(connection, [ORDERS, SUPPORT_TICKETS], landing)
        assert [(report.source, report.rows_loaded, then) for report, then in outcomes] == [
            (ORDERS, 1, None),
            (SUPPORT_TICKETS, 1, None),
        ]
        assert rows(
            connection, "SELECT ordered_at FROM shop.orders UNION ALL SELECT created_at FROM support.tickets"
        ) == [(datetime(2024, 3, 2, 9, 30),), (datetime(2024, 3, 2, 10, 0),)]
        assert rows(connection, "SELECT source, path FROM ingest.file_ledger ORDER BY 1") == [
            ("orders", "orders/a.csv"),
            ("support_tickets", "support_tickets/t.csv"),
        ]
        connection.close()
    finally:
        monkeypatch.undo()
        time.tzset()


def test_gx_is_loaded_once_when_sources_ask_for_it_side_by_side(monkeypatch):
    import time
    from concurrent.futures import ThreadPoolExecutor

    from orchestration.lib.ingest import expectations

    loads = []

    def load():
        loads.append(1)
        return "gx", "context"

    class SlowToStart(ThreadPoolExecutor):  # widens the window in which two threads could both start
        def __init__(self, *args, **kwargs):
            time.sleep(0.1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(expectations, "_load_context", load)
    monkeypatch.setattr(expectations, "ThreadPoolExecutor", SlowToStart)
    expectations._start_loading.cache_clear()
    try:
        with ThreadPoolExecutor(max_workers=4) as sources:
            futures = list(sources.map(lambda _: expectations._loading_context(), range(4)))
        assert len(set(map(id, futures))) == 1
        assert futures[0].result() == ("gx", "context") and loads == [1]
    finally:
        expectations._start_loading.cache_clear()


def test_ids_lose_surrounding_spaces_and_free_text_keeps_its_line_breaks(landing, warehouse):
    write_csv(landing / "orders" / "a.csv", HEADER, "  O1 , C1  ,2024-03-01,completed,USD,10,,,")
    write_csv(
        landing / "survey_responses" / "a.csv",
        "response_id,customer_id,responded_at,survey_type,score,comment",
        'R1,C1,2024-03-01,nps,9,"Line one\nline two\twith a tab"',
    )
    ingest_source(warehouse, ORDERS, landing)
    ingest_source(warehouse, SURVEY_RESPONSES, landing)
    assert rows(warehouse, "SELECT order_id, customer_id FROM shop.orders") == [("O1", "C1")]
    assert rows(warehouse, "SELECT comment FROM surveys.responses") == [("Line one\nline two\twith a tab",)]


def test_a_file_blocked_again_keeps_one_record_with_its_first_and_last_time(landing, warehouse):
    write_csv(landing / "orders" / "bad.csv", "order_id,ordered_at", "O1,2024-03-01")
    first = only_problem(ingest_source(warehouse, ORDERS, landing))
    again = only_problem(ingest_source(warehouse, ORDERS, landing))
    [(blocked_at, last_blocked_at, times)] = rows(
        warehouse, "SELECT blocked_at, last_blocked_at, times_blocked FROM ingest.blocked_files"
    )
    assert "still blocked" not in first
    assert again.startswith(first) and f"[still blocked: the same file since {blocked_at:%Y-%m-%d %H:%M} UTC]" in again
    assert times == 2 and last_blocked_at >= blocked_at
    # Corrected (new content), it is a new version: loaded, and the blocked record of the old one stays.
    write_csv(landing / "orders" / "bad.csv", HEADER, "O1,C1,2024-03-01,completed,USD,10,,,")
    assert ingest_source(warehouse, ORDERS, landing).blocked == []
    assert rows(warehouse, "SELECT count(*) FROM ingest.blocked_files") == [(1,)]


def test_a_skipped_file_is_reported_and_left_unread_until_it_changes(landing, warehouse):
    from orchestration.lib.ingest import ledger
    from orchestration.lib.ingest.discover import file_sha256

    bad = write_csv(landing / "orders" / "bad.csv", "order_id,ordered_at", "O1,2024-03-01")
    ledger.ensure_ledger(warehouse)
    ledger.skip_version(warehouse, source="orders", path="orders/bad.csv", sha256=file_sha256(bad), reason="known bad")
    report = ingest_source(warehouse, ORDERS, landing)
    assert [(f.path, f.action) for f in report.files] == [("orders/bad.csv", "skipped")]
    assert rows(warehouse, "SELECT count(*) FROM ingest.blocked_files") == [(0,)]
    write_csv(bad, HEADER, "O1,C1,2024-03-01,completed,USD,10,,,")
    assert [f.action for f in ingest_source(warehouse, ORDERS, landing).files] == ["loaded"]


def test_what_no_source_reads_in_the_landing_folder_is_listed(landing):
    from orchestration.lib.ingest.discover import Stray, strays

    write_csv(landing / "refunds" / "r.csv", "refund_id", "R1")
    write_csv(landing / "stray.csv", "a", "1")
    write_csv(landing / "orders" / "2024-03.xlsx", "a", "1")
    write_csv(landing / "orders" / "2024-03.csv", HEADER)
    (landing / ".gitkeep").touch()
    (landing / "orders" / ".2024-04.csv.swp").touch()
    assert strays(landing, SOURCES) == [
        Stray(
            "refunds/",
            "not a source folder (one of: fx_rates, marketing_spend, orders, support_tickets, survey_responses)",
            None,
        ),
        Stray("stray.csv", "a file at the landing root: files go into a source folder", None),
        Stray("orders/2024-03.xlsx", "not a file type the pipeline reads (.csv, .jsonl, .ndjson, .parquet)", "orders"),
    ]


TICKETS_HEADER = "ticket_id,customer_id,created_at,first_response_at,resolved_at,status,channel,csat_score"


def _tickets(ids) -> list[str]:
    return [f"T{i},{customer},2024-03-02 10:00:00,,,new,chat," for i, customer in enumerate(ids)]


def test_a_prospects_ticket_is_kept(landing, warehouse):
    write_csv(landing / "orders" / "a.csv", HEADER, *[f"O{i},C{i},2024-03-01,completed,USD,10,,," for i in range(30)])
    write_csv(landing / "support_tickets" / "a.csv", TICKETS_HEADER, *_tickets([f"C{i}" for i in range(29)] + ["P1"]))
    ingest_source(warehouse, ORDERS, landing)
    report = ingest_source(warehouse, SUPPORT_TICKETS, landing)
    assert report.blocked == [] and report.rows_loaded == 30


def test_a_delivery_that_names_mostly_unknown_customers_is_blocked(landing, warehouse):
    write_csv(landing / "orders" / "a.csv", HEADER, *[f"O{i},{i},2024-03-01,completed,USD,10,,," for i in range(30)])
    emails = [f"person{i}@example.com" for i in range(25)]
    write_csv(
        landing / "support_tickets" / "helpdesk.csv", TICKETS_HEADER, *_tickets(emails + ["1", "2", "3", "4", "5"])
    )
    ingest_source(warehouse, ORDERS, landing)
    problem = only_problem(ingest_source(warehouse, SUPPORT_TICKETS, landing))
    assert problem == (
        "support_tickets/helpdesk.csv: 25 of 30 rows (83.3%) name a customer_id that no order carries, more than the "
        "20% allowed: do the ids of this system match the shop's (e-mails in one, numeric ids in the other?); "
        "e.g. 'person0@example.com', 'person10@example.com', 'person11@example.com' (rule: unknown_customers)"
    )
    assert rows(warehouse, "SELECT count(*) FROM support.tickets") == [(0,)]


def test_without_any_order_every_id_is_a_prospects_and_nothing_is_blocked(landing, warehouse):
    write_csv(landing / "support_tickets" / "a.csv", TICKETS_HEADER, *_tickets([f"P{i}" for i in range(30)]))
    report = ingest_source(warehouse, SUPPORT_TICKETS, landing)
    assert report.blocked == [] and report.rows_loaded == 30


def test_new_customers_delivered_with_their_first_tickets_are_known(landing, tmp_path):
    """Orders and tickets of the same run are ingested side by side; the tickets wait for the orders'
    merge before their customers are counted."""
    from orchestration.lib.ingest.load import ingest_sources
    from orchestration.lib.warehouse.connection import connect

    write_csv(landing / "orders" / "a.csv", HEADER, *[f"O{i},N{i},2024-03-01,completed,USD,10,,," for i in range(30)])
    write_csv(landing / "support_tickets" / "a.csv", TICKETS_HEADER, *_tickets([f"N{i}" for i in range(30)]))
    connection = connect(tmp_path / "side_by_side.duckdb")
    reports = ingest_sources(connection, [SUPPORT_TICKETS, ORDERS], landing)
    assert [(report.source, report.blocked, report.rows_loaded) for report, _ in reports] == [
        (SUPPORT_TICKETS, [], 30),
        (ORDERS, [], 30),
    ]
    connection.close()
