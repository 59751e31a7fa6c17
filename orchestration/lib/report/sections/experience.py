"""Section 5: how happy customers are (NPS, CSAT), how fast support answers, and whether it shows in churn."""

import duckdb
import plotly.graph_objects as go

from orchestration.lib.report.panels import Panel, PanelSpec, Section, Window, frame, monthly_lines

CHANNEL_LINE = dict(width=1)


def _survey_trend(connection: duckdb.DuckDBPyConnection, window: Window, measure: str, label: str) -> go.Figure | None:
    """Buyers' and prospects' monthly `measure`, bold, and the buyers' by acquisition channel, thin."""
    overall = frame(
        connection,
        f"SELECT response_month, is_buyer, {measure} AS value, nps_responses FROM marts.nps_monthly "
        f"WHERE response_month >= ? AND {measure} IS NOT NULL ORDER BY response_month",
        [window.start],
    )
    by_channel = frame(
        connection,
        f"SELECT response_month, acquisition_channel, {measure} AS value FROM marts.nps_monthly_by_channel "
        f"WHERE response_month >= ? AND {measure} IS NOT NULL ORDER BY acquisition_channel, response_month",
        [window.start],
    )
    if overall.empty:
        return None
    figure = go.Figure()

    def overall_line(is_buyer) -> dict:
        who = "buyers" if is_buyer else "prospects"
        hover = f"%{{x}}: {label} %{{y:.1f}} ({who})<extra></extra>"
        return dict(name=f"all {who}", mode="lines+markers", line=dict(width=3), hovertemplate=hover)

    def channel_line(channel) -> dict:
        hover = f"%{{x}}: {label} %{{y:.1f}} ({channel})<extra></extra>"
        return dict(name=str(channel), mode="lines", line=CHANNEL_LINE, hovertemplate=hover)

    monthly_lines(figure, overall, group="is_buyer", month="response_month", value="value", line=overall_line)
    monthly_lines(
        figure, by_channel, group="acquisition_channel", month="response_month", value="value", line=channel_line
    )
    return figure


NPS_TREND = PanelSpec(
    "nps-trend",
    "NPS by month, overall and by acquisition channel",
    how_to_read=(
        "Above 0, promoters outnumber detractors. Thick lines: all buyers and all prospects; thin: buyers by "
        "acquisition channel."
    ),
    definition=(
        "`nps_monthly.nps` and `nps_monthly_by_channel.nps`: 100 × (promoters (9-10) − detractors (0-6)) / answers "
        "of the response month."
    ),
)


def nps_trend(connection: duckdb.DuckDBPyConnection, window: Window) -> Panel:
    figure = _survey_trend(connection, window, "nps", "NPS")
    if figure is None:
        return NPS_TREND.sentence("No NPS answer in the window.")
    figure.add_hline(y=0, line_color="#adb5bd")
    figure.update_layout(yaxis_title="NPS")
    return NPS_TREND.chart(figure)


CSAT_TREND = PanelSpec(
    "csat-trend",
    "CSAT by month, overall and by acquisition channel",
    how_to_read=(
        "The share of satisfied answers each month. Thick lines: all buyers and all prospects; thin: buyers by "
        "acquisition channel."
    ),
    definition=(
        "`nps_monthly.csat_pct`: CSAT survey answers of 4 or 5 (of 5), as a percentage of the month's CSAT answers."
    ),
)


def csat_trend(connection: duckdb.DuckDBPyConnection, window: Window) -> Panel:
    figure = _survey_trend(connection, window, "csat_pct", "CSAT %")
    if figure is None:
        return CSAT_TREND.sentence("No CSAT answer in the window.")
    figure.update_layout(yaxis_title="satisfied answers, %")
    return CSAT_TREND.chart(figure)


def _support_by_channel(
    connection: duckdb.DuckDBPyConnection, window: Window, measure: str, hours: str
) -> go.Figure | None:
    rows = frame(
        connection,
        f"SELECT ticket_month, ticket_channel, {measure} AS hours, tickets_created FROM marts.support_monthly "
        f"WHERE is_buyer AND ticket_month >= ? AND {measure} IS NOT NULL ORDER BY ticket_channel, ticket_month",
        [window.start],
    )
    if rows.empty:
        return None

    def channel_line(channel) -> dict:
        hover = f"%{{x}}, {channel}: {hours} %{{y:.1f}} h (%{{customdata:,}} tickets)<extra></extra>"
        return dict(name=str(channel), mode="lines+markers", hovertemplate=hover)

    figure = monthly_lines(
        go.Figure(),
        rows,
        group="ticket_channel",
        month="ticket_month",
        value="hours",
        line=channel_line,
        customdata="tickets_created",
    )
    figure.update_layout(yaxis_title=f"{hours}, hours")
    return figure


FIRST_RESPONSE = PanelSpec(
    "first-response",
    "First response by ticket channel against the SLA",
    how_to_read=(
        "The time within which 9 tickets in 10 got a first answer, per channel and month. Above the dashed line "
        "(the SLA, `support_monthly.sla_hours`) more than one customer in ten waited too long."
    ),
    definition=(
        "`support_monthly.p90_first_response_hours`: the 90th percentile of hours from a buyer's ticket being "
        "opened to the first agent response, by the month the ticket was opened. SLA: dbt var `support_sla_hours`."
    ),
)


def first_response(connection: duckdb.DuckDBPyConnection, window: Window) -> Panel:
    figure = _support_by_channel(connection, window, "p90_first_response_hours", "p90 first response")
    if figure is None:
        return FIRST_RESPONSE.sentence("No answered ticket in the window.")
    [(sla_hours,)] = connection.execute("SELECT max(sla_hours) FROM marts.support_monthly").fetchall()
    figure.add_hline(
        y=sla_hours, line_dash="dash", annotation_text=f"SLA {sla_hours:g} h", annotation_position="top left"
    )
    return FIRST_RESPONSE.chart(figure)


RESOLUTION = PanelSpec(
    "resolution",
    "Resolution time by ticket channel",
    how_to_read="How long the typical ticket took to be solved, per channel and month: lower is better.",
    definition=(
        "`support_monthly.median_resolution_hours`: the median hours from a buyer's ticket being opened to it "
        "being solved, by the month it was opened."
    ),
)


def resolution(connection: duckdb.DuckDBPyConnection, window: Window) -> Panel:
    figure = _support_by_channel(connection, window, "median_resolution_hours", "median resolution")
    if figure is None:
        return RESOLUTION.sentence("No solved ticket in the window.")
    return RESOLUTION.chart(figure)


SUPPORT_IMPACT = PanelSpec(
    "support-impact",
    "Support experience and churn",
    how_to_read=(
        "Buyers grouped by their support experience, one block per way of grouping them. Compare the bars within a "
        "block: a group that churns more, or comes back less within 90 days, points at the support it got."
    ),
    definition=(
        "`support_impact`: churn rate = share of the group's buyers who have churned (`customers.is_churned`: no "
        "completed order in the churn window); 90-day repeat rate = of the group's buyers whose first completed "
        "order is at least 90 days old, the share with a second within 90 days. Groups: tickets or none; first "
        "response within the SLA or slower; every ticket resolved or not; ticket CSAT; ticket channel."
    ),
)


def support_and_churn(connection: duckdb.DuckDBPyConnection, window: Window) -> Panel:
    groups = frame(
        connection,
        "SELECT dimension, support_group, customers, churn_rate, repeat_rate_90d FROM marts.support_impact "
        "ORDER BY dimension, support_group",
    )
    if groups.empty:
        return SUPPORT_IMPACT.sentence("No buyer yet.")
    labels = [[dimension for dimension in groups["dimension"]], [group for group in groups["support_group"]]]
    figure = go.Figure()
    for column, label, colour in (
        ("churn_rate", "churn rate", "#e76f51"),
        ("repeat_rate_90d", "90-day repeat rate", "#2a9d8f"),
    ):
        figure.add_bar(
            x=labels,
            y=groups[column],
            name=label,
            marker_color=colour,
            customdata=groups["customers"],
            hovertemplate="%{x}: " + label + " %{y:.1%} (%{customdata:,} buyers)<extra></extra>",
        )
    figure.update_layout(barmode="group", yaxis=dict(tickformat=".0%"), xaxis=dict(tickangle=-30), height=460)
    return SUPPORT_IMPACT.chart(figure)


def section(connection: duckdb.DuckDBPyConnection, window: Window) -> Section:
    return Section(
        "experience",
        "Experience",
        [
            nps_trend(connection, window),
            csat_trend(connection, window),
            first_response(connection, window),
            resolution(connection, window),
            support_and_churn(connection, window),
        ],
    )
