"""Supplier vetting: find a supplier, read its storefront trust card and why it has its badge, compare up to four.

Warehouse text (names, categories, countries) is shown only with st.text, in tables or as option labels,
never as Markdown or HTML: a supplier's name may hold `<script>` or a Markdown link.
"""

import polars as pl
import streamlit as st

from app_pages.sections.at_risk import render_at_risk, render_projected_badge
from app_pages.sections.badge_history import render_badge_history, render_storefront_card
from app_pages.sections.context import current_view
from app_pages.sections.over_amount import render_over_amount
from auth.session import require_page
from policy import BADGES, evaluate
from policy.derived import with_derived
from policy.flip import explain as flip_explain
from queries import cached
from ui import format as fmt
from ui.charts import CONFIG, deals_value_figure, on_time_figure, response_time_figure
from ui.explain import (
    BADGE_LABELS,
    badge_reason,
    compare_table,
    escape_markdown,
    explain_rules,
    supplier_label,
)
from ui.export import csv_bytes
from ui.exposure import over_amount_flag

MAX_ROWS = 10_000  # rows sent to the browser; search, filters and sorting pick which
TABLE_COLUMNS = (
    "supplier_id",
    "name",
    "country_code",
    "category",
    "badge",
    "deals_12m",
    "value_12m_usd",
    "response_rate_30d",
    "median_response_hours_30d",
    "on_time_rate_6m",
    "claims_12m",
    "refunds_12m_usd",
    "ta_amount_usd",
    "open_exposure_usd",
    "amount_left_usd",
)
SORTS = {  # label → (column, descending by default); an allow-list, never a column name from input
    "Deal value, 12 months": ("value_12m_usd", True),
    "Covered deals, 12 months": ("deals_12m", True),
    "Trade Assurance Amount": ("ta_amount_usd", True),
    "Amount left": ("amount_left_usd", False),
    "Open exposure": ("open_exposure_usd", True),
    "On-time rate": ("on_time_rate_6m", False),
    "Response rate": ("response_rate_30d", False),
    "Median response time": ("median_response_hours_30d", True),
    "Claims, 12 months": ("claims_12m", True),
    "Refunds, 12 months": ("refunds_12m_usd", True),
    "Supplier id": ("supplier_id", False),
    "Name": ("name", False),
}
MONEY = st.column_config.NumberColumn
AMOUNT_LEFT_HELP = "Trade Assurance Amount − open exposure; — without the badge"
COLUMN_CONFIG = {
    "supplier_id": st.column_config.NumberColumn("Id", format="%d", pinned=True),
    "name": st.column_config.TextColumn("Supplier", pinned=True),
    "country_code": st.column_config.TextColumn("Country"),
    "category": st.column_config.TextColumn("Category"),
    "badge": st.column_config.TextColumn("Badge"),
    "deals_12m": st.column_config.NumberColumn("Deals 12m", format="localized"),
    "value_12m_usd": MONEY("Value 12m", format="dollar"),
    "response_rate_30d": st.column_config.NumberColumn("Response rate", format="percent", step=0.1),
    "median_response_hours_30d": st.column_config.NumberColumn("Median reply", format="%.1f h"),
    "on_time_rate_6m": st.column_config.NumberColumn("On-time", format="percent", step=0.1),
    "claims_12m": st.column_config.NumberColumn("Claims 12m", format="localized"),
    "refunds_12m_usd": MONEY("Refunds 12m", format="dollar"),
    "ta_amount_usd": MONEY("TA Amount", format="dollar", help="Trade Assurance Amount"),
    "open_exposure_usd": MONEY("Open exposure", format="dollar"),
    "amount_left_usd": MONEY(
        "Amount left", format="dollar", help="Trade Assurance Amount − open exposure; — without the badge"
    ),
}


def scored_suppliers(features: pl.DataFrame, policy) -> pl.DataFrame:
    """Features joined with the policy's verdict, plus the derived figures (policy.derived); badge as words."""
    verdict = evaluate(features, policy, margins=False)
    scored = features.join(verdict, on="supplier_id", how="left", maintain_order="left")
    return with_derived(scored).with_columns(pl.col("badge").cast(pl.String))


def search(frame: pl.DataFrame, text: str) -> pl.DataFrame:
    """Rows whose name contains `text` (case-insensitive, literal: no regex) or whose id is `text`."""
    text = text.strip()
    if not text:
        return frame
    hit = pl.col("name").str.to_lowercase().str.contains(text.lower(), literal=True)
    bare = text.removeprefix("#")
    if bare.isdigit():
        hit = hit | (pl.col("supplier_id") == int(bare))
    return frame.filter(hit)


def _open_selected_row() -> None:
    """Row selected in the table → the profile's supplier id (and so the URL's ?supplier=)."""
    rows = st.session_state["supplier_table"]["selection"]["rows"]
    shown = st.session_state.get("_shown_supplier_ids", [])
    if rows and rows[0] < len(shown):
        st.session_state["supplier"] = shown[rows[0]]


def _csv(frame: pl.DataFrame) -> bytes:
    return csv_bytes(frame)


require_page("suppliers")
view = current_view()
st.title("Supplier vetting")
st.caption(f"As of {view.as_of:%Y-%m-%d} (midnight UTC) · policy: {escape_markdown(view.policy_name)}")

features = cached.features(view.url, view.as_of)
if features.is_empty():
    st.info(
        "The warehouse has no suppliers yet — run `python -m data.generate` for demo data "
        "or `python -m data.load DIR` to load your own extract, then reload this page."
    )
    st.stop()
everyone = scored_suppliers(features, view.policy)

# --- The table -------------------------------------------------------------------------------------------
controls = st.columns([3, 2, 1.2, 2, 1.3])
query = controls[0].text_input(
    "Search", key="search", placeholder="Name or supplier id", help="Plain text: matches part of a name, or an id."
)
badges = controls[1].multiselect(
    "Badge", BADGES, format_func=BADGE_LABELS.get, key="badge_filter", placeholder="All badges"
)
min_deals = controls[2].number_input("Min deals 12m", min_value=0, value=0, step=1, key="min_deals")
sort_label = controls[3].selectbox("Sort by", list(SORTS), key="sort")
sort_column, descending = SORTS[sort_label]
descending = controls[4].toggle("Descending", value=descending, key=f"descending_{sort_column}")

matches = search(view.filter(everyone), query or "")
if badges:
    matches = matches.filter(pl.col("badge").is_in(badges))
if min_deals:
    matches = matches.filter(pl.col("deals_12m") >= min_deals)
shown = (
    matches.sort(sort_column, "supplier_id", descending=[descending, False], nulls_last=True)
    .head(MAX_ROWS)
    .select(TABLE_COLUMNS)
)
st.session_state["_shown_supplier_ids"] = shown["supplier_id"].to_list()

if shown.is_empty():
    if query and query.strip():
        st.info(f"No supplier matches '{escape_markdown(query.strip())}' — clear the search or widen the filters.")
    else:
        st.info(
            "No supplier passes these filters — lower the minimum deals, pick more badges or widen the sidebar filters."
        )
else:
    more = f" (the first {fmt.count(shown.height)} by {sort_label.lower()})" if matches.height > shown.height else ""
    st.caption(
        f"{fmt.count(matches.height)} of {fmt.count(everyone.height)} suppliers{more}. "
        "Select a row to open its profile."
    )
    st.dataframe(
        shown,
        key="supplier_table",
        hide_index=True,
        column_config=COLUMN_CONFIG,
        on_select=_open_selected_row,
        selection_mode="single-row",
    )
    st.download_button(
        "Download this table (CSV)",
        _csv(shown),
        file_name=f"suppliers_{view.as_of:%Y-%m-%d}.csv",
        mime="text/csv",
        key="download_suppliers",
        on_click="ignore",
    )

render_at_risk(view)  # badge holders one event from losing it, for category managers
render_over_amount(view)  # badge holders whose open exposure exceeds their Amount

# --- The profile -----------------------------------------------------------------------------------------
st.subheader("Supplier profile")
supplier_id = st.number_input(
    "Supplier id",
    min_value=0,
    value=None,
    step=1,
    key="supplier",
    bind="query-params",
    placeholder="Select a row above or type an id",
    help="The URL keeps this id, so a copied link reopens the profile.",
)
profile = everyone.filter(pl.col("supplier_id") == supplier_id) if supplier_id is not None else everyone.clear()
if supplier_id is None:
    st.info("Select a row in the table, or type a supplier id, to open its profile.")
elif profile.is_empty():
    st.info(f"No supplier has id {supplier_id} — pick one from the table above or check the id.")
else:
    row = profile.row(0, named=True)
    render_storefront_card(view, row)  # the published figures, with the date they were published
    with st.container(border=True):
        st.caption("Live figures at the as-of date (storefronts show the published card above)")
        st.text(row["name"])
        st.text(f"#{row['supplier_id']} · {row['country_code']} · {row['category']}")
        card = st.columns([1.6, 1, 1, 1, 1])
        card[0].metric("Badge", BADGE_LABELS[row["badge"]])
        card[1].metric("Covered deals, 12 months", fmt.count(row["deals_12m"]))
        card[2].metric("Deal value, 12 months", fmt.money(row["value_12m_usd"]))
        card[3].metric("Replies within 24 h", fmt.percent(row["response_rate_30d"], 0))
        card[4].metric("Median reply time", fmt.hours(row["median_response_hours_30d"]))
    st.text(badge_reason(row, row["badge"], view.policy))

    money = st.columns(4)
    money[0].metric("Trade Assurance Amount", fmt.money(row["ta_amount_usd"]))
    money[1].metric("Open exposure", fmt.money(row["open_exposure_usd"]))
    money[2].metric(
        "Amount left",
        fmt.money(row["amount_left_usd"]),
        help="Trade Assurance Amount − open exposure; — without the badge",
    )
    money[3].metric(
        "Claims / refunds, 12 months", f"{fmt.count(row['claims_12m'])} / {fmt.money(row['refunds_12m_usd'])}"
    )
    if flag := over_amount_flag(row):
        st.warning(escape_markdown(flag), icon=":material/warning:")

    st.markdown("**Every rule, the supplier's value and the distance to the threshold**")
    st.dataframe(
        explain_rules(row, view.policy),
        key="rules_table",
        hide_index=True,
        column_config={
            "rule": "Rule",
            "value": "Value",
            "threshold": "Threshold",
            "result": "Result",
            "in_plain_words": st.column_config.TextColumn("In plain words", width="large"),
        },
    )

    now = features.filter(pl.col("supplier_id") == supplier_id)
    change = flip_explain(now, view.policy)["change"][0]
    if change:
        lead = "Would lose the badge with" if row["badge"] == "qualified" else "Smallest change to qualify"
        st.text(f"{lead}: {change}.")

    projected = render_projected_badge(view, now)  # PRODUCT.md's projection (app_pages/sections/at_risk.py)
    render_badge_history(view, row, projected)  # published vs live vs projection, and the recorded timeline

    with st.spinner("Loading 24 months of trends…"):
        trends = cached.supplier_trends(view.url, int(supplier_id), view.as_of)
    if trends.is_empty() or (
        trends["deals"].sum() == 0 and trends["shipments"].sum() == 0 and trends["inquiries"].sum() == 0
    ):
        st.info("No covered deals, shipments or inquiries in the last 24 months — there is no trend to draw yet.")
    else:
        charts = st.columns(3)
        charts[0].plotly_chart(deals_value_figure(trends), config=CONFIG, key="trend_deals")
        charts[1].plotly_chart(on_time_figure(trends, view.policy.min_on_time_rate), config=CONFIG, key="trend_on_time")
        charts[2].plotly_chart(
            response_time_figure(trends, view.policy.max_median_response_hours), config=CONFIG, key="trend_response"
        )

    st.markdown("**Claim history**")
    with st.spinner("Loading claims…"):
        claims = cached.claim_history(view.url, int(supplier_id), view.as_of)
    if claims.is_empty():
        st.info("No claims were filed on this supplier's orders before the as-of date.")
    else:
        claim_rows = claims.select("filed_at", "order_id", "reason", "status", "refund_usd", "claim_id", "resolved_at")
        st.dataframe(
            claim_rows,
            key="claims_table",
            hide_index=True,
            column_config={
                "filed_at": st.column_config.DatetimeColumn("Filed (UTC)", format="YYYY-MM-DD HH:mm"),
                "order_id": st.column_config.NumberColumn("Order", format="%d"),
                "reason": "Reason",
                "status": "Status",
                "refund_usd": MONEY("Refund", format="dollar"),
                "claim_id": st.column_config.NumberColumn("Claim", format="%d"),
                "resolved_at": st.column_config.DatetimeColumn("Resolved (UTC)", format="YYYY-MM-DD HH:mm"),
            },
        )
        st.download_button(
            "Download claim history (CSV)",
            _csv(claim_rows),
            file_name=f"claims_supplier_{supplier_id}_{view.as_of:%Y-%m-%d}.csv",
            mime="text/csv",
            key="download_claims",
            on_click="ignore",
        )

# --- Side-by-side comparison -----------------------------------------------------------------------------
st.subheader("Compare suppliers")
already = st.session_state.get("compare", [])
picked = everyone.filter(pl.col("supplier_id").is_in(already))["supplier_id"].to_list() if already else []
option_ids = list(dict.fromkeys([*picked, *shown["supplier_id"].to_list()]))
names = dict(everyone.filter(pl.col("supplier_id").is_in(option_ids)).select("supplier_id", "name").iter_rows())
chosen = st.multiselect(
    "Suppliers to compare (up to four, from the table above)",
    option_ids,
    format_func=lambda i: supplier_label(i, names.get(i, "")),
    max_selections=4,
    key="compare",
    placeholder="Pick suppliers",
)
if not chosen:
    st.info("Pick two to four suppliers from the table above to see them side by side.")
else:
    order = pl.DataFrame({"supplier_id": chosen}, schema={"supplier_id": pl.Int64})
    side_by_side = compare_table(order.join(everyone, on="supplier_id", how="left", maintain_order="left"))
    st.dataframe(side_by_side, key="compare_table", hide_index=True)
    st.download_button(
        "Download comparison (CSV)",
        _csv(side_by_side),
        file_name=f"supplier_comparison_{view.as_of:%Y-%m-%d}.csv",
        mime="text/csv",
        key="download_compare",
        on_click="ignore",
    )
