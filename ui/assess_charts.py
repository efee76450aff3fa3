"""The badge timeline of one supplier over its recorded assessments: a pure function from a frame to a Figure.

In: store.assessments.supplier_history columns as_of, badge, ta_amount_usd, kept_under_grace, grace_used,
policy_name, policy_version, failed_rules. The Trade Assurance Amount is a step line (what the storefront
showed from one assessment to the next); each assessment is a marker coloured by its standing, so
"kept under grace" stands out from holding the badge outright.
"""

from datetime import timedelta

import plotly.graph_objects as go
import polars as pl

import catalogue
from ui import format as fmt
from ui.charts import BADGE_COLORS, CONFIG, LEGEND, MARGIN

__all__ = ["CONFIG", "STANDINGS", "badge_timeline_figure", "standing"]

# The standings a recorded assessment can show, in legend order: the badges, with grace split out.
STANDINGS = {
    "qualified": (catalogue.label("qualified", "badge"), BADGE_COLORS["qualified"], "circle"),
    "kept_under_grace": (catalogue.label("kept_under_grace", "derived"), "#f9a825", "diamond"),
    "not_qualified": (catalogue.label("not_qualified", "badge"), BADGE_COLORS["not_qualified"], "x"),
    "region_not_open": (catalogue.label("region_not_open", "badge"), BADGE_COLORS["region_not_open"], "square"),
    "not_enrolled": (catalogue.label("not_enrolled", "badge"), BADGE_COLORS["not_enrolled"], "square-open"),
}
AMOUNT_COLOR = "#1565c0"


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


def badge_timeline_figure(history: pl.DataFrame) -> go.Figure:
    """The Amount as a step line over the assessments, and one marker trace per standing (hover: policy)."""
    fig = go.Figure()
    frame = history.sort("as_of").with_columns(standing(history.sort("as_of")).alias("standing"))
    dates = frame["as_of"].to_list()
    top = max(frame["ta_amount_usd"].max() or 0.0, 1.0)
    fig.add_trace(
        go.Scatter(
            x=frame["as_of"].to_list(),
            y=frame["ta_amount_usd"].to_list(),
            name="Trade Assurance Amount",
            mode="lines",
            line={"shape": "hv", "color": AMOUNT_COLOR, "width": 2},
            hoverinfo="skip",
        )
    )
    for code, (label, color, symbol) in STANDINGS.items():
        rows = frame.filter(pl.col("standing") == code)
        if rows.is_empty():
            continue
        notes = [
            f"{label} · policy {_policy_label(r['policy_name'], r['policy_version'])}"
            + (f" · failed: {fmt.words(r['failed_rules'])}" if r["failed_rules"] else "")
            for r in rows.iter_rows(named=True)
        ]
        fig.add_trace(
            go.Scatter(
                x=rows["as_of"].to_list(),
                y=rows["ta_amount_usd"].to_list(),
                name=label,
                mode="markers",
                marker={"color": color, "symbol": symbol, "size": 12, "line": {"width": 1, "color": "#37474f"}},
                customdata=notes,
                hovertemplate="%{x|%Y-%m-%d}: $%{y:,.0f}<br>%{customdata}<extra></extra>",
            )
        )
    # Round money ticks ('$5k'); an Amount that was always $0 gets the one tick $0, not six ticks all read '$0'.
    ticks = fmt.money_axis([0.0, top]) if frame["ta_amount_usd"].max() else {"tickvals": [0], "ticktext": ["$0"]}
    fig.update_layout(
        title={"text": "Badge and Amount at each assessment"},  # short enough for a phone
        margin=MARGIN,
        legend=LEGEND,  # below the plot: clear of the title on a phone too
        height=360,
        yaxis={"title": {"text": "Amount (USD)"}, "range": [0, top * 1.15], "tickmode": "array", **ticks},
        xaxis={"title": {"text": "Assessment (as-of date)"}, "type": "date", "tickformat": "%Y-%m-%d", "dtick": "M1"},
    )
    if dates:  # half a month either side, so one assessment is not drawn on an axis of milliseconds
        fig.update_xaxes(range=[dates[0] - timedelta(days=15), dates[-1] + timedelta(days=15)])
    return fig
