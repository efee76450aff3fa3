"""The Policy lab's comparison: any two of the contract default and the saved policies, side by side.

`differences` says rule by rule, in words, what changes from A to B; `effect` is what each policy gives on
the suppliers in view (badge holders, total Amount, covered exposure, expected refunds over six months:
PRODUCT.md's derived figures, summed over the qualified suppliers). Both are pure; `render_comparison`
draws them. Policy names are typed by people: they are shown as option labels and table headers only.
"""

import polars as pl
import streamlit as st

from app_pages.sections.lab_state import LABELS
from policy import Policy, PolicyError, evaluate
from policy.derived import with_derived
from store import policies as store
from ui import format as fmt
from ui.explain import escape_markdown

DEFAULT_LABEL = "Contract default (PRODUCT.md)"
RATES = ("min_on_time_rate", "max_claim_rate", "min_response_rate")
MONEY = ("min_gmv_6m_usd", "amount_floor_usd", "amount_cap_usd")
STRICTER_WHEN_HIGHER = ("min_account_age_days", "min_orders_6m", "min_gmv_6m_usd", *RATES[::2])
LOOSER_WHEN_HIGHER = ("max_claim_rate", "max_median_response_hours", "grace_assessments")
EFFECT_ROWS = (  # label, column summed over qualified suppliers (None: count them), kind
    ("Badge holders", None, "count"),
    ("Trade Assurance Amount", "ta_amount_usd", "money"),
    ("Covered exposure", "covered_exposure_usd", "money"),
    ("Expected refunds, 6 months", "expected_refunds_6m_usd", "money"),
)


def setting_text(key: str, value) -> str:
    """A policy value in words (ui.format, by the catalogue's kind): 90.0%, $10,000.50, 24.0 h, 180 days, CN, VN."""
    if key == "open_countries":
        return ", ".join("all countries" if c == "*" else c for c in value) or "none"
    if key in MONEY:
        return fmt.money_exact(value)  # a threshold to the cent: $10,000.50 is not $10,001
    if key == "amount_multiplier":
        return f"{fmt.show(key, value, group='policy')} × GMV"
    return fmt.show(key, value, group="policy")


def _direction(key: str, a, b) -> str:
    if key == "open_countries":
        opened = sorted(set(b) - set(a))
        closed = sorted(set(a) - set(b))
        words = [f"opens {', '.join(opened)}" if opened else "", f"closes {', '.join(closed)}" if closed else ""]
        return "; ".join(w for w in words if w).replace("opens *", "opens every country")
    if key in STRICTER_WHEN_HIGHER:
        return "stricter" if b > a else "looser"
    if key in LOOSER_WHEN_HIGHER:
        return "looser" if b > a else "stricter"
    return "larger Amounts" if b > a else "smaller Amounts"


def differences(a: Policy, b: Policy) -> list[str]:
    """One sentence per setting that differs from `a` to `b`, e.g. 'Minimum covered deals in 6 months: 3 → 4
    (stricter)'; [] when they are the same policy."""
    out = []
    for key, label in LABELS.items():
        before, after = getattr(a, key), getattr(b, key)
        if before != after:
            words = f"{setting_text(key, before)} → {setting_text(key, after)} ({_direction(key, before, after)})"
            out.append(f"{label}: {words}")
    return out


def effect(features: pl.DataFrame, policy: Policy) -> dict[str, float]:
    """{row label: value} of EFFECT_ROWS for `policy` over the suppliers in `features`."""
    verdict = evaluate(features, policy, margins=False)
    scored = with_derived(
        features.join(verdict, on="supplier_id", how="left").with_columns(pl.col("badge").cast(pl.String))
    )
    qualified = scored.filter(pl.col("badge") == "qualified")
    return {
        label: float(qualified.height if column is None else qualified[column].sum())
        for label, column, _ in EFFECT_ROWS
    }


def effect_table(features: pl.DataFrame, a: Policy, b: Policy, a_label: str, b_label: str) -> pl.DataFrame:
    """measure, A, B, change (as text) for EFFECT_ROWS."""
    ea, eb = effect(features, a), effect(features, b)
    show = {"count": fmt.count, "money": fmt.money}
    return pl.DataFrame(
        {
            "measure": [label for label, _, _ in EFFECT_ROWS],
            a_label: [show[kind](ea[label]) for label, _, kind in EFFECT_ROWS],
            b_label: [show[kind](eb[label]) for label, _, kind in EFFECT_ROWS],
            "change": [fmt.signed(eb[label] - ea[label], kind) for label, _, kind in EFFECT_ROWS],
        },
        schema=dict.fromkeys(("measure", a_label, b_label, "change"), pl.String),
    )


def choices(saved: pl.DataFrame) -> dict[str, str]:
    """{option: label}: the contract default, then every saved policy (the current one marked)."""
    labels = {store.DEFAULT_NAME: DEFAULT_LABEL}
    for name, current in saved.select("name", "is_current").iter_rows():
        labels[name] = f"{name} (current)" if current else name
    return labels


def policy_named(warehouse: str, name: str) -> Policy:
    """The saved policy `name` of `warehouse` (store.policies), or the contract default."""
    return Policy() if name == store.DEFAULT_NAME else store.load_policy(warehouse, name)


def render_comparison(features: pl.DataFrame, saved: pl.DataFrame, current_name: str, warehouse: str) -> None:
    """Two pickers (A defaults to the current policy, B to another), the differences and the effect."""
    st.markdown("**Compare two policies**")
    labels = choices(saved)
    names = list(labels)
    if len(names) < 2:
        st.caption("Save a policy to compare it with the contract default.")
        return
    a_key, b_key = "lab_compare_a", "lab_compare_b"
    for key in (a_key, b_key):
        if st.session_state.get(key) not in names:
            st.session_state.pop(key, None)
    st.session_state.setdefault(a_key, current_name if current_name in names else names[0])
    fresh = st.session_state.get("lab_compare_names") != names  # a first visit, or a policy saved since
    st.session_state["lab_compare_names"] = names
    if fresh and st.session_state.get(b_key, st.session_state[a_key]) == st.session_state[a_key]:
        st.session_state[b_key] = next(n for n in reversed(names) if n != st.session_state[a_key])
    pair = st.columns(2)
    a_name = pair[0].selectbox("Policy A", names, format_func=labels.get, key=a_key)
    b_name = pair[1].selectbox("Policy B", names, format_func=labels.get, key=b_key)
    if a_name == b_name:
        st.caption("A and B are the same policy: pick another for B to see what changes.")
        return
    try:  # a policy saved under older rules may be refused today: say which, and keep the page usable
        a, b = policy_named(warehouse, a_name), policy_named(warehouse, b_name)
    except PolicyError as exc:
        st.warning(escape_markdown(f"Cannot compare: today's rules refuse a saved policy — {exc}"))
        return
    lines = differences(a, b)
    if not lines:
        st.caption("These two policies have the same rules and Amount settings.")
    else:
        st.text("From A to B:\n" + "\n".join(f"• {line}" for line in lines))
    st.dataframe(
        effect_table(features, a, b, f"A · {labels[a_name]}", f"B · {labels[b_name]}"),
        hide_index=True,
        key="lab_compare_table",
    )
    st.caption(
        "Over the suppliers in view (sidebar filters). Covered exposure: open orders up to each holder's "
        "Amount; expected refunds: the last 12 months' refunds at the same pace for six months, capped by the Amount."
    )
