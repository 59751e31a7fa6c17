"""How fresh each raw source must be, with Dagster's last-update freshness checks.

The raw assets materialize on every run, delivery or not, so each materialization carries the time the
source last delivered rows (`dagster/last_updated_timestamp`, from the file ledger), which these checks
read instead of the run's time. They warn (never block): a source that stopped delivering shows as
late on its asset in the UI (the sensor evaluates them between runs) and in `make run`'s summary,
while the other sources go on. Each source's window is the contract's (`Source.freshness_days`).
"""

import warnings
from collections.abc import Sequence
from datetime import timedelta

import dagster as dg

from orchestration.lib import settings
from orchestration.lib.ingest.contract import SOURCES, Source


def freshness_checks(sources: Sequence[Source]) -> list[dg.AssetChecksDefinition]:
    """A last-update freshness check on each source's raw asset that has a window."""
    windows = settings.freshness_days({source.folder: source.freshness_days for source in sources})
    # Dagster marks these factories superseded by `FreshnessPolicy`, but a policy measures the time of the last
    # materialization, which the raw assets have on every run: only the checks read the last delivery.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.SupersessionWarning)
        return [
            check
            for source in sources
            if source.folder in windows
            for check in dg.build_last_update_freshness_checks(
                assets=[dg.AssetKey(source.asset_key)], lower_bound_delta=timedelta(days=windows[source.folder])
            )
        ]


FRESHNESS_CHECKS = freshness_checks(SOURCES)
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
