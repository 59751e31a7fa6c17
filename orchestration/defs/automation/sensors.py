import hashlib
import json
import time
from datetime import UTC, datetime

import dagster as dg

from orchestration.defs.automation.jobs import lifecycle_job
from orchestration.lib import settings
from orchestration.lib.alerts import Alert, append_alert, send_alert_mail
from orchestration.lib.ingest.arrivals import arrivals, landing_state
from orchestration.lib.ingest.contract import SOURCES
from orchestration.runs import recover_dead_runs


@dg.sensor(
    name="dead_runs_sensor",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Marks failed a run whose processes are all gone (a `make run` killed outright, which Dagster's run "
        "monitoring cannot see) and frees the warehouse slots it held, so queued runs are not held up by it."
    ),
)
def dead_runs_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    recovered = recover_dead_runs(context.instance)
    for line in recovered:
        context.log.warning(line)
    return dg.SkipReason("; ".join(recovered) or "no dead run")


@dg.sensor(
    name="landing_files_sensor",
    job=lifecycle_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Starts lifecycle_job when files in the landing folder are new or changed since its last request, once "
        "every one of them has been left alone for LIFECYCLE_LANDING_SETTLE_SECONDS (a file still being copied "
        "keeps changing). The cursor remembers each file's size and modification time, so a file triggers once."
    ),
)
def landing_files_sensor(context: dg.SensorEvaluationContext):
    current = landing_state(settings.landing_root(), SOURCES)
    seen = json.loads(context.cursor) if context.cursor else {}
    found = arrivals(current, seen, time.time_ns(), settings.landing_settle_seconds())
    if not found.changed:
        if current.keys() != seen.keys():  # files removed: forget them, so one put back counts as new
            context.update_cursor(json.dumps(current))
        return dg.SkipReason("no new or changed landing file")
    if found.settling:
        return dg.SkipReason(f"waiting for {len(found.settling)} file(s) to settle: {', '.join(found.settling[:5])}")
    context.update_cursor(json.dumps(current))
    run_key = hashlib.sha256(json.dumps({path: current[path] for path in found.changed}).encode()).hexdigest()[:16]
    return dg.RunRequest(
        run_key=f"landing-{run_key}",
        tags={"lifecycle/trigger": "landing_files_sensor", "lifecycle/files": str(len(found.changed))},
    )


@dg.run_failure_sensor(
    name="run_failure_alert_sensor",
    monitored_jobs=[lifecycle_job],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "When a run of lifecycle_job fails (the schedule's, a sensor's or a UI launch), appends an alert to "
        "LIFECYCLE_ALERTS_LOG and, when LIFECYCLE_SMTP_HOST is set, e-mails it to LIFECYCLE_SMTP_TO."
    ),
)
def run_failure_alert_sensor(context: dg.RunFailureSensorContext) -> None:
    run = context.dagster_run
    alert = Alert(
        at=datetime.now(UTC).isoformat(timespec="seconds"),
        run_id=run.run_id,
        job=run.job_name,
        what="run failed",
        message=(context.failure_event.message or "").strip(),
        failed_steps=tuple(sorted({event.step_key for event in context.get_step_failure_events() if event.step_key})),
    )
    log = settings.alerts_log_path()
    append_alert(alert, log)
    context.log.warning(f"{alert.subject()}: written to {log}")
    mail = settings.alert_mail()
    if mail is not None:
        send_alert_mail(alert, mail)
        context.log.info(f"Alert mailed to {', '.join(mail.recipients)} through {mail.host}:{mail.port}")
