"""What `make run` prints after a run: rows per table and where the outputs are."""

import duckdb

SCHEMAS_IN_ORDER = ("shop", "support", "surveys", "marketing", "finance", "quarantine", "staging", "intermediate", "clv", "marts", "ingest")


def table_row_counts(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    """Rows of every table; views are left out (counting one runs its query: seconds on 9M orders)."""
    tables = connection.execute(
        """
        SELECT table_schema, table_name FROM information_schema.tables
        WHERE table_catalog = current_database() AND table_type = 'BASE TABLE' AND table_schema IN ({})
        """.format(", ".join("?" for _ in SCHEMAS_IN_ORDER)),
        list(SCHEMAS_IN_ORDER),
    ).fetchall()
    tables.sort(key=lambda t: (SCHEMAS_IN_ORDER.index(t[0]), t[1]))
    return [
        (f"{schema}.{table}", connection.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchall()[0][0])
        for schema, table in tables
    ]


def _first(connection: duckdb.DuckDBPyConnection, sql: str):
    rows = connection.execute(sql).fetchall()
    return rows[0] if rows else None


def business_summary(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Headline figures from the marts, as (label, value) lines."""
    lines: list[tuple[str, str]] = []
    customers, buyers, as_of = _first(
        connection, "SELECT count(*), count(cohort_month), max(as_of_date) FROM marts.customers"
    )
    lines.append(("As of", str(as_of)))
    lines.append(("Customers (any order / completed order)", f"{customers:,} / {buyers:,}"))

    cohort = _first(
        connection,
        """
        SELECT cohort_month, retention_rate FROM marts.cohort_retention
        WHERE months_since_first_order = 12
          AND activity_month < date_trunc('month', (SELECT max(as_of_date) FROM marts.customers))
        ORDER BY cohort_month DESC LIMIT 1
        """,
    )
    lines.append(
        ("12-month retention, latest complete cohort", f"{cohort[1]:.1%} (cohort {cohort[0]:%Y-%m})" if cohort else "n/a")
    )

    nps = _first(
        connection,
        """
        SELECT 100.0 * (sum(promoters) - sum(detractors)) / nullif(sum(nps_responses), 0), sum(nps_responses)
        FROM marts.nps_monthly
        WHERE response_month > (SELECT max(as_of_date) FROM marts.customers) - INTERVAL 12 MONTH
        """,
    )
    lines.append(("NPS, last 12 months", f"{nps[0]:+.1f} ({nps[1]:,} answers)" if nps and nps[0] is not None else "n/a"))

    clv = _first(
        connection,
        "SELECT median(historical_clv_margin), median(historical_clv_revenue) FROM marts.customers WHERE completed_orders > 0",
    )
    lines.append(("Median historical CLV, margin (revenue)", f"{clv[0]:,.2f} ({clv[1]:,.2f})" if clv and clv[0] is not None else "n/a"))

    channels = connection.execute(
        """
        SELECT acquisition_channel,
               sum(margin_per_customer_12m * new_customers) / nullif(sum(marketing_spend), 0) AS ltv_cac
        FROM marts.ltv_cac
        WHERE margin_per_customer_12m IS NOT NULL
        GROUP BY 1 ORDER BY 1
        """
    ).fetchall()
    for channel, ratio in channels:
        verdict = "healthy" if ratio is not None and ratio >= 3 else "below 3:1"
        lines.append((f"LTV:CAC (12 months), {channel}", f"{ratio:.2f} ({verdict})" if ratio is not None else "n/a"))
    if not channels:
        lines.append(("LTV:CAC", "n/a (no marketing spend, or no cohort 12 months old)"))
    return lines
