import dagster as dg

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
