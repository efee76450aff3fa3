"""Policy lab (policy owners): move a rule's threshold and see at once who gains or loses the badge.

The sliders start from the current policy (or from the what-if in the link). The what-if lives in a
fragment, so moving a slider reruns only that part. Below it: the backtest; saving the what-if under a
name; the saved policies, loaded back into the sliders or marked current (every page then uses it, and
the sliders start from it); any two of them and the contract default compared; policy files imported and
downloaded. Saving and marking current are for policy owners and admins only: the controls are not drawn
for other roles, and the handlers check the role again on the server before writing.
"""

import polars as pl
import streamlit as st

import catalogue
from app_pages.sections import lab_state
from app_pages.sections.backtest import policy_or_none, render_backtest
from app_pages.sections.compare import policy_named, render_comparison
from app_pages.sections.context import current_view
from app_pages.sections.lab_state import LOADED, load_into_sliders, mark_as_current, policy_from_sliders
from app_pages.sections.policy_io import download_policy
from app_pages.sections.whatif import TOP_ROWS, whatif_panel
from auth.roles import PermissionDenied, can, require
from auth.session import current_user, require_page
from policy import PolicyError
from queries import cached
from store import policies as store
from ui import lab
from ui.columns import AUDIT_COLUMNS

user = require_page("policy_lab")
view = current_view()
st.title("Policy lab")
st.caption(
    f"As of {view.as_of:%Y-%m-%d} (midnight UTC) · sliders start from the current policy: {view.policy_name}. "
    "Sidebar filters narrow the suppliers the what-if counts."
)
lab_state.show_flash()  # left by a callback: load, mark current

with st.spinner("Computing the scorecard in the warehouse…"):
    features = view.filter(cached.features(view.url, view.as_of))
if features.is_empty():
    st.info(
        "No supplier is in the selected countries and categories — widen the filters in the sidebar, or load "
        "data with `python -m data.generate` / `python -m data.load DIR`."
    )
    st.stop()

lab_state.start(view.policy)
options = sorted({lab_state.ALL, *features["country_code"].unique().to_list(), *st.session_state["lab_open_countries"]})
whatif_panel(features, view.policy, view.policy_name, options)
whatif = policy_or_none(lambda: policy_from_sliders(view.policy))

st.divider()
render_backtest(view, view.policy, whatif)

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
    except (PolicyError, store.PolicyStoreError, store.PolicyConflict, PermissionDenied, store.AppDatabaseError) as exc:
        st.error(lab.escape_markdown(f"Not saved — {exc}"))
    else:
        st.session_state[LOADED] = {"name": saved.name, "version": saved.version}
        st.session_state["lab_compare_b"] = st.session_state["lab_pick"] = saved.name  # what was just saved
        if saved.written:
            st.success(lab.escape_markdown(f"Saved {saved.name!r} (version {saved.version})."))
        else:
            st.info(lab.escape_markdown(f"{saved.name!r} already holds exactly this policy and note: nothing to save."))
        if saved.name == view.policy_name:  # the current policy itself changed: every part must use the new one
            st.rerun()

ACTION_LABELS = catalogue.labels("action")
st.subheader("Saved policies")
saved_policies = store.list_policies(view.warehouse_key)
if saved_policies.is_empty():
    st.info("No saved policies yet — move the sliders, then save the what-if above under a name.")
else:
    st.dataframe(
        saved_policies.select("name", "author", "note", "version", "is_current", "updated_at"),
        hide_index=True,
        key="lab_saved_table",
        column_config={
            "name": st.column_config.TextColumn("Saved policy"),
            "author": st.column_config.TextColumn("Author"),
            "note": st.column_config.TextColumn("Note"),
            "version": st.column_config.NumberColumn("Version", format="%d"),
            "is_current": st.column_config.CheckboxColumn("Current"),
            "updated_at": st.column_config.DatetimeColumn("Updated (UTC)", format="YYYY-MM-DD HH:mm:ss"),
        },
    )
names = [store.DEFAULT_NAME, *saved_policies["name"].to_list()]
pick = st.selectbox(
    "Policy",
    names,
    index=len(names) - 1,
    format_func=lambda n: "Contract default (PRODUCT.md)" if n == store.DEFAULT_NAME else n,
    key="lab_pick",
)
act = st.columns([1, 1, 1.4, 2])
act[0].button("Load into the sliders", on_click=lambda: load_into_sliders(st.session_state["lab_pick"]), key="lab_load")
with act[2]:
    download_policy(policy_named(view.warehouse_key, pick), pick, "lab_download_pick")
if can(user.role, "mark_current") and pick != store.DEFAULT_NAME:
    if user.email:
        act[3].caption(lab.escape_markdown(f"Recorded in the audit as {user.email}."))
    else:
        act[3].text_input("Your name (recorded in the audit)", key="lab_actor")
    act[1].button(
        "Mark as current", on_click=lambda: mark_as_current(st.session_state["lab_pick"]), key="lab_mark_current"
    )

render_comparison(features, saved_policies, view.policy_name, view.warehouse_key)

with st.expander("Audit trail"):
    log = store.audit_log(view.warehouse_key)
    st.dataframe(
        log.sort("audit_id", descending=True)
        .head(TOP_ROWS)
        .select(
            "audit_id",
            "name",
            pl.col("action").replace_strict(ACTION_LABELS, default=pl.col("action")),
            "actor",
            "at",
        ),
        hide_index=True,
        key="lab_audit_table",
        column_config=AUDIT_COLUMNS,
    )
    st.caption("The Audit page shows each change in words.")
