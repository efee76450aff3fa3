"""Supplier profile: one supplier's trust card, why it has its badge, its projection, trends and claims.

Opened from Supplier vetting (a row, an id, a comparison) or by a link `supplier?supplier=42`; the link
back returns to the vetting view as it was (search, filters, sort, compare picks).
"""

import polars as pl
import streamlit as st

from app_pages.sections.context import current_view, shared_params
from app_pages.sections.profile import render_profile, scored_suppliers
from auth.session import require_page
from queries import cached
from ui.explain import escape_markdown

BACK = "vetting_params"  # the vetting page's own URL parameters, kept by app_pages/suppliers.py

require_page("supplier")
view = current_view()
st.page_link(
    "app_pages/suppliers.py",
    label="Back to Supplier vetting",
    icon=":material/arrow_back:",
    query_params={**shared_params(), **st.session_state.get(BACK, {})},
)
st.title("Supplier profile")
st.caption(f"As of {view.as_of:%Y-%m-%d} (midnight UTC) · policy: {escape_markdown(view.policy_name)}")
supplier_id = st.number_input(
    "Supplier id",
    min_value=0,
    max_value=2**53 - 1,
    value=None,
    step=1,
    key="supplier",
    bind="query-params",
    placeholder="Type a supplier id",
    help="The URL keeps this id, so a copied link reopens the profile.",
)
if supplier_id is None:
    st.info("Type a supplier id, or pick a supplier on the Supplier vetting page, to open its profile.")
    st.stop()

features = cached.features(view.url, view.as_of)
row = features.filter(pl.col("supplier_id") == supplier_id)
if row.is_empty():
    st.info(f"No supplier has id {supplier_id} — go back to the table to pick one, or check the id.")
    st.stop()
render_profile(view, scored_suppliers(row, view.policy).row(0, named=True), features)
