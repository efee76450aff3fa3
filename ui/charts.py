"""Charts for the Overview and Supplier vetting pages: pure functions from a polars frame to a plotly Figure.

Each function takes exactly the columns it names, draws nothing itself and reads no state, so the tests
check traces, values and axis titles on tiny frames.
"""

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from policy.rules import BADGES
from ui.explain import BADGE_LABELS

BADGE_COLORS = {
    "qualified": "#2e7d32",
    "not_qualified": "#ef6c00",
    "region_not_open": "#78909c",
    "not_enrolled": "#b0bec5",
}
DEAL_COLOR = "#1565c0"
VALUE_COLOR = "#90caf9"
THRESHOLD_COLOR = "#c62828"
# Plotly's modebar logo links out; the dashboard shows no third-party links.
CONFIG = {"displaylogo": False}


def _layout(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(
        title={"text": title},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
        hovermode="x unified",
    )
    return fig


def _months(trends: pl.DataFrame) -> list:
    return trends["month"].to_list()


def badge_mix_figure(verdict: pl.DataFrame) -> go.Figure:
    """Suppliers per badge (all four badges, zeros included) as horizontal bars, from a frame with `badge`."""
    counts = dict.fromkeys(BADGES, 0)
    for badge, n in verdict.group_by("badge").len().iter_rows():
        counts[str(badge)] = n
    order = ("qualified", "not_qualified", "region_not_open", "not_enrolled")
    fig = go.Figure(
        go.Bar(
            x=[counts[b] for b in order],
            y=[BADGE_LABELS[b] for b in order],
            orientation="h",
            marker_color=[BADGE_COLORS[b] for b in order],
            text=[f"{counts[b]:,}" for b in order],
            textposition="auto",
            hovertemplate="%{y}: %{x:,} suppliers<extra></extra>",
            name="Suppliers",
        )
    )
    fig.update_xaxes(title_text="Suppliers")
    fig.update_yaxes(title_text="Badge", autorange="reversed")
    fig.update_layout(hovermode="closest")
    return _layout(fig, "Badge mix")


def deals_value_figure(trends: pl.DataFrame) -> go.Figure:
    """Covered deals per month (line, left axis) and their value in USD (bars, right axis).

    `trends`: month, deals, value_usd — one row per month, oldest first.
    """
    months = _months(trends)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Bar(
            x=months,
            y=trends["value_usd"].to_list(),
            name="Value (USD)",
            marker_color=VALUE_COLOR,
            hovertemplate="$%{y:,.0f}",
        ),
        secondary_y=True,
    )
    fig.add_trace(
        go.Scatter(
            x=months,
            y=trends["deals"].to_list(),
            name="Covered deals",
            mode="lines+markers",
            line={"color": DEAL_COLOR},
            hovertemplate="%{y:,}",
        ),
        secondary_y=False,
    )
    fig.update_xaxes(title_text="Month")
    fig.update_yaxes(title_text="Covered deals", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text="Value (USD)", tickprefix="$", rangemode="tozero", showgrid=False, secondary_y=True)
    return _layout(fig, "Covered deals completed per month")


def _threshold(fig: go.Figure, y: float, text: str) -> None:
    fig.add_hline(
        y=y,
        line={"dash": "dash", "color": THRESHOLD_COLOR, "width": 1},
        annotation_text=text,
        annotation_position="top left",
    )


def on_time_figure(trends: pl.DataFrame, min_on_time_rate: float) -> go.Figure:
    """Monthly on-time shipping rate (0..1; gaps where nothing was due) with the policy minimum as a dashed line.

    `trends`: month, on_time_rate, shipments.
    """
    fig = go.Figure(
        go.Scatter(
            x=_months(trends),
            y=trends["on_time_rate"].to_list(),
            customdata=trends["shipments"].to_list(),
            name="On-time rate",
            mode="lines+markers",
            line={"color": DEAL_COLOR},
            hovertemplate="%{y:.0%} of %{customdata:,} shipments<extra></extra>",
        )
    )
    _threshold(fig, min_on_time_rate, f"policy minimum {min_on_time_rate:.0%}")
    fig.update_xaxes(title_text="Month")
    fig.update_yaxes(title_text="On-time rate", tickformat=".0%", range=[0, 1.05])
    return _layout(fig, "On-time shipping per month")


def response_time_figure(trends: pl.DataFrame, max_median_response_hours: float) -> go.Figure:
    """Monthly median first-reply time in hours with the policy maximum as a dashed line.

    `trends`: month, median_response_hours, inquiries.
    """
    fig = go.Figure(
        go.Scatter(
            x=_months(trends),
            y=trends["median_response_hours"].to_list(),
            customdata=trends["inquiries"].to_list(),
            name="Median reply",
            mode="lines+markers",
            line={"color": DEAL_COLOR},
            hovertemplate="%{y:.1f} h over %{customdata:,} inquiries<extra></extra>",
        )
    )
    _threshold(fig, max_median_response_hours, f"policy maximum {max_median_response_hours:g} h")
    fig.update_xaxes(title_text="Month")
    fig.update_yaxes(title_text="Median reply (hours)", rangemode="tozero")
    return _layout(fig, "Median time to first reply per month")
