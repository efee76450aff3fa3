"""Policy lab (policy owners): move a rule's threshold and see at once who gains or loses the badge.

The sliders start from the current policy. The what-if lives in a fragment, so moving a slider reruns
only that part. Below it, the what-if is saved under a name, saved policies are listed, loaded back into
the sliders, compared, and one is marked current (every page then uses it through the sidebar). Saving and marking
current are for policy owners and admins only: the controls are not drawn for other roles, and the
handlers check the role again on the server before writing.
"""

import polars as pl
import streamlit as st

from app_pages.sections.backtest import policy_or_none, render_backtest
from app_pages.sections.context import current_view
from app_pages.sections.whatif_money import render_whatif_money
from auth.roles import PermissionDenied, can, require
from auth.session import current_user, require_page
from policy import Policy, PolicyError, diff
from queries import cached
from store import policies as store
from ui import format as fmt
from ui import lab
from ui.charts import CONFIG
from ui.export import csv_bytes

TOP_ROWS = 20
LOADED = "lab_loaded"  # {"name", "version"} of the saved policy last loaded into the sliders, or None
FLASH = "lab_flash"  # (kind, text) left by a callback for the next run
ALL = "*"

# Policy field, label, widget, min, max, step, format. The widget key is "lab_" + field.
CONTROLS = (
    ("min_account_age_days", "Minimum account age (days)", "slider", 0, 730, 1, None),
    ("min_orders_6m", "Minimum covered deals in 6 months", "slider", 0, 50, 1, None),
    ("min_gmv_6m_usd", "Minimum covered GMV in 6 months (USD)", "number", 0.0, 1e12, 500.0, "%.2f"),
    ("min_on_time_rate", "Minimum on-time shipping rate", "slider", 0.0, 1.0, 0.01, "%.2f"),
    ("max_claim_rate", "Maximum upheld claim rate", "slider", 0.0, 1.0, 0.01, "%.2f"),
    ("min_response_rate", "Minimum response rate (within 24 h)", "slider", 0.0, 1.0, 0.01, "%.2f"),
    ("max_median_response_hours", "Maximum median response time (hours)", "slider", 0.0, 168.0, 0.5, "%.1f"),
    ("amount_multiplier", "Amount: multiplier × 6-month GMV", "number", 0.0, 100.0, 0.05, "%.4f"),
    ("amount_floor_usd", "Amount: floor (USD)", "number", 0.0, 1e12, 500.0, "%.2f"),
    ("amount_cap_usd", "Amount: cap (USD)", "number", 0.0, 1e12, 10_000.0, "%.2f"),
    ("grace_assessments", "Grace period (monthly assessments)", "slider", 0, 12, 1, None),
)
FIELDS = tuple(c[0] for c in CONTROLS)
ROUNDING = {"min_gmv_6m_usd": 2, "amount_floor_usd": 2, "amount_cap_usd": 2, "amount_multiplier": 4}


def put_policy(policy: Policy) -> None:
    """Set every slider to `policy` (only from a callback or before the widgets are drawn)."""
    for field in FIELDS:
        st.session_state[f"lab_{field}"] = getattr(policy, field)
    st.session_state["lab_open_countries"] = list(policy.open_countries)


def policy_from_sliders(base: Policy) -> Policy:
    """The what-if Policy from the widgets; fields without a widget keep `base`. Raises PolicyError."""
    values = {}
    for field in FIELDS:
        value = st.session_state[f"lab_{field}"]
        if value is None:
            raise PolicyError(field, "a value is required")
        values[field] = value if isinstance(value, int) else round(float(value), ROUNDING.get(field, 4))
    values["open_countries"] = list(st.session_state["lab_open_countries"])
    return Policy.from_mapping(values, base=base)


def load_into_sliders(name: str) -> None:
    try:
        wh = current_view().warehouse_key
        put_policy(store.load_policy(wh, name))
        st.session_state[LOADED] = {"name": name, "version": store.policy_version(wh, name)}
        st.session_state["lab_save_name"] = name
        st.session_state[FLASH] = ("success", f"Loaded {name!r} into the sliders.")
    except (store.PolicyNotFound, PolicyError, store.AppDatabaseError) as exc:
        st.session_state[FLASH] = ("error", f"Could not load the policy: {exc}")


def reset_to_current(policy: Policy) -> None:
    put_policy(policy)
    st.session_state[LOADED] = None


def mark_as_current(name: str) -> None:
    try:
        user = current_user()  # worked out again on the server: the button may be stale
        require(user.role, "mark_current")
        store.mark_current(current_view().warehouse_key, name, user.email or st.session_state.get("lab_actor") or "")
        st.session_state[FLASH] = ("success", f"{name!r} is now the current policy on every page.")
    except (store.PolicyStoreError, store.PolicyNotFound, PermissionDenied, store.AppDatabaseError) as exc:
        st.session_state[FLASH] = ("error", f"Not marked current — {exc}")


def draw_controls(options: list[str]) -> None:
    for field, label, widget, low, high, step, number_format in CONTROLS:
        key = f"lab_{field}"
        high = max(high, st.session_state[key] or 0)  # a saved value beyond the usual range stays reachable
        if widget == "slider":
            st.slider(label, low, high, step=step, format=number_format, key=key)
        else:
            st.number_input(label, low, high, step=step, format=number_format, key=key)
    st.multiselect(
        "Open countries",
        options,
        format_func=lambda code: "All countries" if code == ALL else code,
        key="lab_open_countries",
        help="Enrolled suppliers elsewhere keep the badge region_not_open. 'All countries' opens every country.",
    )


def table_with_csv(frame: pl.DataFrame, what: str, key: str, empty: str) -> None:
    """The first TOP_ROWS rows of `frame` and the whole frame as CSV; `empty` when there are none."""
    if frame.is_empty():
        st.caption(empty)
        return
    st.dataframe(frame.head(TOP_ROWS), hide_index=True, key=f"{key}_table")
    more = f" (first {TOP_ROWS} of {fmt.count(frame.height)})" if frame.height > TOP_ROWS else ""
    st.download_button(
        f"Download all {fmt.count(frame.height)} {what} (CSV){more}",
        lambda: csv_bytes(frame),  # written only when clicked: a slider move must not serialise every change
        file_name=f"{key}.csv",
        mime="text/csv",
        key=f"{key}_csv",
    )


def _delta(change: float, kind: str) -> str:
    return "0" if change == 0 else fmt.signed(change, kind).replace("−", "-")


@st.fragment
def whatif_panel(features: pl.DataFrame, current: Policy, current_name: str, options: list[str]) -> None:
    controls, results = st.columns([1, 2], gap="large")
    with controls:
        st.button("Reset to the current policy", on_click=reset_to_current, args=(current,), key="lab_reset")
        draw_controls(options)
    try:
        candidate = policy_from_sliders(current)
    except PolicyError as exc:
        results.error(f"This what-if is not a valid policy — {exc}. Change that value to see the results.")
        return
    with results, st.spinner("Evaluating the what-if…"):
        show_results(features, current, current_name, candidate)


def show_results(features: pl.DataFrame, current: Policy, current_name: str, candidate: Policy) -> None:
    w = lab.whatif(features, current, candidate)
    d = w.diff
    st.caption(f"Against the current policy: {current_name}.")
    tiles = st.columns(4)
    tiles[0].metric("Qualified suppliers", fmt.count(d.qualified_after), _delta(d.qualified_change, "count"))
    tiles[1].metric(
        "Trade Assurance Amount",
        fmt.money_short(d.amount_after_usd),
        _delta(d.amount_change_usd, "money"),
        help=f"Total over qualified suppliers: {fmt.money(d.amount_after_usd)}.",
    )
    tiles[2].metric("Gain the badge", fmt.count(d.gained.height))
    tiles[3].metric("Lose the badge", fmt.count(d.lost.height))
    render_whatif_money(d)  # Amount, covered exposure and expected refunds (app_pages/sections/whatif_money.py)
    if candidate == current:
        st.info("The sliders match the current policy: move one to see who gains or loses the badge.")

    gained_tab, lost_tab, where_tab, rules_tab = st.tabs(["Gain", "Lose", "By country and category", "Rules"])
    with gained_tab:
        table_with_csv(
            lab.supplier_changes(features, d, "gained"),
            "suppliers who gain the badge",
            "lab_gained",
            "Nobody gains the badge — loosen a threshold (lower a minimum, raise a maximum) or open a country.",
        )
    with lost_tab:
        table_with_csv(
            lab.supplier_changes(features, d, "lost"),
            "suppliers who lose the badge",
            "lab_lost",
            "Nobody loses the badge — tighten a threshold to see who would.",
        )
    with where_tab:
        left, right = st.columns(2)
        with left:
            table_with_csv(w.by_country, "countries", "lab_by_country", "No supplier in the filtered view.")
        with right:
            table_with_csv(w.by_category, "categories", "lab_by_category", "No supplier in the filtered view.")
    with rules_tab:
        blockers = w.blockers.with_columns(pl.col("rule").replace_strict(lab.RULE_LABELS).alias("rule"))
        top = lab.top_blocker(w.blockers)
        if top is None:
            st.caption("No supplier is held back by a single rule under this what-if.")
        else:
            st.write(
                f"The rule that alone blocks the most suppliers: **{lab.RULE_LABELS[top[0]]}** "
                f"({fmt.count(top[1])} would qualify if it passed)."
            )
        most = w.blockers.sort("failing", descending=True).row(0, named=True)
        if most["failing"]:
            st.write(
                f"The rule failed most often: **{lab.RULE_LABELS[most['rule']]}** "
                f"({fmt.count(most['failing'])} of {fmt.count(w.not_qualified)} "
                "not-qualified suppliers)."
            )
        st.dataframe(
            blockers,
            hide_index=True,
            key="lab_blockers_table",
            column_config={
                "failing": st.column_config.NumberColumn("not qualified and failing it"),
                "only_rule_failing": st.column_config.NumberColumn("failing only this rule"),
            },
        )

    st.markdown("**Distributions of enrolled suppliers, with the threshold**")
    enrolled = features.filter(pl.col("enrolled"))
    grid = st.columns(2)
    for i, spec in enumerate(lab.DISTRIBUTIONS):
        threshold = getattr(candidate, spec.threshold)
        bins = lab.distribution_bins(enrolled, spec, threshold)
        grid[i % 2].plotly_chart(
            lab.threshold_histogram(bins, threshold, spec.title, spec.unit), config=CONFIG, key=f"lab_hist_{i}"
        )


# ---- the page ------------------------------------------------------------------------------------

user = require_page("policy_lab")
view = current_view()
st.title("Policy lab")
st.caption(
    f"As of {view.as_of:%Y-%m-%d} (midnight UTC) · sliders start from the current policy: {view.policy_name}. "
    "Sidebar filters narrow the suppliers the what-if counts."
)
flash = st.session_state.pop(FLASH, None)
if flash:  # messages quote names people typed: shown as plain text, never as Markdown
    getattr(st, flash[0])(lab.escape_markdown(flash[1]))

with st.spinner("Computing the scorecard in the warehouse…"):
    features = view.filter(cached.features(view.url, view.as_of))
if features.is_empty():
    st.info(
        "No supplier is in the selected countries and categories — widen the filters in the sidebar, or load "
        "data with `python -m data.generate` / `python -m data.load DIR`."
    )
    st.stop()

if "lab_min_orders_6m" not in st.session_state:  # first visit, or back from another page
    put_policy(view.policy)
    st.session_state.setdefault(LOADED, None)
options = sorted({ALL, *features["country_code"].unique().to_list(), *st.session_state["lab_open_countries"]})
whatif_panel(features, view.policy, view.policy_name, options)

st.divider()
render_backtest(view, view.policy, policy_or_none(lambda: policy_from_sliders(view.policy)))

st.divider()
st.subheader("Save this what-if")
loaded = st.session_state.get(LOADED)
if not can(user.role, "save_policy"):
    st.caption("Your role can try what-ifs here but not save them or mark one current.")
elif loaded:
    st.caption(
        lab.escape_markdown(
            f"Loaded from {loaded['name']!r} (version {loaded['version']}); saving under that name updates it."
        )
    )
submitted = False
if can(user.role, "save_policy"):
    with st.form("lab_save_form", clear_on_submit=False):
        name = st.text_input("Name", max_chars=store.MAX_NAME, key="lab_save_name")
        if user.email:  # signed in: the audit records the account, not a typed name
            st.caption(lab.escape_markdown(f"Author: {user.email}"))
            author = user.email
        else:
            author = st.text_input("Author", max_chars=store.MAX_AUTHOR, key="lab_save_author")
        note = st.text_area("Note", max_chars=store.MAX_NOTE, key="lab_save_note")
        submitted = st.form_submit_button("Save policy")
if submitted:
    try:
        require(current_user().role, "save_policy")  # again at the moment of writing
        candidate = policy_from_sliders(view.policy)
        expected = loaded["version"] if loaded and loaded["name"] == name.strip() else None
        saved = store.save_policy(view.warehouse_key, name, author, note, candidate, expected_version=expected)
    except (PolicyError, store.PolicyStoreError, store.PolicyConflict, PermissionDenied) as exc:
        st.error(lab.escape_markdown(f"Not saved — {exc}"))
    else:
        st.session_state[LOADED] = {"name": saved.name, "version": saved.version}
        if saved.written:
            st.success(lab.escape_markdown(f"Saved {saved.name!r} (version {saved.version})."))
        else:
            st.info(lab.escape_markdown(f"{saved.name!r} already holds exactly this policy and note: nothing to save."))

st.subheader("Saved policies")
saved_policies = store.list_policies(view.warehouse_key)
if saved_policies.is_empty():
    st.info("No saved policies yet — move the sliders, then save the what-if above under a name.")
    st.stop()
st.dataframe(
    saved_policies.select("name", "author", "note", "version", "is_current", "updated_at"),
    hide_index=True,
    key="lab_saved_table",
    column_config={"is_current": st.column_config.CheckboxColumn("current")},
)
names = saved_policies["name"].to_list()
pick = st.selectbox("Saved policy", names, key="lab_pick")
act = st.columns([1, 1, 2])
act[0].button("Load into the sliders", on_click=load_into_sliders, args=(pick,), key="lab_load")
if can(user.role, "mark_current"):
    if user.email:
        act[2].caption(lab.escape_markdown(f"Recorded in the audit as {user.email}."))
    else:
        act[2].text_input("Your name (recorded in the audit)", key="lab_actor")
    if act[1].button("Mark as current", key="lab_mark_current"):
        mark_as_current(pick)
        st.rerun()  # from the top, so the sidebar and the sliders' baseline use the new current policy

st.markdown("**Compare two saved policies**")
pair = st.columns(2)
a_name = pair[0].selectbox("Policy A", names, key="lab_compare_a")
b_name = pair[1].selectbox("Policy B", names, index=min(1, len(names) - 1), key="lab_compare_b")
try:  # a policy saved under older rules may be refused today: say which, and keep the page usable
    a_policy, b_policy = store.load_policy(view.warehouse_key, a_name), store.load_policy(view.warehouse_key, b_name)
except PolicyError as exc:
    a_policy = b_policy = None
    st.warning(lab.escape_markdown(f"Cannot compare: today's rules refuse a saved policy — {exc}"))
if a_policy is None:
    pass  # nothing to compare: the warning above names the policy and the rule
elif a_name == b_name:
    st.caption("Pick two different saved policies to compare them.")
else:
    st.dataframe(
        lab.policy_table(a_policy, b_policy, f"A · {a_name}", f"B · {b_name}"), hide_index=True, key="lab_compare_table"
    )
    cmp = diff(features, a_policy, b_policy)
    st.write(
        lab.escape_markdown(
            f"Going from {a_name!r} to {b_name!r}: qualified {fmt.count(cmp.qualified_before)} → "
            f"{fmt.count(cmp.qualified_after)} ({fmt.signed(cmp.qualified_change)}), "
            f"{fmt.count(cmp.gained.height)} gain and {fmt.count(cmp.lost.height)} lose the badge; "
            f"Trade Assurance Amount {fmt.money(cmp.amount_before_usd)} → {fmt.money(cmp.amount_after_usd)}."
        )
    )

with st.expander("Audit trail"):
    log = store.audit_log(view.warehouse_key)
    st.dataframe(log.sort("audit_id", descending=True).head(TOP_ROWS), hide_index=True, key="lab_audit_table")
