"""What `make run` prints after a run: rows per table and where the outputs are."""

import duckdb

SCHEMAS_IN_ORDER = (
    "shop",
    "support",
    "surveys",
    "marketing",
    "finance",
    "quarantine",
    "staging",
    "intermediate",
    "clv",
    "marts",
    "ingest",
)


def table_row_counts(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    """Rows of every table; views are left out (counting one runs its whole query)."""
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


def business_summary(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Headline figures as (label, value) lines, selected from the marts that define them
    (`lifecycle_summary`, `ltv_cac_by_channel`): nothing is computed here."""
    (as_of, customers, buyers, nps_responses, nps, clv_margin, clv_revenue, retention_cohort, retention) = (
        connection.execute(
            """
        SELECT as_of_date, customers, buyers, nps_responses_12m, nps_12m, median_historical_clv_margin,
               median_historical_clv_revenue, retention_12m_cohort_month, retention_12m
        FROM marts.lifecycle_summary
        """
        ).fetchone()
    )
    lines = [
        ("As of", str(as_of)),
        ("Customers (any order / completed order)", f"{customers:,} / {buyers:,}"),
        (
            "12-month retention, latest complete cohort",
            f"{retention:.1%} (cohort {retention_cohort:%Y-%m})" if retention_cohort else "n/a",
        ),
        ("NPS, last 12 months", f"{nps:+.1f} ({nps_responses:,} answers)" if nps is not None else "n/a"),
        (
            "Median historical CLV, margin (revenue)",
            f"{clv_margin:,.2f} ({clv_revenue:,.2f})" if clv_margin is not None else "n/a",
        ),
    ]
    channels = connection.execute(
        "SELECT acquisition_channel, ltv_cac_ratio_12m, is_healthy FROM marts.ltv_cac_by_channel ORDER BY 1"
    ).fetchall()
    for channel, ratio, healthy in channels:
        verdict = "healthy" if healthy else "below 3:1"
        lines.append((f"LTV:CAC (12 months), {channel}", f"{ratio:.2f} ({verdict})" if ratio is not None else "n/a"))
    if not channels:
        lines.append(("LTV:CAC", "n/a (no marketing spend, or no cohort 12 months old)"))
    return lines
