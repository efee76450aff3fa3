"""Audit (admins and policy owners): every save, update and mark-current of a policy — who, when, before, after.

The trail is append-only in the app database (store.policies); this page only reads it. Names and notes
people typed are shown in a table or as plain text, never as Markdown.
"""

import polars as pl
import streamlit as st

from app_pages.sections.assessments_audit import render_assessment_audit
from app_pages.sections.context import current_view
from auth.session import require_page
from store import policies as store
from ui import format as fmt
from ui.export import csv_bytes

ACTION_LABELS = {"save": "saved (new)", "update": "updated", "mark_current": "marked current"}

require_page("audit")
st.title("Audit")
st.caption("Every change to a saved policy, newest first. Times are UTC. Rows are never changed or deleted.")
render_assessment_audit(current_view().warehouse_key)

log = store.audit_log(current_view().warehouse_key)
if log.is_empty():
    st.info("No policy has been saved yet — changes made in the Policy lab are listed here.")
    st.stop()

filters = st.columns(2)
names = sorted(n for n in log["name"].unique().to_list() if n is not None)
picked_names = filters[0].multiselect("Policies", names, key="audit_names", placeholder="All policies")
picked_actions = filters[1].multiselect(
    "Actions", list(ACTION_LABELS), format_func=ACTION_LABELS.get, key="audit_actions", placeholder="All actions"
)
shown = log
if picked_names:
    shown = shown.filter(pl.col("name").is_in(picked_names))
if picked_actions:
    shown = shown.filter(pl.col("action").is_in(picked_actions))
shown = shown.sort("audit_id", descending=True)

if shown.is_empty():
    st.info("No change matches these filters — clear one of them.")
    st.stop()
st.caption(f"{fmt.count(shown.height)} of {fmt.count(log.height)} changes.")
st.dataframe(
    shown,
    hide_index=True,
    key="audit_table",
    column_config={
        "audit_id": st.column_config.NumberColumn("#", format="%d"),
        "policy_id": None,
        "name": st.column_config.TextColumn("Policy"),
        "action": st.column_config.TextColumn("Action"),
        "actor": st.column_config.TextColumn("Who"),
        "at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"),
        "before": st.column_config.TextColumn("Before (JSON)", width="large"),
        "after": st.column_config.TextColumn("After (JSON)", width="large"),
    },
)
st.download_button(
    f"Download {fmt.count(shown.height)} changes (CSV)",
    csv_bytes(shown),
    file_name="policy_audit.csv",
    mime="text/csv",
    key="audit_csv",
    on_click="ignore",
)
