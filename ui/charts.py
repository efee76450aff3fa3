"""Charts for the Overview and the Supplier profile: pure functions from a polars frame to a Vega-Lite spec (a
dict for st.vega_lite_chart), and the helpers that make any plotly figure read (ui.lab's, ui.backtest_charts').

The Overview's badge mix and the profile's trends are Vega-Lite: the browser draws them with far less work
than plotly figures (plotly.js is a 4.7 MB script and each figure is slow to lay out), which matters on the
first page a session opens and on a profile opened by link. Each function takes exactly the columns it names,
draws nothing itself and reads no state, so the tests check rows, encodings and axes on tiny frames.
"""

import json
import math

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


def nothing_to_draw(trends: pl.DataFrame, column: str) -> bool:
    """True when `column` has no value to plot (an empty frame or only nulls): show a sentence instead."""
    return trends.is_empty() or column not in trends.columns or trends[column].drop_nulls().is_empty()


def empty_sentence(what: str, why: str) -> str:
    """The sentence that replaces an empty chart: 'No <what> to chart: <why>.'"""
    return f"No {what} to chart: {why}."


def vega_axis(plotly_ticks: dict) -> dict:
    """A Vega-Lite axis with the ticks of a ui.format axis (count_axis, money_axis: tickvals and ticktext),
    so a Vega-Lite chart labels its axis exactly as the plotly charts do."""
    values, texts = plotly_ticks["tickvals"], plotly_ticks["ticktext"]
    label = "".join(f"datum.value == {v!r} ? {json.dumps(t)} : " for v, t in zip(values, texts, strict=True))
    return {"values": values, "labelExpr": label + "''"}


# ---- Vega-Lite building blocks (also ui.charts_uptake and ui.assess_charts) ---------------------------------

VEGA_HEIGHT = 320
# Below the plot, wrapping: every entry shows, clear of the title and the x-axis title (issue 11).
# No legend title: " ", the value Streamlit itself writes, in place, into a None legend title of a spec it draws
# (so with None, a cached spec, or this dict, would change on its first draw). Copied into each spec all the same.
VEGA_LEGEND = {"orient": "bottom", "direction": "horizontal", "title": " ", "columns": 3}
VEGA_MONTH = {
    "field": "month",
    "type": "temporal",
    "timeUnit": "utcyearmonth",
    "title": "Month",
    "axis": {"format": "%b %Y", "formatType": "utc", "labelOverlap": True},
}


def vega_chart(title: str, rows: list[dict], height: int = VEGA_HEIGHT, **spec) -> dict:
    """A Vega-Lite spec: a title at the left, the chart's one table of rows, a height, then `spec`."""
    return {"title": {"text": title, "anchor": "start"}, "data": {"values": rows}, "height": height, **spec}


def vega_scale(ticks: dict) -> dict:
    """The scale spanning a ui.format axis's ticks (first to last)."""
    return {"domain": [min(ticks["tickvals"]), max(ticks["tickvals"])]}


def vega_percent_axis(values: list) -> tuple[dict, dict]:
    """(axis, scale) for a rate axis from 0 %: ui.format.percent_axis's round steps and range, labels like '90%'."""
    spec = fmt.percent_axis(values, low=0.0, high=max([1.0, *(v for v in values if not fmt.missing(v))]))
    low, high = spec["range"]
    step = spec["dtick"]
    ticks = [round(k * step, 6) for k in range(math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9) + 1)]
    return {"values": ticks, "format": spec["tickformat"]}, {"domain": [low, high]}


def vega_series_rows(frame: pl.DataFrame, x: str, series: dict[str, str], text) -> list[dict]:
    """One row per row of `frame` and column of `series` ({column: label}): month (`x` as text), series, value
    and the value as `text` formats it (the tooltip)."""
    return [
        {"month": str(row[x]), "series": label, "value": row[column], "text": text(row[column])}
        for row in frame.iter_rows(named=True)
        for column, label in series.items()
    ]


def vega_bar_and_line(title: str, rows: list[dict], color: dict, bar: tuple[str, dict], line: tuple[str, dict]) -> dict:
    """Two series of `rows` over months: `bar` = (series, y settings) as bars, `line` = (series, y settings) as a
    line with points, each on its own y scale, one legend (`color`) below."""

    def layer(series: str, mark: dict, y: dict) -> dict:
        return {
            "transform": [{"filter": {"field": "series", "equal": series}}],
            "mark": mark,
            "encoding": {"y": {"field": "value", "type": "quantitative", **y}},
        }

    return vega_chart(
        title,
        rows,
        encoding={"x": VEGA_MONTH, "color": color, "tooltip": vega_tooltip()},
        layer=[layer(bar[0], {"type": "bar"}, bar[1]), layer(line[0], {"type": "line", "point": True}, line[1])],
        resolve={"scale": {"y": "independent"}},
    )


def vega_tooltip(x_title: str = "Month") -> list[dict]:
    """Month, series and the value's text."""
    return [
        {"field": "month", "type": "temporal", "timeUnit": "utcyearmonth", "title": x_title, "format": "%b %Y"},
        {"field": "series", "title": "Series"},
        {"field": "text", "title": "Value"},
    ]


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
    # A fifth more room than the longest bar: its count, written after it, stays inside the chart on a phone.
    ticks = fmt.count_axis([counts[b] for b in order] + [max(counts.values()) * 1.2])
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


# ---- the supplier profile's trends (Vega-Lite specs: the profile opens with no plotly.js to load) ------------

DEALS, DEAL_VALUE = "Covered deals", "Covered deal value"
ON_TIME, REPLY = "On-time rate", "Median reply"
TREND_MONTHS = "the last 24 months"


def _many(n: int, one: str, many: str) -> str:
    return f"{fmt.count(n)} {one if n == 1 else many}"


def _threshold_layer(value: float, text: str, below: bool = False) -> dict:
    """A dashed policy line across the plot with its words at the left, above it or `below` it (where a rate
    near 100 % leaves the words clear of the line it plots). Its own one-row data: no line per month."""
    y = {"field": "threshold", "type": "quantitative"}
    return {
        "data": {"values": [{"threshold": value, "label": text}]},
        "layer": [
            {"mark": {"type": "rule", "strokeDash": [6, 4], "color": THRESHOLD_COLOR}, "encoding": {"y": y}},
            {
                "mark": {
                    "type": "text",
                    "align": "left",
                    "baseline": "top" if below else "bottom",
                    "dy": 3 if below else -3,
                    "color": THRESHOLD_COLOR,
                },
                "encoding": {"y": y, "x": {"value": 4}, "text": {"field": "label"}},
            },
        ],
    }


def deals_value_chart(trends: pl.DataFrame) -> dict:
    """Covered deals per month (line, left count axis) and their value in USD (bars, right money axis).

    `trends`: month, deals, value_usd — one row per month, oldest first. Rows: one per month and series, the
    exact value as tooltip text ('$7,250.50', '5')."""
    values, deals = trends["value_usd"].to_list(), trends["deals"].to_list()
    rows = vega_series_rows(trends, "month", {"value_usd": DEAL_VALUE}, fmt.money_exact)
    rows += vega_series_rows(trends, "month", {"deals": DEALS}, fmt.count)
    money, counts = fmt.money_axis(values), fmt.count_axis(deals)
    color = {
        "field": "series",
        "type": "nominal",
        "scale": {"domain": [DEAL_VALUE, DEALS], "range": [VALUE_COLOR, DEAL_COLOR]},
        "legend": dict(VEGA_LEGEND),
    }
    value_y = {
        "title": "Value (USD)",
        "axis": {**vega_axis(money), "orient": "right", "grid": False},
        "scale": vega_scale(money),
    }
    deals_y = {"title": "Covered deals", "axis": {**vega_axis(counts), "orient": "left"}, "scale": vega_scale(counts)}
    return vega_bar_and_line("Covered deals completed per month", rows, color, (DEAL_VALUE, value_y), (DEALS, deals_y))


def _monthly_rows(trends: pl.DataFrame, series: str, column: str, none: str, describe) -> list[dict]:
    """One row per month of `column` as `series`; its tooltip `describe(row)`, or `none` where it is missing."""
    return [
        {
            "month": str(row["month"]),
            "series": series,
            "value": row[column],
            "text": none if fmt.missing(row[column]) else describe(row),
        }
        for row in trends.iter_rows(named=True)
    ]


def _line_with_threshold(title: str, rows: list[dict], y: dict, threshold: dict) -> dict:
    """One series as a line with points (a month without a value is a gap) under a policy threshold line."""
    line = {
        "mark": {"type": "line", "point": True, "color": DEAL_COLOR},
        "encoding": {"x": VEGA_MONTH, "y": {"field": "value", "type": "quantitative", **y}, "tooltip": vega_tooltip()},
    }
    return vega_chart(title, rows, layer=[line, threshold])


def on_time_chart(trends: pl.DataFrame, min_on_time_rate: float) -> dict:
    """Monthly on-time shipping rate (0..1; gaps where nothing was due) with the policy minimum as a dashed line,
    on a percent axis every 10 points. `trends`: month, on_time_rate, shipments."""
    rows = _monthly_rows(
        trends,
        ON_TIME,
        "on_time_rate",
        "no shipment due",
        lambda row: f"{fmt.percent(row['on_time_rate'])} of {_many(row['shipments'], 'shipment', 'shipments')}",
    )
    axis, scale = vega_percent_axis([r["value"] for r in rows])
    threshold = _threshold_layer(
        min_on_time_rate, f"policy minimum {fmt.threshold_percent(min_on_time_rate)}", below=True
    )
    return _line_with_threshold(
        "On-time shipping per month", rows, {"title": "On-time rate", "axis": axis, "scale": scale}, threshold
    )


def response_time_chart(trends: pl.DataFrame, max_median_response_hours: float) -> dict:
    """Monthly median first-reply time in hours with the policy maximum as a dashed line, on whole round hour
    ticks from 0 past the threshold. `trends`: month, median_response_hours, inquiries."""
    rows = _monthly_rows(
        trends,
        REPLY,
        "median_response_hours",
        "no inquiry answered",
        lambda row: f"{fmt.hours(row['median_response_hours'])} over {_many(row['inquiries'], 'inquiry', 'inquiries')}",
    )
    # Room above the threshold for its words ('policy maximum 24 h' sits above the line).
    ticks = fmt.count_axis([r["value"] for r in rows] + [max_median_response_hours * 1.1])
    threshold = _threshold_layer(max_median_response_hours, f"policy maximum {max_median_response_hours:g} h")
    y = {"title": "Median reply (hours)", "axis": vega_axis(ticks), "scale": vega_scale(ticks)}
    return _line_with_threshold("Median time to first reply per month", rows, y, threshold)


def trend_charts(trends: pl.DataFrame, min_on_time_rate: float, max_median_response_hours: float) -> tuple:
    """The profile's three trend charts, each a Vega-Lite spec or, when it has nothing to draw, the sentence
    that stands in its place."""
    no_deals = trends.is_empty() or (trends["deals"].sum() == 0 and trends["value_usd"].sum() == 0)
    return (
        empty_sentence("covered deals", f"none completed in {TREND_MONTHS}") if no_deals else deals_value_chart(trends),
        empty_sentence("on-time rates", f"no shipment was due in {TREND_MONTHS}")
        if nothing_to_draw(trends, "on_time_rate")
        else on_time_chart(trends, min_on_time_rate),
        empty_sentence("reply times", f"no inquiry was answered in {TREND_MONTHS}")
        if nothing_to_draw(trends, "median_response_hours")
        else response_time_chart(trends, max_median_response_hours),
    )


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
