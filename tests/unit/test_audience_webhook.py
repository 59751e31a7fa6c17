"""Lifecycle audience changes reach a CRM webhook once per batch. The batches come from a real DuckDB change log
built by hand, and go to a real HTTP server on 127.0.0.1 that the test starts; nothing is sent anywhere else."""

import dataclasses
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb
import pytest

from orchestration.lib.publish.audience_batches import LEDGER, pending_batches
from orchestration.lib.publish.webhook import AudienceWebhook, DeliveryError, deliver, redacted
from orchestration.lib.settings import audience_webhook

TOKEN = "s3cret-token-never-shown"
MONDAY = datetime(2025, 3, 3, 6, 0)


@dataclass
class Reply:
    status: int = 200
    text: str = '{"accepted": true}'
    delay: float = 0.0  # seconds before answering
    headers: dict[str, str] = field(default_factory=dict)


class Crm:
    """A webhook endpoint: keeps every request, accepts each idempotency key once (a key seen again is answered
    as before, not accepted twice), and answers a key's requests as planned, then with a 200."""

    def __init__(self):
        self.url = ""
        self.requests: list[tuple[str, str | None, dict]] = []  # idempotency key, Authorization, body
        self.accepted: dict[str, dict] = {}  # idempotency key -> body
        self.gets: list[str] = []
        self.plan: dict[str, list[Reply]] = {}
        self.lock = threading.Lock()

    def answer(self, key: str, authorization: str | None, body: dict) -> Reply:
        with self.lock:
            self.requests.append((key, authorization, body))
            planned = self.plan.get(key, [])
            reply = planned.pop(0) if planned else Reply()
            if 200 <= reply.status < 300:
                self.accepted.setdefault(key, body)
            return reply

    def keys(self) -> list[str]:
        return [key for key, _, _ in self.requests]


def _handler(crm: Crm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            reply = crm.answer(self.headers["Idempotency-Key"], self.headers["Authorization"], body)
            time.sleep(reply.delay)
            self._reply(reply)

        def do_GET(self):  # where a followed redirect would land
            crm.gets.append(self.path)
            self._reply(Reply())

        def _reply(self, reply: Reply):
            text = reply.text.encode()
            try:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)
            except OSError:
                pass  # the client stopped waiting

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def crm(request):
    crm = Crm()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(crm))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()
        thread.join()

    request.addfinalizer(stop)
    crm.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/audiences"
    return crm


@pytest.fixture
def dead_url():
    """A URL on 127.0.0.1 where nothing listens: a port just handed out by the system, and let go."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks/audiences?api_key=query-secret"


@pytest.fixture
def warehouse(tmp_path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    connection.execute("CREATE SCHEMA history")
    connection.execute(
        """
        CREATE TABLE history.audience_membership_changes (
            run_id VARCHAR, run_started_at TIMESTAMP, as_of_date DATE, audience VARCHAR, customer_id VARCHAR,
            change VARCHAR, reason VARCHAR, value_at_stake DECIMAL(18, 2), member_since DATE
        )
        """
    )
    yield connection
    connection.close()


def append_run(warehouse, run_id: str, started_at: datetime, changes: list[tuple[str, str, str]]) -> list[dict]:
    """Append one dbt run's changes, each (audience, customer_id, change), to the change log; returns them as
    the webhook should send them."""
    rows = [
        [
            run_id,
            started_at,
            started_at.date() - timedelta(days=1),
            audience,
            customer,
            change,
            f"{change} by rule {number}",
            Decimal(100 + number) + Decimal("0.50"),
            started_at.date() if change == "entered" else None,
        ]
        for number, (audience, customer, change) in enumerate(changes)
    ]
    warehouse.executemany("INSERT INTO history.audience_membership_changes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return [
        {
            "audience": audience,
            "customer_id": customer,
            "change": change,
            "reason": reason,
            "value_at_stake": str(value),
            "member_since": since.isoformat() if since else None,
        }
        for _, _, _, audience, customer, change, reason, value, since in rows
    ]


FIVE_CHANGES = [
    ("win_back", "c05", "entered"),
    ("win_back", "c01", "exited"),
    ("win_back", "c03", "entered"),
    ("win_back", "c02", "entered"),
    ("win_back", "c04", "exited"),
]


def webhook(url: str, **settings) -> AudienceWebhook:
    return AudienceWebhook(
        **{"url": url, "token": TOKEN, "batch_size": 2, "attempts": 3, "backoff_seconds": 0.25, **settings}
    )


def deliver_pending(warehouse, settings: AudienceWebhook, sleeps: list[float] | None = None):
    batches = pending_batches(warehouse, settings.batch_size)
    return deliver(warehouse, settings, batches, sleep=(sleeps if sleeps is not None else []).append)


def sent_changes(bodies) -> list[dict]:
    return [{"audience": body["audience"], **change} for body in bodies for change in body["changes"]]


def by_customer(changes: list[dict]) -> list[dict]:
    return sorted(changes, key=lambda change: (change["audience"], change["customer_id"]))


def ledger(warehouse) -> list[tuple]:
    return warehouse.execute(
        f"SELECT idempotency_key, batch, batches, rows, status_code FROM {LEDGER} ORDER BY delivered_at, batch"
    ).fetchall()


def test_every_change_is_delivered_once_in_batches_cut_by_change_and_customer(warehouse, crm):
    expected = append_run(warehouse, "run-1", MONDAY, FIVE_CHANGES)

    report = deliver_pending(warehouse, webhook(crm.url))

    keys = ["run-1:win_back:1", "run-1:win_back:2", "run-1:win_back:3"]
    assert crm.keys() == keys
    bodies = [crm.accepted[key] for key in keys]
    assert by_customer(sent_changes(bodies)) == by_customer(expected)
    assert [[c["customer_id"] for c in body["changes"]] for body in bodies] == [["c02", "c03"], ["c05", "c01"], ["c04"]]
    assert [(body["batch"], body["batches"], body["run_id"], body["as_of_date"]) for body in bodies] == [
        (number, 3, "run-1", "2025-03-02") for number in (1, 2, 3)
    ]
    assert ledger(warehouse) == [
        ("run-1:win_back:1", 1, 3, 2, 200),
        ("run-1:win_back:2", 2, 3, 2, 200),
        ("run-1:win_back:3", 3, 3, 1, 200),
    ]
    assert dataclasses.asdict(report)["audiences"] == {
        "win_back": {
            "batches": 3,
            "changes": 5,
            "retries": 0,
            "last_status": 200,
            "last_response": '{"accepted": true}',
        }
    }

    deliver_pending(warehouse, webhook(crm.url))
    assert len(crm.requests) == 3, "a second call re-sent acknowledged batches"


def test_a_batch_answered_500_then_200_is_sent_again_under_its_key_and_recorded_once(warehouse, crm):
    append_run(warehouse, "run-1", MONDAY, FIVE_CHANGES)
    crm.plan["run-1:win_back:1"] = [Reply(500, "try later")]
    sleeps = []

    report = deliver_pending(warehouse, webhook(crm.url, batch_size=10), sleeps)

    assert crm.keys() == ["run-1:win_back:1", "run-1:win_back:1"]
    assert crm.requests[0][2] == crm.requests[1][2], "the retry sent another body"
    assert list(crm.accepted) == ["run-1:win_back:1"]
    assert ledger(warehouse) == [("run-1:win_back:1", 1, 1, 5, 200)]
    assert sleeps == [0.25]
    assert report.audiences["win_back"].retries == 1

    deliver_pending(warehouse, webhook(crm.url, batch_size=10))
    assert len(crm.requests) == 2


def test_a_batch_whose_answer_times_out_is_sent_again_and_accepted_once(warehouse, crm):
    append_run(warehouse, "run-1", MONDAY, FIVE_CHANGES)
    crm.plan["run-1:win_back:1"] = [Reply(200, delay=3.0)]  # accepted, but answered too late
    sleeps = []

    deliver_pending(warehouse, webhook(crm.url, batch_size=10, timeout_seconds=0.5), sleeps)

    assert crm.keys() == ["run-1:win_back:1", "run-1:win_back:1"]
    assert len(crm.accepted) == 1
    assert ledger(warehouse) == [("run-1:win_back:1", 1, 1, 5, 200)]
    assert sleeps == [0.25]


def test_a_dead_endpoint_raises_naming_it_redacted_and_a_later_call_delivers_everything_once(warehouse, crm, dead_url):
    expected = append_run(warehouse, "run-1", MONDAY, FIVE_CHANGES)
    sleeps = []

    with pytest.raises(DeliveryError) as raised:
        deliver_pending(warehouse, webhook(dead_url), sleeps)

    message = str(raised.value)
    assert redacted(dead_url) in message and "query-secret" not in message and TOKEN not in message
    assert "win_back" in message and "run-1" in message and "retried by the next run" in message
    assert "ConnectionRefusedError" in message
    assert sleeps == [0.25, 0.5], "three attempts, backing off 0.25 s and then 0.5 s"
    assert ledger(warehouse) == []

    deliver_pending(warehouse, webhook(crm.url))
    assert by_customer(sent_changes(crm.accepted.values())) == by_customer(expected)
    assert len(crm.requests) == 3

    deliver_pending(warehouse, webhook(crm.url))
    assert len(crm.requests) == 3, "a third call sent something again"


def test_a_run_appended_after_a_delivered_one_sends_only_its_own_batches(warehouse, crm):
    append_run(warehouse, "run-1", MONDAY, FIVE_CHANGES)
    deliver_pending(warehouse, webhook(crm.url))
    later = append_run(
        warehouse,
        "run-2",
        MONDAY + timedelta(days=1),
        [("win_back", "c02", "exited"), ("high_value", "c07", "entered"), ("high_value", "c09", "entered")],
    )

    deliver_pending(warehouse, webhook(crm.url))

    assert crm.keys()[3:] == ["run-2:high_value:1", "run-2:win_back:1"]
    assert by_customer(sent_changes(crm.accepted[key] for key in crm.keys()[3:])) == by_customer(later)


def test_a_newly_configured_webhook_is_owed_only_the_latest_run(warehouse, crm):
    append_run(warehouse, "run-1", MONDAY, FIVE_CHANGES)
    latest = append_run(warehouse, "run-2", MONDAY + timedelta(days=1), [("win_back", "c08", "entered")])

    deliver_pending(warehouse, webhook(crm.url))

    assert crm.keys() == ["run-2:win_back:1"]
    assert sent_changes(crm.accepted.values()) == latest


def test_a_first_delivery_that_failed_whole_is_still_owed_after_a_newer_run(warehouse, crm, dead_url):
    first = append_run(warehouse, "run-1", MONDAY, FIVE_CHANGES)
    with pytest.raises(DeliveryError):
        deliver_pending(warehouse, webhook(dead_url))
    newer = append_run(warehouse, "run-2", MONDAY + timedelta(days=1), [("win_back", "c08", "entered")])

    deliver_pending(warehouse, webhook(crm.url))

    assert crm.keys() == ["run-1:win_back:1", "run-1:win_back:2", "run-1:win_back:3", "run-2:win_back:1"]
    assert by_customer(sent_changes(crm.accepted.values())) == by_customer(first + newer)


def test_a_batch_refused_with_400_stops_the_delivery_and_the_next_call_sends_the_rest(warehouse, crm):
    expected = append_run(warehouse, "run-1", MONDAY, FIVE_CHANGES)
    crm.plan["run-1:win_back:2"] = [Reply(400, '{"error": "unknown field"}')]
    sleeps = []

    with pytest.raises(DeliveryError) as raised:
        deliver_pending(warehouse, webhook(crm.url), sleeps)

    assert "HTTP 400" in str(raised.value) and "unknown field" in str(raised.value)
    assert "batch 2 of 3" in str(raised.value)
    assert crm.keys() == ["run-1:win_back:1", "run-1:win_back:2"], "a 400 is not retried, nor batch 3 sent"
    assert sleeps == []
    assert [key for key, *_ in ledger(warehouse)] == ["run-1:win_back:1"]
    assert raised.value.report.audiences["win_back"].batches == 1
    assert raised.value.report.audiences["win_back"].last_status == 400

    deliver_pending(warehouse, webhook(crm.url))

    assert crm.keys()[2:] == ["run-1:win_back:2", "run-1:win_back:3"]
    assert by_customer(sent_changes(crm.accepted.values())) == by_customer(expected)


def test_a_changed_batch_size_keeps_a_half_delivered_run_cut_as_it_was(warehouse, crm):
    expected = append_run(warehouse, "run-1", MONDAY, FIVE_CHANGES)
    crm.plan["run-1:win_back:2"] = [Reply(400)]
    with pytest.raises(DeliveryError):
        deliver_pending(warehouse, webhook(crm.url, batch_size=2))

    deliver_pending(warehouse, webhook(crm.url, batch_size=500))

    assert crm.keys()[2:] == ["run-1:win_back:2", "run-1:win_back:3"]
    assert [len(body["changes"]) for body in crm.accepted.values()] == [2, 2, 1]
    assert by_customer(sent_changes(crm.accepted.values())) == by_customer(expected)


def test_a_redirect_is_a_failure_not_followed(warehouse, crm):
    append_run(warehouse, "run-1", MONDAY, FIVE_CHANGES)
    crm.plan["run-1:win_back:1"] = [Reply(302, "", headers={"Location": "/elsewhere"})]

    with pytest.raises(DeliveryError, match="HTTP 302"):
        deliver_pending(warehouse, webhook(crm.url))

    assert crm.gets == []
    assert ledger(warehouse) == []


def test_the_token_is_sent_as_bearer_and_shown_neither_in_errors_nor_in_the_settings(warehouse, crm, monkeypatch):
    monkeypatch.setenv("LIFECYCLE_AUDIENCE_WEBHOOK", f"{crm.url}?api_key=query-secret")
    monkeypatch.setenv("LIFECYCLE_AUDIENCE_WEBHOOK_TOKEN", TOKEN)
    settings = audience_webhook()
    append_run(warehouse, "run-1", MONDAY, FIVE_CHANGES)
    crm.plan["run-1:win_back:1"] = [Reply(401, f"token {TOKEN} is not valid")]

    with pytest.raises(DeliveryError) as raised:
        deliver_pending(warehouse, settings)

    assert crm.requests[0][1] == f"Bearer {TOKEN}"
    assert "401" in str(raised.value) and TOKEN not in str(raised.value)
    assert TOKEN not in repr(raised.value.report)
    for shown in (repr(settings), str(settings)):
        assert TOKEN not in shown and "query-secret" not in shown and redacted(crm.url) in shown


def test_without_a_token_no_authorization_is_sent(warehouse, crm):
    append_run(warehouse, "run-1", MONDAY, FIVE_CHANGES)
    deliver_pending(warehouse, webhook(crm.url, token=None))
    assert [authorization for _, authorization, _ in crm.requests] == [None, None, None]


def test_redacted_keeps_scheme_host_port_and_path_only():
    assert redacted("https://user:pw@crm.example:8443/hooks/a?key=secret#part") == "https://crm.example:8443/hooks/a"
    assert redacted("http://[::1]:9000/h") == "http://[::1]:9000/h"


def test_the_webhook_settings_default_and_are_off_when_unset(monkeypatch):
    monkeypatch.delenv("LIFECYCLE_AUDIENCE_WEBHOOK", raising=False)
    assert audience_webhook() is None
    monkeypatch.setenv("LIFECYCLE_AUDIENCE_WEBHOOK", "https://crm.example/hooks")
    assert audience_webhook() == AudienceWebhook(
        url="https://crm.example/hooks", token=None, batch_size=500, attempts=5, backoff_seconds=1.0, timeout_seconds=30
    )
    monkeypatch.setenv("LIFECYCLE_AUDIENCE_BATCH_SIZE", "10000")
    assert audience_webhook().batch_size == 10_000


@pytest.mark.parametrize("size", ["0", "-3", "10001", "many", "2.5"])
def test_a_batch_size_out_of_bounds_is_refused_naming_the_setting(monkeypatch, size):
    monkeypatch.setenv("LIFECYCLE_AUDIENCE_WEBHOOK", "https://crm.example/hooks")
    monkeypatch.setenv("LIFECYCLE_AUDIENCE_BATCH_SIZE", size)
    with pytest.raises(ValueError, match="LIFECYCLE_AUDIENCE_BATCH_SIZE"):
        audience_webhook()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://crm-user:pass-secret@crm.example/hooks", "must not hold a user or password"),
        ("ftp://crm.example/hooks?key=pass-secret", "http:// or https://"),
    ],
)
def test_a_webhook_url_that_cannot_work_is_refused_without_its_secret(monkeypatch, url, says):
    monkeypatch.setenv("LIFECYCLE_AUDIENCE_WEBHOOK", url)
    with pytest.raises(ValueError, match=says) as raised:
        audience_webhook()
    assert "pass-secret" not in str(raised.value)
