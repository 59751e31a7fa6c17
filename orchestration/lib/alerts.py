"""Telling a person that a run failed: always a line in the alerts log, and an e-mail when SMTP is set up.

The log is JSON Lines, one alert a line, so the run summary, a shell (`tail`) and any log shipper read
it alike. Mail goes through the standard library's SMTP client; the password comes from the environment
and is never written anywhere, logs and alerts included.
"""

import json
import smtplib
import ssl
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from pathlib import Path


@dataclass(frozen=True)
class Alert:
    at: str  # ISO 8601, UTC
    run_id: str
    job: str
    what: str  # e.g. "run failed"
    message: str  # why, as Dagster reported it
    failed_steps: tuple[str, ...] = ()

    def subject(self) -> str:
        return f"[lifecycle-elt] {self.job} {self.what}: run {self.run_id[:8]}"

    def body(self) -> str:
        steps = ", ".join(self.failed_steps) or "-"
        return f"{self.job} {self.what} at {self.at}.\n\nRun: {self.run_id}\nFailed steps: {steps}\n\n{self.message}\n"


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    security: str  # starttls | ssl | none
    user: str | None = None
    password: str | None = None

    def __repr__(self) -> str:  # a settings object in a log or a traceback shows no password
        return f"MailSettings(host={self.host!r}, port={self.port}, security={self.security!r}, user={self.user!r})"


def append_alert(alert: Alert, log: Path) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(asdict(alert)) + "\n")


def read_alerts(log: Path) -> list[Alert]:
    if not log.is_file():
        return []
    alerts = []
    for line in log.read_text(encoding="utf-8").splitlines():
        if line.strip():
            fields = json.loads(line)
            alerts.append(Alert(**{**fields, "failed_steps": tuple(fields.get("failed_steps", ()))}))
    return alerts


def send_alert_mail(alert: Alert, mail: MailSettings, timeout_seconds: float = 30) -> None:
    message = EmailMessage()
    message["Subject"] = alert.subject()
    message["From"] = mail.sender
    message["To"] = ", ".join(mail.recipients)
    message.set_content(alert.body())
    if mail.security == "ssl":
        client = smtplib.SMTP_SSL(mail.host, mail.port, timeout=timeout_seconds, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(mail.host, mail.port, timeout=timeout_seconds)
    with client:
        if mail.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if mail.user:
            client.login(mail.user, mail.password or "")
        client.send_message(message)
