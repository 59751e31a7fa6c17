"""Section 4: who is worth the most on margin, who never will be, and how far the CLV model can be trusted."""

import duckdb
import pandas as pd
import plotly.graph_objects as go

from orchestration.lib.report.panels import Panel, PanelSpec, Section, Window, frame

TIER_COLOURS = {"most valuable": "#264653", "most growable": "#2a9d8f", "maintain": "#e9c46a", "below zero": "#e76f51"}
HISTOGRAM_BINS = 40
# The P(alive) matrix: purchases beyond the first, and months between the first and the latest purchase.
MAX_REPEAT_PURCHASES = 20
MAX_RECENCY_MONTHS = 36
DAYS_PER_MONTH = 30.4375


def tier_shares(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per value tier, best first: its buyers and summed customer value, and their shares of all buyers'."""
    return frame(
        connection,
        """
        SELECT value_tier, count(*) AS customers, sum(customer_value) AS customer_value,
               count(*) / sum(count(*)) OVER () AS share_of_customers,
               sum(customer_value) / nullif(sum(sum(customer_value)) OVER (), 0) AS share_of_value
        FROM marts.customers WHERE is_buyer GROUP BY value_tier
        ORDER BY CASE value_tier
            WHEN 'most valuable' THEN 1 WHEN 'most growable' THEN 2 WHEN 'maintain' THEN 3 ELSE 4
        END
        """,
    )


VALUE_TIERS = PanelSpec(
    "value-tiers",
    "Value tiers: how many, and what share of the value",
    how_to_read=(
        "Left bar of each pair: the tier's share of buyers; right: its share of the total customer value. A tier "
        "whose value share far exceeds its headcount share is where the money is; 'below zero' shows a negative share."
    ),
    definition=(
        "`customers.value_tier` on customer value = historical margin + predicted 12-month margin − cost to serve − "
        "acquisition cost. Most valuable: the top share by value (dbt var `most_valuable_share`); most growable: "
        "a large predicted value relative to the margin so far, likely alive; maintain: other positive value; "
        "below zero: costs more than it brings."
    ),
)


def value_tiers(connection: duckdb.DuckDBPyConnection, window: Window) -> Panel:
    tiers = tier_shares(connection)
    if tiers.empty:
        return VALUE_TIERS.sentence("No customer has a completed order yet.")
    figure = go.Figure()
    for measure, label in (("share_of_customers", "share of buyers"), ("share_of_value", "share of value")):
        figure.add_bar(
            x=tiers["value_tier"],
            y=tiers[measure].astype(float),
            name=label,
            text=[f"{share:.0%}" for share in tiers[measure].astype(float)],
            textposition="outside",
            customdata=list(zip(tiers["customers"], tiers["customer_value"].astype(float), strict=True)),
            hovertemplate="%{x}: %{customdata[0]:,} buyers, value %{customdata[1]:,.2f}<extra>" + label + "</extra>",
            marker_color="#8d99ae"
            if measure == "share_of_customers"
            else [TIER_COLOURS.get(t) for t in tiers["value_tier"]],
        )
    figure.update_layout(barmode="group", yaxis=dict(tickformat=".0%", title="share"))
    return VALUE_TIERS.chart(figure)


def clv_histogram(connection: duckdb.DuckDBPyConnection, column: str, bins: int = HISTOGRAM_BINS) -> pd.DataFrame:
    """Buyers per bin of `column`: `bins` equal bins between its 1st and 99th percentiles, the values beyond
    them gathered in the edge bins; each row carries the edges (low, high)."""
    return frame(
        connection,
        f"""
        WITH values_ AS (SELECT {column}::double AS x FROM marts.customers WHERE is_buyer AND {column} IS NOT NULL),
        edges AS (SELECT quantile_cont(x, 0.01) AS low, quantile_cont(x, 0.99) AS high FROM values_)
        SELECT least(greatest(floor((x - low) / nullif(high - low, 0) * {bins}), 0), {bins - 1}) AS bin,
               any_value(low) AS low, any_value(high) AS high, count(*) AS customers
        FROM values_, edges GROUP BY 1 ORDER BY 1
        """,
    )


def bin_centres(histogram: pd.DataFrame, bins: int = HISTOGRAM_BINS) -> tuple[list[float], float]:
    """Where each bin of `clv_histogram` is drawn, and its width (1 when every value is the same)."""
    low, high = float(histogram["low"].iloc[0]), float(histogram["high"].iloc[0])
    width = (high - low) / bins if high > low else 1.0
    return [low + (b + 0.5) * width for b in histogram["bin"].fillna(0)], width


CLV_DISTRIBUTION = PanelSpec(
    "clv-distribution",
    "Distribution of CLV on margin",
    how_to_read=(
        "How many buyers have each lifetime value: the margin they have brought so far, and what the model expects "
        "them to bring in the next 12 months. The lowest and highest 1% are gathered in the edge bars."
    ),
    definition=(
        "`customers.historical_clv_margin`: net margin of completed orders to date; `customers.predicted_clv_12m`: "
        "expected purchases × expected margin per purchase over the next 12 months, discounted monthly."
    ),
)


def clv_distribution(connection: duckdb.DuckDBPyConnection, window: Window) -> Panel:
    figure = go.Figure()
    for column, label in (("historical_clv_margin", "historical"), ("predicted_clv_12m", "predicted, next 12 months")):
        bins = clv_histogram(connection, column)
        if bins.empty:
            continue
        centres, width = bin_centres(bins)
        figure.add_bar(
            x=centres,
            y=bins["customers"],
            width=width,
            name=label,
            opacity=0.65,
            hovertemplate="around %{x:,.2f}: %{y:,} buyers<extra>" + label + "</extra>",
        )
    if not figure.data:
        return CLV_DISTRIBUTION.sentence("No customer has a completed order yet.")
    figure.update_layout(barmode="overlay", xaxis_title="CLV on margin", yaxis_title="buyers")
    return CLV_DISTRIBUTION.chart(figure)


BELOW_ZERO = PanelSpec(
    "below-zero",
    "Below-zero customers and what they cost",
    how_to_read=(
        "Per acquisition channel, what the below-zero buyers cost to acquire and to serve (stacked), and how many "
        "they are."
    ),
    definition=(
        "Below zero: customer value < 0 (`customers.value_tier`). Cost to serve: tickets × the contact cost of "
        "their channel; acquisition cost: the CAC of the buyer's channel and cohort where spend is known."
    ),
)


def below_zero(connection: duckdb.DuckDBPyConnection, window: Window) -> Panel:
    summary = connection.execute(
        "SELECT below_zero_customers, below_zero_share_of_buyers, below_zero_cost FROM marts.lifecycle_summary"
    ).fetchone()
    how = BELOW_ZERO.how_to_read
    if summary is not None and summary[0]:
        how = (
            f"{summary[0]:,} buyers ({summary[1]:.1%}) are worth less than nothing: together they cost "
            f"{summary[2]:,.2f} to acquire and serve. " + how
        )
    channels = frame(
        connection,
        """
        SELECT coalesce(acquisition_channel, 'unknown') AS acquisition_channel, count(*) AS customers,
               sum(cost_to_serve) AS cost_to_serve, sum(coalesce(acquisition_cost, 0)) AS acquisition_cost
        FROM marts.customers WHERE value_tier = 'below zero' GROUP BY 1 ORDER BY customers DESC
        """,
    )
    if channels.empty:
        return BELOW_ZERO.sentence("No buyer is below zero.", how_to_read=how)
    figure = go.Figure()
    for column, label, colour in (
        ("acquisition_cost", "acquisition cost", "#e76f51"),
        ("cost_to_serve", "cost to serve", "#f4a261"),
    ):
        figure.add_bar(
            x=channels["acquisition_channel"],
            y=channels[column].astype(float),
            name=label,
            marker_color=colour,
            customdata=channels["customers"],
            hovertemplate="%{x}: %{y:,.2f} " + label + " (%{customdata:,} buyers)<extra></extra>",
        )
    figure.update_layout(barmode="stack", yaxis_title="cost", xaxis_title="acquisition channel")
    return BELOW_ZERO.chart(figure, how_to_read=how)


def p_alive_cells(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Buyers with a P(alive) by frequency (repeat orders) and recency (whole months from the first to the
    latest order), each capped at the matrix's edge: their mean P(alive) and how many they are."""
    return frame(
        connection,
        f"""
        SELECT least(completed_orders - 1, {MAX_REPEAT_PURCHASES}) AS frequency,
               least(floor((tenure_days - days_since_last_order) / {DAYS_PER_MONTH}), {MAX_RECENCY_MONTHS}) AS recency,
               avg(p_alive) AS p_alive, count(*) AS customers
        FROM marts.customers WHERE is_buyer AND p_alive IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2
        """,
    )


P_ALIVE_MATRIX = PanelSpec(
    "p-alive-matrix",
    "Probability alive by frequency and recency",
    how_to_read=(
        "Each cell: the average probability that buyers with that many repeat orders (up) and that long between "
        "their first and latest order (across) are still customers. Frequent buyers whose latest order is long ago "
        "(top left) have probably left."
    ),
    definition=(
        "`customers.p_alive` from the purchase model (BG/NBD or MBG/NBD), as lifetimes and pymc-marketing draw it: "
        "frequency = completed orders − 1; recency = months from the first to the latest completed order "
        "(tenure_days − days_since_last_order)."
    ),
)


def p_alive_matrix(connection: duckdb.DuckDBPyConnection, window: Window) -> Panel:
    cells = p_alive_cells(connection)
    if cells.empty:
        return P_ALIVE_MATRIX.sentence("The CLV model has not been fitted yet (too little history).")
    grid = cells.pivot(index="frequency", columns="recency", values="p_alive")
    counts = cells.pivot(index="frequency", columns="recency", values="customers")
    figure = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=[int(month) for month in grid.columns],
            y=[int(frequency) for frequency in grid.index],
            customdata=counts.to_numpy(),
            zmin=0,
            zmax=1,
            colorscale="RdYlGn",
            colorbar=dict(title="P(alive)", tickformat=".0%"),
            hovertemplate=(
                "%{y} repeat orders, recency %{x} months: P(alive) %{z:.0%} (%{customdata:,} buyers)<extra></extra>"
            ),
        )
    )
    figure.update_layout(
        xaxis_title=f"recency: months from first to latest order ({MAX_RECENCY_MONTHS} = or more)",
        yaxis_title=f"frequency: repeat orders ({MAX_REPEAT_PURCHASES} = or more)",
    )
    return P_ALIVE_MATRIX.chart(figure)


CLV_HOLDOUT = PanelSpec(
    "clv-holdout",
    "CLV model: calibration and holdout",
    how_to_read=(
        "The model was fitted on the history before the shaded weeks only. Where the dashed prediction keeps to the "
        "actual line through the shaded holdout weeks, the model predicts purchases it never saw."
    ),
    definition=(
        "`clv_holdout_tracking`: the calibration cohort's cumulative repeat purchases per week, actual against the "
        "sum of the model's expected purchases (Fader, Hardie & Lee 2005, fig. 3)."
    ),
)


def holdout_tracking(connection: duckdb.DuckDBPyConnection, window: Window) -> Panel:
    weeks = frame(
        connection,
        "SELECT period_end, actual_cumulative, predicted_cumulative, holdout FROM marts.clv_holdout_tracking ORDER "
        "BY week",
    )
    if weeks.empty:
        return CLV_HOLDOUT.sentence("The history is too short to hold weeks out and check the CLV model.")
    figure = go.Figure()
    figure.add_scatter(x=weeks["period_end"], y=weeks["actual_cumulative"], name="actual", mode="lines")
    figure.add_scatter(
        x=weeks["period_end"], y=weeks["predicted_cumulative"], name="model", mode="lines", line=dict(dash="dash")
    )
    held_out = weeks.loc[weeks["holdout"], "period_end"]
    if not held_out.empty:
        figure.add_vrect(
            x0=held_out.min(),
            x1=held_out.max(),
            fillcolor="#adb5bd",
            opacity=0.25,
            line_width=0,
            annotation_text="holdout",
            annotation_position="top left",
        )
    figure.update_layout(yaxis_title="cumulative repeat purchases", xaxis_title="week ending")
    return CLV_HOLDOUT.chart(figure)


def section(connection: duckdb.DuckDBPyConnection, window: Window) -> Section:
    return Section(
        "value",
        "Value",
        [
            value_tiers(connection, window),
            clv_distribution(connection, window),
            below_zero(connection, window),
            p_alive_matrix(connection, window),
            holdout_tracking(connection, window),
        ],
    )
