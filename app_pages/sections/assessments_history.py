"""The recorded runs and what changed from one run to the one before it (gained, lost, kept under grace,
Amount changes), with a CSV of the changes. Supplier names come from the warehouse and are shown only in
tables (never as Markdown)."""

import polars as pl
import streamlit as st

from app_pages.sections import assessments_cache as recorded
from app_pages.sections.assessments_run import policy_label
from app_pages.sections.context import View
from policy.assess import CHANGES, change_counts
from ui import format as fmt
from ui.widgets import csv_download

CHANGE_LABELS = {
    "gained": "Gained the badge",
    "lost": "Lost the badge",
    "kept_under_grace": "Kept under grace",
    "amount_changed": "Amount changed",
}
RUN_COLUMNS = {
    "run_id": st.column_config.NumberColumn("Run", format="%d"),
    "as_of": st.column_config.DateColumn("As of", format="YYYY-MM-DD"),
    "action": st.column_config.TextColumn("Action"),
    "policy": st.column_config.TextColumn("Policy"),
    "grace_assessments": st.column_config.NumberColumn(
        "Grace", format="%d", help="assessments a failing holder keeps it"
    ),
    "holders": st.column_config.NumberColumn("Holders", format="localized"),
    "kept_under_grace": st.column_config.NumberColumn("Kept under grace", format="localized"),
    "not_qualified": st.column_config.NumberColumn("Not qualified", format="localized"),
    "region_not_open": st.column_config.NumberColumn("Region not open", format="localized"),
    "not_enrolled": st.column_config.NumberColumn("Not enrolled", format="localized"),
    "total_amount_usd": st.column_config.NumberColumn("Total Amount", format="dollar"),
    "actor": st.column_config.TextColumn("Who"),
    "recorded_at": st.column_config.DatetimeColumn("Recorded (UTC)", format="YYYY-MM-DD HH:mm"),
    "superseded_by": st.column_config.NumberColumn("Superseded by", format="%d"),
    "published_at": st.column_config.DatetimeColumn("Published (UTC)", format="YYYY-MM-DD HH:mm"),
}
CHANGE_COLUMNS = {
    "supplier_id": st.column_config.NumberColumn("Id", format="%d"),
    "name": st.column_config.TextColumn("Supplier"),
    "change": st.column_config.TextColumn("Change"),
    "badge_before": st.column_config.TextColumn("Badge before"),
    "badge_after": st.column_config.TextColumn("Badge after"),
    "ta_amount_before_usd": st.column_config.TextColumn("Amount before", alignment="right"),
    "ta_amount_after_usd": st.column_config.TextColumn("Amount after", alignment="right"),
    "ta_amount_change_usd": st.column_config.TextColumn("Amount change", alignment="right"),
    "grace_used": st.column_config.NumberColumn("Grace used", format="%d"),
    "failed_rules": st.column_config.TextColumn("Failed rules"),
}


def changes_shown(changes: pl.DataFrame) -> pl.DataFrame:
    """The changes as the screen shows them: the change and the badges in words, Amounts in dollars (with a
    sign for the change), failed rules by their labels. The CSV keeps the raw frame."""
    money = [c for c in ("ta_amount_before_usd", "ta_amount_after_usd") if c in changes.columns]
    text = {
        "change": lambda v: CHANGE_LABELS.get(v, fmt.NULL if v is None else str(v)),
        "badge_before": lambda v: fmt.word(v, "badge"),
        "badge_after": lambda v: fmt.word(v, "badge"),
        "ta_amount_change_usd": lambda v: fmt.signed(v, "money"),
        "failed_rules": fmt.words,
        **dict.fromkeys(money, fmt.money),
    }
    return changes.with_columns(
        pl.col(c).map_elements(show, return_dtype=pl.String, skip_nulls=False)
        for c, show in text.items()
        if c in changes.columns
    )


def runs_table(runs: pl.DataFrame) -> pl.DataFrame:
    """The runs as the page lists them: the policy as 'name vN', the columns of RUN_COLUMNS."""
    named = runs.with_columns(
        pl.struct("policy_name", "policy_version")
        .map_elements(lambda p: policy_label(p["policy_name"], p["policy_version"]), return_dtype=pl.String)
        .alias("policy")
    )
    return named.select(list(RUN_COLUMNS))


def run_before(runs: pl.DataFrame, run_id: int) -> dict | None:
    """The run a run is compared with: the latest run no one superseded with an earlier as-of date."""
    as_of = runs.filter(pl.col("run_id") == run_id)["as_of"].item()
    earlier = runs.filter(pl.col("superseded_by").is_null(), pl.col("as_of") < as_of).sort("as_of", descending=True)
    return earlier.row(0, named=True) if not earlier.height == 0 else None


def with_names(view: View, changes: pl.DataFrame, names: pl.DataFrame) -> pl.DataFrame:
    """Changes with each supplier's name, in the sidebar's countries and categories."""
    joined = changes.join(names, on="supplier_id", how="left", maintain_order="left")
    return view.filter(joined) if (view.countries or view.categories) else joined


def render_history(view: View, runs: pl.DataFrame, names: pl.DataFrame) -> None:
    """The runs table, then a chosen run against the one before it (render_changes)."""
    st.subheader("Recorded assessments")
    st.dataframe(runs_table(runs), hide_index=True, key="runs_table", column_config=RUN_COLUMNS)
    render_changes(view, runs, names)


@st.fragment
def render_changes(view: View, runs: pl.DataFrame, names: pl.DataFrame) -> None:
    """A chosen run against the one before it (or the run it replaced): choosing reruns only this part."""
    st.subheader("What changed")
    labels = {
        r["run_id"]: f"Run {r['run_id']} · {r['as_of']:%Y-%m-%d}" + (" · superseded" if r["superseded_by"] else "")
        for r in runs.iter_rows(named=True)
    }
    run_id = st.selectbox("Assessment", list(labels), format_func=labels.get, key="changes_run")
    before = run_before(runs, run_id)
    replaced = runs.filter(pl.col("run_id") == run_id)["supersedes"].item()
    if replaced is not None and st.toggle(f"Compare with run {replaced}, which this run replaced", key="vs_replaced"):
        before = runs.filter(pl.col("run_id") == replaced).row(0, named=True)
    if before is None:
        st.caption("The first assessment on record: every holder counts as gained.")
    else:
        st.caption(f"Compared with run {before['run_id']}, the assessment of {before['as_of']:%Y-%m-%d}.")
    changes = with_names(view, recorded.changes(None if before is None else before["run_id"], run_id), names)
    tally = change_counts(changes)
    tiles = st.columns(len(CHANGES))
    for tile, change in zip(tiles, CHANGES, strict=True):
        tile.metric(CHANGE_LABELS[change], fmt.count(tally[change]))
    if changes.is_empty():
        st.info("Nobody's badge or Amount changed between these two assessments.")
        return
    shown = changes.select("supplier_id", "name", *[c for c in changes.columns if c not in ("supplier_id", "name")])
    st.dataframe(changes_shown(shown), hide_index=True, key="changes_table", column_config=CHANGE_COLUMNS)
    csv_download(
        "Download {rows} change (CSV)" if shown.height == 1 else "Download {rows} changes (CSV)",
        shown,
        f"assessment_changes_run_{run_id}.csv",
        "changes_csv",
        lazy=True,
        icon=":material/download:",
    )
