"""The badge timeline of one supplier over its recorded assessments: a pure function from a frame to a Vega-Lite
spec (st.vega_lite_chart; no plotly.js for the profile to load).

In: store.assessments.supplier_history columns as_of, badge, ta_amount_usd, kept_under_grace, grace_used,
policy_name, policy_version, failed_rules. The Trade Assurance Amount is a step line (what the storefront
showed from one assessment to the next); each assessment is a marker coloured and shaped by its standing, so
"kept under grace" stands out from holding the badge outright.
"""

from datetime import date, timedelta

import polars as pl

import catalogue
from ui import format as fmt
from ui.charts import BADGE_COLORS, VEGA_LEGEND, vega_axis, vega_chart

__all__ = ["AMOUNT", "STANDINGS", "badge_timeline_chart", "standing"]

# The standings a recorded assessment can show, in legend order: the badges, with grace split out.
STANDINGS = {
    "qualified": (catalogue.label("qualified", "badge"), BADGE_COLORS["qualified"], "circle"),
    "kept_under_grace": (catalogue.label("kept_under_grace", "derived"), "#f9a825", "diamond"),
    "not_qualified": (catalogue.label("not_qualified", "badge"), BADGE_COLORS["not_qualified"], "cross"),
    "region_not_open": (catalogue.label("region_not_open", "badge"), BADGE_COLORS["region_not_open"], "square"),
    "not_enrolled": (catalogue.label("not_enrolled", "badge"), BADGE_COLORS["not_enrolled"], "triangle-down"),
}
AMOUNT = "Trade Assurance Amount"
AMOUNT_COLOR = "#1565c0"
# Dates at UTC midnight, labelled as the tables write them (a timeUnit would override the format).
DATE = {"type": "temporal", "format": "%Y-%m-%d", "formatType": "utc"}


def standing(history: pl.DataFrame) -> pl.Series:
    """Per row: kept_under_grace when the badge is held only by grace, else the badge."""
    return history.select(
        pl.when(pl.col("kept_under_grace"))
        .then(pl.lit("kept_under_grace"))
        .otherwise(pl.col("badge"))
        .alias("standing")
    ).to_series()


def _policy_label(name: str, version) -> str:
    return f"{name} v{version}" if version is not None else name


def _utc(day: date) -> dict:
    return {"year": day.year, "month": day.month, "date": day.day, "utc": True}


def badge_timeline_chart(history: pl.DataFrame) -> dict:
    """The Amount as a step line over the assessments and a marker per assessment, coloured and shaped by its
    standing (legend: the Amount, then the standings that occur). Rows: one per assessment, oldest first, with
    the standing's label, the Amount as money and a note (standing, policy, failed rules) for the tooltip."""
    frame = history.sort("as_of").with_columns(standing(history.sort("as_of")).alias("standing"))
    rows = [
        {
            "as_of": str(r["as_of"]),
            "amount": r["ta_amount_usd"],
            "standing": STANDINGS[r["standing"]][0],
            "money": fmt.money(r["ta_amount_usd"]),
            "note": f"{STANDINGS[r['standing']][0]} · policy {_policy_label(r['policy_name'], r['policy_version'])}"
            + (f" · failed: {fmt.words(r['failed_rules'])}" if r["failed_rules"] else ""),
        }
        for r in frame.iter_rows(named=True)
    ]
    shown = [code for code in STANDINGS if code in set(frame["standing"].to_list())]
    top = max(frame["ta_amount_usd"].max() or 0.0, 1.0)
    # Round money ticks ('$5k'); an Amount that was always $0 gets the one tick $0, not six ticks all read '$0'.
    ticks = fmt.money_axis([0.0, top]) if frame["ta_amount_usd"].max() else {"tickvals": [0], "ticktext": ["$0"]}
    dates = frame["as_of"].to_list()
    x = {
        "field": "as_of",
        "type": "temporal",
        "title": "Assessment (as-of date)",
        # Labelled as the tables write dates (an axis `format` is overridden by the utc scale's own labels).
        "axis": {"labelExpr": "utcFormat(datum.value, '%Y-%m-%d')", "labelOverlap": True, "tickCount": "month"},
        "scale": {"type": "utc"},
    }
    if dates:  # half a month either side, so one assessment is not drawn on an axis of milliseconds
        x["scale"]["domain"] = [_utc(dates[0] - timedelta(days=15)), _utc(dates[-1] + timedelta(days=15))]
    y = {
        "field": "amount",
        "type": "quantitative",
        "title": "Amount (USD)",
        "axis": vega_axis(ticks),
        "scale": {"domain": [0, max(top * 1.15, max(ticks["tickvals"]))]},
    }
    color = {
        "type": "nominal",
        "scale": {
            "domain": [AMOUNT, *(STANDINGS[c][0] for c in shown)],
            "range": [AMOUNT_COLOR, *(STANDINGS[c][1] for c in shown)],
        },
        "legend": dict(VEGA_LEGEND),
    }
    shape = {
        "field": "standing",
        "type": "nominal",
        "scale": {"domain": [STANDINGS[c][0] for c in shown], "range": [STANDINGS[c][2] for c in shown]},
        "legend": None,
    }
    tooltip = [
        {"field": "as_of", **DATE, "title": "Assessed"},
        {"field": "money", "title": "Amount"},
        {"field": "note", "title": "Standing"},
    ]
    return vega_chart(
        "Badge and Amount at each assessment",  # short enough for a phone
        rows,
        height=300,
        layer=[
            {
                "mark": {"type": "line", "interpolate": "step-after", "strokeWidth": 2},
                "encoding": {"x": x, "y": y, "color": {**color, "datum": AMOUNT}},
            },
            {
                "mark": {"type": "point", "filled": True, "size": 120, "stroke": "#37474f", "strokeWidth": 1},
                "encoding": {
                    "x": x,
                    "y": y,
                    "color": {**color, "field": "standing"},
                    "shape": shape,
                    "tooltip": tooltip,
                },
            },
        ],
    )
