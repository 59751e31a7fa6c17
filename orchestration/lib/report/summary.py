"""The business summary `make run` prints after a run."""

import duckdb


def business_summary(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Headline figures as (label, value) lines, selected from the marts that define them
    (`lifecycle_summary`, `ltv_cac_by_channel`): nothing is computed here."""
    headline = connection.execute("SELECT * FROM marts.lifecycle_summary").fetchdf().iloc[0]

    def known(column: str) -> bool:
        return headline[column] is not None and headline[column] == headline[column]  # not null, not NaN

    lines = [
        ("As of", str(headline["as_of_date"].date())),
        ("Customers (any order / completed order)", f"{headline['customers']:,} / {headline['buyers']:,}"),
        ("Prospects (no completed order)", f"{headline['prospects']:,} of {headline['people']:,} people known"),
        (
            "12-month retention, latest complete cohort",
            f"{headline['retention_12m']:.1%} (cohort {headline['retention_12m_cohort_month']:%Y-%m})"
            if known("retention_12m_cohort_month")
            else "n/a",
        ),
        (
            "Quick ratio / retention, last month",
            f"{headline['quick_ratio_last_month']:.2f} / {headline['customer_retention_last_month']:.1%} "
            f"({headline['last_month']:%Y-%m})"
            if known("quick_ratio_last_month") and known("customer_retention_last_month")
            else "n/a",
        ),
        (
            "90-day repeat rate, latest cohort",
            f"{headline['repeat_rate_90d']:.1%} (cohort {headline['repeat_90d_cohort_month']:%Y-%m})"
            if known("repeat_rate_90d")
            else "n/a",
        ),
        (
            "NPS, last 12 months",
            f"{headline['nps_12m']:+.1f} ({headline['nps_responses_12m']:,} answers)" if known("nps_12m") else "n/a",
        ),
        (
            "Median historical CLV, margin (revenue)",
            f"{headline['median_historical_clv_margin']:,.2f} ({headline['median_historical_clv_revenue']:,.2f})"
            if known("median_historical_clv_margin")
            else "n/a",
        ),
        (
            "Below-zero customers (value < 0)",
            f"{headline['below_zero_customers']:,} ({headline['below_zero_share_of_buyers']:.1%} of buyers), "
            f"costing {headline['below_zero_cost']:,.2f} to acquire and serve",
        ),
    ]
    channels = connection.execute(
        "SELECT acquisition_channel, ltv_cac_ratio_12m, is_healthy, median_cac_payback_months "
        "FROM marts.ltv_cac_by_channel ORDER BY 1"
    ).fetchall()
    for channel, ratio, healthy, payback in channels:
        verdict = "healthy" if healthy else "below 3:1"
        months = "month" if payback == 1 else "months"
        paid_back = f", pays back in {payback:g} {months}" if payback is not None else ", not paid back yet"
        lines.append(
            (f"LTV:CAC (12 months), {channel}", f"{ratio:.2f} ({verdict}{paid_back})" if ratio is not None else "n/a")
        )
    if not channels:
        lines.append(("LTV:CAC", "n/a (no marketing spend, or no cohort 12 months old)"))
    return lines
