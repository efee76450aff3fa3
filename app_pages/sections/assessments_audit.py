"""The Audit page's assessment trail: every assessment, supersede and publication, who and when.

Read from store.assessments' append-only tables (their rows are the trail: nothing is ever changed or
deleted). Actors and policy names are what people typed: shown in a table only.
"""

import polars as pl
import streamlit as st

import catalogue
from store import assessments as store
from ui import format as fmt
from ui.widgets import csv_download


def render_assessment_audit(key: str) -> None:
    """An expander with the assessment trail of warehouse `key`, newest first, and its CSV."""
    entries = store.audit_entries(key).sort("at", descending=True)
    with st.expander(
        f"Assessments, supersedes and publications ({fmt.count(entries.height)})", icon=":material/verified:"
    ):
        if entries.is_empty():
            st.info("No assessment has been recorded for this warehouse yet.")
            return
        shown = entries.with_columns(
            pl.col("action").replace_strict(catalogue.labels("action"), default=pl.col("action")).alias("action")
        )
        st.dataframe(
            shown,
            hide_index=True,
            key="assessment_audit_table",
            column_config={
                "at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"),
                "action": st.column_config.TextColumn("Action"),
                "actor": st.column_config.TextColumn("Who"),
                "what": st.column_config.TextColumn("What (JSON)", width="large"),
            },
        )
        csv_download("Download {rows} entries (CSV)", entries, "assessment_audit.csv", "assessment_audit_csv")
