"""Charts for the Policy lab's backtest: pure functions from polars frames to plotly Figures.

Every function takes a mapping {policy label: frame} (the current policy and the what-if, in the order
they are drawn), reads only the columns it names and no state, so the tests check traces on tiny frames.
"""

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go
import polars as pl

POLICY_COLORS = ("#1565c0", "#ef6c00")  # current, what-if
AXIS_FORMATS = {"percent": ".1%", "money": "$,.2f", "count": ",d"}


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str, y_format: str) -> go.Figure:
    fig.update_layout(
        title={"text": title},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "yanchor": "top", "y": -0.15, "xanchor": "left", "x": 0.0},
        height=360,
    )
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title, tickformat=AXIS_FORMATS[y_format], rangemode="tozero")
    return fig


def series_figure(
    series: Mapping[str, pl.DataFrame],
    lines: Sequence[tuple[str, str]],
    title: str,
    y_title: str,
    y_format: str = "percent",
) -> go.Figure:
    """One line per (policy, column) over `as_of`: `lines` is [(column, label)], the first solid, the rest dashed.

    Each frame of `series` is backtest_series output (as_of plus the named columns). Null values (no
    covered deals after that A0) leave a gap. y_format: "percent", "money" or "count".
    """
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
                )
            )
    fig.update_layout(hovermode="x unified")
    return _layout(fig, title, "A0 (monthly assessment)", y_title, y_format)


def tradeoff_figure(curves: Mapping[str, pl.DataFrame], points: Mapping[str, dict], threshold_label: str) -> go.Figure:
    """Qualified suppliers (x) against the holders' refunds per covered deal (y) while a threshold is swept.

    curves: {policy: tradeoff_curve output (value, qualified, holder_refunds_per_deal_usd)}, one line
    each, the swept value in the hover. points: {policy: a backtest summary row (holders,
    holder_refunds_per_deal_usd) and "value", the policy's own threshold}, drawn as a star.
    """
    fig = go.Figure()
    for (policy, curve), color in zip(curves.items(), POLICY_COLORS, strict=False):
        fig.add_trace(
            go.Scatter(
                x=curve["qualified"].to_list(),
                y=curve["holder_refunds_per_deal_usd"].to_list(),
                customdata=curve["value"].to_list(),
                mode="lines+markers",
                name=f"Sweep · {policy}",
                line={"color": color},
                hovertemplate=f"{threshold_label} %{{customdata:,.4g}}: %{{x:,}} qualified, "
                "%{y:$,.2f} refunds per covered deal<extra></extra>",
            )
        )
    for (policy, point), color in zip(points.items(), POLICY_COLORS, strict=False):
        fig.add_trace(
            go.Scatter(
                x=[point["holders"]],
                y=[point["holder_refunds_per_deal_usd"]],
                customdata=[point["value"]],
                mode="markers",
                name=policy,
                marker={"color": color, "symbol": "star", "size": 16, "line": {"width": 1, "color": "white"}},
                hovertemplate=f"{policy}: {threshold_label} %{{customdata:,.4g}}, %{{x:,}} qualified, "
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
