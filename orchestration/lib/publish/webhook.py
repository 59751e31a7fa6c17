"""Delivering lifecycle audience changes to a CRM webhook, each batch once.

Each batch is POSTed as JSON with an `Idempotency-Key` (`run_id:audience:batch`) and recorded in the ledger as
soon as the endpoint acknowledges it with a 2xx, so a batch acknowledged is never sent again. A batch whose answer
is lost (a timeout, a crash before the ledger write) is sent again under the same key: exactly once needs the
endpoint to accept a key once. `value_at_stake` is sent as a decimal string ("120.50"), exact where a float is not.

Connection errors, timeouts, 429 and 5xx are retried with a doubling backoff; any other status fails at once,
redirects included: urllib would follow one of a POST as a GET, with the token, to wherever it points.
The token travels only in the Authorization header; messages name the endpoint by `redacted(url)`.
"""

import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import duckdb

from orchestration.lib.publish.audience_batches import Batch, ensure_ledger, record_acknowledged

RESPONSE_CHARS = 500  # of an answer's body, kept in the ledger and the report


@dataclass(frozen=True)
class AudienceWebhook:
    url: str
    token: str | None = None
    batch_size: int = 500
    attempts: int = 5
    backoff_seconds: float = 1.0  # before the second attempt, doubling after each
    timeout_seconds: float = 30.0

    def __repr__(self) -> str:  # in a log or a traceback: the token is a secret, and so may be the URL's query
        return (
            f"AudienceWebhook(url={redacted(self.url)!r}, token={'<set>' if self.token else None}, "
            f"batch_size={self.batch_size}, attempts={self.attempts}, backoff_seconds={self.backoff_seconds}, "
            f"timeout_seconds={self.timeout_seconds})"
        )


def redacted(url: str) -> str:
    """`url` as `scheme://host[:port]/path`, without the user, password, query and fragment that may hold a secret."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # not a number: left out rather than shown
        port = ""
    return f"{parts.scheme}://{f'[{host}]' if ':' in host else host}{port}{parts.path}"


@dataclass
class AudienceDelivery:
    batches: int = 0  # acknowledged
    changes: int = 0  # in the acknowledged batches
    retries: int = 0
    last_status: int | None = None  # None: the last attempt got no HTTP answer
    last_response: str = ""  # the start of the last answer's body, or the error


@dataclass
class DeliveryReport:
    """What a delivery sent, per audience; `dataclasses.asdict` gives plain values for run metadata."""

    endpoint: str  # redacted
    audiences: dict[str, AudienceDelivery] = field(default_factory=dict)


class DeliveryError(RuntimeError):
    """The endpoint did not acknowledge a batch: the batches before it are recorded, it and the rest are still owed."""

    def __init__(self, message: str, report: DeliveryReport):
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class _Answer:
    status: int | None  # None when no HTTP answer came: refused, reset, timed out
    text: str  # the start of the body, or the error

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def worth_retrying(self) -> bool:
        return self.status is None or self.status == 429 or self.status >= 500


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 3xx is then raised as an HTTPError, a failure


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _payload(batch: Batch) -> bytes:
    changes = [
        {
            "customer_id": change.customer_id,
            "change": change.change,
            "reason": change.reason,
            "value_at_stake": None if change.value_at_stake is None else str(change.value_at_stake),
            "member_since": change.member_since.isoformat() if change.member_since else None,
        }
        for change in batch.changes
    ]
    body = {
        "audience": batch.audience,
        "run_id": batch.run_id,
        "as_of_date": batch.as_of_date.isoformat(),
        "batch": batch.batch,
        "batches": batch.batches,
        "changes": changes,
    }
    return json.dumps(body).encode()


def _request(webhook: AudienceWebhook, batch: Batch) -> urllib.request.Request:
    headers = {"Content-Type": "application/json", "Idempotency-Key": batch.idempotency_key}
    if webhook.token:
        headers["Authorization"] = f"Bearer {webhook.token}"
    return urllib.request.Request(webhook.url, data=_payload(batch), headers=headers, method="POST")


def _body_start(response) -> str:
    try:
        return response.read(RESPONSE_CHARS * 4).decode("utf-8", "replace")[:RESPONSE_CHARS]
    except (OSError, http.client.HTTPException):
        return ""


def _post(opener: urllib.request.OpenerDirector, request: urllib.request.Request, timeout: float) -> _Answer:
    try:
        with opener.open(request, timeout=timeout) as response:
            return _Answer(response.status, _body_start(response))
    except urllib.error.HTTPError as error:
        with error:
            return _Answer(error.code, _body_start(error))
    except (OSError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", error)  # a URLError wraps the socket's error
        return _Answer(None, f"{type(reason).__name__}: {reason}")


def _send(
    opener: urllib.request.OpenerDirector, webhook: AudienceWebhook, batch: Batch, sleep: Callable[[float], None]
) -> tuple[_Answer, int]:
    """The answer that ends the batch's attempts, and how many attempts it took."""
    request = _request(webhook, batch)
    for attempt in range(1, webhook.attempts + 1):
        answer = _post(opener, request, webhook.timeout_seconds)
        if answer.acknowledged or not answer.worth_retrying or attempt == webhook.attempts:
            break
        sleep(webhook.backoff_seconds * 2 ** (attempt - 1))
    if webhook.token:  # an endpoint may echo what it was sent
        answer = _Answer(answer.status, answer.text.replace(webhook.token, "<token>"))
    return answer, attempt


def deliver(
    connection: duckdb.DuckDBPyConnection,
    webhook: AudienceWebhook,
    batches: Iterable[Batch],
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = _utc_now,
) -> DeliveryReport:
    """POST `batches` in order, recording each acknowledged one in the ledger at once (`now`: when, in UTC).

    Stops at the first batch not acknowledged, raising DeliveryError: the batches after it wait too, so the
    endpoint receives each audience's runs in the order they happened.
    """
    ensure_ledger(connection)
    report = DeliveryReport(endpoint=redacted(webhook.url))
    opener = urllib.request.build_opener(_NoRedirect)
    for batch in batches:
        sent = report.audiences.setdefault(batch.audience, AudienceDelivery())
        answer, attempts = _send(opener, webhook, batch, sleep)
        sent.retries += attempts - 1
        sent.last_status, sent.last_response = answer.status, answer.text
        if not answer.acknowledged:
            last = f"HTTP {answer.status}" if answer.status is not None else "no answer"
            if answer.text:
                last += f" ({answer.text[:200]!r})"
            raise DeliveryError(
                f"The audience webhook {report.endpoint} did not acknowledge batch {batch.batch} of {batch.batches} "
                f"of audience {batch.audience!r}, dbt run {batch.run_id}, after {attempts} attempt(s): {last}. "
                "Batches acknowledged before it stay recorded; this batch and those after it will be retried "
                "by the next run.",
                report,
            )
        record_acknowledged(connection, batch, answer.status, answer.text, now())
        sent.batches += 1
        sent.changes += len(batch.changes)
    return report
