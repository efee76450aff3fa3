"""Assessments: the badges that took effect. Policy owners and admins run and publish them (here or with
`python -m queries assess`); executives and category managers read the record, what changed from one run to
the next, and how today's data would differ from what storefronts show.
"""

import streamlit as st

from app_pages.sections.assessments_history import render_history
from app_pages.sections.assessments_live import render_published_vs_live
from app_pages.sections.assessments_run import render_run
from app_pages.sections.context import current_view
from auth.session import require_page
from queries import cached
from store import assessments as store

user = require_page("assessments")
view = current_view()
key = view.warehouse_key
st.title("Assessments")
st.caption(
    "Monthly assessments recorded for this warehouse, newest first: the badge every supplier was given, under "
    "which policy, by whom. Runs are never changed or deleted; a supersede is a new run. Times are UTC."
)

runs = store.list_runs(key)
render_run(view, key, user, runs)
if runs.is_empty():
    st.info(
        "No assessment has been recorded for this warehouse yet. Policy owners run one above or with "
        "`python -m queries assess --as-of YYYY-MM-DD`."
    )
    st.stop()

names = cached.features(view.url, view.data_end).select("supplier_id", "name", "country_code", "category")
if view.countries or view.categories:
    st.caption(
        "Changes below are limited to the sidebar's countries and categories; the counts in the runs table are not."
    )
render_history(view, runs, names)
render_published_vs_live(view, key, names, int(runs["run_id"].max()))
