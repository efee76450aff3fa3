"""Charts for the Overview and Supplier vetting pages: pure functions from a polars frame to a plotly Figure
(or, for the Overview's badge mix, a Vega-Lite spec: the first chart a session draws, lighter in the browser).

Each function takes exactly the columns it names, draws nothing itself and reads no state, so the tests
check traces, values and axis titles on tiny frames.
"""

import json

import plotly.graph_objects as go
import polars as pl

import catalogue
from policy.rules import BADGES
from ui import format as fmt

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


# The legend sits below the plot, clear of the title above and of the x-axis title (issue 11).
LEGEND = {"orientation": "h", "yanchor": "top", "y": -0.28, "xanchor": "left", "x": 0.0}
MARGIN = {"l": 10, "r": 10, "t": 50, "b": 90}
LEGEND_GAP = 64  # px from the plot's bottom edge to the legend's top, room for tick labels and an axis title


def _layout(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(title={"text": title}, margin=MARGIN, legend=LEGEND, hovermode="x unified")
    return fig


def nothing_to_draw(trends: pl.DataFrame, column: str) -> bool:
    """True when `column` has no value to plot (an empty frame or only nulls): show a sentence instead."""
    return trends.is_empty() or column not in trends.columns or trends[column].drop_nulls().is_empty()


def empty_sentence(what: str, why: str) -> str:
    """The sentence that replaces an empty chart: 'No <what> to chart: <why>.'"""
    return f"No {what} to chart: {why}."


def _months(trends: pl.DataFrame) -> list:
    return trends["month"].to_list()


def vega_axis(plotly_ticks: dict) -> dict:
    """A Vega-Lite axis with the ticks of a ui.format axis (count_axis, money_axis: tickvals and ticktext),
    so a Vega-Lite chart labels its axis exactly as the plotly charts do."""
    values, texts = plotly_ticks["tickvals"], plotly_ticks["ticktext"]
    label = "".join(f"datum.value == {v!r} ? {json.dumps(t)} : " for v, t in zip(values, texts, strict=True))
    return {"values": values, "labelExpr": label + "''"}


def badge_mix_chart(verdict: pl.DataFrame) -> dict:
    """Suppliers per badge (all four badges, zeros included) as horizontal bars with their counts, from a frame
    with `badge`: a Vega-Lite spec for st.vega_lite_chart (the browser draws it with far less code than a
    plotly figure, which matters on the first page a session opens)."""
    counts = dict.fromkeys(BADGES, 0)
    for badge, n in verdict.group_by("badge").len().iter_rows():
        counts[str(badge)] = n
    order = ("qualified", "not_qualified", "region_not_open", "not_enrolled")
    rows = [{"badge": catalogue.label(b, "badge"), "suppliers": counts[b], "text": fmt.count(counts[b])} for b in order]
    labels = [row["badge"] for row in rows]
    ticks = fmt.count_axis([counts[b] for b in order])
    return {
        "title": {"text": "Badge mix", "anchor": "start"},
        "data": {"values": rows},
        "height": 200,
        "encoding": {
            "y": {"field": "badge", "type": "nominal", "sort": labels, "title": "Badge"},
            "x": {
                "field": "suppliers",
                "type": "quantitative",
                "title": "Suppliers",
                "scale": {"domain": [0, max(ticks["tickvals"])]},
                "axis": vega_axis(ticks),
            },
            "tooltip": [{"field": "badge", "title": "Badge"}, {"field": "text", "title": "Suppliers"}],
        },
        "layer": [
            {
                "mark": {"type": "bar"},
                "encoding": {
                    "color": {
                        "field": "badge",
                        "type": "nominal",
                        "scale": {"domain": labels, "range": [BADGE_COLORS[b] for b in order]},
                        "legend": None,
                    }
                },
            },
            {"mark": {"type": "text", "align": "left", "dx": 4}, "encoding": {"text": {"field": "text"}}},
        ],
    }


def _figure(data: list, title: str, layout: dict) -> go.Figure:
    """One Figure built in a single call (the supplier profile draws three per open: plotly's
    update_layout / make_subplots path lookups cost several times more than one nested layout)."""
    base = {"title": {"text": title}, "margin": MARGIN, "legend": LEGEND, "hovermode": "x unified"}
    return go.Figure(data=data, layout={**base, **layout})


def deals_value_figure(trends: pl.DataFrame) -> go.Figure:
    """Covered deals per month (line, left axis) and their value in USD (bars, right axis).

    `trends`: month, deals, value_usd — one row per month, oldest first.
    """
    months = _months(trends)
    values = trends["value_usd"].to_list()
    deals = trends["deals"].to_list()
    bars = {
        "type": "bar",
        "x": months,
        "y": values,
        "customdata": [fmt.money_exact(v) for v in values],
        "name": "Covered deal value",
        "marker": {"color": VALUE_COLOR},
        "hovertemplate": "%{customdata}",
        "xaxis": "x",
        "yaxis": "y2",
    }
    line = {
        "type": "scatter",
        "x": months,
        "y": deals,
        "name": "Covered deals",
        "mode": "lines+markers",
        "line": {"color": DEAL_COLOR},
        "hovertemplate": "%{y:,}",
        "xaxis": "x",
        "yaxis": "y",
    }
    layout = {
        "xaxis": {"anchor": "y", "domain": [0.0, 0.94], "title": {"text": "Month"}},
        "yaxis": {
            "anchor": "x",
            "domain": [0.0, 1.0],
            "title": {"text": "Covered deals"},
            "rangemode": "tozero",
            **fmt.count_axis(deals),
        },
        "yaxis2": {
            "anchor": "x",
            "overlaying": "y",
            "side": "right",
            "title": {"text": "Value (USD)"},
            "rangemode": "tozero",
            "showgrid": False,
            **fmt.money_axis(values),
        },
    }
    return _figure([bars, line], "Covered deals completed per month", layout)


def _threshold(y: float, text: str, below: bool = False) -> dict:
    """A dashed policy line across the plot with its words at the left, above it (as fig.add_hline draws
    it) or `below` it (where a rate near 100 % leaves the words clear of the line it plots)."""
    return {
        "shapes": [
            {
                "type": "line",
                "xref": "x domain",
                "x0": 0,
                "x1": 1,
                "yref": "y",
                "y0": y,
                "y1": y,
                "line": {"dash": "dash", "color": THRESHOLD_COLOR, "width": 1},
            }
        ],
        "annotations": [
            {
                "text": text,
                "showarrow": False,
                "xref": "x domain",
                "x": 0,
                "xanchor": "left",
                "yref": "y",
                "y": y,
                "yanchor": "top" if below else "bottom",
            }
        ],
    }


def on_time_figure(trends: pl.DataFrame, min_on_time_rate: float) -> go.Figure:
    """Monthly on-time shipping rate (0..1; gaps where nothing was due) with the policy minimum as a dashed line.

    `trends`: month, on_time_rate, shipments.
    """
    line = {
        "type": "scatter",
        "x": _months(trends),
        "y": trends["on_time_rate"].to_list(),
        "customdata": trends["shipments"].to_list(),
        "name": "On-time rate",
        "mode": "lines+markers",
        "line": {"color": DEAL_COLOR},
        "hovertemplate": "%{y:.1%} of %{customdata:,} shipments<extra></extra>",
    }
    layout = {
        "xaxis": {"title": {"text": "Month"}},
        "yaxis": {"title": {"text": "On-time rate"}, **fmt.percent_axis(low=0.0, high=1.0)},
        **_threshold(min_on_time_rate, f"policy minimum {fmt.threshold_percent(min_on_time_rate)}", below=True),
    }
    return _figure([line], "On-time shipping per month", layout)


def response_time_figure(trends: pl.DataFrame, max_median_response_hours: float) -> go.Figure:
    """Monthly median first-reply time in hours with the policy maximum as a dashed line.

    `trends`: month, median_response_hours, inquiries.
    """
    line = {
        "type": "scatter",
        "x": _months(trends),
        "y": trends["median_response_hours"].to_list(),
        "customdata": trends["inquiries"].to_list(),
        "name": "Median reply",
        "mode": "lines+markers",
        "line": {"color": DEAL_COLOR},
        "hovertemplate": "%{y:.1f} h over %{customdata:,} inquiries<extra></extra>",
    }
    hours = [h for h in trends["median_response_hours"].to_list() if h is not None] + [max_median_response_hours]
    layout = {
        "xaxis": {"title": {"text": "Month"}},
        "yaxis": {"title": {"text": "Median reply (hours)"}, "rangemode": "tozero", "range": [0, max(hours) * 1.1]},
        **_threshold(max_median_response_hours, f"policy maximum {max_median_response_hours:g} h"),
    }
    return _figure([line], "Median time to first reply per month", layout)


# ---- making any figure read (also the uptake charts built in ui.lab) ----------------------------------


def _axis_key(axis: str) -> str:
    """'y' → 'yaxis', 'y2' → 'yaxis2', 'x' → 'xaxis'."""
    return f"{axis[0]}axis{axis[1:]}"


def _axis_values(fig: go.Figure, axis: str) -> list:
    """The values plotted on `axis`; stacked bars count as their per-category totals (the bar's top)."""
    letter, other = axis[0], "x" if axis[0] == "y" else "y"
    out, stacks = [], {}
    for trace in fig.data:
        if (getattr(trace, f"{letter}axis", None) or letter) != axis:
            continue
        values = list(getattr(trace, letter) or ())
        if trace.type == "bar" and fig.layout.barmode in ("stack", "relative"):
            for at, v in zip(getattr(trace, other) or (), values, strict=False):
                stacks[at] = stacks.get(at, 0) + (v or 0)
        else:
            out.extend(v for v in values if v is not None)
    return out + list(stacks.values())


def readable(
    fig: go.Figure,
    *,
    money_axes: tuple[str, ...] = (),
    percent_axes: tuple[str, ...] = (),
    count_axes: tuple[str, ...] = (),
) -> go.Figure:
    """`fig` with its legend below the plot (clear of title and axes), money axes at round ticks labelled with
    at most three significant digits ('$1.28M', never '$1.28308M'), percent axes every 5 or 10 points and
    count axes at whole round ticks. Axes are named as plotly names them: 'y', 'y2', 'x'."""
    fig.update_layout(legend=LEGEND, margin=MARGIN)
    for axis in money_axes:
        fig.update_layout({_axis_key(axis): fmt.money_axis(_axis_values(fig, axis))})
    for axis in percent_axes:
        values = _axis_values(fig, axis)
        fig.update_layout({_axis_key(axis): fmt.percent_axis(values, low=0.0, high=max([1.0, *values]))})
    for axis in count_axes:
        fig.update_layout({_axis_key(axis): fmt.count_axis(_axis_values(fig, axis))})
    return fig


def every_category(fig: go.Figure, axis: str = "y", row_height: int = 26) -> go.Figure:
    """Show every category label on a category axis (plotly skips some when crowded): explicit ticks, and a
    height that leaves each category a row."""
    letter = axis[0]
    categories = list(dict.fromkeys(v for trace in fig.data for v in (getattr(trace, letter) or ())))
    height = max(320, 160 + row_height * len(categories) * max(1, len(fig.data)))
    # The legend's place is a share of the plot's height: on a tall chart LEGEND's share would leave a gap of
    # hundreds of pixels, so keep it LEGEND_GAP pixels under the plot (below the tick labels and axis title).
    plot = height - (fig.layout.margin.t if fig.layout.margin.t is not None else MARGIN["t"])
    plot -= fig.layout.margin.b if fig.layout.margin.b is not None else MARGIN["b"]
    fig.update_layout(
        {_axis_key(axis): {"tickmode": "array", "tickvals": categories, "ticktext": categories, "automargin": True}},
        height=height,
        legend={"y": max(LEGEND["y"], -LEGEND_GAP / max(plot, 1))},
    )
    return fig


def top_with_others(frame: pl.DataFrame, by: str, sort_by: str, n: int = 12, others: str = "Others") -> pl.DataFrame:
    """The `n` rows with the largest `sort_by` (largest first), then one row named `others` summing every
    numeric column of the rest (only when there is a rest)."""
    ranked = frame.sort([sort_by, by], descending=[True, False])
    if ranked.height <= n:
        return ranked
    numbers = [c for c, t in frame.schema.items() if c != by and t.is_numeric()]
    rest = ranked.slice(n).select(pl.lit(others).alias(by), *(pl.col(c).sum() for c in numbers))
    return pl.concat([ranked.head(n).select(by, *numbers), rest.cast(ranked.select(by, *numbers).schema)])
