"""Overview: what the dashboard is for, the headline numbers of the filtered view, and where to go next."""

import polars as pl
import streamlit as st

import catalogue
from app_pages.sections.context import current_view
from auth.roles import can_see
from auth.session import require_page
from policy import evaluate
from policy.derived import holders_money
from queries import cached
from ui import format as fmt
from ui.charts import CONFIG, badge_mix_figure
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

features = cached.features(view.url, view.as_of)
shown = view.filter(features)
if features.is_empty():
    st.info(
        "The warehouse has no suppliers yet — run `python -m data.generate` for demo data "
        "or `python -m data.load DIR` to load your own extract, then reload this page."
    )
elif shown.is_empty():
    st.info("No supplier is in the selected countries and categories — widen the filters in the sidebar.")
else:
    scored = shown.join(
        evaluate(shown, view.policy, margins=False), on="supplier_id", how="left", maintain_order="left"
    )
    qualified = scored.filter(pl.col("badge") == "qualified")
    tiles = st.columns([1, 1, 1, 1.6, 1.2])  # the Amount's label is the longest: never cut
    tiles[0].metric("Suppliers", fmt.count(scored.height), border=True)
    tiles[1].metric(
        "Enrolled",
        fmt.count(scored["enrolled"].sum()),
        help="Suppliers that opted in to Trade Assurance before the as-of date.",
        border=True,
    )
    tiles[2].metric(
        "Qualified",
        fmt.count(qualified.height),
        help=catalogue.help("qualified", "badge"),
        border=True,
    )
    total_amount = scored["ta_amount_usd"].sum()
    tiles[3].metric(
        catalogue.label("ta_amount_usd"),
        fmt.money_compact(total_amount),
        help=f"{catalogue.help('ta_amount_usd')} Over all qualified suppliers: {fmt.money_exact(total_amount)}.",
        border=True,
    )
    exposure = scored["open_exposure_usd"].sum()
    tiles[4].metric(
        catalogue.label("open_exposure_usd"),
        fmt.money_compact(exposure),
        help=f"{catalogue.help('open_exposure_usd')} In this view: {fmt.money_exact(exposure)}.",
        border=True,
    )
    st.caption(escape_markdown(holders_exposure_words(holders_money(scored))))  # holders' exposure vs Amounts
    if qualified.is_empty():
        st.info(escape_markdown(no_holders_reason(scored, view.policy)), icon=":material/info:")
        if can_see(user.role, "policy_lab"):
            st.page_link("app_pages/policy_lab.py", label="Open the Policy lab", icon=":material/tune:")
    st.plotly_chart(badge_mix_figure(scored), config=CONFIG, key="badge_mix")

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
