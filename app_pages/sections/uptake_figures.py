"""Program uptake's figures for one view, computed once per view and data version and shared by every session.

`uptake_figures(view, version)` does the page's heavy work — the policy over 25 as-of dates of every
supplier, the breakdowns, the funnel, the charts (Vega-Lite specs, ui.charts_uptake) and the tables'
display text — so a new session, a tab switch or a rerun only draws what it returns. The key is the whole
view (warehouse, as-of date, filters, policy) and the warehouse's data version (queries.cached.data_version),
so a refresh or any other view computes anew; frames and charts in it are never changed after they are built.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl
import streamlit as st

import catalogue
from app_pages.sections.context import View
from policy import evaluate
from queries import cached
from queries.uptake import covered_share, month_starts, uptake_breakdown, uptake_series
from ui import charts_uptake as charts
from ui import columns as cols
from ui import lab
from ui.charts import top_with_others

# The breakdown's columns as catalogue codes, for the displayed table only (the CSV keeps the raw names).
SHOWN_AS = {
    "enrolled": "enrolled_suppliers",
    "qualified": "qualified_suppliers",
    "covered_deals_12m": "deals_12m",
    "covered_value_12m_usd": "value_12m_usd",
}
SUPPLIER_LINES = {
    "enrolled": catalogue.label("enrolled_suppliers"),
    "qualified": catalogue.label("qualified_suppliers"),
}
HISTORY_MONTHS = 24


@dataclass(frozen=True)
class Table:
    """A table as st.dataframe draws it (catalogue labels and formats) and the raw frame its CSV holds."""

    shown: pl.DataFrame
    config: dict
    raw: pl.DataFrame


@dataclass(frozen=True)
class Breakdown:
    """One breakdown (by country or by category): its table and its bars."""

    table: Table
    bars: dict  # a Vega-Lite spec (ui.charts_uptake)


@dataclass(frozen=True)
class Uptake:
    """Everything the Program uptake page shows for one view; `now` is None when no supplier is in the view."""

    now: dict | None  # the uptake series' row at the as-of date
    then: dict  # its row a year before ({} without one)
    share_now: float | None
    share_then: float | None
    suppliers_chart: dict | None = None
    covered_gmv_chart: dict | None = None
    claims_chart: dict | None = None
    rollout: Table | None = None
    by_country: Breakdown | None = None
    by_category: Breakdown | None = None
    funnel_chart: dict | None = None
    funnel: Table | None = None


def table(frame: pl.DataFrame) -> Table:
    """`frame` as the page's tables show it: catalogue codes for the breakdown columns, labels and formats."""
    shown = frame.rename({k: v for k, v in SHOWN_AS.items() if k in frame.columns})
    return Table(cols.display(shown), cols.config(shown), frame)


def breakdown(frame: pl.DataFrame, column: str, what: str) -> Breakdown:
    """A breakdown's table with rates, and enrolled against qualified as bars (the 12 largest by enrolled
    suppliers, the rest as one 'Others' bar, every label shown)."""
    bars = charts.breakdown_chart(top_with_others(frame, column, "enrolled"), column, SUPPLIER_LINES, f"By {what}")
    return Breakdown(table(lab.with_rates(frame)), bars)


@st.cache_resource(ttl="10m", max_entries=16, show_spinner="Computing 24 months of scorecards in the warehouse…")
def uptake_figures(view: View, version: str) -> Uptake:
    """The page's figures for `view` at data `version` (queries.cached.data_version(view.url))."""
    points = month_starts(view.as_of, HISTORY_MONTHS)
    year_ago = lab.year_before(view.as_of)
    history = view.filter(cached.history_features(view.url, tuple(sorted({*points, year_ago}))))
    months = lab.calendar_months(view.as_of, HISTORY_MONTHS)
    monthly = view.filter(cached.program_monthly(view.url, months[0], view.as_of))
    # The share of all GMV over exactly the 365-day windows of the tiles.
    window_now = view.filter(cached.program_monthly(view.url, view.as_of - timedelta(days=365), view.as_of))
    window_then = view.filter(cached.program_monthly(view.url, year_ago - timedelta(days=365), year_ago))
    now = history.filter(pl.col("as_of") == view.as_of)
    shares = covered_share(window_now), covered_share(window_then)
    if history.is_empty() or now.is_empty():
        return Uptake(None, {}, *shares)

    series = lab.with_rates(uptake_series(history, view.policy))
    at: dict[date, dict] = {row["as_of"]: row for row in series.iter_rows(named=True)}
    totals = lab.monthly_totals(monthly, months)
    by_country = uptake_breakdown(now, view.policy, "country_code")
    stages = lab.funnel(evaluate(now, view.policy, margins=False))
    return Uptake(
        now=at[view.as_of],
        then=at.get(year_ago, {}),
        share_now=shares[0],
        share_then=shares[1],
        suppliers_chart=charts.suppliers_chart(
            series.filter(pl.col("as_of").is_in(list(points))), SUPPLIER_LINES, "Enrolled and qualified suppliers"
        ),
        covered_gmv_chart=charts.covered_gmv_chart(totals),
        claims_chart=charts.claims_refunds_chart(totals),
        rollout=table(lab.with_rates(lab.rollout(by_country))),
        by_country=breakdown(by_country, "country_code", "country"),
        by_category=breakdown(uptake_breakdown(now, view.policy, "category"), "category", "category"),
        funnel_chart=charts.funnel_chart(stages),
        funnel=Table(cols.display(stages), cols.config(stages), stages),
    )
