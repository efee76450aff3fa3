"""The Policy lab's one state: the sliders, the policy they started from, what was loaded, and the URL.

The sliders hold a what-if; `BASELINE` is the current policy they were started from. The URL holds the
what-if as its differences from the current policy (app_pages.sections.url_state), so a copied link
reopens the same sliders and numbers. Every change of state goes through a callback here (load, reset,
mark current, import), which runs before the page is drawn, so the sidebar, captions, sliders, tiles and
comparison of the next run all tell the same story.
"""

import streamlit as st

import catalogue
from app_pages.sections import url_state
from app_pages.sections.context import current_view, refuse, remember, url_values
from auth.roles import PermissionDenied, require
from auth.session import current_user
from policy import Policy, PolicyError
from store import policies as store
from ui.explain import escape_markdown

LOADED = "lab_loaded"  # {"name", "version"} of the saved policy last loaded into the sliders, or None
FLASH = "lab_flash"  # (kind, text) left by a callback for the next run
BASELINE = "lab_baseline"  # the current policy when the sliders were last set from it
ALL = "*"

# Policy field, widget, min, max, step, format. The widget key is "lab_" + field; the label is the catalogue's.
# Rates are shown in percent (0–100) on their sliders; the Policy, the URL and policy files keep 0–1.
CONTROLS = (
    ("min_account_age_days", "slider", 0, 730, 1, "%d days"),
    ("min_orders_6m", "slider", 0, 50, 1, None),
    ("min_gmv_6m_usd", "number", 0.0, 1e12, 500.0, "%.2f"),
    ("min_on_time_rate", "slider", 0.0, 100.0, 0.1, "%.1f%%"),
    ("max_claim_rate", "slider", 0.0, 100.0, 0.1, "%.1f%%"),
    ("min_response_rate", "slider", 0.0, 100.0, 0.1, "%.1f%%"),
    ("max_median_response_hours", "slider", 0.0, 168.0, 0.5, "%.1f h"),
    ("amount_multiplier", "number", 0.0, 100.0, 0.05, "%.4f"),
    ("amount_floor_usd", "number", 0.0, 1e12, 500.0, "%.2f"),
    ("amount_cap_usd", "number", 0.0, 1e12, 10_000.0, "%.2f"),
    ("grace_assessments", "slider", 0, 12, 1, "%d assessments"),
)
FIELDS = tuple(c[0] for c in CONTROLS)
LABELS = {key: catalogue.label(key, "policy") for key in ("open_countries", *FIELDS)}
PERCENT = tuple(f for f in FIELDS if catalogue.kind(f, "policy") == "rate")  # shown ×100 on the sliders
# A number box's label names its unit; a slider's value already shows it ("180 days", "90.0%", "24.0 h").
UNITS = {"money": " (USD)", "rate": " (%)", "days": " (days)", "hours": " (hours)"}
ROUNDING = {"min_gmv_6m_usd": 2, "amount_floor_usd": 2, "amount_cap_usd": 2, "amount_multiplier": 4}


def to_widget(field: str, value):
    """A policy value as its widget shows it: a rate 0.9 → 90.0 (rounded, so 0.9 ↔ 90.0 round-trips)."""
    return round(value * 100, 2) if field in PERCENT else value


def from_widget(field: str, value):
    """A widget's value as the policy holds it: 90.0 → 0.9 for a rate, rounded to 4 decimals."""
    if isinstance(value, int) and field not in PERCENT:
        return value
    if field in PERCENT:
        return round(float(value) / 100, 4)
    return round(float(value), ROUNDING.get(field, 4))


def put_policy(policy: Policy) -> None:
    """Set every slider to `policy` (only from a callback or before the widgets are drawn)."""
    for field in FIELDS:
        st.session_state[f"lab_{field}"] = to_widget(field, getattr(policy, field))
    st.session_state["lab_open_countries"] = list(policy.open_countries)


def policy_from_sliders(base: Policy) -> Policy:
    """The what-if Policy from the widgets; fields without a widget keep `base`. Raises PolicyError."""
    values = {}
    for field in FIELDS:
        value = st.session_state[f"lab_{field}"]
        if value is None:
            raise PolicyError(field, "a value is required")
        values[field] = from_widget(field, value)
    values["open_countries"] = list(st.session_state["lab_open_countries"])
    return Policy.from_mapping(values, base=base)


def start(current: Policy) -> None:
    """Before the sliders are drawn: set them on a first visit (from the URL's what-if) or after the
    current policy changed under them (untouched sliders follow it; edited ones keep their edits)."""
    if "lab_min_orders_6m" not in st.session_state:  # first visit, or back from another page
        whatif, problems = url_state.decode_policy(url_values(), current)
        refuse(problems)
        put_policy(whatif)
        st.session_state[BASELINE] = current
        st.session_state.setdefault(LOADED, None)
        return
    before = st.session_state.get(BASELINE)
    if before != current:
        try:
            untouched = policy_from_sliders(before or current) == before
        except PolicyError:
            untouched = False
        if untouched:
            put_policy(current)
        st.session_state[BASELINE] = current


def remember_whatif(candidate: Policy | None, current: Policy) -> None:
    """The URL holds the what-if's differences from the current policy (nothing when they agree)."""
    if candidate is not None:
        remember(url_state.encode_policy(candidate, current), url_state.POLICY_KEYS)


def flash(kind: str, text: str) -> None:
    st.session_state[FLASH] = (kind, text)


def show_flash() -> None:
    """The message a callback left, once (names people typed: escaped, never read as Markdown)."""
    left = st.session_state.pop(FLASH, None)
    if left:
        getattr(st, left[0])(escape_markdown(left[1]))


def load_into_sliders(name: str) -> None:
    wh = current_view().warehouse_key
    try:
        put_policy(store.load_policy(wh, name) if name != store.DEFAULT_NAME else Policy())
        st.session_state[LOADED] = (
            {"name": name, "version": store.policy_version(wh, name)} if name != store.DEFAULT_NAME else None
        )
        if name != store.DEFAULT_NAME:
            st.session_state["lab_save_name"] = name
        flash("success", f"Loaded {name!r} into the sliders.")
    except (store.PolicyNotFound, PolicyError, store.AppDatabaseError) as exc:
        flash("error", f"Could not load the policy: {exc}")


def reset_to_current(policy: Policy) -> None:
    put_policy(policy)
    st.session_state[LOADED] = None


def mark_as_current(name: str) -> None:
    """Mark `name` current; the sliders move to it, so the next run's tiles compare it with itself."""
    try:
        user = current_user()  # worked out again on the server: the button may be stale
        require(user.role, "mark_current")
        wh = current_view().warehouse_key
        store.mark_current(wh, name, user.email or st.session_state.get("lab_actor") or "")
        policy = store.load_policy(wh, name)
    except (store.PolicyStoreError, store.PolicyNotFound, PermissionDenied, PolicyError, store.AppDatabaseError) as exc:
        flash("error", f"Not marked current — {exc}")
        return
    put_policy(policy)
    st.session_state[BASELINE] = policy
    st.session_state[LOADED] = {"name": name, "version": store.policy_version(wh, name)}
    flash("success", f"{name!r} is now the current policy on every page; the sliders start from it.")


def draw_controls(options: list[str]) -> None:
    for field, widget, low, high, step, number_format in CONTROLS:
        key = f"lab_{field}"
        label = LABELS[field] + ("" if widget == "slider" else UNITS.get(catalogue.kind(field, "policy"), ""))
        high = max(high, st.session_state[key] or 0)  # a saved value beyond the usual range stays reachable
        if widget == "slider":
            st.slider(label, low, high, step=step, format=number_format, key=key)
        else:
            st.number_input(label, low, high, step=step, format=number_format, key=key)
    st.multiselect(
        LABELS["open_countries"],
        options,
        format_func=lambda code: "All countries" if code == ALL else code,
        key="lab_open_countries",
        help="Enrolled suppliers elsewhere keep the badge region_not_open. 'All countries' opens every country.",
    )
