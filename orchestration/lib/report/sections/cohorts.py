"""Section 2: the cohort retention triangle and the cohorts' lifetime value against acquisition cost."""

import duckdb
import pandas as pd
import plotly.graph_objects as go

from orchestration.lib.report.panels import Panel, PanelSpec, Section, Window, frame

PALETTE = ("#264653", "#2a9d8f", "#e9c46a", "#f4a261", "#e76f51", "#6d597a", "#355070", "#b56576")


def weighted_retention(cells: pd.DataFrame) -> pd.Series:
    """The triangle's bottom row: per month since the first order, the retention of every cohort that has
    reached it, weighted by cohort size (their active customers over their sizes, not a mean of rates)."""
    reached = cells.groupby("months_since_first_order")[["active_customers", "cohort_size"]].sum()
    return reached["active_customers"] / reached["cohort_size"]


COHORT_RETENTION = PanelSpec(
    "cohort-retention",
    "Cohort retention triangle",
    how_to_read=(
        "Each row is the customers whose first completed order fell in that month; read across to see what share "
        "ordered again 1, 2, 3 … months later. The bottom row averages the cohorts, weighted by their size."
    ),
    definition=(
        "`cohort_retention.retention_rate`: customers of the cohort with a completed order in the month, over the "
        "cohort's size. Month 0 is the cohort month itself (100%)."
    ),
)


def retention_triangle(connection: duckdb.DuckDBPyConnection, window: Window) -> Panel:
    cells = frame(
        connection,
        "SELECT cohort_month, months_since_first_order, cohort_size, active_customers, retention_rate "
        "FROM marts.cohort_retention WHERE cohort_month >= ? ORDER BY cohort_month, months_since_first_order",
        [window.start],
    )
    if cells.empty:
        return COHORT_RETENTION.sentence("No cohort has a completed order in the window yet.")
    grid = cells.pivot(index="cohort_month", columns="months_since_first_order", values="retention_rate")
    sizes = cells.groupby("cohort_month")["cohort_size"].first()
    average = weighted_retention(cells).reindex(grid.columns)
    labels = [f"{month:%Y-%m} (n={sizes[month]:,})" for month in grid.index] + ["All cohorts (weighted)"]
    values = [list(row) for row in grid.to_numpy()] + [list(average.to_numpy())]
    # Month 0 is 100% by definition: scale the colours to the later months, or they all look pale.
    later = cells.loc[cells["months_since_first_order"] > 0, "retention_rate"]
    colour_ceiling = min(1.0, float(later.max()) * 1.1) if not later.empty and later.max() > 0 else 1.0
    figure = go.Figure(
        go.Heatmap(
            z=values,
            x=[int(month) for month in grid.columns],
            y=labels,
            colorscale="Blues",
            zmin=0,
            zmax=colour_ceiling,
            colorbar=dict(title="retained", tickformat=".0%"),
            hovertemplate="%{y}, month %{x}: %{z:.1%}<extra></extra>",
        )
    )
    figure.update_layout(
        xaxis_title="months since the first completed order",
        yaxis=dict(autorange="reversed", type="category"),
        height=max(380, 22 * len(labels) + 120),
    )
    return COHORT_RETENTION.chart(figure)


COHORT_LTV_CURVES = PanelSpec(
    "cohort-ltv-curves",
    "Cohort lifetime value against acquisition cost",
    how_to_read=(
        "Solid lines: the margin a channel's newest 12-month-old cohort brought per customer after 3, 6 and 12 "
        "months; dotted lines: what acquiring each of those customers cost. A star marks the month the margin "
        "caught up with the cost (payback)."
    ),
    definition=(
        "`ltv_cac.margin_per_customer_{3,6,12}m`: cumulative net margin per new customer of the channel and cohort; "
        "`ltv_cac.cac`: the cohort month's spend over its new customers; `cac_payback_months`: the first month the "
        "cumulative margin per customer reached CAC (1 = the month of acquisition)."
    ),
)


def cohort_value_curves(connection: duckdb.DuckDBPyConnection, window: Window) -> Panel:
    cohorts = frame(
        connection,
        """
        SELECT acquisition_channel, cohort_month, cac, margin_per_customer_3m, margin_per_customer_6m,
               margin_per_customer_12m, cac_payback_months
        FROM marts.ltv_cac
        WHERE margin_per_customer_12m IS NOT NULL AND cac IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY acquisition_channel ORDER BY cohort_month DESC) = 1
        ORDER BY acquisition_channel
        """,
    )
    if cohorts.empty:
        return COHORT_LTV_CURVES.sentence("Lifetime value against CAC needs a paid cohort 12 months old; none is yet.")
    figure = go.Figure()
    for index, cohort in enumerate(cohorts.itertuples(index=False)):
        colour = PALETTE[index % len(PALETTE)]
        label = f"{cohort.acquisition_channel} ({cohort.cohort_month:%Y-%m})"
        margins = [0.0, *(float(m) for m in (cohort.margin_per_customer_3m, cohort.margin_per_customer_6m))]
        margins.append(float(cohort.margin_per_customer_12m))
        figure.add_scatter(
            x=[0, 3, 6, 12], y=margins, mode="lines+markers", name=label, line=dict(color=colour), legendgroup=label
        )
        figure.add_scatter(
            x=[0, 12],
            y=[float(cohort.cac)] * 2,
            mode="lines",
            line=dict(color=colour, dash="dot"),
            name=f"CAC {cohort.acquisition_channel}",
            legendgroup=label,
            showlegend=False,
            hovertemplate=f"CAC {cohort.acquisition_channel}: %{{y:,.2f}}<extra></extra>",
        )
        if pd.notna(cohort.cac_payback_months):
            figure.add_scatter(
                x=[int(cohort.cac_payback_months)],
                y=[float(cohort.cac)],
                mode="markers",
                marker=dict(symbol="star", size=14, color=colour),
                name=f"payback {cohort.acquisition_channel}",
                legendgroup=label,
                showlegend=False,
                hovertemplate=f"{cohort.acquisition_channel}: paid back in month %{{x}}<extra></extra>",
            )
    figure.update_layout(xaxis_title="months since acquisition", yaxis_title="net margin per customer")
    return COHORT_LTV_CURVES.chart(figure)


def section(connection: duckdb.DuckDBPyConnection, window: Window) -> Section:
    return Section(
        "cohorts", "Cohorts", [retention_triangle(connection, window), cohort_value_curves(connection, window)]
    )
