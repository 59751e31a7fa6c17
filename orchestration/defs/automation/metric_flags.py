"""The metric flags as warnings on the marts they are about: one check per flag of `metric_flags`, which
defines and judges them (dbt). They never block: the marts are published whatever they say."""

from collections.abc import Mapping

import dagster as dg

from orchestration.defs.resources import WAREHOUSE_POOL, WarehouseResource, remote_errors_as_failures
from orchestration.defs.transform.assets import DBT_STEPS
from orchestration.defs.transform.project import model_meta
from orchestration.lib.warehouse import relations

# Each flag and the mart whose figure it watches, as `metric_flags`' YAML lists them (meta `flags`), the list
# its `accepted_meta_keys` test holds the model's rows to.
FLAG_MARTS: dict[str, str] = dict(model_meta("metric_flags")["flags"])


def _mart_key(name: str) -> dg.AssetKey:
    return next(key for step in DBT_STEPS for key in step.keys if key.path == ["marts", name])


METRIC_FLAGS = _mart_key("metric_flags")


@dg.multi_asset_check(
    name="metric_flag_checks",
    specs=[
        dg.AssetCheckSpec(
            flag,
            asset=_mart_key(mart),
            additional_deps=[METRIC_FLAGS],
            blocking=False,
            description=f"Warns when `metric_flags` raises {flag} for the last whole month.",
        )
        for flag, mart in FLAG_MARTS.items()
    ],
    pool=WAREHOUSE_POOL,
    can_subset=True,
)
def metric_flag_checks(context: dg.AssetCheckExecutionContext, duckdb: WarehouseResource):
    with remote_errors_as_failures(), duckdb.get_connection() as connection:
        cursor = connection.execute(
            f"SELECT flag, subject, flag_month, value, baseline, threshold, is_raised, rule "
            f"FROM {relations.readable(connection, 'marts', 'metric_flags')} ORDER BY flag, subject"
        )
        columns = [column[0] for column in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    for key in context.selected_asset_check_keys:
        judged = [row for row in rows if row["flag"] == key.name]
        raised = [row for row in judged if row["is_raised"]]
        yield dg.AssetCheckResult(
            asset_key=key.asset_key,
            check_name=key.name,
            passed=not raised,
            severity=dg.AssetCheckSeverity.WARN,
            description=judged[0]["rule"] if judged else "no figure to judge yet",
            metadata={
                "flag_month": str(judged[0]["flag_month"]) if judged else "-",
                "raised": dg.MetadataValue.json([_figures(row, "subject", "value", "baseline") for row in raised]),
                "judged": dg.MetadataValue.json(
                    [_figures(row, "subject", "value", "baseline", "threshold") for row in judged]
                ),
            },
        )


def _figures(row: dict, *columns: str) -> dict:
    return {column: row[column] for column in columns}


def raised_lines(metadata: Mapping[str, dg.MetadataValue], rule: str) -> list[str]:
    """What a flag's check evaluation raised, a line per subject with its month, value and baseline, from the
    metadata `metric_flag_checks` writes (for `make run`'s summary)."""
    month = metadata["flag_month"].value
    return [
        f"{month[:7]}: {flag['subject']} {flag['value']:g} against {flag['baseline']:g} ({rule})"
        for flag in metadata["raised"].value
    ]
