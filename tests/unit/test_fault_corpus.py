"""The bad-input corpus at the door: each case states the message, what is quarantined and what loads.

Row-level problems quarantine (the good rows proceed); file-level problems block the file (nothing of
it is merged). Pipeline-level faults (dbt, Python, locks, publishing) are in test_pipeline_faults.py.
"""

from dataclasses import dataclass

import pytest

from orchestration.lib.ingest.contract import ORDERS, SUPPORT_TICKETS, SURVEY_RESPONSES
from orchestration.lib.ingest.gates import Thresholds
from orchestration.lib.ingest.load import ingest_source
from orchestration.lib.warehouse.connection import connect

ORDERS_HEADER = "order_id,customer_id,ordered_at,status,currency,amount"
GOOD_ORDERS = [f"O{i},C{i},2024-03-01T10:00:00Z,completed,USD,{i}.50" for i in range(1, 41)]
TICKETS_HEADER = "ticket_id,customer_id,created_at,first_response_at,resolved_at,status,channel,csat_score"
GOOD_TICKETS = [
    f"T{i},C{i},2024-03-01 10:00:00,2024-03-01 11:00:00,2024-03-02 10:00:00,solved,email,5" for i in range(1, 41)
]
SURVEYS_HEADER = "response_id,customer_id,responded_at,survey_type,score"
GOOD_SURVEYS = [f"R{i},C{i},2024-03-01 10:00:00,nps,9" for i in range(1, 41)]


@dataclass
class Case:
    name: str
    source: object
    content: bytes
    quarantined: dict | None = None  # rule -> rows, when the file loads
    blocked: tuple[str, str] | None = None  # (rule, message fragment), when it is blocked
    loaded_rows: int = 40
    thresholds: Thresholds = Thresholds()


def csv(header: str, rows: list[str]) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


CASES = [
    Case(
        "duplicate order key",
        ORDERS,
        csv(ORDERS_HEADER, GOOD_ORDERS + ["O1,C9,2024-03-02,completed,USD,1"]),
        quarantined={"duplicate_key": 2},
        loaded_rows=39,
    ),
    Case(
        "null customer id",
        ORDERS,
        csv(ORDERS_HEADER, GOOD_ORDERS + ["O99,,2024-03-02,completed,USD,1"]),
        quarantined={"not_null:customer_id": 1},
    ),
    Case(
        "NPS of 11",
        SURVEY_RESPONSES,
        csv(SURVEYS_HEADER, GOOD_SURVEYS + ["R99,C1,2024-03-01,nps,11"]),
        quarantined={"range:score": 1},
    ),
    Case(
        "negative amount",
        ORDERS,
        csv(ORDERS_HEADER, GOOD_ORDERS + ["O99,C1,2024-03-02,completed,USD,-3"]),
        quarantined={"range:amount": 1},
    ),
    Case(
        "amount as text 12,50",
        ORDERS,
        csv(ORDERS_HEADER, GOOD_ORDERS + ['O99,C1,2024-03-02,completed,USD,"12,50"']),
        quarantined={"type:amount": 1},
    ),
    Case(
        "unknown currency",
        ORDERS,
        csv(ORDERS_HEADER, GOOD_ORDERS + ["O99,C1,2024-03-02,completed,USX,3"]),
        quarantined={"accepted_values:currency": 1},
    ),
    Case(
        "timestamp in the far future",
        ORDERS,
        csv(ORDERS_HEADER, GOOD_ORDERS + ["O99,C1,2999-01-01,completed,USD,3"]),
        quarantined={"future:ordered_at": 1},
    ),
    Case(
        "ticket resolved before it was created",
        SUPPORT_TICKETS,
        csv(
            TICKETS_HEADER,
            GOOD_TICKETS + ["T99,C1,2024-03-05 10:00:00,2024-03-05 11:00:00,2024-03-04 10:00:00,solved,chat,"],
        ),
        quarantined={"order:resolved_at_before_created_at": 1},
    ),
    Case(
        "missing required column",
        ORDERS,
        csv("order_id,ordered_at,status,currency,amount", ["O1,2024-03-01,completed,USD,1"]),
        blocked=("required_columns", "missing required column(s): customer_id"),
    ),
    Case(
        "renamed column",
        ORDERS,
        csv("order_id,customer_id,ordered_at,status,currency,total", ["O1,C1,2024-03-01,completed,USD,1"]),
        blocked=("required_columns", "missing required column(s): amount"),
    ),
    Case(
        "too many bad rows",
        ORDERS,
        csv(ORDERS_HEADER, GOOD_ORDERS[:10] + ["O99,C1,2024-03-02,completed,USD,-3"]),
        blocked=("range:amount", "1 of 11 rows (9.1%) break the contract, more than the 5% allowed"),
    ),
    Case("empty file", ORDERS, b"", blocked=("readable_file", "the file is empty (not even a header)")),
    Case(
        "truncated CSV",
        ORDERS,
        csv(ORDERS_HEADER, GOOD_ORDERS)[:-25],
        blocked=("well_formed_csv", "is not well-formed CSV"),
    ),
    Case(
        "unterminated quotes",
        ORDERS,
        csv(ORDERS_HEADER, GOOD_ORDERS + ['O99,"C1,2024-03-02,completed,USD,1']),
        blocked=("well_formed_csv", "is not well-formed CSV"),
    ),
    Case(
        "Latin-1 bytes",
        ORDERS,
        csv(
            ORDERS_HEADER + ",channel",
            [r + ",web" for r in GOOD_ORDERS] + ["O99,C1,2024-03-02,completed,USD,1,caf\xe9"],
        ).replace(b"caf\xc3\xa9", b"caf\xe9"),
        blocked=("encoding", "is not UTF-8 encoded"),
    ),
    Case(
        "extra unknown column (accepted)",
        ORDERS,
        csv(ORDERS_HEADER + ",loyalty_tier", [r + ",gold" for r in GOOD_ORDERS]),
    ),
    Case("UTF-8 BOM (accepted)", ORDERS, b"\xef\xbb\xbf" + csv(ORDERS_HEADER, GOOD_ORDERS)),
    Case(
        "a NUL byte inside a customer id",
        ORDERS,
        csv(ORDERS_HEADER, GOOD_ORDERS + ["O99,C\x001,2024-03-02,completed,USD,1"]),
        quarantined={"control_characters:customer_id": 1},
    ),
    Case(
        "a line break inside a quoted order id",
        ORDERS,
        csv(ORDERS_HEADER, GOOD_ORDERS + ['"O\n99",C1,2024-03-02,completed,USD,1']),
        quarantined={"control_characters:order_id": 1},
    ),
    Case(
        "a tab before a channel label",
        ORDERS,
        csv(
            ORDERS_HEADER + ",channel",
            [r + ",email" for r in GOOD_ORDERS] + ["O99,C1,2024-03-02,completed,USD,1,\temail"],
        ),
        quarantined={"control_characters:channel": 1},
    ),
    Case(
        "a customer id of spaces only",
        ORDERS,
        csv(ORDERS_HEADER, GOOD_ORDERS + ["O99,   ,2024-03-02,completed,USD,1"]),
        quarantined={"not_null:customer_id": 1},
    ),
    Case(
        "line breaks and a tab in a free-text comment (accepted)",
        SURVEY_RESPONSES,
        csv(
            SURVEYS_HEADER + ",comment",
            [r + ",fine" for r in GOOD_SURVEYS[:-1]] + ['R40,C40,2024-03-01 10:00:00,nps,9,"Great.\nFast\tdelivery."'],
        ),
    ),
    Case(
        "a 2 MB comment (accepted)",
        SURVEY_RESPONSES,
        csv(
            SURVEYS_HEADER + ",comment",
            [r + ",fine" for r in GOOD_SURVEYS[:-1]] + ["R40,C40,2024-03-01 10:00:00,nps,9," + "x" * 2_500_000],
        ),
    ),
    Case(
        "a line longer than the configured limit",
        SURVEY_RESPONSES,
        csv(
            SURVEYS_HEADER + ",comment",
            [r + ",fine" for r in GOOD_SURVEYS[:-1]] + ["R40,C40,2024-03-01 10:00:00,nps,9," + "x" * 2_500_000],
        ),
        blocked=(
            "line_length",
            "longer than the limit of 2,200,000 bytes (a very long free-text field?): raise "
            "LIFECYCLE_CSV_MAX_LINE_BYTES",
        ),
        thresholds=Thresholds(max_line_bytes=2_200_000),
    ),
    Case(
        "a semicolon-delimited export",
        ORDERS,
        csv(ORDERS_HEADER.replace(",", ";"), [row.replace(",", ";") for row in GOOD_ORDERS]),
        blocked=(
            "required_columns",
            "missing required column(s): order_id, customer_id, ordered_at, status, currency, amount (the header "
            "looks semicolon-delimited",
        ),
    ),
    Case(
        "a semicolon export with decimal commas, as a spreadsheet saves it in many locales",
        ORDERS,
        csv(ORDERS_HEADER.replace(",", ";"), ["Z1;C1;2025-12-20T10:00:00;completed;USD;12,5"]),
        blocked=(
            "required_columns",
            "missing required column(s): order_id, customer_id, ordered_at, status, currency, amount (the header "
            "looks semicolon-delimited: 'order_id;customer_id;ordered_at;status;currency;amount', with decimal "
            "commas such as '12,5'; save the file comma-separated with decimal points ('12.5'): the pipeline reads "
            "no other delimiter or decimal mark)",
        ),
    ),
    Case(
        "a semicolon export with a decimal comma in some rows only",
        ORDERS,
        csv(
            ORDERS_HEADER.replace(",", ";"),
            ["Z1;C1;2025-12-20T10:00:00;completed;USD;1.234,5", "Z2;C2;2025-12-20T11:00:00;completed;USD;13"],
        ),
        blocked=(
            "well_formed_csv",
            "a row has the wrong number of fields or an unterminated quote (the header looks semicolon-delimited: "
            "'order_id;customer_id;ordered_at;status;currency;amount', with decimal commas such as '1.234,5'; save "
            "the file comma-separated with decimal points ('1234.5')",
        ),
    ),
    Case("header-only file (accepted, nothing to load)", ORDERS, csv(ORDERS_HEADER, []), loaded_rows=0),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input(case: Case, tmp_path):
    landing = tmp_path / "landing"
    (landing / case.source.folder).mkdir(parents=True)
    file = landing / case.source.folder / "delivery.csv"
    file.write_bytes(case.content)
    connection = connect(tmp_path / "warehouse.duckdb")
    report = ingest_source(connection, case.source, landing, case.thresholds)
    quarantine = dict(
        connection.execute(f"SELECT rule, count(*) FROM quarantine.{case.source.folder} GROUP BY 1").fetchall()
    )
    loaded = connection.execute(f"SELECT count(*) FROM {case.source.relation}").fetchall()[0][0]

    if case.blocked:
        rule, fragment = case.blocked
        [outcome] = report.blocked
        assert outcome.problem.startswith(f"{case.source.folder}/delivery.csv: ")
        assert fragment in outcome.problem and outcome.problem.endswith(f"(rule: {rule})"), outcome.problem
        assert (loaded, quarantine) == (0, {})
        assert connection.execute("SELECT rule FROM ingest.blocked_files").fetchall() == [(rule,)]
    else:
        assert report.blocked == []
        assert quarantine == (case.quarantined or {})
        assert loaded == case.loaded_rows
        if "extra" in case.name:
            assert report.files[0].extra_columns == ("loyalty_tier",)
    connection.close()


def test_quarantined_rows_keep_file_row_rule_and_the_raw_row(tmp_path):
    landing = tmp_path / "landing"
    (landing / "orders").mkdir(parents=True)
    (landing / "orders" / "march.csv").write_bytes(
        csv(ORDERS_HEADER, GOOD_ORDERS + ['O99,C1,2024-03-02,completed,USD,"12,50"'])
    )
    connection = connect(tmp_path / "warehouse.duckdb")
    ingest_source(connection, ORDERS, landing)
    [(file, row, rule, amount, order_id)] = connection.execute(
        "SELECT _source_file, _source_row, rule, raw_row ->> 'amount', raw_row ->> 'order_id' FROM quarantine.orders"
    ).fetchall()
    assert (file, row, rule, amount, order_id) == ("orders/march.csv", 41, "type:amount", "12,50", "O99")


def test_the_great_expectations_suite_catches_what_the_row_rules_also_catch():
    from datetime import datetime

    import pandas as pd

    from orchestration.lib.ingest.expectations import validate_batch

    frame = pd.DataFrame(
        {
            "ticket_id": ["T1", "T1"],
            "customer_id": ["C1", None],
            "created_at": pd.to_datetime(["2024-03-02", "2024-03-02"]),
            "first_response_at": pd.to_datetime(["2024-03-01", None]),
            "resolved_at": pd.to_datetime([None, "2099-01-01"]),
            "status": ["solved", "reopened"],
            "channel": ["email", "chat"],
            "priority": [None, None],
            "csat_score": [6, None],
        }
    )
    failures = {(f.expectation, f.column) for f in validate_batch(frame, SUPPORT_TICKETS, datetime(2024, 3, 10))}
    assert failures == {
        ("expect_column_values_to_be_unique", "ticket_id"),
        ("expect_column_values_to_not_be_null", "customer_id"),
        ("expect_column_values_to_be_in_set", "status"),
        ("expect_column_values_to_be_between", "csat_score"),
        ("expect_column_values_to_be_between", "resolved_at"),
        ("expect_column_pair_values_a_to_be_greater_than_b", "first_response_at"),
    }


def test_a_great_expectations_failure_blocks_every_file_of_the_run(tmp_path, monkeypatch):
    from orchestration.lib.ingest.expectations import ExpectationFailure

    landing = tmp_path / "landing"
    (landing / "orders").mkdir(parents=True)
    for name in ("a.csv", "b.csv"):
        (landing / "orders" / name).write_bytes(csv(ORDERS_HEADER, [f"{name}{r}" for r in GOOD_ORDERS]))
    monkeypatch.setattr(
        "orchestration.lib.ingest.gates.validate_batch",
        lambda *args, **kwargs: [ExpectationFailure("expect_column_values_to_be_between", "amount", 1, ["-1"])],
    )
    connection = connect(tmp_path / "warehouse.duckdb")
    report = ingest_source(connection, ORDERS, landing)
    assert [outcome.action for outcome in report.files] == ["blocked", "blocked"]
    assert report.blocked[0].problem.endswith("(rule: gx:expect_column_values_to_be_between)")
    assert connection.execute("SELECT count(*) FROM shop.orders").fetchall() == [(0,)]


def test_quarantined_rows_can_be_corrected_and_replayed(tmp_path):
    from orchestration.lib.ingest.quarantine import export_quarantine

    landing = tmp_path / "landing"
    (landing / "orders").mkdir(parents=True)
    (landing / "orders" / "march.csv").write_bytes(
        csv(ORDERS_HEADER, GOOD_ORDERS + ['O99,C1,2024-03-02,completed,USD,"12,50"'])
    )
    connection = connect(tmp_path / "warehouse.duckdb")
    ingest_source(connection, ORDERS, landing)
    fix = landing / "orders" / "march_fix.csv"
    assert export_quarantine(connection, ORDERS, fix) == 1
    fix.write_text(fix.read_text().replace('"12,50"', "12.50"))
    report = ingest_source(connection, ORDERS, landing)
    assert [(f.path, f.action, f.rows) for f in report.files if f.action != "unchanged"] == [
        ("orders/march_fix.csv", "loaded", 1)
    ]
    assert connection.execute("SELECT amount FROM shop.orders WHERE order_id = 'O99'").fetchall() == [(12.5,)]
