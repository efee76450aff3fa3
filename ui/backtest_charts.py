"""Charts for the Policy lab's backtest: pure functions from polars frames to plotly Figures.

Every function takes a mapping {policy label: frame} (the current policy and the what-if, in the order
they are drawn), reads only the columns it names and no state, so the tests check traces on tiny frames.
"""

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go
import polars as pl

from ui import format as fmt

POLICY_COLORS = ("#1565c0", "#ef6c00")  # current, what-if
HOVER_FORMATS = {"percent": ".1%", "money": "$,.2f", "count": ",d"}
# Below the x-axis title, never over it (issue 11: legends covered the axis titles).
LEGEND = {"orientation": "h", "yanchor": "top", "y": -0.3, "xanchor": "left", "x": 0.0}


def _y_axis(values: list, y_format: str) -> dict:
    if y_format == "percent":
        present = [v for v in values if v is not None]
        return fmt.percent_axis(present, low=0.0, high=max(present, default=1.0))
    if y_format == "money":
        return fmt.money_axis(values)
    return fmt.count_axis(values)


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str, y_format: str) -> go.Figure:
    fig.update_layout(title={"text": title}, margin={"l": 10, "r": 10, "t": 50, "b": 110}, legend=LEGEND, height=400)
    values = [v for trace in fig.data for v in (trace.y or ())]
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title, rangemode="tozero", **_y_axis(values, y_format))
    return fig


def series_figure(
    series: Mapping[str, pl.DataFrame],
    lines: Sequence[tuple[str, str]],
    title: str,
    y_title: str,
    y_format: str = "percent",
    hover_note: str = "",
) -> go.Figure:
    """One line per (policy, column) over `as_of`: `lines` is [(column, label)], the first solid, the rest dashed.

    Each frame of `series` is backtest_series output (as_of plus the named columns). Null values (no
    covered deals after that A0) leave a gap. y_format: "percent", "money" or "count". `hover_note` is
    added to every hover (e.g. why a share can exceed 100 %).
    """
    note = f"<br>{hover_note}" if hover_note else ""
    fig = go.Figure()
    for (policy, frame), color in zip(series.items(), POLICY_COLORS, strict=False):
        for i, (column, label) in enumerate(lines):
            fig.add_trace(
                go.Scatter(
                    x=frame["as_of"].to_list(),
                    y=frame[column].to_list(),
                    mode="lines+markers",
                    name=f"{label} · {policy}",
                    line={"color": color, "dash": "solid" if i == 0 else "dash"},
                    hovertemplate=f"{label} · {policy}: %{{y:{HOVER_FORMATS[y_format]}}}{note}<extra></extra>",
                )
            )
    fig.update_layout(hovermode="x unified")
    return _layout(fig, title, "A0 (monthly assessment)", y_title, y_format)


def tradeoff_figure(
    curves: Mapping[str, pl.DataFrame],
    points: Mapping[str, dict],
    threshold_label: str,
    show_value=lambda v: f"{v:,.4g}",
) -> go.Figure:
    """Qualified suppliers (x) against the holders' refunds per covered deal (y) while a threshold is swept.

    curves: {policy: tradeoff_curve output (value, qualified, holder_refunds_per_deal_usd)}, one line
    each, the swept value in the hover. points: {policy: a backtest summary row (holders,
    holder_refunds_per_deal_usd) and "value", the policy's own threshold}, drawn as a star.
    `show_value` turns a swept threshold into text for the hover (e.g. ui.format.threshold_percent).
    """
    fig = go.Figure()
    for (policy, curve), color in zip(curves.items(), POLICY_COLORS, strict=False):
        fig.add_trace(
            go.Scatter(
                x=curve["qualified"].to_list(),
                y=curve["holder_refunds_per_deal_usd"].to_list(),
                customdata=[show_value(v) for v in curve["value"].to_list()],
                mode="lines+markers",
                name=f"Sweep · {policy}",
                line={"color": color},
                hovertemplate=f"{threshold_label} %{{customdata}}: %{{x:,}} qualified, "
                "%{y:$,.2f} refunds per covered deal<extra></extra>",
            )
        )
    for (policy, point), color in zip(points.items(), POLICY_COLORS, strict=False):
        fig.add_trace(
            go.Scatter(
                x=[point["holders"]],
                y=[point["holder_refunds_per_deal_usd"]],
                customdata=[show_value(point["value"])],
                mode="markers",
                name=policy,
                marker={"color": color, "symbol": "star", "size": 16, "line": {"width": 1, "color": "white"}},
                hovertemplate=f"{policy}: {threshold_label} %{{customdata}}, %{{x:,}} qualified, "
                "%{y:$,.2f} refunds per covered deal<extra></extra>",
            )
        )
    return _layout(
        fig,
        f"Trade-off while sweeping {threshold_label.lower()}",
        "Qualified suppliers at A0",
        "Holders' refunds per covered deal after A0",
        "money",
    )


def flips_figure(per_assessment: Mapping[str, pl.DataFrame]) -> go.Figure:
    """Badge flips per monthly assessment, without grace (dashed) and with the policy's grace (solid).

    per_assessment: {policy: FlipCounts.per_assessment (as_of, flips_without_grace, flips_with_grace)}.
    """
    fig = go.Figure()
    for (policy, frame), color in zip(per_assessment.items(), POLICY_COLORS, strict=False):
        for column, label, dash in (
            ("flips_with_grace", "with grace", "solid"),
            ("flips_without_grace", "without grace", "dash"),
        ):
            fig.add_trace(
                go.Scatter(
                    x=frame["as_of"].to_list(),
                    y=frame[column].to_list(),
                    mode="lines+markers",
                    name=f"{policy} · {label}",
                    line={"color": color, "dash": dash},
                )
            )
    fig.update_layout(hovermode="x unified")
    return _layout(
        fig, "Badge flips per monthly assessment", "Assessment", "Suppliers gaining or losing the badge", "count"
    )
