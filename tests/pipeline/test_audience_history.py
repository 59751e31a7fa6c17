"""Lifecycle audiences across runs: each run's changes are its members against the run before's, the history
survives a full refresh (a past date's build leaves it alone too: test_as_of.py), and a CRM webhook receives
every change exactly once, even when it was down for a run or answered 500 first. A real HTTP server on
127.0.0.1 stands in for the CRM."""

import json
import socket
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb
import pandas as pd
import pytest

from orchestration.cli.launch import full_refresh_config
from tests.helpers import run_lifecycle_job
from tools.fingerprint import fingerprints
from tools.sample_data import generate, hold_back_day

HELD_BACK = ("2025-12-29", "2025-12-30", "2025-12-31")
HISTORY = "history.audience_membership_changes"


class CRM(ThreadingHTTPServer):
    """Accepts each idempotency key once; answers the statuses queued in `failures` first (500, say)."""

    def __init__(self):
        self.accepted: dict[str, dict] = {}
        self.requests: list[str] = []
        self.failures: list[int] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/audiences"

    def changes(self) -> Counter:
        """(run, audience, customer, change) -> how many times the CRM accepted it."""
        return Counter(
            (body["run_id"], body["audience"], change["customer_id"], change["change"])
            for body in self.accepted.values()
            for change in body["changes"]
        )


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        key = self.headers["Idempotency-Key"]
        with self.server.lock:
            self.server.requests.append(key)
            status = self.server.failures.pop(0) if self.server.failures else 200
            if status == 200:
                self.server.accepted.setdefault(key, body)
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def crm():
    server = CRM()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _dead_endpoint() -> str:
    with socket.socket() as probe:  # a port nothing listens on once the probe closes it
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/audiences"


def _published(serving, mart: str) -> pd.DataFrame:
    with duckdb.connect(str(serving), read_only=True) as connection:
        return connection.execute(f"SELECT * FROM marts.{mart}").df()


def _history(warehouse) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(f"SELECT * FROM {HISTORY} ORDER BY run_started_at").df()


def _pairs(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(frame["audience"], frame["customer_id"], strict=True))


def test_audience_changes_are_kept_published_and_delivered_once(tmp_path, monkeypatch, crm):
    landing, later = tmp_path / "landing", tmp_path / "later"
    generate(landing, customers=400, seed=5)
    for day in HELD_BACK:
        hold_back_day(landing, day, later)
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving" / "lifecycle.duckdb"
    monkeypatch.setenv("LIFECYCLE_LANDING_DIR", str(landing))
    monkeypatch.setenv("LIFECYCLE_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("LIFECYCLE_SERVING", str(serving))
    monkeypatch.setenv("LIFECYCLE_AUDIENCE_BATCH_SIZE", "25")
    monkeypatch.setenv("LIFECYCLE_AUDIENCE_WEBHOOK_ATTEMPTS", "3")
    monkeypatch.setenv("LIFECYCLE_AUDIENCE_WEBHOOK_BACKOFF_SECONDS", "0.01")

    # Run 1, the CRM down: the marts and the audiences' files are published; only the delivery fails.
    dead_endpoint = _dead_endpoint()
    monkeypatch.setenv("LIFECYCLE_AUDIENCE_WEBHOOK", dead_endpoint)
    first = run_lifecycle_job()
    assert not first.success
    failures = [event for event in first.all_events if event.is_step_failure]
    assert [event.step_key for event in failures] == ["audience_webhook"]
    message = failures[0].step_failure_data.user_failure_data.description
    assert dead_endpoint in message and "next run" in message
    members_before = _published(serving, "audience_members")
    for audience in members_before["audience"].unique():
        files = serving.parent / "audiences" / audience
        assert len(pd.read_csv(files / "members.csv")) == (members_before["audience"] == audience).sum()
        assert _pairs(pd.read_parquet(files / "changes.parquet").assign(audience=audience)) == _pairs(
            members_before[members_before["audience"] == audience]
        )
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM delivery.audience_webhook_batches").fetchall() == [(0,)]
    assert set(fingerprints(serving)) >= {"audiences", "audience_members", "audience_changes", "customers"}

    # Run 2, three more days delivered, the CRM up but answering its first request with a 500.
    for folder in later.iterdir():
        for file in folder.iterdir():
            (landing / folder.name / file.name).write_bytes(file.read_bytes())
    monkeypatch.setenv("LIFECYCLE_AUDIENCE_WEBHOOK", crm.url)
    crm.failures = [500]
    second = run_lifecycle_job()
    assert second.success
    members_after = _published(serving, "audience_members")
    changes = _published(serving, "audience_changes")
    entered, exited = _pairs(members_after) - _pairs(members_before), _pairs(members_before) - _pairs(members_after)
    assert entered and exited, "three more days move some customers in and some out"
    assert _pairs(changes[changes["change"] == "entered"]) == entered
    assert _pairs(changes[changes["change"] == "exited"]) == exited
    as_of_before, as_of_after = members_before["as_of_date"].iloc[0], members_after["as_of_date"].iloc[0]
    stayed = members_after.merge(members_before[["audience", "customer_id"]], on=["audience", "customer_id"])
    assert (stayed["member_since"] == as_of_before).all() and len(stayed) > 0
    newcomers = members_after[members_after.set_index(["audience", "customer_id"]).index.isin(entered)]
    assert (newcomers["member_since"] == as_of_after).all()
    # The CRM accepted both runs' changes, each once: run 1's owed since its failed delivery, then run 2's.
    history = _history(warehouse)
    expected = Counter(
        (row.run_id, row.audience, row.customer_id, row.change) for row in history.itertuples(index=False)
    )
    assert crm.changes() == expected and set(expected.values()) == {1}
    assert len(crm.requests) == len(crm.accepted) + 1  # the one 500, retried under the same key
    assert history["run_id"].nunique() == 2
    # Dagster shows each audience's size and changes, and what the webhook delivered, as metadata.
    materialized = {
        event.asset_key.to_user_string(): event.materialization.metadata
        for event in second.get_asset_materialization_events()
    }
    for audience, group in members_after.groupby("audience"):
        metadata = materialized[f"audiences/{audience}"]
        assert metadata["members"].value == len(group)
        assert metadata["entered"].value == (changes[changes["audience"] == audience]["change"] == "entered").sum()
    delivered = materialized["audience_webhook"]
    assert delivered["changes"].value == len(history) and delivered["endpoint"].value == crm.url
    sizes = _published(serving, "audience_sizes")
    assert sorted(sizes["as_of_date"].unique()) == sorted({as_of_before, as_of_after})

    # Run 3, a full refresh of the same files: the history stays, nothing changed, nothing is sent again.
    requests = len(crm.requests)
    assert run_lifecycle_job(run_config=full_refresh_config()).success
    assert len(_history(warehouse)) == len(history)
    assert _published(serving, "audience_changes").empty
    assert len(crm.requests) == requests
