"""How fresh each raw source must be: a freshness check per source, and the sensor that evaluates them.

The raw assets materialize on every run, delivery or not, so each materialization carries the time the
source last delivered rows (`dagster/last_updated_timestamp`, from the file ledger), which these checks
read instead of the run's time. They warn (never block): a source that stopped delivering shows as
late on its asset in the UI (the sensor evaluates them between runs) and in `make run`'s summary,
while the other sources go on. Each source's window is the contract's (`Source.freshness_days`).

The checks are Dagster's last-update freshness checks rewritten for what they read: the built-in one can
only say how long ago the last update was, which for a source that never delivered is the time since
the epoch. They keep its name (`freshness_check`), severity and the metadata its sensor reads.
"""

import time
import warnings
from collections.abc import Sequence

import dagster as dg

from orchestration.defs.ingest.assets import NEVER_DELIVERED
from orchestration.lib import settings
from orchestration.lib.ingest.contract import SOURCES, Source
from orchestration.lib.ingest.freshness import judge_freshness

CHECK_NAME = "freshness_check"
LAST_UPDATED = "dagster/last_updated_timestamp"
# Read by `build_sensor_for_freshness_checks` on a passed check: when to evaluate it again.
FRESH_UNTIL = "dagster/fresh_until_timestamp"


def _last_delivery(materialization: dg.EventLogEntry) -> float | None:
    """When the source last delivered rows, from its raw asset's materialization; None if it never did."""
    recorded = materialization.asset_materialization.metadata.get(LAST_UPDATED)
    last_update = recorded.value if recorded is not None else materialization.timestamp
    return None if last_update <= NEVER_DELIVERED else last_update


def _result(source: Source, window_days: float, materialization: dg.EventLogEntry | None) -> dg.AssetCheckResult:
    metadata = {"window_days": window_days}
    if materialization is None:  # evaluated (by the sensor, say) before any run ingested the source
        passed, description = False, f"{source.folder}: not ingested yet"
    else:
        last_delivery = _last_delivery(materialization)
        verdict = judge_freshness(source.folder, window_days, time.time(), last_delivery)
        passed, description = verdict.passed, verdict.description
        if last_delivery is not None:
            metadata[LAST_UPDATED] = dg.MetadataValue.timestamp(last_delivery)
        if verdict.fresh_until is not None:
            metadata[FRESH_UNTIL] = dg.MetadataValue.timestamp(verdict.fresh_until)
    return dg.AssetCheckResult(
        asset_key=source.asset_key,
        check_name=CHECK_NAME,
        passed=passed,
        severity=dg.AssetCheckSeverity.WARN,
        description=description,
        metadata=metadata,
    )


def freshness_checks(sources: Sequence[Source]) -> list[dg.AssetChecksDefinition]:
    """A freshness check on each source's raw asset that has a window, all in one subsettable step."""
    windows = settings.freshness_days({source.folder: source.freshness_days for source in sources})
    checked = {dg.AssetKey(source.asset_key): source for source in sources if source.folder in windows}
    if not checked:
        return []

    @dg.multi_asset_check(
        name="source_freshness_checks",
        specs=[
            dg.AssetCheckSpec(
                CHECK_NAME,
                asset=key,
                description=(
                    f"`{source.folder}/` delivered rows within the last {windows[source.folder]:g} days (the "
                    "file ledger's time, on the raw asset's materialization). Fails at WARN; a source that "
                    "never delivered says so."
                ),
            )
            for key, source in checked.items()
        ],
        can_subset=True,
    )
    def source_freshness_checks(context: dg.AssetCheckExecutionContext):
        for check_key in context.selected_asset_check_keys:
            source = checked[check_key.asset_key]
            materialization = context.instance.get_latest_materialization_event(check_key.asset_key)
            yield _result(source, windows[source.folder], materialization)

    return [source_freshness_checks]


FRESHNESS_CHECKS = freshness_checks(SOURCES)
# Dagster marks the sensor superseded by `FreshnessPolicy`, but a policy measures the time of the last
# materialization, which the raw assets have on every run: only these checks read the last delivery.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.SupersessionWarning)
    freshness_checks_sensor = dg.build_sensor_for_freshness_checks(
        freshness_checks=FRESHNESS_CHECKS,
        name="freshness_checks_sensor",
        minimum_interval_seconds=600,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )

freshness_checks_job = dg.define_asset_job(
    name="freshness_checks_job",
    selection=dg.AssetSelection.checks(*FRESHNESS_CHECKS),
    description="Evaluates how long ago each raw source last delivered rows, against its window.",
)
