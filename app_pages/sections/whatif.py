"""The Policy lab's what-if: the sliders beside the tiles, tables and charts of who gains or loses the badge.

`whatif_panel` is a fragment: moving a slider reruns only it. It also keeps the what-if in the URL.
"""

import threading
from collections import OrderedDict

import polars as pl
import streamlit as st

from app_pages.sections.lab_state import (
    draw_controls,
    policy_from_sliders,
    remember_whatif,
    reset_to_current,
    show_flash,
)
from app_pages.sections.policy_io import download_policy, render_import
from app_pages.sections.whatif_money import render_whatif_money
from policy import Policy, PolicyError
from ui import columns, lab
from ui import format as fmt
from ui.explain import RULE_LABELS
from ui.widgets import csv_download, delta_tile

TOP_ROWS = 20


def table_with_csv(frame: pl.DataFrame, what: str, key: str, empty: str) -> None:
    """The first TOP_ROWS rows of `frame` and the whole frame as CSV; `empty` when there are none."""
    if frame.is_empty():
        st.caption(empty)
        return
    columns.table(frame.head(TOP_ROWS), key=f"{key}_table")  # catalogue labels and formats; the CSV stays raw
    more = f" (first {TOP_ROWS} of {fmt.count(frame.height)})" if frame.height > TOP_ROWS else ""
    # written only when clicked: a slider move must not serialise every change
    csv_download(f"Download all {{rows}} {what} (CSV){more}", frame, f"{key}.csv", f"{key}_csv", lazy=True)


@st.fragment
def whatif_panel(features: pl.DataFrame, current: Policy, current_name: str, options: list[str]) -> None:
    show_flash()  # left by the import, whose callback reruns only this fragment
    controls, results = st.columns([1, 2], gap="large")
    with controls:
        st.button("Reset to the current policy", on_click=reset_to_current, args=(current,), key="lab_reset")
        draw_controls(options)
        render_import()
    try:
        candidate = policy_from_sliders(current)
    except PolicyError as exc:
        results.error(f"This what-if is not a valid policy — {exc}. Change that value to see the results.")
        return
    remember_whatif(candidate, current)
    with controls:
        download_policy(candidate, "what-if", "lab_download_whatif", "Download the what-if (JSON)")
    with results, st.spinner("Evaluating the what-if…"):
        show_results(features, current, current_name, candidate)


def show_results(features: pl.DataFrame, current: Policy, current_name: str, candidate: Policy) -> None:
    w = lab.whatif(features, current, candidate)
    d = w.diff
    st.caption(f"Against the current policy: {current_name}.")
    tiles = st.columns(3)  # who holds the badge; the money row below has the Amount (shown once)
    delta_tile(tiles[0], "Qualified suppliers", fmt.count(d.qualified_after), d.qualified_change, 0)
    tiles[1].metric("Gain the badge", fmt.count(d.gained.height))
    tiles[2].metric("Lose the badge", fmt.count(d.lost.height))
    render_whatif_money(d)  # Amount, covered exposure and expected refunds (app_pages/sections/whatif_money.py)
    if candidate == current:
        st.info("The sliders match the current policy: move one to see who gains or loses the badge.")

    # Only the open tab is drawn (each tab is bound to the URL and reruns this fragment when opened): a slider
    # move redraws one table or the distributions, not all of them.
    gained_tab, lost_tab, where_tab, rules_tab, shape_tab = st.tabs(
        ["Gain", "Lose", "By country and category", "Rules", "Distributions"], key="lab_tab", bind="query-params"
    )
    for tab, which, empty in (
        (
            gained_tab,
            "gained",
            "Nobody gains the badge — loosen a threshold (lower a minimum, raise a maximum) or open a country.",
        ),
        (lost_tab, "lost", "Nobody loses the badge — tighten a threshold to see who would."),
    ):
        if tab.open:
            with tab:
                words = "suppliers who gain the badge" if which == "gained" else "suppliers who lose the badge"
                table_with_csv(lab.supplier_changes(features, d, which), words, f"lab_{which}", empty)
    if where_tab.open:
        with where_tab:
            left, right = st.columns(2)
            with left:
                table_with_csv(w.by_country, "countries", "lab_by_country", "No supplier in the filtered view.")
            with right:
                table_with_csv(w.by_category, "categories", "lab_by_category", "No supplier in the filtered view.")
    if rules_tab.open:
        with rules_tab:
            render_blockers(w)
    if shape_tab.open:
        with shape_tab:
            st.markdown("**Distributions of enrolled suppliers, with the threshold**")
            grid = st.columns(2)
            for i, spec in enumerate(lab.DISTRIBUTIONS):
                figure = histogram(features, spec, getattr(candidate, spec.threshold))
                grid[i % 2].vega_lite_chart(spec=figure, key=f"lab_hist_{i}")


def render_blockers(w: lab.WhatIf) -> None:
    """The rules that hold suppliers back under the what-if, in words and as a table."""
    blockers = w.blockers.with_columns(pl.col("rule").replace_strict(RULE_LABELS).alias("rule"))
    top = lab.top_blocker(w.blockers)
    if top is None:
        st.caption("No supplier is held back by a single rule under this what-if.")
    else:
        st.write(
            f"The rule that alone blocks the most suppliers: **{RULE_LABELS[top[0]]}** "
            f"({fmt.count(top[1])} would qualify if it passed)."
        )
    most = w.blockers.sort("failing", descending=True).row(0, named=True)
    if most["failing"]:
        st.write(
            f"The rule failed most often: **{RULE_LABELS[most['rule']]}** "
            f"({fmt.count(most['failing'])} of {fmt.count(w.not_qualified)} not-qualified suppliers)."
        )
    # the table shows the rules' labels; its CSV keeps the policy's rule codes
    columns.table(blockers, key="lab_blockers_table")
    csv_download("Download the {rows} rules (CSV)", w.blockers, "lab_blockers.csv", "lab_blockers_csv", lazy=True)


# A slider move changes one threshold: the other distributions are the figures drawn last time. Keyed by the
# features frame's identity (held in the entry, so the id cannot be reused while cached), rule and threshold.
_FIGURES: OrderedDict = OrderedDict()
_FIGURES_LOCK = threading.Lock()
_FIGURES_KEPT = 16


def histogram(features: pl.DataFrame, spec: lab.Distribution, threshold: float):
    """ui.lab.threshold_histogram of the enrolled suppliers' `spec` feature at `threshold`, built once."""
    key = (id(features), spec.feature, threshold)
    with _FIGURES_LOCK:
        found = _FIGURES.get(key)
        if found is not None and found[0] is features:
            _FIGURES.move_to_end(key)
            return found[1]
    enrolled = features.filter(pl.col("enrolled"))
    figure = lab.threshold_histogram(lab.distribution_bins(enrolled, spec, threshold), threshold, spec.title, spec.unit)
    with _FIGURES_LOCK:
        _FIGURES[key] = (features, figure)
        while len(_FIGURES) > _FIGURES_KEPT:
            _FIGURES.popitem(last=False)
    return figure
