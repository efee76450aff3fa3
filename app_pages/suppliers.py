"""Supplier vetting: find a supplier, open its profile, see who is at risk, compare up to four side by side.

Everything that shapes the view (search, badge filter, minimum deals, sort, compare picks) is in the URL,
only where it differs from the default, so a copied link reopens the same rows. Choosing a supplier (a row,
an id, a link with ?supplier=) opens the Supplier profile page at the top of the screen, with a link back
to this view. Warehouse text (names, categories, countries) is shown only in tables or as option labels,
never as Markdown or HTML: a supplier's name may hold `<script>` or a Markdown link.
"""

import polars as pl
import streamlit as st

from app_pages.sections import url_state
from app_pages.sections.at_risk import render_at_risk
from app_pages.sections.context import current_view, refuse, remember, restore
from app_pages.sections.profile import scored_suppliers
from auth.session import require_page
from policy import BADGES
from queries import cached
from ui import format as fmt
from ui.explain import BADGE_LABELS, compare_table, escape_markdown, supplier_label
from ui.export import csv_bytes

MAX_ROWS = 10_000  # rows sent to the browser; search, filters and sorting pick which
MAX_COMPARE = 4
OPEN = "open_supplier"  # a supplier chosen in this run's callbacks: its profile opens
BACK = "vetting_params"  # this page's URL parameters, for the profile's link back
TABLE_COLUMNS = (
    "supplier_id",
    "name",
    "country_code",
    "category",
    "badge",
    "deals_12m",
    "value_12m_usd",
    "response_rate_30d",
    "median_response_hours_30d",
    "on_time_rate_6m",
    "claims_12m",
    "refunds_12m_usd",
    "ta_amount_usd",
    "open_exposure_usd",
    "amount_left_usd",
)
SORTS = {  # column → (label, descending by default); an allow-list, never a column name from input
    "value_12m_usd": ("Deal value, 12 months", True),
    "deals_12m": ("Covered deals, 12 months", True),
    "ta_amount_usd": ("Trade Assurance Amount", True),
    "amount_left_usd": ("Amount left", False),
    "open_exposure_usd": ("Open exposure", True),
    "on_time_rate_6m": ("On-time rate", False),
    "response_rate_30d": ("Response rate", False),
    "median_response_hours_30d": ("Median response time", True),
    "claims_12m": ("Claims, 12 months", True),
    "refunds_12m_usd": ("Refunds, 12 months", True),
    "supplier_id": ("Supplier id", False),
    "name": ("Name", False),
}
PARAMS = (  # URL key = widget key
    url_state.Param("search", url_state.text(100), str, "", "expected a search of at most 100 characters."),
    url_state.Param(
        "badge_filter", url_state.choices(BADGES), url_state.joined, [], f"expected badges from {', '.join(BADGES)}."
    ),
    url_state.Param(
        "min_deals", url_state.whole(0, 10**9), str, 0, "expected a whole number of deals from 0 to 1,000,000,000."
    ),
    url_state.Param(
        "sort", url_state.choice(list(SORTS)), str, "value_12m_usd", f"expected one of {', '.join(SORTS)}."
    ),
    url_state.Param("reverse", url_state.flag, url_state.lowered, False, "expected true or false."),
    url_state.Param(
        "compare", url_state.ids(MAX_COMPARE), url_state.joined, [], "expected up to four supplier ids such as 3,17."
    ),
)
MONEY = st.column_config.NumberColumn
COLUMN_CONFIG = {  # nothing pinned: on a phone pinned columns would fill the screen
    "supplier_id": st.column_config.NumberColumn("Id", format="%d"),
    "name": st.column_config.TextColumn("Supplier"),
    "country_code": st.column_config.TextColumn("Country"),
    "category": st.column_config.TextColumn("Category"),
    "badge": st.column_config.TextColumn("Badge"),
    "deals_12m": st.column_config.NumberColumn("Deals 12m", format="localized"),
    "value_12m_usd": MONEY("Value 12m", format="dollar"),
    "response_rate_30d": st.column_config.NumberColumn("Response rate", format="percent"),
    "median_response_hours_30d": st.column_config.NumberColumn("Median reply", format="%.1f h"),
    "on_time_rate_6m": st.column_config.NumberColumn("On-time", format="percent"),
    "claims_12m": st.column_config.NumberColumn("Claims 12m", format="localized"),
    "refunds_12m_usd": MONEY("Refunds 12m", format="dollar"),
    "ta_amount_usd": MONEY("TA Amount", format="dollar", help="Trade Assurance Amount"),
    "open_exposure_usd": MONEY("Open exposure", format="dollar"),
    "amount_left_usd": MONEY(
        "Amount left", format="dollar", help="Trade Assurance Amount − open exposure; — without the badge"
    ),
}


def search(frame: pl.DataFrame, text: str) -> pl.DataFrame:
    """Rows whose name contains `text` (case-insensitive, literal: no regex) or whose id is `text`."""
    text = text.strip()
    if not text:
        return frame
    hit = pl.col("name").str.to_lowercase().str.contains(text.lower(), literal=True)
    bare = text.removeprefix("#")
    if bare.isdigit():
        hit = hit | (pl.col("supplier_id") == int(bare))
    return frame.filter(hit)


def _open_selected_row() -> None:
    """Row selected in the table → open that supplier's profile."""
    rows = st.session_state["supplier_table"]["selection"]["rows"]
    shown = st.session_state.get("_shown_supplier_ids", [])
    if rows and rows[0] < len(shown):
        st.session_state[OPEN] = shown[rows[0]]


def _open_typed_id() -> None:
    if st.session_state.get("supplier") is not None:
        st.session_state[OPEN] = int(st.session_state["supplier"])


def open_profile(supplier_id: int) -> None:
    """Go to the Supplier profile page (the sidebar's view and this page's state travel along)."""
    st.switch_page("app_pages/supplier.py", query_params={"supplier": str(supplier_id)})


require_page("suppliers")
view = current_view()
chosen_id = st.session_state.pop(OPEN, None)
if chosen_id is None and "supplier" in st.query_params:  # an older link: ?supplier= on this page (checked)
    chosen_id = int(st.query_params["supplier"])
if chosen_id is not None:
    open_profile(chosen_id)

st.title("Supplier vetting")
st.caption(f"As of {view.as_of:%Y-%m-%d} (midnight UTC) · policy: {escape_markdown(view.policy_name)}")
features = cached.features(view.url, view.as_of)
if features.is_empty():
    st.info(
        "The warehouse has no suppliers yet — run `python -m data.generate` for demo data "
        "or `python -m data.load DIR` to load your own extract, then reload this page."
    )
    st.stop()
everyone = scored_suppliers(features, view.policy)
linked = restore(PARAMS, {p.key: p.key for p in PARAMS})
unknown = [i for i in linked.get("compare", []) if i not in set(everyone["supplier_id"].to_list())]
if unknown:
    missing = ", ".join(map(str, unknown))
    refuse([url_state.problem("compare", [url_state.joined(linked["compare"])], f"no supplier has id {missing}.")])
    st.session_state["compare"] = []

# --- The table -------------------------------------------------------------------------------------------
controls = st.columns([3, 2, 1.2, 2, 1.3, 1.5])
query = controls[0].text_input(
    "Search", key="search", placeholder="Name or supplier id", help="Plain text: matches part of a name, or an id."
)
badges = controls[1].multiselect(
    "Badge", BADGES, format_func=BADGE_LABELS.get, key="badge_filter", placeholder="All badges"
)
min_deals = controls[2].number_input("Min deals 12m", min_value=0, step=1, key="min_deals")
sort_column = controls[3].selectbox("Sort by", list(SORTS), format_func=lambda c: SORTS[c][0], key="sort")
reverse = controls[4].toggle("Reverse order", key="reverse", help="Flip the usual order of the chosen column.")
controls[5].number_input(
    "Open supplier id",
    min_value=0,
    max_value=url_state.MAX_ID,
    value=None,
    step=1,
    key="supplier",
    on_change=_open_typed_id,
    placeholder="Id",
)
descending = SORTS[sort_column][1] != reverse

matches = search(view.filter(everyone), query or "")
if badges:
    matches = matches.filter(pl.col("badge").is_in(badges))
if min_deals:
    matches = matches.filter(pl.col("deals_12m") >= min_deals)
shown = (
    matches.sort(sort_column, "supplier_id", descending=[descending, False], nulls_last=True)
    .head(MAX_ROWS)
    .select(TABLE_COLUMNS)
)
st.session_state["_shown_supplier_ids"] = shown["supplier_id"].to_list()

if shown.is_empty():
    if query and query.strip():
        st.info(f"No supplier matches '{escape_markdown(query.strip())}' — clear the search or widen the filters.")
    else:
        st.info(
            "No supplier passes these filters — lower the minimum deals, pick more badges or widen the sidebar filters."
        )
else:
    sort_words = f"{SORTS[sort_column][0].lower()}{', reversed' if reverse else ''}"
    more = f" (the first {fmt.count(shown.height)} by {sort_words})" if matches.height > shown.height else ""
    st.caption(
        f"{fmt.count(matches.height)} of {fmt.count(everyone.height)} suppliers{more}. "
        "Select a row to open its profile."
    )
    st.dataframe(
        shown,
        key="supplier_table",
        hide_index=True,
        column_config=COLUMN_CONFIG,
        on_select=_open_selected_row,
        selection_mode="single-row",
    )
    st.download_button(
        "Download this table (CSV)",
        csv_bytes(shown),
        file_name=f"suppliers_{view.as_of:%Y-%m-%d}.csv",
        mime="text/csv",
        key="download_suppliers",
        on_click="ignore",
    )

render_at_risk(view)  # badge holders one event from losing it, for category managers

# --- Side-by-side comparison -----------------------------------------------------------------------------
st.subheader("Compare suppliers")
already = st.session_state.get("compare") or []
option_ids = list(dict.fromkeys([*already, *shown["supplier_id"].to_list()]))
names = dict(everyone.filter(pl.col("supplier_id").is_in(option_ids)).select("supplier_id", "name").iter_rows())
chosen = st.multiselect(
    "Suppliers to compare (up to four, from the table above)",
    option_ids,
    format_func=lambda i: supplier_label(i, names.get(i, "")),
    max_selections=MAX_COMPARE,
    key="compare",
    placeholder="Pick suppliers",
)
if not chosen:
    st.info("Pick two to four suppliers from the table above to see them side by side.")
else:
    order = pl.DataFrame({"supplier_id": chosen}, schema={"supplier_id": pl.Int64})
    side_by_side = compare_table(order.join(everyone, on="supplier_id", how="left", maintain_order="left"))
    st.dataframe(side_by_side, key="compare_table", hide_index=True)
    st.download_button(
        "Download comparison (CSV)",
        csv_bytes(side_by_side),
        file_name=f"supplier_comparison_{view.as_of:%Y-%m-%d}.csv",
        mime="text/csv",
        key="download_compare",
        on_click="ignore",
    )
    profile_of = st.selectbox(
        "Open the profile of", chosen, format_func=lambda i: supplier_label(i, names.get(i, "")), key="compare_open"
    )
    if st.button("Open profile", key="compare_open_button", icon=":material/open_in_new:"):
        open_profile(profile_of)

state = {"search": query or "", "badge_filter": badges, "min_deals": int(min_deals or 0), "sort": sort_column}
state |= {"reverse": reverse, "compare": list(chosen)}
st.session_state[BACK] = url_state.encode(state, PARAMS)
remember(st.session_state[BACK], [p.key for p in PARAMS])
