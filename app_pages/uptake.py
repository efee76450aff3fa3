"""Program uptake (executives): is Trade Assurance growing, where, and at what cost in refunds?"""

from datetime import timedelta

import polars as pl
import streamlit as st

import catalogue
from app_pages.sections import url_state
from app_pages.sections.context import current_view, refuse, url_values
from auth.session import require_page
from policy import evaluate
from queries import cached
from queries.uptake import covered_share, month_starts, uptake_breakdown, uptake_series
from ui import columns as cols
from ui import format as fmt
from ui import lab
from ui.charts import CONFIG, every_category, readable, top_with_others
from ui.widgets import csv_download, delta_tile

# The breakdown's columns as catalogue codes, for the displayed table only (the CSV keeps the raw names).
SHOWN_AS = {
    "enrolled": "enrolled_suppliers",
    "qualified": "qualified_suppliers",
    "covered_deals_12m": "deals_12m",
    "covered_value_12m_usd": "value_12m_usd",
}
TABS = ("By country (the rollout)", "By category")  # the breakdown's tabs; the URL's tab= names the one open
TAB = url_state.Param("tab", url_state.choice(TABS), str, TABS[0], f"expected one of: {', '.join(TABS)}.")
SUPPLIER_LINES = {
    "enrolled": catalogue.label("enrolled_suppliers"),
    "qualified": catalogue.label("qualified_suppliers"),
}

require_page("uptake")
view = current_view()
st.title("Program uptake")
st.caption(
    f"As of {view.as_of:%Y-%m-%d} (midnight UTC) · policy: {view.policy_name} · changes are against "
    f"{lab.year_before(view.as_of):%Y-%m-%d}, one year earlier."
)

points = month_starts(view.as_of, 24)
year_ago = lab.year_before(view.as_of)
with st.spinner("Computing 24 months of scorecards in the warehouse…"):
    history = view.filter(cached.history_features(view.url, tuple(sorted({*points, year_ago}))))
    months = lab.calendar_months(view.as_of, 24)
    monthly = view.filter(cached.program_monthly(view.url, months[0], view.as_of))
    # The share of all GMV over exactly the 365-day windows of the tiles.
    window_now = view.filter(cached.program_monthly(view.url, view.as_of - timedelta(days=365), view.as_of))
    window_then = view.filter(cached.program_monthly(view.url, year_ago - timedelta(days=365), year_ago))

now = history.filter(pl.col("as_of") == view.as_of)
if history.is_empty() or now.is_empty():
    st.info(
        "No supplier is in the selected countries and categories — widen the filters in the sidebar, or load "
        "data with `python -m data.generate` / `python -m data.load DIR`."
    )
    st.stop()

series = lab.with_rates(uptake_series(history, view.policy))
at = {row["as_of"]: row for row in series.iter_rows(named=True)}
cur, old = at[view.as_of], at.get(year_ago, {})


share_now, share_then = covered_share(window_now), covered_share(window_then)
tiles = st.columns(3)
delta_tile(
    tiles[0],
    catalogue.label("enrolled_suppliers"),
    fmt.count(cur["enrolled"]),
    cur["enrolled"],
    old.get("enrolled"),
    "count",
    help="Suppliers that opted in before the as-of date. The change is against one year earlier.",
    border=True,
)
delta_tile(
    tiles[1],
    catalogue.label("qualified_suppliers"),
    fmt.count(cur["qualified"]),
    cur["qualified"],
    old.get("qualified"),
    "count",
    help=f"Enrolled suppliers in an open country that pass every rule of {view.policy_name}.",
    border=True,
)
delta_tile(
    tiles[2],
    catalogue.label("value_12m_usd"),
    fmt.money_compact(cur["covered_value_12m_usd"]),
    cur["covered_value_12m_usd"],
    old.get("covered_value_12m_usd"),
    "money_compact",
    help=f"Covered deals completed in the last 365 days: {fmt.money_exact(cur['covered_value_12m_usd'])}.",
    border=True,
)
tiles = st.columns(3)
delta_tile(
    tiles[0],
    catalogue.label("covered_share"),
    fmt.percent(share_now),
    share_now,
    share_then,
    "pp",
    help=catalogue.help("covered_share") + " Over the last 365 days.",
    border=True,
)
delta_tile(
    tiles[1],
    catalogue.label("refunds_12m_usd"),
    fmt.money_compact(cur["refunds_12m_usd"]),
    cur["refunds_12m_usd"],
    old.get("refunds_12m_usd"),
    "money_compact",
    delta_color="inverse",
    help=f"Refunds of claims filed in the last 365 days: {fmt.money_exact(cur['refunds_12m_usd'])}.",
    border=True,
)
delta_tile(
    tiles[2],
    catalogue.label("loss_ratio"),
    fmt.percent(cur["loss_ratio"]),
    cur["loss_ratio"],
    old.get("loss_ratio"),
    "pp",
    delta_color="inverse",
    help=catalogue.help("loss_ratio"),
    border=True,
)

st.subheader("The last 24 months")
chart_points = series.filter(pl.col("as_of").is_in(list(points)))
st.plotly_chart(
    readable(
        lab.line_chart(chart_points, "as_of", SUPPLIER_LINES, "Enrolled and qualified suppliers"), count_axes=("y",)
    ),
    config=CONFIG,
    key="uptake_suppliers",
)
totals = lab.monthly_totals(monthly, months)
left, right = st.columns(2)
left.plotly_chart(
    readable(lab.covered_gmv_chart(totals), money_axes=("y",), percent_axes=("y2",)),
    config=CONFIG,
    key="uptake_covered_gmv",
)
right.plotly_chart(
    readable(lab.claims_refunds_chart(totals), count_axes=("y",), money_axes=("y2",)),
    config=CONFIG,
    key="uptake_claims",
)
if view.as_of.day != 1:
    st.caption(f"{view.as_of:%B %Y} is counted up to {view.as_of:%Y-%m-%d} (a partial month).")

st.subheader("Where the program is taken up")
by_country = uptake_breakdown(now, view.policy, "country_code")
by_category = uptake_breakdown(now, view.policy, "category")


def show_table(table: pl.DataFrame, key: str) -> None:
    """A breakdown table with the catalogue's labels and formats (the raw frame goes to the CSV)."""
    shown = table.rename({k: v for k, v in SHOWN_AS.items() if k in table.columns})
    st.dataframe(cols.display(shown), hide_index=True, column_config=cols.config(shown), key=key)


def breakdown(frame, column: str, what: str, key: str) -> None:
    """One breakdown: its table with rates, a CSV of it, and enrolled against qualified as bars (the 12
    largest by enrolled suppliers, the rest as one 'Others' bar, every label shown)."""
    table = lab.with_rates(frame)
    show_table(table, f"uptake_by_{key}")
    csv_download(f"Download by {what} (CSV)", table, f"uptake_by_{key}_{view.as_of}.csv", f"uptake_{key}_csv")
    bars = lab.breakdown_bar(top_with_others(frame, column, "enrolled"), column, SUPPLIER_LINES, f"By {what}")
    st.plotly_chart(every_category(readable(bars, count_axes=("x",))), config=CONFIG, key=f"uptake_{key}_bar")


refuse(url_state.decode(url_values(), [TAB])[1])  # a tab this page does not have: named, then dropped
country_tab, category_tab = st.tabs(list(TABS), key="tab", bind="query-params")
with country_tab:
    opened = ", ".join("every country" if c == "*" else c for c in view.policy.open_countries) or "no country"
    st.caption(f"The program opened in CN first; the policy opens {opened}.")
    show_table(lab.with_rates(lab.rollout(by_country)), "uptake_rollout")
    breakdown(by_country, "country_code", "country", "country")
with category_tab:
    breakdown(by_category, "category", "category", "category")

st.subheader("From all suppliers to qualified")
stages = lab.funnel(evaluate(now, view.policy, margins=False))
left, right = st.columns([2, 1])
left.plotly_chart(lab.funnel_chart(stages), config=CONFIG, key="uptake_funnel")
right.dataframe(cols.display(stages), hide_index=True, column_config=cols.config(stages), key="uptake_funnel_table")
