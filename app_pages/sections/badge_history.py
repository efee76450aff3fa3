"""The supplier profile's assessment record: the storefront card as published, the published badge beside the
live standing (and the projection when the page has one), each with its date and policy, and the badge
timeline over every recorded assessment.

Called by the supplier profile with the supplier's live row (the page's scored frame). Warehouse text and
names people typed (policy names, actors) are escaped before any Markdown-rendering element.
"""

import streamlit as st

from app_pages.sections.assessments_run import policy_label
from app_pages.sections.at_risk import PROJECTION_HELP
from app_pages.sections.context import View
from store import assessments as store
from ui import columns
from ui import format as fmt
from ui.assess_charts import badge_timeline_chart
from ui.explain import escape_markdown
from ui.widgets import card_tile


def _badge_words(row: dict) -> str:
    words = fmt.word(row["badge"], "badge")
    return f"{words} (under grace)" if row.get("kept_under_grace") else words


def render_storefront_card(view: View, live: dict) -> None:
    """The storefront trust card with the published figures and the date they were published.

    `live`: the supplier's row on the page (name, supplier_id, country_code, category). Without a
    publication, or when the supplier was not in it, the card says so: storefronts show no badge then.
    """
    found = store.published_row(view.warehouse_key, live["supplier_id"])
    with st.container(border=True, key="storefront_card"):
        if found is None or found[1] is None:
            st.caption(
                "Storefront trust card: no published assessment includes this supplier, so the storefront shows "
                "no badge. Live figures are below."
            )
            st.text(live["name"])
            return
        publication, row = found
        st.caption(
            escape_markdown(
                f"Storefront trust card, as buyers see it: published {publication.published_at:%Y-%m-%d} "
                f"(the assessment of {publication.as_of:%Y-%m-%d} under "
                f"{policy_label(publication.policy_name, publication.policy_version)})"
            )
        )
        st.text(live["name"])
        st.text(f"#{live['supplier_id']} · {live['country_code']} · {live['category']}")
        card = st.columns([1.6, 1, 1, 1, 1])  # values wrap, never cut (a metric cuts 'Qualified (under grace)')
        card_tile(card[0], "Badge", _badge_words(row))
        card_tile(card[1], "Covered deals, 12 months", fmt.count(row["deals_12m"]))
        card_tile(card[2], "Deal value, 12 months", fmt.money(row["value_12m_usd"]))
        card_tile(card[3], "Replies within 24 h", fmt.percent(row["response_rate_30d"], 0))
        card_tile(card[4], "Median reply time", fmt.hours(row["median_response_hours_30d"]))


def render_badge_history(view: View, live: dict, projection: tuple[str, str] | None = None) -> None:
    """Published badge | live standing | projection, then the timeline of the record.

    `projection`: (projected badge, its label, e.g. "at the 2024-07-01 assessment"), when the page has one.
    """
    key = view.warehouse_key
    supplier_id = int(live["supplier_id"])
    st.markdown("**Badge: published, live and on record**")
    found = store.published_row(key, supplier_id)
    tiles = st.columns(3 if projection else 2)
    if found is None:
        tiles[0].metric("Published badge", "Not published", help="No assessment has been published for storefronts.")
    else:
        publication, row = found
        tiles[0].metric(
            "Published badge",
            _badge_words(row) if row else "Not in it",
            help=f"Run {publication.run_id}, published {publication.published_at:%Y-%m-%d %H:%M} UTC.",
        )
        tiles[0].caption(
            escape_markdown(
                f"Published {publication.published_at:%Y-%m-%d} · assessed {publication.as_of:%Y-%m-%d} · "
                f"{policy_label(publication.policy_name, publication.policy_version)}"
                + (f" · Amount {fmt.money(row['ta_amount_usd'])}" if row else "")
            )
        )
    tiles[1].metric("Live standing", fmt.word(live["badge"], "badge"))
    tiles[1].caption(
        escape_markdown(
            f"As of {view.as_of:%Y-%m-%d} · {view.policy_name} · Amount {fmt.money(live['ta_amount_usd'])} "
            "(no grace: the scorecard)"
        )
    )
    if projection:
        badge, when = projection
        tiles[2].metric("Projected badge", fmt.word(badge, "badge"), help=PROJECTION_HELP)
        tiles[2].caption(escape_markdown(f"{when[:1].upper()}{when[1:]} · {view.policy_name}"))

    history = store.supplier_history(key, supplier_id)
    if history.is_empty():
        st.info("No recorded assessment includes this supplier yet: its badge history starts with the next one.")
        return
    with st.container(key="badge_timeline"):  # a class for the browser tests to find the chart by
        st.vega_lite_chart(spec=badge_timeline_chart(history))
    record = history.select(
        "as_of", "badge", "kept_under_grace", "ta_amount_usd", "failed_rules", "policy_name", "run_id"
    )
    columns.table(  # badges and rules in words, the Amount as money (catalogue labels and formats)
        record,
        labels={"as_of": "Assessed", "ta_amount_usd": "Amount", "policy_name": "Policy", "run_id": "Run"},
        key="badge_history_table",
    )
