"""Audit (admins and policy owners): every save, update and mark-current of a policy — who, when, before, after.

The trail is append-only in the app database (store.policies); this page only reads it. Names and notes
people typed are shown in a table or as plain text, never as Markdown.
"""

import polars as pl
import streamlit as st

import catalogue
from app_pages.sections.assessments_audit import render_assessment_audit
from app_pages.sections.context import current_view
from auth.session import require_page
from store import policies as store
from ui import format as fmt
from ui.columns import AUDIT_COLUMNS
from ui.explain import audit_change
from ui.widgets import csv_download

ACTION_LABELS = catalogue.labels("action")

require_page("audit")
st.title("Audit")
st.caption("Every change to a saved policy, newest first. Times are UTC. Rows are never changed or deleted.")
render_assessment_audit(current_view().warehouse_key)

log = store.audit_log(current_view().warehouse_key)
if log.is_empty():
    st.info("No policy has been saved yet — changes made in the Policy lab are listed here.")
    st.stop()


@st.fragment
def trail(log: pl.DataFrame) -> None:
    """The filters and the trail they select: changing a filter reruns only this part of the page."""
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
        return
    st.caption(f"{fmt.count(shown.height)} of {fmt.count(log.height)} {'change' if log.height == 1 else 'changes'}.")
    # On screen: the action's label and the change in words (the CSV below keeps the raw JSON snapshots).
    words = shown.select(
        "audit_id",
        pl.col("name").fill_null(fmt.NULL),
        pl.col("action").replace_strict(ACTION_LABELS, default=pl.col("action")).alias("action"),
        "actor",
        "at",
        pl.struct("action", "before", "after")
        .map_elements(lambda r: audit_change(r["action"], r["before"], r["after"]), return_dtype=pl.String)
        .alias("change"),
    )
    st.dataframe(
        words,
        hide_index=True,
        key="audit_table",
        column_config={
            **AUDIT_COLUMNS,
            "change": st.column_config.TextColumn("What changed", width="large"),
        },
    )
    what = "change" if shown.height == 1 else "changes"
    csv_download(f"Download {{rows}} {what} (CSV)", shown, "policy_audit.csv", "audit_csv")


trail(log)
