"""The report's headline: each figure as the marts publish it, beside its value one period earlier.

Nothing is computed here but the selection: the current and previous values are rows or columns of
the marts that define them (`lifecycle_summary`, `growth_accounting_monthly`, `lifecycle_stages_monthly`,
`ltv_cac_by_channel`).
"""

from dataclasses import dataclass
from datetime import date

import duckdb


@dataclass(frozen=True)
class Headline:
    key: str  # stable name: the page's `data-metric` and the Dagster metadata key
    label: str
    value: float | None
    previous: float | None  # the same figure one period earlier; None where the marts keep no earlier value
    period: str  # what the value covers, e.g. "2025-11" or "12 months to 2025-12-31"
    previous_period: str
    unit: str  # count | rate | ratio | score | money
    definition: str


def _number(value) -> float | None:
    return None if value is None else float(value)


def _month(value: date | None) -> str:
    return value.strftime("%Y-%m") if value is not None else "n/a"


def headline_figures(connection: duckdb.DuckDBPyConnection) -> list[Headline]:
    """The headline figures of a serving file (schema `marts`), in the order the report shows them."""
    cursor = connection.execute("SELECT * FROM marts.lifecycle_summary")
    row = cursor.fetchone()
    if row is None:
        return []
    current = dict(zip([column[0] for column in cursor.description], row, strict=True))
    as_of: date = current["as_of_date"]

    # People and prospects at the end of the month before the as-of month, from the stage history.
    people_before, prospects_before, stage_month_before = connection.execute(
        """
        SELECT sum(customers), sum(customers) FILTER (WHERE lifecycle_stage = 'prospect'), max(snapshot_date)
        FROM marts.lifecycle_stages_monthly
        WHERE stage_month = (SELECT max(stage_month) FROM marts.lifecycle_stages_monthly WHERE stage_month < ?)
        """,
        [as_of.replace(day=1)],
    ).fetchone()

    # The last whole month's flows and the month before's.
    last_month = current["last_month"]
    flows = []
    if last_month is not None:
        flows = connection.execute(
            """
            SELECT flow_month, active_customers, customer_churn_rate, quick_ratio
            FROM marts.growth_accounting_monthly
            WHERE flow_month <= ? ORDER BY flow_month DESC LIMIT 2
            """,
            [last_month],
        ).fetchall()
    this_month, month_before = (flows + [None, None])[:2]

    def flow(row, index):
        return _number(row[index]) if row is not None else None

    def flow_month(row) -> str:
        return _month(row[0]) if row is not None else "n/a"

    people_period = f"as of {as_of}"
    before_period = f"as of {stage_month_before}" if stage_month_before else "n/a"
    nps_period = f"12 months to {as_of}"
    figures = [
        Headline(
            "people",
            "People known",
            _number(current["people"]),
            _number(people_before),
            people_period,
            before_period,
            "count",
            "Everyone with an order, a support ticket or a survey answer: buyers and prospects.",
        ),
        Headline(
            "active_buyers",
            "Active buyers, last month",
            flow(this_month, 1),
            flow(month_before, 1),
            flow_month(this_month),
            flow_month(month_before),
            "count",
            "Customers with at least one completed order in the month (growth accounting's active customers).",
        ),
        Headline(
            "prospects",
            "Prospects",
            _number(current["prospects"]),
            _number(prospects_before),
            people_period,
            before_period,
            "count",
            "People with tickets, survey answers or unfinished orders but no completed order yet.",
        ),
        Headline(
            "monthly_churn",
            "Monthly churn, last month",
            flow(this_month, 2),
            flow(month_before, 2),
            flow_month(this_month),
            flow_month(month_before),
            "rate",
            "Customers active the month before with no completed order this month, over those active the month before.",
        ),
        Headline(
            "quick_ratio",
            "Quick ratio, last month",
            flow(this_month, 3),
            flow(month_before, 3),
            flow_month(this_month),
            flow_month(month_before),
            "ratio",
            "(new + resurrected customers) / churned customers. Above 1 the active base grows.",
        ),
        Headline(
            "nps_12m",
            "NPS, last 12 months",
            _number(current["nps_12m"]),
            _number(current["nps_prior_12m"]),
            nps_period,
            "the 12 months before",
            "score",
            "100 × (promoters − detractors) / answers, over every NPS answer of the period (−100 to +100).",
        ),
        Headline(
            "median_historical_clv_margin",
            "Median historical CLV (margin)",
            _number(current["median_historical_clv_margin"]),
            None,
            people_period,
            "n/a",
            "money",
            "Median net margin to date per customer with a completed order.",
        ),
        Headline(
            "median_predicted_clv_12m",
            "Median predicted CLV, next 12 months (margin)",
            _number(current["median_predicted_clv_12m"]),
            None,
            people_period,
            "n/a",
            "money",
            "Median of the CLV model's expected margin over the next 12 months (BG/NBD or MBG/NBD × Gamma-Gamma).",
        ),
    ]
    for channel, ratio, cohorts in connection.execute(
        "SELECT acquisition_channel, ltv_cac_ratio_12m, cohorts FROM marts.ltv_cac_by_channel ORDER BY 1"
    ).fetchall():
        figures.append(
            Headline(
                f"ltv_cac_{channel}",
                f"LTV:CAC, {channel}",
                _number(ratio),
                None,
                f"{cohorts} cohorts 12 months old",
                "n/a",
                "ratio",
                "12-month margin per new customer over acquisition cost per new customer; healthy at 3 or more.",
            )
        )
    return figures
