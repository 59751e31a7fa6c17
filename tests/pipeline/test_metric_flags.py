"""Each metric flag fires on generated data planted to trip it, as a warning that publishes anyway.
(That the sample `make run` builds raises none is in test_as_of.py, which builds it.)"""

import dagster as dg
import duckdb
import pytest

from orchestration.defs.automation.metric_flags import FLAG_MARTS, raised_lines
from tests.helpers import publish_generated_data

FLAG_MONTH = "2025-11"  # the generated data end on 2025-12-31: the last whole month before the as-of month


def _rewrite(folder, query: str) -> None:
    """Rewrite every CSV file of `folder` through `query`, which selects from `delivered` (all text)."""
    with duckdb.connect() as connection:
        for file in sorted(folder.glob("*.csv")):
            connection.execute(
                f"CREATE OR REPLACE TABLE delivered AS SELECT * FROM read_csv('{file}', header = true, all_varchar = "
                "true)"
            )
            connection.execute(f"COPY ({query}) TO '{file}' (HEADER, FORMAT csv)")


def _plant(landing) -> None:
    in_month = "substr({}, 1, 7) = '" + FLAG_MONTH + "'"
    # Orders: in the month, only first orders remain (everyone active before is lost, nobody comes back),
    # so churn rises, the quick ratio falls and the newest cohort has no month 1.
    with duckdb.connect() as connection:
        first_orders = connection.execute(
            f"SELECT customer_id, min(substr(ordered_at, 1, 7)) FROM read_csv('{landing}/orders/*.csv', "
            "header = true, all_varchar = true) GROUP BY 1"
        ).fetchall()
    returning = ", ".join(f"'{customer}'" for customer, month in first_orders if month < FLAG_MONTH)
    _rewrite(
        landing / "orders",
        f"SELECT * FROM delivered WHERE NOT ({in_month.format('ordered_at')} AND customer_id IN ({returning}))",
    )
    # Survey answers: every NPS answer of the month a 0.
    _rewrite(
        landing / "survey_responses",
        "SELECT * REPLACE (CASE WHEN survey_type = 'nps' AND "
        f"{in_month.format('responded_at')} THEN '0' ELSE score END AS score) FROM delivered",
    )
    # Tickets: every ticket of the month answered (and resolved) 30 hours later than it was.
    late = "strftime(CAST({0} AS TIMESTAMP) + INTERVAL 30 HOUR, '%Y-%m-%d %H:%M:%S')"
    _rewrite(
        landing / "support_tickets",
        f"SELECT * REPLACE (CASE WHEN {in_month.format('created_at')} THEN {late.format('first_response_at')} "
        f"ELSE first_response_at END AS first_response_at, CASE WHEN {in_month.format('created_at')} "
        f"THEN {late.format('resolved_at')} ELSE resolved_at END AS resolved_at) FROM delivered",
    )
    # Spend: paid social costs twenty times what it did, so it no longer pays back.
    _rewrite(
        landing / "marketing_spend",
        "SELECT * REPLACE (CASE WHEN channel = 'paid_social' THEN CAST(round(CAST(spend AS DOUBLE) * 20, 2) AS "
        "VARCHAR) "
        "ELSE spend END AS spend) FROM delivered",
    )


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    serving, result = publish_generated_data(tmp_path_factory.mktemp("flags"), customers=600, seed=5, prepare=_plant)
    with duckdb.connect(str(serving), read_only=True) as connection:
        rows = connection.execute(
            "SELECT flag, subject, value, baseline, is_raised, flag_month FROM marts.metric_flags"
        ).fetchall()
    return rows, result


@pytest.mark.parametrize("flag", sorted(FLAG_MARTS))
def test_a_planted_shift_raises_its_flag_as_a_warning_and_the_run_publishes(planted, flag):
    rows, result = planted
    assert result.success  # publish_generated_data also saw the published marts
    raised = {subject for name, subject, _, _, is_raised, month in rows if name == flag and is_raised}
    assert all(month.isoformat()[:7] == FLAG_MONTH for *_, month in rows)
    if flag == "ltv_cac_below_1":
        assert raised == {"paid_social"}  # the only channel whose spend was planted
    else:
        assert raised, flag
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.check_name == flag]
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["flag_month"].value.startswith(FLAG_MONTH)
    assert {entry["subject"] for entry in evaluation.metadata["raised"].value} == raised
    # what `make run` prints for it: a line per raised subject, with the month and the rule
    lines = raised_lines(evaluation.metadata, evaluation.description)
    assert len(lines) == len(raised) and all(line.startswith(f"{FLAG_MONTH}: ") for line in lines)
    assert all(line.endswith(f"({evaluation.description})") for line in lines)


def test_the_flags_the_model_emits_are_the_flags_its_yaml_lists(planted):
    """Every flag planted here has rows, so a branch of `metric_flags.sql` missing from the YAML's meta `flags`
    (which the checks are built from), or a listed flag with no branch, shows as a difference."""
    rows, _ = planted
    assert {name for name, *_ in rows} == set(FLAG_MARTS)
