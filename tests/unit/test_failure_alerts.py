"""A failed run reaches a person: a line in the alerts log always, and an e-mail through SMTP when set up.
The mail goes to an SMTP server on 127.0.0.1 that the test starts; nothing is sent anywhere else."""

import socket

import dagster as dg
import pytest
from aiosmtpd.controller import Controller

from orchestration.defs.automation.sensors import run_failure_alert_sensor
from orchestration.lib.alerts import read_alerts
from orchestration.lib.settings import alert_mail


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server(monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("LIFECYCLE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("LIFECYCLE_SMTP_PORT", str(port))
    monkeypatch.setenv("LIFECYCLE_SMTP_SECURITY", "none")
    monkeypatch.setenv("LIFECYCLE_SMTP_FROM", "pipeline@example.test")
    monkeypatch.setenv("LIFECYCLE_SMTP_TO", "data-team@example.test, oncall@example.test")
    yield inbox
    controller.stop()


@pytest.fixture
def failed_run():
    """A real failed run of a job named lifecycle_job, in a throwaway instance."""

    @dg.op
    def ingest_landing_files():
        raise RuntimeError("orders/2024-03.csv: column amount is missing (rule: contract_columns)")

    @dg.job(name="lifecycle_job")
    def failing_job():
        ingest_landing_files()

    instance = dg.DagsterInstance.ephemeral()
    result = failing_job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    return dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert_sensor",
        dagster_event=result.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    ).for_run_failure()


def test_a_failed_run_is_logged_and_mailed(tmp_path, monkeypatch, smtp_server, failed_run):
    log = tmp_path / "alerts.jsonl"
    monkeypatch.setenv("LIFECYCLE_ALERTS_LOG", str(log))

    run_failure_alert_sensor(failed_run)

    (alert,) = read_alerts(log)
    assert alert.run_id == failed_run.dagster_run.run_id and alert.job == "lifecycle_job"
    assert alert.failed_steps == ("ingest_landing_files",)
    (mail,) = smtp_server.messages
    assert mail.mail_from == "pipeline@example.test"
    assert mail.rcpt_tos == ["data-team@example.test", "oncall@example.test"]
    content = mail.content.decode()
    assert f"Subject: [lifecycle-elt] lifecycle_job run failed: run {alert.run_id[:8]}" in content
    assert "Failed steps: ingest_landing_files" in content


def test_without_smtp_the_alert_is_only_logged(tmp_path, monkeypatch, failed_run):
    log = tmp_path / "alerts.jsonl"
    monkeypatch.setenv("LIFECYCLE_ALERTS_LOG", str(log))
    monkeypatch.delenv("LIFECYCLE_SMTP_HOST", raising=False)
    run_failure_alert_sensor(failed_run)
    run_failure_alert_sensor(failed_run)
    assert [alert.run_id for alert in read_alerts(log)] == [failed_run.dagster_run.run_id] * 2


def test_the_smtp_password_never_shows(monkeypatch):
    monkeypatch.setenv("LIFECYCLE_SMTP_HOST", "smtp.example.test")
    monkeypatch.setenv("LIFECYCLE_SMTP_FROM", "pipeline@example.test")
    monkeypatch.setenv("LIFECYCLE_SMTP_TO", "data-team@example.test")
    monkeypatch.setenv("LIFECYCLE_SMTP_USER", "pipeline")
    monkeypatch.setenv("LIFECYCLE_SMTP_PASSWORD", "s3cret-value")
    mail = alert_mail()
    assert mail.password == "s3cret-value" and mail.port == 587 and mail.security == "starttls"
    assert "s3cret" not in repr(mail) and "s3cret" not in str(mail)


def test_smtp_settings_that_cannot_work_are_named(monkeypatch):
    monkeypatch.setenv("LIFECYCLE_SMTP_HOST", "smtp.example.test")
    monkeypatch.delenv("LIFECYCLE_SMTP_TO", raising=False)
    with pytest.raises(ValueError, match="LIFECYCLE_SMTP_FROM and LIFECYCLE_SMTP_TO are needed"):
        alert_mail()
    monkeypatch.setenv("LIFECYCLE_SMTP_SECURITY", "tls13")
    with pytest.raises(ValueError, match="LIFECYCLE_SMTP_SECURITY must be one of starttls, ssl, none"):
        alert_mail()
