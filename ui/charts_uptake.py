"""Program uptake's charts as Vega-Lite specs (st.vega_lite_chart): pure functions from polars frames to dicts.

The page draws five charts at once; as plotly figures they cost a new session's browser seconds of work
(plotly.js is a 4.7 MB script, and each figure is slow to lay out), as Vega-Lite specs a fraction of it.
Each chart holds one table of rows (`data.values`: one row per point and series, with the exact value as
text for the tooltip); axes take their ticks from ui.format (money with at most three significant digits,
whole counts, round percents), legends sit below the plot. Tests check the rows and the encodings.
"""

import polars as pl

import catalogue
from ui import format as fmt
from ui.charts import (
    VEGA_HEIGHT,
    VEGA_LEGEND,
    VEGA_MONTH,
    vega_axis,
    vega_bar_and_line,
    vega_chart,
    vega_percent_axis,
    vega_scale,
    vega_series_rows,
    vega_tooltip,
)

CLAIM_REASONS = catalogue.codes("claim_reason")
REASON_LABELS = catalogue.labels("claim_reason")
COVERED_GMV, SHARE, REFUNDS = "Covered GMV", "Share of all GMV", "Refunds"


def suppliers_chart(series: pl.DataFrame, lines: dict[str, str], title: str, x: str = "as_of") -> dict:
    """One line per column of `lines` ({column: legend label}) against the as-of dates `x` (counts)."""
    rows = vega_series_rows(series, x, lines, fmt.count)
    ticks = fmt.count_axis([r["value"] for r in rows])
    return vega_chart(
        title,
        rows,
        mark={"type": "line", "point": True},
        encoding={
            "x": {**VEGA_MONTH, "title": "As of"},
            "y": {
                "field": "value",
                "type": "quantitative",
                "title": "Suppliers",
                "axis": vega_axis(ticks),
                "scale": vega_scale(ticks),
            },
            "color": {"field": "series", "type": "nominal", "sort": list(lines.values()), "legend": dict(VEGA_LEGEND)},
            "tooltip": vega_tooltip("As of"),
        },
    )


def covered_gmv_chart(monthly: pl.DataFrame) -> dict:
    """Covered GMV per month (bars, left money axis) and its share of all GMV (line, right percent axis), from
    ui.lab.monthly_totals rows: month, covered_gmv_usd, covered_share."""
    rows = vega_series_rows(monthly, "month", {"covered_gmv_usd": COVERED_GMV}, fmt.money_exact)
    rows += vega_series_rows(monthly, "month", {"covered_share": SHARE}, fmt.percent)
    money = fmt.money_axis(monthly["covered_gmv_usd"].to_list())
    percent_axis, percent_scale = vega_percent_axis(monthly["covered_share"].to_list())
    color = {
        "field": "series",
        "type": "nominal",
        "scale": {"domain": [COVERED_GMV, SHARE]},
        "legend": dict(VEGA_LEGEND),
    }
    gmv_y = {"title": "Covered GMV (USD)", "axis": vega_axis(money), "scale": vega_scale(money)}
    share_y = {"title": SHARE, "axis": {**percent_axis, "orient": "right", "grid": False}, "scale": percent_scale}
    return vega_bar_and_line(
        "Covered GMV per month and its share of all GMV", rows, color, (COVERED_GMV, gmv_y), (SHARE, share_y)
    )


def claims_refunds_chart(monthly: pl.DataFrame) -> dict:
    """Claims per month stacked by reason (claims_<reason>, left count axis) and refunds (line, right money
    axis), from ui.lab.monthly_totals rows."""
    reasons = {f"claims_{reason}": REASON_LABELS[reason] for reason in CLAIM_REASONS}
    rows = vega_series_rows(monthly, "month", reasons, fmt.count)
    rows += vega_series_rows(monthly, "month", {"refunds_usd": REFUNDS}, fmt.money_exact)
    stacked = monthly.select(pl.sum_horizontal(*reasons)).to_series().to_list() if monthly.height else []
    counts = fmt.count_axis(stacked)
    money = fmt.money_axis(monthly["refunds_usd"].to_list())
    labels = [*reasons.values(), REFUNDS]
    color = {"field": "series", "type": "nominal", "scale": {"domain": labels}, "legend": dict(VEGA_LEGEND)}
    return vega_chart(
        "Claims by reason and refunds per month",
        rows,
        encoding={"x": VEGA_MONTH, "color": color, "tooltip": vega_tooltip()},
        layer=[
            {
                "transform": [{"filter": {"field": "series", "oneOf": list(reasons.values())}}],
                "mark": {"type": "bar"},
                "encoding": {
                    "y": {
                        "field": "value",
                        "type": "quantitative",
                        "stack": "zero",
                        "title": "Claims",
                        "axis": vega_axis(counts),
                        "scale": vega_scale(counts),
                    }
                },
            },
            {
                "transform": [{"filter": {"field": "series", "equal": REFUNDS}}],
                "mark": {"type": "line", "point": True},
                "encoding": {
                    "y": {
                        "field": "value",
                        "type": "quantitative",
                        "title": "Refunds (USD)",
                        "axis": {**vega_axis(money), "orient": "right", "grid": False},
                        "scale": vega_scale(money),
                    }
                },
            },
        ],
        resolve={"scale": {"y": "independent"}},
    )


def breakdown_chart(frame: pl.DataFrame, by: str, columns: dict[str, str], title: str, row_height: int = 18) -> dict:
    """Grouped horizontal bars: one bar per column of `columns` ({column: label}) for each value of `by`, in
    the frame's order, every label shown (a row of `row_height` pixels per bar)."""
    rows = [
        {by: row[by], "series": label, "value": row[column], "text": fmt.count(row[column])}
        for row in frame.iter_rows(named=True)
        for column, label in columns.items()
    ]
    ticks = fmt.count_axis([r["value"] for r in rows])
    return vega_chart(
        title,
        rows,
        height=max(VEGA_HEIGHT, 80 + row_height * len(rows)),
        mark={"type": "bar"},
        encoding={
            "y": {
                "field": by,
                "type": "nominal",
                "sort": frame[by].to_list(),
                "title": catalogue.label(by),
                "axis": {"labelLimit": 0, "labelOverlap": False},
            },
            "yOffset": {"field": "series", "sort": list(columns.values())},
            "x": {
                "field": "value",
                "type": "quantitative",
                "title": "Suppliers",
                "axis": vega_axis(ticks),
                "scale": vega_scale(ticks),
            },
            "color": {
                "field": "series",
                "type": "nominal",
                "sort": list(columns.values()),
                "legend": dict(VEGA_LEGEND),
            },
            "tooltip": [{"field": by, "title": catalogue.label(by)}, {"field": "series"}, {"field": "text"}],
        },
    )


def funnel_chart(stages: pl.DataFrame) -> dict:
    """The funnel of ui.lab.funnel (stage, suppliers) as bars, each labelled with its count and its share of
    all suppliers."""
    total = stages["suppliers"][0] if stages.height else 0
    rows = [
        {
            "stage": row["stage"],
            "suppliers": row["suppliers"],
            "text": f"{fmt.count(row['suppliers'])} ({fmt.percent(row['suppliers'] / total if total else None)})",
        }
        for row in stages.iter_rows(named=True)
    ]
    ticks = fmt.count_axis([r["suppliers"] for r in rows])
    return vega_chart(
        "From all suppliers to qualified",
        rows,
        encoding={
            "y": {"field": "stage", "type": "nominal", "sort": stages["stage"].to_list(), "title": None},
            "x": {
                "field": "suppliers",
                "type": "quantitative",
                "title": "Suppliers",
                "axis": vega_axis(ticks),
                "scale": vega_scale(ticks),
            },
            "tooltip": [{"field": "stage", "title": "Stage"}, {"field": "text", "title": "Suppliers"}],
        },
        layer=[
            {"mark": {"type": "bar", "color": "#1565c0"}},
            {"mark": {"type": "text", "align": "left", "dx": 4}, "encoding": {"text": {"field": "text"}}},
        ],
    )
