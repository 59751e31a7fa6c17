"""Section 6: the lifecycle audiences, who to act on: their sizes run over run, what is at stake in each
today, and who entered and exited them in the run that published the report."""

import duckdb
import plotly.graph_objects as go

from orchestration.lib.report.panels import Panel, PanelSpec, Section, Window, frame

AUDIENCE_SIZES = PanelSpec(
    "audience-sizes",
    "Audience sizes over time",
    how_to_read=(
        "Members of each audience after the last run of each as-of date: a line that climbs is a list growing "
        "faster than the team works it."
    ),
    definition=(
        "`audience_sizes.members`: the audience history's entries less its exits up to that date's last run; "
        "each audience's rule is in `audiences.definition`."
    ),
)


def audience_sizes(connection: duckdb.DuckDBPyConnection, window: Window) -> Panel:
    rows = frame(
        connection,
        "SELECT sizes.as_of_date, sizes.audience, sizes.members FROM marts.audience_sizes AS sizes "
        "JOIN marts.audiences USING (audience) WHERE sizes.as_of_date >= ? "
        "ORDER BY audiences.display_order, sizes.as_of_date",
        [window.start],
    )
    if rows.empty:
        return AUDIENCE_SIZES.sentence("No audience history in the window yet: the first run starts it.")
    figure = go.Figure()
    for audience, group in rows.groupby("audience", sort=False):
        figure.add_scatter(
            x=[f"{day:%Y-%m-%d}" for day in group["as_of_date"]],  # a category per run's date, not a time axis
            y=group["members"],
            name=str(audience),
            mode="lines+markers",
            hovertemplate=f"%{{x}}: %{{y:,}} in {audience}<extra></extra>",
        )
    figure.update_layout(yaxis_title="members", xaxis_title="as-of date", xaxis_type="category")
    return AUDIENCE_SIZES.chart(figure)


AUDIENCE_VALUE = PanelSpec(
    "audience-value",
    "Value at stake by audience, today",
    how_to_read="Where acting is worth most: each bar sums the members' value at stake; hover for the members.",
    definition=(
        "`audiences.value_at_stake`: predicted 12-month CLV (win back, second order, advocates), customer value "
        "(service recovery), the shortfall below costs (below-zero review); prospects have none yet."
    ),
)


def audience_value(connection: duckdb.DuckDBPyConnection, window: Window) -> Panel:
    rows = frame(connection, "SELECT audience, members, value_at_stake FROM marts.audiences ORDER BY display_order")
    if rows.empty or not rows["members"].any():
        return AUDIENCE_VALUE.sentence("No customer is in any audience today.")
    figure = go.Figure()
    figure.add_bar(
        x=rows["audience"],
        y=rows["value_at_stake"].astype(float),
        customdata=rows["members"],
        hovertemplate="%{x}: %{y:,.2f} at stake, %{customdata:,} members<extra></extra>",
        showlegend=False,
    )
    figure.update_layout(yaxis_title="value at stake")
    return AUDIENCE_VALUE.chart(figure)


AUDIENCE_CHANGES = PanelSpec(
    "audience-changes",
    "Entered and exited, this run",
    how_to_read=(
        "Who a CRM receives today: customers who entered each audience (its changes file) and who exited it, "
        "against the run before. A first run has everyone entering."
    ),
    definition="`audiences.entered` and `audiences.exited`, from `audience_changes`.",
)


def audience_changes(connection: duckdb.DuckDBPyConnection, window: Window) -> Panel:
    rows = frame(connection, "SELECT audience, entered, exited FROM marts.audiences ORDER BY display_order")
    if rows.empty or not (rows["entered"].any() or rows["exited"].any()):
        return AUDIENCE_CHANGES.sentence("No customer entered or exited an audience in this run.")
    figure = go.Figure()
    for column, name in (("entered", "entered"), ("exited", "exited")):
        figure.add_bar(
            x=rows["audience"], y=rows[column], name=name, hovertemplate=f"%{{x}}: %{{y:,}} {name}<extra></extra>"
        )
    figure.update_layout(barmode="group", yaxis_title="customers")
    return AUDIENCE_CHANGES.chart(figure)


def section(connection: duckdb.DuckDBPyConnection, window: Window) -> Section:
    return Section(
        "audiences",
        "Audiences",
        [
            audience_sizes(connection, window),
            audience_value(connection, window),
            audience_changes(connection, window),
        ],
    )
