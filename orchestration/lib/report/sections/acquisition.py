"""Section 1's panels: LTV:CAC by channel against the healthy ratio, and the metric flags of the last whole month."""

import duckdb
import pandas as pd
import plotly.graph_objects as go

from orchestration.lib.report.panels import Panel, PanelSpec, Window, frame, months_between

LTV_CAC_BY_CHANNEL = PanelSpec(
    "ltv-cac-by-channel",
    "LTV:CAC by acquisition channel",
    how_to_read=(
        "Bars at or above the dashed line, the healthy ratio, pay for their acquisition that many times over in 12 "
        "months."
    ),
    definition=(
        "Per paid channel, pooled over its cohorts that have had 12 full months: the cohorts' 12-month net margin "
        "over their marketing spend (`ltv_cac_by_channel.ltv_cac_ratio_12m`). Payback: the median month in "
        "which a cohort's cumulative margin per customer reached its CAC."
    ),
)


def ltv_cac_by_channel(connection: duckdb.DuckDBPyConnection, window: Window) -> Panel:
    channels = frame(
        connection,
        "SELECT acquisition_channel, ltv_cac_ratio_12m, is_healthy, healthy_ltv_cac_ratio, cohorts, "
        "median_cac_payback_months "
        "FROM marts.ltv_cac_by_channel WHERE ltv_cac_ratio_12m IS NOT NULL ORDER BY ltv_cac_ratio_12m DESC",
    )
    if channels.empty:
        oldest = connection.execute("SELECT min(cohort_month) FROM marts.ltv_cac").fetchone()[0]
        if oldest is None:
            why = "LTV:CAC needs marketing spend per channel; none has been delivered."
        else:
            age = months_between(oldest, window.as_of)
            why = f"LTV:CAC needs a cohort 12 months old; the oldest is {age} month{'s' if age != 1 else ''}."
        return LTV_CAC_BY_CHANNEL.sentence(why)
    payback = [
        f"pays back in {months:g} months" if pd.notna(months) else "not paid back yet"
        for months in channels["median_cac_payback_months"]
    ]
    figure = go.Figure(
        go.Bar(
            x=channels["acquisition_channel"],
            y=channels["ltv_cac_ratio_12m"],
            text=[f"{ratio:.2f}" for ratio in channels["ltv_cac_ratio_12m"]],
            textposition="outside",
            customdata=list(zip(channels["cohorts"], payback, strict=True)),
            hovertemplate="%{x}: LTV:CAC %{y:.2f}<br>%{customdata[0]} cohorts, %{customdata[1]}<extra></extra>",
            marker_color=["#2a9d8f" if healthy else "#e76f51" for healthy in channels["is_healthy"]],
            name="LTV:CAC (12 months)",
        )
    )
    # The threshold the mart judged by, which every row publishes alike.
    healthy = float(channels["healthy_ltv_cac_ratio"].iloc[0])
    figure.add_hline(y=healthy, line_dash="dash", annotation_text=f"{healthy:g}:1", annotation_position="top left")
    figure.update_layout(yaxis_title="12-month margin / acquisition cost", showlegend=False)
    return LTV_CAC_BY_CHANNEL.chart(figure)


METRIC_FLAGS = PanelSpec(
    "metric-flags",
    "Metric flags, last whole month",
    how_to_read="Each signal a lifecycle team watches, judged on the last whole month: raised ones first, in red.",
    definition=(
        "`metric_flags`: one row per flag and subject with its value, baseline, threshold and rule in words; the "
        "flags and the mart each watches are listed in the model's YAML, the thresholds are dbt vars (`flag_*`, "
        "`support_sla_hours`)."
    ),
)


def metric_flags(connection: duckdb.DuckDBPyConnection, window: Window) -> Panel:
    flags = frame(
        connection,
        "SELECT flag_month, flag, subject, value, baseline, threshold, is_raised FROM marts.metric_flags "
        "ORDER BY is_raised DESC, flag, subject",
    )
    if flags.empty:
        return METRIC_FLAGS.sentence("No month has ended yet to judge.")
    raised = flags["is_raised"].astype(bool)
    shading = ["#fde2dc" if flag else "#ffffff" for flag in raised]

    def shown(values) -> list[str]:
        return ["-" if pd.isna(value) else f"{value:,.4g}" for value in values]

    figure = go.Figure(
        go.Table(
            header=dict(values=["flag", "about", "value", "baseline", "threshold", "raised"], align="left"),
            cells=dict(
                values=[
                    flags["flag"],
                    flags["subject"],
                    shown(flags["value"]),
                    shown(flags["baseline"]),
                    shown(flags["threshold"]),
                    ["raised" if flag else "quiet" for flag in raised],
                ],
                fill_color=[shading] * 6,
                align="left",
            ),
        )
    )
    figure.update_layout(height=60 + 28 * len(flags), margin=dict(l=10, r=10, t=10, b=10))
    return METRIC_FLAGS.chart(figure, title=f"{METRIC_FLAGS.title} ({flags['flag_month'].iloc[0]:%Y-%m})")
