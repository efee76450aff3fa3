"""A supplier's profile: the storefront trust card, why it has its badge, the projection, trends and claims.

`scored_suppliers` is shared with Supplier vetting (the table and the profile show the same figures);
`render_profile` draws one supplier on the Supplier profile page. Card values are plain text in columns
that wrap on a narrow screen (ui.widgets.card_tile), never st.metric (which cuts a long value with an
ellipsis). Warehouse text (names, categories, countries) is shown only with st.text or in tables, never as
Markdown.
"""

import polars as pl
import streamlit as st

from app_pages.sections.at_risk import projected_badge
from app_pages.sections.badge_history import render_badge_history, render_storefront_card
from app_pages.sections.context import View
from policy import evaluate
from policy.derived import with_derived
from policy.flip import explain as flip_explain
from queries import cached
from ui import columns
from ui import format as fmt
from ui.charts import trend_charts
from ui.explain import BADGE_LABELS, badge_reason, escape_markdown, explain_rules
from ui.exposure import over_amount_flag
from ui.widgets import card_tile, csv_download

AMOUNT_LEFT_HELP = "Trade Assurance Amount − open exposure; — without the badge"
CLAIM_COLUMNS = ("filed_at", "order_id", "reason", "status", "refund_usd", "claim_id", "resolved_at")
RULE_COLUMNS = {
    "rule": "Rule",
    "value": "Value",
    "threshold": "Threshold",
    "result": "Result",
    "in_plain_words": st.column_config.TextColumn("In plain words", width="large"),
}


def scored_suppliers(features: pl.DataFrame, policy) -> pl.DataFrame:
    """Features joined with the policy's verdict, plus the derived figures (policy.derived); badge as words."""
    verdict = evaluate(features, policy, margins=False)
    scored = features.join(verdict, on="supplier_id", how="left", maintain_order="left")
    return with_derived(scored).with_columns(pl.col("badge").cast(pl.String))


def trust_card(row: dict) -> None:
    """What the storefront shows a buyer, then the Amount and the money at stake."""
    with st.container(border=True):
        st.caption("Storefront trust card, as a buyer sees it (live figures at the as-of date)")
        st.text(row["name"])
        st.text(f"#{row['supplier_id']} · {row['country_code']} · {row['category']}")
        card = st.columns(5)
        card_tile(card[0], "Badge", BADGE_LABELS[row["badge"]])
        card_tile(card[1], "Covered deals, 12 months", fmt.count(row["deals_12m"]))
        card_tile(card[2], "Deal value, 12 months", fmt.money(row["value_12m_usd"]))
        card_tile(card[3], "Replies within 24 h", fmt.show("response_rate_30d", row["response_rate_30d"]))
        card_tile(card[4], "Median reply time", fmt.hours(row["median_response_hours_30d"]))
    money = st.columns(4)
    card_tile(money[0], "Trade Assurance Amount", fmt.money(row["ta_amount_usd"]))
    card_tile(money[1], "Open exposure", fmt.money(row["open_exposure_usd"]))
    card_tile(money[2], "Amount left", fmt.money(row["amount_left_usd"]), help=AMOUNT_LEFT_HELP)
    card_tile(
        money[3],
        "Claims / refunds, 12 months",
        f"{fmt.count(row['claims_12m'])} / {fmt.money(row['refunds_12m_usd'])}",
    )


def projection(view: View, features: pl.DataFrame, supplier_id: int) -> tuple[str, str] | None:
    """The smallest change that flips the badge now, and at the next assessment when that differs; returns the
    projected badge and when (shown once, among the badge tiles: app_pages/sections/badge_history.py)."""
    now = features.filter(pl.col("supplier_id") == supplier_id)
    badge = evaluate(now, view.policy, margins=False)["badge"].cast(pl.String)[0]
    change = flip_explain(now, view.policy)["change"][0]
    if change:
        lead = "Would lose the badge with" if badge == "qualified" else "Smallest change to qualify"
        st.text(f"{lead}: {change}.")
    projected = projected_badge(view, now)  # PRODUCT.md's projection (app_pages/sections/at_risk.py)
    if projected is None:
        return None
    then_badge, when, then_change = projected
    if then_change and (then_change != change or then_badge != badge):
        st.text(f"{when[:1].upper()}{when[1:]}, the smallest change that flips it: {then_change}.")
    return then_badge, when


@st.cache_resource(ttl=cached.TTL, max_entries=256, show_spinner=False)
def trend_figures(url: str, version: str, supplier_id: int, as_of, min_on_time: float, max_hours: float):
    """The three trend charts of one supplier (Vega-Lite specs, or the sentence for a chart with nothing to
    draw), or None when it has no activity at all: built once per (data version, as-of date, the two
    thresholds they draw), so reopening a profile only sends them."""
    monthly = cached.supplier_trends(url, supplier_id, as_of)
    if monthly.is_empty() or (
        monthly["deals"].sum() == 0 and monthly["shipments"].sum() == 0 and monthly["inquiries"].sum() == 0
    ):
        return None
    return trend_charts(monthly, min_on_time, max_hours)


def trends(view: View, supplier_id: int) -> None:
    version = cached.data_version(view.url)
    policy = view.policy
    figures = trend_figures(
        view.url, version, supplier_id, view.as_of, policy.min_on_time_rate, policy.max_median_response_hours
    )
    if figures is None:
        st.info("No covered deals, shipments or inquiries in the last 24 months — there is no trend to draw yet.")
        return
    charts = st.container(key="profile_trends").columns(3)  # the key: a class the browser tests find it by
    for where, figure, key in zip(charts, figures, ("trend_deals", "trend_on_time", "trend_response"), strict=True):
        if isinstance(figure, str):
            where.info(figure)
        else:
            where.vega_lite_chart(spec=figure, key=key)


@st.cache_resource(ttl=cached.TTL, max_entries=256, show_spinner=False)
def claims_shown(url: str, version: str, supplier_id: int, as_of) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the claims as the CSV has them, the same as display text), once per (data version, as-of date)."""
    rows = cached.claim_history(url, supplier_id, as_of).select(*CLAIM_COLUMNS)
    shown = columns.display(rows).with_columns(  # a claim's status word, by the catalogue's claim statuses
        rows["status"].map_elements(lambda s: fmt.word(s, "claim_status"), return_dtype=pl.String).alias("status")
    )
    return rows, shown


def claim_history(view: View, supplier_id: int) -> None:
    st.markdown("**Claim history**")
    rows, shown = claims_shown(view.url, cached.data_version(view.url), supplier_id, view.as_of)
    if rows.is_empty():
        st.info("No claims were filed on this supplier's orders before the as-of date.")
        return
    st.dataframe(shown, key="claims_table", hide_index=True, column_config=columns.config(rows))
    csv_download(
        "Download claim history (CSV)",
        rows,
        f"claims_supplier_{supplier_id}_{view.as_of:%Y-%m-%d}.csv",
        "download_claims",
    )


def render_profile(view: View, row: dict, features: pl.DataFrame) -> None:
    """The whole profile of one scored supplier `row` (a scored_suppliers row) at the view's as-of date."""
    supplier_id = int(row["supplier_id"])
    render_storefront_card(view, row)  # the published figures, with the date they were published
    trust_card(row)
    if flag := over_amount_flag(row):
        st.warning(escape_markdown(flag), icon=":material/warning:")
    st.text(badge_reason(row, row["badge"], view.policy))
    st.markdown("**Every rule, the supplier's value and the distance to the threshold**")
    st.dataframe(explain_rules(row, view.policy), key="rules_table", hide_index=True, column_config=RULE_COLUMNS)
    projected = projection(view, features, supplier_id)
    render_badge_history(view, row, projected)  # published, live and on record (app_pages/sections/badge_history.py)
    with st.spinner("Loading 24 months of trends…"):
        trends(view, supplier_id)
    with st.spinner("Loading claims…"):
        claim_history(view, supplier_id)
