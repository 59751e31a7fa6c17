"""`check` judges a landing folder as ingest then does, and writes nothing: the oracle is a real ingest of the
same folder, against the same warehouse."""

import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.lib import settings
from orchestration.lib.ingest import ledger
from orchestration.lib.ingest.contract import SOURCES, SUPPORT_TICKETS
from orchestration.lib.ingest.discover import file_sha256
from orchestration.lib.ingest.gates import Thresholds
from orchestration.lib.ingest.landing_check import LandingNotFoundError, check_landing
from orchestration.lib.ingest.load import IngestReport, ingest_source, ingest_sources
from orchestration.lib.storage import Root
from orchestration.lib.warehouse.connection import connect
from tests.helpers import ORDERS_HEADER, warehouse_fingerprint, write_csv
from tests.unit.test_fault_corpus import CASES, Case

TICKETS_HEADER = "ticket_id,customer_id,created_at,first_response_at,resolved_at,status,channel,csat_score"


def outcomes(report: IngestReport) -> list[tuple]:
    """Everything a report says of each file, in path order."""
    return sorted(
        (f.path, f.action, f.rows, f.rows_quarantined, f.quarantined_by_rule, f.extra_columns, f.examples, f.problem)
        for f in report.files
    )


def rule_of(problem: str) -> str:
    return problem.rsplit("(rule: ", 1)[1].split(")", 1)[0]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_check_gives_each_fault_the_verdict_ingest_then_gives(case: Case, tmp_path):
    landing = tmp_path / "landing"
    (landing / case.source.folder).mkdir(parents=True)
    (landing / case.source.folder / "delivery.csv").write_bytes(case.content)
    verdict = check_landing(Root(str(landing)), tmp_path / "warehouse.duckdb", case.thresholds)
    [checked] = [report for report in verdict.reports if report.source == case.source]

    connection = connect(tmp_path / "warehouse.duckdb")
    ingested = ingest_source(connection, case.source, landing, case.thresholds)
    blocked_rules = [rule for (rule,) in connection.execute("SELECT rule FROM ingest.blocked_files").fetchall()]
    quarantined = dict(
        connection.execute(f"SELECT rule, count(*) FROM quarantine.{case.source.folder} GROUP BY 1").fetchall()
    )
    [(loaded,)] = connection.execute(f"SELECT count(*) FROM {case.source.relation}").fetchall()
    connection.close()

    assert outcomes(checked) == outcomes(ingested)
    assert [rule_of(outcome.problem) for outcome in verdict.blocked] == blocked_rules
    assert dict(rule for outcome in checked.files for rule in outcome.quarantined_by_rule) == quarantined
    assert checked.rows_loaded == loaded


def orders(prefix: str, customers: list[str], day: str = "2024-03-01") -> list[str]:
    return [f"{prefix}{i},{customer},{day},completed,USD,10,,," for i, customer in enumerate(customers)]


def tickets(prefix: str, customers: list[str]) -> list[str]:
    return [f"{prefix}{i},{customer},2024-03-02 10:00:00,,,new,chat," for i, customer in enumerate(customers)]


@pytest.fixture
def loaded(tmp_path) -> tuple[Path, Path]:
    """A landing folder and a warehouse into which a real ingest loaded it: three days of orders (the volume
    rule's history), tickets, a blocked file and a file skipped on purpose."""
    landing = tmp_path / "landing"
    customers = [f"C{i}" for i in range(40)]
    for day in ("01", "02", "03"):
        write_csv(
            landing / "orders" / f"2024-03-{day}.csv", ORDERS_HEADER, *orders(f"O{day}-", customers, f"2024-03-{day}")
        )
    write_csv(landing / "support_tickets" / "2024-03.csv", TICKETS_HEADER, *tickets("T", customers[:30]))
    write_csv(landing / "orders" / "no_customer_column.csv", "order_id,ordered_at", "X1,2024-03-04")
    skipped = write_csv(landing / "orders" / "known_bad.csv", "order_id", "X2")
    warehouse = tmp_path / "warehouse" / "warehouse.duckdb"
    connection = connect(warehouse)
    ledger.ensure_ledger(connection)
    ledger.skip_version(
        connection, source="orders", path="orders/known_bad.csv", sha256=file_sha256(skipped), reason="known bad"
    )
    ingest_sources(connection, list(SOURCES), landing)
    connection.close()
    return landing, warehouse


def deliver_the_next_day(landing: Path) -> None:
    """A new day of every kind: a changed file, a repeated one, a partial export, new customers with their
    first tickets, tickets naming another system's ids."""
    write_csv(landing / "orders" / "2024-03-03.csv", ORDERS_HEADER, *orders("O03-", ["C1", "C2"] * 20, "2024-03-03"))
    shutil.copy(landing / "orders" / "2024-03-01.csv", landing / "orders" / "resent.csv")
    write_csv(landing / "orders" / "2024-03-04.csv", ORDERS_HEADER, *orders("O04-", ["C1", "C2"], "2024-03-04"))
    write_csv(landing / "orders" / "new_customers.csv", ORDERS_HEADER, *orders("N", [f"N{i}" for i in range(40)] * 1))
    write_csv(landing / "support_tickets" / "new.csv", TICKETS_HEADER, *tickets("TN", [f"N{i}" for i in range(30)]))
    emails = [f"person{i}@example.com" for i in range(25)]
    write_csv(landing / "support_tickets" / "helpdesk.csv", TICKETS_HEADER, *tickets("TH", emails + ["C1"] * 5))


def test_against_a_warehouse_check_gives_the_verdicts_of_the_next_ingest(loaded, tmp_path):
    landing, warehouse = loaded
    deliver_the_next_day(landing)
    verdict = check_landing(Root(str(landing)), warehouse, Thresholds())
    connection = connect(warehouse)
    ingested = [report for report, _ in ingest_sources(connection, list(SOURCES), landing)]
    connection.close()

    assert [outcomes(report) for report in verdict.reports] == [outcomes(report) for report in ingested]
    actions = {f.path: f.action for report in verdict.reports for f in report.files}
    assert {path: action for path, action in actions.items() if action != "unchanged"} == {
        "orders/2024-03-03.csv": "reloaded",
        "orders/resent.csv": "duplicate",
        "orders/2024-03-04.csv": "blocked",  # volume_drop
        "orders/new_customers.csv": "loaded",
        "orders/no_customer_column.csv": "blocked",  # still blocked
        "orders/known_bad.csv": "skipped",
        "support_tickets/new.csv": "loaded",  # its customers arrive with the orders of the same run
        "support_tickets/helpdesk.csv": "blocked",  # unknown_customers
    }
    problems = sorted(outcome.problem for outcome in verdict.blocked)
    assert [rule_of(problem) for problem in problems] == ["volume_drop", "required_columns", "unknown_customers"]
    assert "[still blocked: the same file since" in problems[1]


def test_check_writes_nothing_to_the_warehouse_the_ledger_or_the_lake(loaded, tmp_path):
    landing, warehouse = loaded
    deliver_the_next_day(landing)
    before = warehouse_fingerprint(warehouse)
    verdict = check_landing(Root(str(landing)), warehouse, Thresholds())
    assert verdict.blocked and any(report.rows_loaded for report in verdict.reports)
    assert warehouse_fingerprint(warehouse) == before
    assert not settings.lake_dir().exists()  # the test's own lake folder (tests/conftest.py)


def test_without_a_warehouse_check_judges_as_a_first_run_and_creates_none(tmp_path):
    landing = tmp_path / "landing"
    write_csv(landing / "orders" / "a.csv", ORDERS_HEADER, *orders("O", ["C1", "C2"]))
    warehouse = tmp_path / "warehouse" / "warehouse.duckdb"
    verdict = check_landing(Root(str(landing)), warehouse, Thresholds())
    assert verdict.warehouse is None
    assert [(f.path, f.action, f.rows) for r in verdict.reports for f in r.files] == [("orders/a.csv", "loaded", 2)]
    assert not warehouse.parent.exists()


def test_check_lists_what_no_source_reads(tmp_path):
    landing = tmp_path / "landing"
    write_csv(landing / "refunds" / "r.csv", "refund_id", "R1")
    write_csv(landing / "orders" / "2024-03.xlsx", "a", "1")
    verdict = check_landing(Root(str(landing)), tmp_path / "warehouse.duckdb", Thresholds())
    assert [(stray.path, stray.source) for stray in verdict.strays] == [
        ("refunds/", None),
        ("orders/2024-03.xlsx", "orders"),
    ]
    assert not verdict.blocked


def test_a_missing_landing_folder_is_an_error_not_an_empty_verdict(tmp_path):
    with pytest.raises(LandingNotFoundError, match=f"No landing folder at {tmp_path / 'nowhere'}"):
        check_landing(Root(str(tmp_path / "nowhere")), tmp_path / "warehouse.duckdb", Thresholds())


def test_a_warehouse_made_before_the_ledger_gained_columns_is_read(tmp_path):
    """The ledger's copy is by column name: an older warehouse lacks the columns added since."""
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("CREATE SCHEMA ingest")
        connection.execute(
            "CREATE TABLE ingest.blocked_files (source VARCHAR, path VARCHAR, sha256 VARCHAR, rule VARCHAR, "
            "detail VARCHAR, blocked_at TIMESTAMP)"
        )
        connection.execute(
            "INSERT INTO ingest.blocked_files VALUES ('orders', 'orders/a.csv', NULL, 'x', 'y', '2024-03-01')"
        )
    landing = tmp_path / "landing"
    write_csv(landing / SUPPORT_TICKETS.folder / "a.csv", TICKETS_HEADER, *tickets("T", ["C1"]))
    verdict = check_landing(Root(str(landing)), warehouse, Thresholds())
    assert [f.action for r in verdict.reports for f in r.files] == ["loaded"]


def test_a_great_expectations_failure_blocks_every_new_file_of_the_source_as_in_a_run(tmp_path, monkeypatch):
    from orchestration.lib.ingest.expectations import ExpectationFailure

    landing = tmp_path / "landing"
    for name in ("a", "b"):
        write_csv(landing / "orders" / f"{name}.csv", ORDERS_HEADER, *orders(f"{name}-", ["C1", "C2"]))
    monkeypatch.setattr(
        "orchestration.lib.ingest.gates.validate_batch",
        lambda *args, **kwargs: [ExpectationFailure("expect_column_values_to_be_between", "amount", 1, ["-1"])],
    )
    verdict = check_landing(Root(str(landing)), tmp_path / "warehouse.duckdb", Thresholds())
    assert [rule_of(outcome.problem) for outcome in verdict.blocked] == ["gx:expect_column_values_to_be_between"] * 2
