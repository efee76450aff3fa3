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
from app_pages.sections.over_amount import render_over_amount
from app_pages.sections.profile import scored_suppliers
from app_pages.sections.vetting import MAX_COMPARE, MAX_ROWS, NUMBER_COLUMNS, PARAMS, SORTS, TABLE_COLUMNS, search
from auth.session import require_page
from policy import BADGES
from queries import cached
from ui import columns
from ui import format as fmt
from ui.explain import BADGE_LABELS, compare_table, escape_markdown, supplier_label
from ui.widgets import csv_download

OPEN = "open_supplier"  # a supplier chosen in this run's callbacks: its profile opens
BACK = "vetting_params"  # this page's URL parameters, for the profile's link back


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


@st.fragment
def vetting(view, everyone: pl.DataFrame) -> None:
    """The controls, the table and the comparison: a search, filter or pick reruns only this part."""
    chosen_id = st.session_state.pop(OPEN, None)  # a row selected in the table (its callback ran first)
    if chosen_id is not None:
        open_profile(chosen_id)
    # --- The table -------------------------------------------------------------------------------------------
    # Wide enough for every label at 1440 px (the toggle's "Reverse" and its help icon need about 150 px), the
    # toggle level with the inputs beside it.
    controls = st.columns([2.2, 1.9, 1.1, 2.3, 1.6, 1.3], vertical_alignment="bottom")
    query = controls[0].text_input(
        "Search", key="search", placeholder="Name or supplier id", help="Plain text: matches part of a name, or an id."
    )
    badges = controls[1].multiselect(
        "Badge", BADGES, format_func=BADGE_LABELS.get, key="badge_filter", placeholder="All badges"
    )
    min_deals = controls[2].number_input("Min deals 12m", min_value=0, step=1, key="min_deals")
    sort_column = controls[3].selectbox("Sort by", list(SORTS), format_func=lambda c: SORTS[c][0], key="sort")
    reverse = controls[4].toggle("Reverse", key="reverse", help="Flip the usual order of the chosen column.")
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
                "No supplier passes these filters — lower the minimum deals, pick more badges or widen the "
                "sidebar filters."
            )
    else:
        sort_words = f"{SORTS[sort_column][0].lower()}{', reversed' if reverse else ''}"
        more = f" (the first {fmt.count(shown.height)} by {sort_words})" if matches.height > shown.height else ""
        st.caption(
            f"{fmt.count(matches.height)} of {fmt.count(everyone.height)} suppliers{more}. "
            "Select a row to open its profile."
        )
        st.dataframe(  # catalogue labels and formats, money and counts as numbers; the CSV keeps raw values
            columns.display(shown, policy=view.policy, numbers=NUMBER_COLUMNS),
            key="supplier_table",
            hide_index=True,
            column_config=columns.config(shown, numbers=NUMBER_COLUMNS),
            placeholder=fmt.NULL,
            on_select=_open_selected_row,
            selection_mode="single-row",
        )
        csv_download("Download this table (CSV)", shown, f"suppliers_{view.as_of:%Y-%m-%d}.csv", "download_suppliers")

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
        csv_download(
            "Download comparison (CSV)",
            side_by_side,
            f"supplier_comparison_{view.as_of:%Y-%m-%d}.csv",
            "download_compare",
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


vetting(view, everyone)
render_at_risk(view)  # badge holders one event from losing it, for category managers
render_over_amount(view)  # badge holders whose open exposure exceeds their Amount
