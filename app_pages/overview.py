"""Overview: what the dashboard is for, the headline numbers of the filtered view, and where to go next.

The figures are computed once per view and data version (`summarise`, shared by every session), so a new
session or a rerun only draws them.
"""

from dataclasses import dataclass

import streamlit as st

import catalogue
from app_pages.sections.context import View, current_view
from auth.roles import can_see
from auth.session import require_page
from policy import evaluate
from policy.derived import holders_money
from queries import cached
from ui import format as fmt
from ui.charts import badge_mix_chart
from ui.explain import escape_markdown, no_holders_reason
from ui.exposure import holders_exposure_words

user = require_page("overview")
view = current_view()

st.title("Trade Assurance trust")
st.write(
    "Trade Assurance refunds buyers who pay a qualified supplier through the program when an order ships "
    "late or arrives not as contracted. This dashboard shows who qualifies and why, how the program is "
    "taken up over time, and what a change to the qualification rules would do."
)
st.caption(f"As of {view.as_of:%Y-%m-%d} (midnight UTC) · policy: {escape_markdown(view.policy_name)}")


@dataclass(frozen=True)
class Summary:
    """The Overview's figures for one view at one data version (computed once, shared by every session)."""

    suppliers: int  # in the view; 0 with `empty` set
    empty: str  # "" when there are suppliers; else "warehouse" (none at all) or "filters" (none match)
    enrolled: int = 0
    qualified: int = 0
    amount_usd: float = 0.0
    exposure_usd: float = 0.0
    holders_words: str = ""
    no_holders_reason: str = ""  # "" when some supplier qualifies
    badge_mix: dict | None = None  # a Vega-Lite spec (ui.charts.badge_mix_chart)


@st.cache_resource(ttl="10m", max_entries=32, show_spinner=False)
def summarise(view: View, version: str) -> Summary:
    """Tiles, words and chart of `view` at data `version` (the key: a refresh or a new view computes anew)."""
    features = cached.features(view.url, view.as_of)
    shown = view.filter(features)
    if shown.is_empty():
        return Summary(0, "warehouse" if features.is_empty() else "filters")
    scored = shown.join(
        evaluate(shown, view.policy, margins=False), on="supplier_id", how="left", maintain_order="left"
    )
    qualified = int((scored["badge"] == "qualified").sum())
    return Summary(
        suppliers=scored.height,
        empty="",
        enrolled=int(scored["enrolled"].sum()),
        qualified=qualified,
        amount_usd=float(scored["ta_amount_usd"].sum()),
        exposure_usd=float(scored["open_exposure_usd"].sum()),
        holders_words=holders_exposure_words(holders_money(scored)),
        no_holders_reason="" if qualified else no_holders_reason(scored, view.policy),
        badge_mix=badge_mix_chart(scored),
    )


summary = summarise(view, cached.data_version(view.url))
if summary.empty == "warehouse":
    st.info(
        "The warehouse has no suppliers yet — run `python -m data.generate` for demo data "
        "or `python -m data.load DIR` to load your own extract, then reload this page."
    )
elif summary.empty == "filters":
    st.info("No supplier is in the selected countries and categories — widen the filters in the sidebar.")
else:
    tiles = st.columns([1, 1, 1, 1.6, 1.2])  # the Amount's label is the longest: never cut
    tiles[0].metric("Suppliers", fmt.count(summary.suppliers), border=True)
    tiles[1].metric(
        "Enrolled",
        fmt.count(summary.enrolled),
        help="Suppliers that opted in to Trade Assurance before the as-of date.",
        border=True,
    )
    tiles[2].metric(
        "Qualified",
        fmt.count(summary.qualified),
        help=catalogue.help("qualified", "badge"),
        border=True,
    )
    tiles[3].metric(
        catalogue.label("ta_amount_usd"),
        fmt.money_compact(summary.amount_usd),
        help=f"{catalogue.help('ta_amount_usd')} Over all qualified suppliers: {fmt.money_exact(summary.amount_usd)}.",
        border=True,
    )
    tiles[4].metric(
        catalogue.label("open_exposure_usd"),
        fmt.money_compact(summary.exposure_usd),
        help=f"{catalogue.help('open_exposure_usd')} In this view: {fmt.money_exact(summary.exposure_usd)}.",
        border=True,
    )
    st.caption(escape_markdown(summary.holders_words))  # holders' exposure vs Amounts
    if summary.no_holders_reason:
        st.info(escape_markdown(summary.no_holders_reason), icon=":material/info:")
        if can_see(user.role, "policy_lab"):
            st.page_link("app_pages/policy_lab.py", label="Open the Policy lab", icon=":material/tune:")
    st.vega_lite_chart(spec=summary.badge_mix, key="badge_mix")

GO_TO = (  # page id, file, label, icon, what it answers; only the pages the role may open are linked
    (
        "suppliers",
        "app_pages/suppliers.py",
        "Supplier vetting",
        ":material/search:",
        "Find a supplier, read its trust card and why it has its badge; compare up to four.",
    ),
    (
        "uptake",
        "app_pages/uptake.py",
        "Program uptake",
        ":material/trending_up:",
        "Enrolment, qualification and covered deals month by month.",
    ),
    (
        "policy_lab",
        "app_pages/policy_lab.py",
        "Policy lab",
        ":material/science:",
        "Move the rules' thresholds and see who gains or loses the badge.",
    ),
)
reachable = [link for link in GO_TO if can_see(user.role, link[0])]
if reachable:
    st.subheader("Go to")
    for column, (_, path, label, icon, what) in zip(st.columns(len(reachable)), reachable, strict=True):
        with column:
            st.page_link(path, label=label, icon=icon)
            st.caption(what)
