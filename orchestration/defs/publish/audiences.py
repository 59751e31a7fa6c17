"""The lifecycle audiences as Dagster assets: one per audience, published with the marts (its members' and
changes' files beside the serving file, its size and changes as metadata), and their delivery to a CRM's
webhook as an asset of its own, so a failed delivery never holds back the marts."""

from dataclasses import asdict
from pathlib import Path

import dagster as dg

from orchestration.defs.resources import WAREHOUSE_POOL, WarehouseResource, remote_errors_as_failures
from orchestration.defs.transform.project import model_meta
from orchestration.lib import settings
from orchestration.lib.publish.audience_batches import CHANGES, pending_batches
from orchestration.lib.publish.audience_files import AudienceSummary
from orchestration.lib.publish.webhook import DeliveryError, DeliveryReport, deliver, redacted
from orchestration.lib.warehouse import relations

# The audiences, as mart `audiences` lists them in its meta (from dbt macro `lifecycle_audiences`).
AUDIENCES: tuple[str, ...] = tuple(model_meta("audiences")["audiences"])
AUDIENCES_FOLDER = "audiences"  # beside the serving file
AUDIENCE_WEBHOOK = dg.AssetKey("audience_webhook")


def audience_key(audience: str) -> dg.AssetKey:
    return dg.AssetKey(["audiences", audience])


def audience_specs(published: dg.AssetKey) -> list[dg.AssetSpec]:
    return [
        dg.AssetSpec(
            audience_key(audience),
            deps=[published],
            group_name="audiences",
            kinds={"csv", "parquet"},
            description=(
                f"Lifecycle audience `{audience}` (definition in mart `audiences`): its members and this run's "
                f"changes in `{AUDIENCES_FOLDER}/{audience}/` beside the serving file, published with the marts."
            ),
        )
        for audience in AUDIENCES
    ]


def audience_results(summaries: list[AudienceSummary], folder: Path) -> list[dg.MaterializeResult]:
    """One materialization per audience: its size, value at stake and changes, plotted run over run."""
    return [
        dg.MaterializeResult(
            asset_key=audience_key(summary.audience),
            metadata={
                "members": summary.members,
                "entered": summary.entered,
                "exited": summary.exited,
                "value_at_stake": summary.value_at_stake,
                "as_of_date": summary.as_of_date,
                "definition": summary.definition,
                "folder": dg.MetadataValue.path(str(folder / summary.audience)),
            },
        )
        for summary in summaries
    ]


@dg.asset(
    key=AUDIENCE_WEBHOOK,
    deps=[audience_key(audience) for audience in AUDIENCES],
    group_name="audiences",
    kinds={"http"},
    pool=WAREHOUSE_POOL,
    description=(
        "Posts each run's audience changes to LIFECYCLE_AUDIENCE_WEBHOOK as JSON batches (an idempotency key "
        "per run, audience and batch; retries with backoff), from the audience history, so a batch that failed "
        "is sent by the next run and an acknowledged one never again. Does nothing when the webhook is not set "
        "or the build is as of a past date."
    ),
)
def audience_webhook(context: dg.AssetExecutionContext, duckdb: WarehouseResource) -> dg.MaterializeResult:
    webhook = settings.audience_webhook()
    if webhook is None or duckdb.as_of.past_date:
        reason = "LIFECYCLE_AUDIENCE_WEBHOOK is not set" if webhook is None else "a build as of a past date"
        context.log.info(f"No audience delivery: {reason}")
        return dg.MaterializeResult(metadata={"delivered": False, "why_not": reason})
    with remote_errors_as_failures(), duckdb.get_connection(working=True) as connection:
        if settings.engine() == "spark":  # the history is Spark's table: read it where Spark keeps it
            connection.execute("CREATE SCHEMA IF NOT EXISTS history")
            changes = relations.readable(connection, *CHANGES.split("."))
            kind = "TABLE" if settings.spark_server() else "VIEW"  # a cluster's copy lives only in this session
            connection.execute(f"CREATE OR REPLACE {kind} {CHANGES} AS SELECT * FROM {changes}")
        batches = pending_batches(connection, webhook.batch_size)
        try:
            report = deliver(connection, webhook, batches)
        except DeliveryError as error:
            raise dg.Failure(description=str(error), metadata=_delivery_metadata(error.report)) from None
    context.log.info(f"Delivered {len(batches)} batches of audience changes to {redacted(webhook.url)}")
    return dg.MaterializeResult(metadata={"delivered": True, **_delivery_metadata(report)})


def _delivery_metadata(report: DeliveryReport) -> dict:
    return {
        "endpoint": report.endpoint,
        "batches": sum(delivery.batches for delivery in report.audiences.values()),
        "changes": sum(delivery.changes for delivery in report.audiences.values()),
        "per_audience": dg.MetadataValue.json({name: asdict(d) for name, d in report.audiences.items()}),
    }
