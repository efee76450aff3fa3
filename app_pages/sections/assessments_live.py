"""Published vs live: the storefronts show the latest published assessment; how many holders would differ if
the warehouse were assessed on today's data under the current policy (grace over the recorded runs), and who."""

from datetime import timedelta

import polars as pl
import streamlit as st

from app_pages.sections import assessments_cache as recorded
from app_pages.sections.assessments_history import CHANGE_COLUMNS, changes_shown, with_names
from app_pages.sections.assessments_run import policy_label
from app_pages.sections.context import View
from policy.assess import change_counts
from store import assessments as store
from ui import format as fmt
from ui.explain import escape_markdown
from ui.widgets import csv_download


def render_published_vs_live(view: View, key: str, names: pl.DataFrame, newest_run: int) -> None:
    """The published assessment against a live one — the data through the end of the warehouse under its
    current policy, grace applied over the runs recorded before — the number of holders that would differ,
    and who. `newest_run`: the highest run id of the warehouse (a new run may change the live grace)."""
    st.subheader("Published vs live")
    published = store.latest_publication(key)
    if published is None:
        st.info("Nothing has been published yet: storefronts show no badge until an assessment is published.")
        return
    name, version, policy = store.policy_for(key)
    live_policy = policy_label(name, version)
    found = recorded.live_changes(key, view.url, view.data_end, newest_run, policy, published.run_id)
    changes = with_names(view, found, names)
    differ = changes.filter(pl.col("change").is_in(["gained", "lost"]))
    tally = change_counts(changes)
    published_policy = policy_label(published.policy_name, published.policy_version)
    st.caption(
        escape_markdown(
            f"Published {published.published_at:%Y-%m-%d %H:%M} UTC by {published.actor}: run {published.run_id}, "
            f"the assessment of {published.as_of:%Y-%m-%d} under {published_policy}. Live: if assessed on the data "
            f"through {view.data_end - timedelta(days=1):%Y-%m-%d} under {live_policy}."
        )
    )
    st.download_button(
        "Download the published storefront feed (CSV)",
        lambda: recorded.feed_bytes(published.run_id),  # written when clicked (seconds at full scale)
        file_name=store.feed_file_name(published.as_of),
        mime="text/csv",
        key="feed_csv",
        on_click="ignore",
        icon=":material/storefront:",
    )
    if published.superseded_by:
        st.warning(f"Run {published.run_id} was superseded by run {published.superseded_by}; publish that one.")
    tiles = st.columns(3)
    tiles[0].metric("Holders that would differ", fmt.count(differ.height))
    tiles[1].metric("Would gain the badge", fmt.count(tally["gained"]))
    tiles[2].metric("Would lose the badge", fmt.count(tally["lost"]))
    if differ.is_empty():
        st.success("Assessed today, every supplier would keep the published badge standing.")
        return
    shown = differ.select("supplier_id", "name", *[c for c in differ.columns if c not in ("supplier_id", "name")])
    st.dataframe(changes_shown(shown), hide_index=True, key="live_table", column_config=CHANGE_COLUMNS)
    csv_download(
        "Download {rows} differences (CSV)",
        shown,
        f"published_vs_live_{view.data_end:%Y-%m-%d}.csv",
        "live_csv",
        lazy=True,
        icon=":material/download:",
    )
