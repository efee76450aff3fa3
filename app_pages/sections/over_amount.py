"""Supplier vetting's "Over the Amount" list: badge holders whose open covered orders exceed their Trade
Assurance Amount, with the excess and the share of the Amount in use, for category managers.

`over_amount_lists(features, policy)` is pure (policy.derived does the figures); `render_over_amount(view)`
draws the list with a CSV export. Names, categories and countries come from the warehouse: they are shown
only in tables, never as Markdown.
"""

from dataclasses import dataclass
from datetime import date

import polars as pl
import streamlit as st

from policy import Policy
from policy.derived import over_amount_holders, with_derived
from policy.rules import verdict
from queries import cached
from ui import columns
from ui import format as fmt
from ui.explain import escape_markdown
from ui.exposure import over_amount_summary
from ui.widgets import csv_download

MONEY = st.column_config.TextColumn  # drawn as the catalogue's money text (ui.format.money)
COLUMN_CONFIG = {
    "supplier_id": st.column_config.TextColumn("Id"),
    "name": st.column_config.TextColumn("Supplier"),
    "country_code": st.column_config.TextColumn("Country"),
    "category": st.column_config.TextColumn("Category"),
    "ta_amount_usd": MONEY("Trade Assurance Amount", help="The most the program pays out"),
    "open_exposure_usd": MONEY("Open exposure", help="Covered orders placed and still open"),
    "excess_usd": MONEY("Over by", help="Open exposure − Trade Assurance Amount"),
    "amount_used": st.column_config.TextColumn(
        "Share of the Amount in use", help="Open exposure ÷ Trade Assurance Amount"
    ),
}


@dataclass(frozen=True)
class OverAmount:
    """The holders over their Amount (policy.derived.OVER_AMOUNT_COLUMNS), among how many holders."""

    listed: pl.DataFrame
    holders: int
    excess_usd: float


def over_amount_lists(features: pl.DataFrame, policy: Policy) -> OverAmount:
    """The badge holders among `features` (fetch_features at the as-of date) over their Amount under `policy`."""
    scored = with_derived(
        features.drop("badge", "ta_amount_usd", strict=False).join(
            verdict(features, policy).select("supplier_id", "badge", "ta_amount_usd"), on="supplier_id", how="left"
        )
    )
    listed = over_amount_holders(scored)
    return OverAmount(
        listed=listed,
        holders=int((scored["badge"].cast(pl.String) == "qualified").sum()),
        excess_usd=float(listed["excess_usd"].sum()),
    )


@st.cache_resource(ttl="10m", max_entries=16, show_spinner=False)
def _lists(url: str, as_of: date, countries: tuple, categories: tuple, policy: Policy, _view) -> OverAmount:
    # Keyed by the view's parts; _view (not hashed) only applies the same filters.
    return over_amount_lists(_view.filter(cached.features(url, as_of)), policy)


def render_over_amount(view) -> None:
    """The "Over the Amount" section for the view (app_pages.sections.context.View)."""
    st.subheader("Over the Amount")
    st.caption(
        f"Badge holders whose open covered orders exceed their Trade Assurance Amount as of {view.as_of:%Y-%m-%d}: "
        "the program would refund at most the Amount, so buyers' cover runs out first on these suppliers."
    )
    with st.spinner("Finding badge holders over their Amount…"):
        found = _lists(view.url, view.as_of, view.countries, view.categories, view.policy, view)
    st.caption(escape_markdown(over_amount_summary(found.listed.height, found.holders, found.excess_usd)))
    if found.listed.is_empty():
        return
    shown = columns.display(found.listed).with_columns(  # on screen only: the CSV keeps the raw values
        pl.col("excess_usd").map_elements(fmt.money, return_dtype=pl.String),
        pl.col("amount_used").map_elements(lambda v: fmt.percent(v, 1), return_dtype=pl.String),
    )
    st.dataframe(shown, hide_index=True, column_config=COLUMN_CONFIG, key="over_amount_table")
    csv_download(
        "Download the over-Amount list (CSV)", found.listed, f"over_amount_{view.as_of:%Y-%m-%d}.csv", "over_amount_csv"
    )
