"""Program uptake (executives): is Trade Assurance growing, where, and at what cost in refunds?

The figures come from app_pages.sections.uptake_figures, computed once per view and data version; this
page only draws them.
"""

import streamlit as st

import catalogue
from app_pages.sections import url_state
from app_pages.sections.context import current_view, refuse, url_values
from app_pages.sections.uptake_figures import Breakdown, Table, uptake_figures
from auth.session import require_page
from queries import cached
from ui import format as fmt
from ui import lab
from ui.widgets import csv_download, delta_tile

TABS = ("By country (the rollout)", "By category")  # the breakdown's tabs; the URL's tab= names the one open
TAB = url_state.Param("tab", url_state.choice(TABS), str, TABS[0], f"expected one of: {', '.join(TABS)}.")

require_page("uptake")
view = current_view()
st.title("Program uptake")
st.caption(
    f"As of {view.as_of:%Y-%m-%d} (midnight UTC) · policy: {view.policy_name} · changes are against "
    f"{lab.year_before(view.as_of):%Y-%m-%d}, one year earlier."
)

figures = uptake_figures(view, cached.data_version(view.url))
if figures.now is None:
    st.info(
        "No supplier is in the selected countries and categories — widen the filters in the sidebar, or load "
        "data with `python -m data.generate` / `python -m data.load DIR`."
    )
    st.stop()
cur, old = figures.now, figures.then
share_now, share_then = figures.share_now, figures.share_then
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
st.vega_lite_chart(spec=figures.suppliers_chart, key="uptake_suppliers")
left, right = st.columns(2)
left.vega_lite_chart(spec=figures.covered_gmv_chart, key="uptake_covered_gmv")
right.vega_lite_chart(spec=figures.claims_chart, key="uptake_claims")
if view.as_of.day != 1:
    st.caption(f"{view.as_of:%B %Y} is counted up to {view.as_of:%Y-%m-%d} (a partial month).")

st.subheader("Where the program is taken up")


def show_table(table: Table, key: str) -> None:
    """A table with the catalogue's labels and formats (built once in uptake_figures)."""
    st.dataframe(table.shown, hide_index=True, column_config=table.config, key=key)


def breakdown(part: Breakdown, what: str, key: str) -> None:
    """One breakdown: its table with rates, a CSV of it (the raw numbers), and its bars."""
    show_table(part.table, f"uptake_by_{key}")
    csv_download(f"Download by {what} (CSV)", part.table.raw, f"uptake_by_{key}_{view.as_of}.csv", f"uptake_{key}_csv")
    st.vega_lite_chart(spec=part.bars, key=f"uptake_{key}_bar")


@st.fragment
def where_taken_up() -> None:
    """The breakdowns, one tab each: a tab switch reruns only this part, and only the open tab is drawn."""
    country_tab, category_tab = st.tabs(list(TABS), key="tab", bind="query-params")
    if country_tab.open:
        with country_tab:
            opened = ", ".join("every country" if c == "*" else c for c in view.policy.open_countries) or "no country"
            st.caption(f"The program opened in CN first; the policy opens {opened}.")
            show_table(figures.rollout, "uptake_rollout")
            breakdown(figures.by_country, "country", "country")
    if category_tab.open:
        with category_tab:
            breakdown(figures.by_category, "category", "category")


refuse(url_state.decode(url_values(), [TAB])[1])  # a tab this page does not have: named, then dropped
where_taken_up()

st.subheader("From all suppliers to qualified")
left, right = st.columns([2, 1])
left.vega_lite_chart(spec=figures.funnel_chart, key="uptake_funnel")
with right:
    show_table(figures.funnel, "uptake_funnel_table")
