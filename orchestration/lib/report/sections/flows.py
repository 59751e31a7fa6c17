"""Section 3: monthly growth accounting, the lifecycle stages over time, and the flows between them."""

from datetime import timedelta

import duckdb
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from orchestration.lib.report.panels import Panel, PanelSpec, Section, Window, frame, month_labels, monthly_lines

FLOW_COLOURS = {"new": "#2a9d8f", "retained": "#264653", "resurrected": "#e9c46a", "churned": "#e76f51"}
STAGE_COLOURS = {
    "prospect": "#adb5bd",
    "new": "#2a9d8f",
    "active": "#264653",
    "advocate": "#8ab17d",
    "at risk": "#f4a261",
    "reactivated": "#e9c46a",
    "churned": "#e76f51",
}


GROWTH_ACCOUNTING = PanelSpec(
    "growth-accounting",
    "Monthly growth accounting",
    how_to_read=(
        "Bars above zero are the month's active customers by where they came from; the red bar below zero is "
        "those lost since the month before. The line (right axis) is the quick ratio: above 1 the base grows."
    ),
    definition=(
        "On completed orders, active = at least one in the month. New: first completed order; retained: active "
        "this month and last; resurrected: active this month, not last, not new; churned: active last month, not "
        "this month. Quick ratio = (new + resurrected) / churned (`growth_accounting_monthly`)."
    ),
)


def growth_accounting(connection: duckdb.DuckDBPyConnection, window: Window) -> Panel:
    flows = frame(
        connection,
        "SELECT flow_month, new_customers, retained_customers, resurrected_customers, churned_customers, quick_ratio "
        "FROM marts.growth_accounting_monthly WHERE flow_month >= ? ORDER BY flow_month",
        [window.start],
    )
    if flows.empty:
        return GROWTH_ACCOUNTING.sentence("No month in the window has a completed order yet.")
    months = month_labels(flows["flow_month"])
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    for flow, sign in (("new", 1), ("retained", 1), ("resurrected", 1), ("churned", -1)):
        figure.add_bar(
            x=months,
            y=sign * flows[f"{flow}_customers"],
            name=flow,
            marker_color=FLOW_COLOURS[flow],
            customdata=flows[f"{flow}_customers"],
            hovertemplate=f"%{{x}}: %{{customdata:,}} {flow}<extra></extra>",
        )
    figure.add_scatter(
        x=months,
        y=flows["quick_ratio"],
        name="quick ratio",
        mode="lines+markers",
        line=dict(color="#6d597a"),
        secondary_y=True,
    )
    figure.update_layout(barmode="relative")
    figure.update_yaxes(title_text="customers", secondary_y=False)
    figure.update_yaxes(
        title_text="quick ratio", secondary_y=True, rangemode="tozero", showgrid=False, tickformat=".1f"
    )
    return GROWTH_ACCOUNTING.chart(figure)


LIFECYCLE_STAGES = PanelSpec(
    "lifecycle-stages",
    "Lifecycle stages at each month end",
    how_to_read=(
        "The people known at each month end, stacked by their lifecycle stage that day; the last month ends on the "
        "as-of date."
    ),
    definition=(
        "`lifecycle_stages_monthly`: the same rule as `customers.lifecycle_stage`, applied at every month end. "
        "Prospect: no completed order; churned: none in the churn window; new: first order recently; "
        "reactivated: the latest order ended a gap longer than the churn window; at risk: none in the at-risk "
        "window; advocate: latest NPS answer 9-10; active: everyone else."
    ),
)


def stages_over_time(connection: duckdb.DuckDBPyConnection, window: Window) -> Panel:
    stages = frame(
        connection,
        "SELECT stage_month, lifecycle_stage, stage_order, customers FROM marts.lifecycle_stages_monthly "
        "WHERE stage_month >= ? ORDER BY stage_order, stage_month",
        [window.start],
    )
    if stages.empty:
        return LIFECYCLE_STAGES.sentence("Nobody is known yet.")

    def stage_area(stage) -> dict:
        return dict(
            name=stage,
            stackgroup="stages",
            line=dict(color=STAGE_COLOURS.get(stage)),
            hovertemplate=f"%{{x}}: %{{y:,}} {stage}<extra></extra>",
        )

    figure = monthly_lines(
        go.Figure(), stages, group="lifecycle_stage", month="stage_month", value="customers", line=stage_area
    )
    figure.update_layout(yaxis_title="people")
    return LIFECYCLE_STAGES.chart(figure)


STAGE_FLOWS = PanelSpec(
    "stage-flows",
    "Flows between lifecycle stages, latest month",
    how_to_read=(
        "Each band is the people who moved from one stage (left, the month end before) to another (right, the "
        "latest month end); its width is how many. People whose stage did not change are not drawn."
    ),
    definition=(
        "`lifecycle_stage_transitions_monthly`: per month, the people whose stage at that month end differs from "
        "their stage at the month end before (a person first seen in the month comes from 'first seen')."
    ),
)


def stage_flows(connection: duckdb.DuckDBPyConnection, window: Window) -> Panel:
    transitions = frame(
        connection,
        """
        SELECT transition_month, from_stage, to_stage, customers FROM marts.lifecycle_stage_transitions_monthly
        WHERE transition_month = (SELECT max(transition_month) FROM marts.lifecycle_stage_transitions_monthly)
        ORDER BY customers DESC
        """,
    )
    if transitions.empty:
        return STAGE_FLOWS.sentence("No stage has changed yet.")
    month = transitions["transition_month"].iloc[0]
    before = (month - timedelta(days=1)).strftime("%Y-%m")
    # People first seen in the month had no stage the month before: their node says so, without a month.
    sources = [
        f"{stage} in {month:%Y-%m}" if stage == "first seen" else f"{stage} ({before})"
        for stage in transitions["from_stage"]
    ]
    targets = [f"{stage} ({month:%Y-%m})" for stage in transitions["to_stage"]]
    nodes = list(dict.fromkeys(sources + targets))
    colour = {node: STAGE_COLOURS.get(node.rsplit(" (", 1)[0], "#adb5bd") for node in nodes}
    figure = go.Figure(
        go.Sankey(
            node=dict(label=nodes, color=[colour[node] for node in nodes], pad=18, thickness=16),
            link=dict(
                source=[nodes.index(node) for node in sources],
                target=[nodes.index(node) for node in targets],
                value=transitions["customers"],
                hovertemplate="%{source.label} → %{target.label}: %{value:,}<extra></extra>",
            ),
        )
    )
    return STAGE_FLOWS.chart(figure)


def section(connection: duckdb.DuckDBPyConnection, window: Window) -> Section:
    return Section(
        "flows",
        "Growth and lifecycle flows",
        [
            growth_accounting(connection, window),
            stages_over_time(connection, window),
            stage_flows(connection, window),
        ],
    )
