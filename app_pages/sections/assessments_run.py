"""Run and publish an assessment from the Assessments page, with the command line's rules (policy owners, admins).

`run_from_page` does what `python -m queries assess` does: the role is checked, then the date (already
assessed without supersede, nothing to supersede, before the latest), and only then is anything computed
or recorded; a refusal records nothing. The actor in the record is the signed-in account.
"""

from datetime import date

import polars as pl
import streamlit as st

from app_pages.sections.context import View
from auth.roles import PermissionDenied, can, require
from auth.session import User
from policy.assess import assess, counts
from queries import cached
from store import assessments as store
from ui import format as fmt
from ui.explain import escape_markdown
from warehouse import settings

OUTCOME_KEY = "_assess_outcome"


def default_as_of(data_end: date) -> date:
    """The latest monthly assessment date (the 1st) on or before the end of the data."""
    return data_end.replace(day=1)


def policy_label(name: str, version: int | None) -> str:
    """A policy as the page names it: 'Strict v3', or the name alone without a version."""
    return f"{name} v{version}" if version is not None else name


def run_from_page(view: View, key: str, user: User, as_of: date, *, supersede: bool, publish: bool) -> str:
    """Assess `as_of` under the warehouse's current policy, record it as `user` and optionally publish.

    Returns what was done, in words. Raises PermissionDenied or store.AssessmentRefused (nothing recorded).
    """
    require(user.role, "assess")
    if supersede:
        require(user.role, "supersede")
    if publish:
        require(user.role, "publish")
    store.check_assessment(key, as_of, supersede=supersede)
    name, version, policy = store.policy_for(key)
    previous = store.previous_assessment(key, as_of)
    assessment = assess(cached.features(view.url, as_of), policy, previous)
    run = store.record_assessment(
        key,
        as_of,
        assessment,
        policy=policy,
        policy_name=name,
        policy_version=version,
        actor=user.label,
        supersede=supersede,
    )
    tally = counts(assessment)
    done = (
        f"Recorded run {run.run_id} ({'a supersede' if run.supersedes else 'a new assessment'}) at {as_of:%Y-%m-%d} "
        f"under {policy_label(name, version)}: {fmt.count(tally['holders'])} of {fmt.count(tally['suppliers'])} "
        f"suppliers hold the badge, {fmt.count(tally['kept_under_grace'])} kept under grace."
    )
    if publish:
        written = store.publish(run.run_id, settings.publish_dir(), user.label)
        done += f" Published the storefront feed {written.name}."
    return done


def _submit(view: View, key: str, user: User) -> None:
    state = st.session_state
    try:
        message = run_from_page(
            view, key, user, state["assess_as_of"], supersede=state["assess_supersede"], publish=state["assess_publish"]
        )
        state[OUTCOME_KEY] = ("success", message)
        state.pop("changes_run", None)  # "What changed" opens on the new run
    except (PermissionDenied, store.AssessmentRefused) as exc:
        state[OUTCOME_KEY] = ("error", str(exc))
    except OSError as exc:
        state[OUTCOME_KEY] = ("error", f"The storefront feed could not be written ({exc.strerror or 'an error'}).")


def _publish_latest(key: str, run_id: int, user: User) -> None:
    try:
        require(user.role, "publish")
        written = store.publish(run_id, settings.publish_dir(), user.label)
        st.session_state[OUTCOME_KEY] = ("success", f"Published run {run_id}: {written.name}.")
    except (PermissionDenied, store.AssessmentRefused) as exc:
        st.session_state[OUTCOME_KEY] = ("error", str(exc))
    except OSError as exc:
        st.session_state[OUTCOME_KEY] = ("error", f"The storefront feed could not be written ({exc.strerror}).")


def render_run(view: View, key: str, user: User, runs: pl.DataFrame) -> None:
    """The run form and the publish button, for roles that may assess; a line saying who may, for the others."""
    if not can(user.role, "assess"):
        st.caption("Policy owners and admins run and publish assessments; this page shows what they recorded.")
        return
    name, version, policy = store.policy_for(key)
    with st.expander("Run an assessment", icon=":material/play_circle:", expanded=runs.is_empty()):
        st.caption(
            f"Under the warehouse's current policy, {escape_markdown(policy_label(name, version))} (grace: "
            f"{fmt.count(policy.grace_assessments)} assessments; change it in the Policy lab). Assessments are "
            "monthly, at midnight UTC on the 1st. A date already assessed is refused unless you supersede it; "
            "the earlier run stays on record."
        )
        with st.form("assess_form", border=False):
            st.date_input("As-of date", value=default_as_of(view.data_end), max_value=view.data_end, key="assess_as_of")
            st.checkbox("Supersede the assessment recorded at this date", key="assess_supersede")
            st.checkbox(
                "Publish the storefront feed",
                key="assess_publish",
                help=f"Writes storefront-YYYY-MM-DD.csv to {settings.publish_dir().name}/ on the server.",
            )
            st.form_submit_button(
                "Run assessment", type="primary", icon=":material/play_arrow:", on_click=_submit, args=(view, key, user)
            )
        active = runs.filter(pl.col("superseded_by").is_null())
        if not active.is_empty() and active["published_at"][0] is None:
            latest = active.row(0, named=True)
            st.button(
                f"Publish run {latest['run_id']} ({latest['as_of']:%Y-%m-%d})",
                key="publish_latest",
                icon=":material/publish:",
                on_click=_publish_latest,
                args=(key, latest["run_id"], user),
            )
    outcome = st.session_state.pop(OUTCOME_KEY, None)
    if outcome:
        (st.success if outcome[0] == "success" else st.error)(escape_markdown(outcome[1]))
