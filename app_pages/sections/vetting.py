"""Supplier vetting's table: its columns, sorts, URL parameters and the search (a literal match, never a regex)."""

import polars as pl

from app_pages.sections import url_state
from policy import BADGES

MAX_ROWS = 10_000  # rows sent to the browser; search, filters and sorting pick which
MAX_COMPARE = 4
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
# Shown as numbers drawn in the house formats, so a click on their header sorts them by value (ui.columns);
# the rates stay text: a rate beside its threshold may need more decimals than one format can give.
NUMBER_COLUMNS = (
    "deals_12m",
    "value_12m_usd",
    "median_response_hours_30d",
    "claims_12m",
    "refunds_12m_usd",
    "ta_amount_usd",
    "open_exposure_usd",
    "amount_left_usd",
)
SORTS = {  # column → (label, descending by default); an allow-list, never a column name from input
    "value_12m_usd": ("Deal value, 12 months", True),
    "deals_12m": ("Covered deals, 12 months", True),
    "ta_amount_usd": ("Trade Assurance Amount", True),
    "amount_left_usd": ("Amount left", False),
    "open_exposure_usd": ("Open exposure", True),
    "on_time_rate_6m": ("On-time rate", False),
    "response_rate_30d": ("Response rate", False),
    "median_response_hours_30d": ("Median response time", True),
    "claims_12m": ("Claims, 12 months", True),
    "refunds_12m_usd": ("Refunds, 12 months", True),
    "supplier_id": ("Supplier id", False),
    "name": ("Name", False),
}
PARAMS = (  # URL key = widget key
    url_state.Param("search", url_state.text(100), str, "", "expected a search of at most 100 characters."),
    url_state.Param(
        "badge_filter", url_state.choices(BADGES), url_state.joined, [], f"expected badges from {', '.join(BADGES)}."
    ),
    url_state.Param(
        "min_deals", url_state.whole(0, 10**9), str, 0, "expected a whole number of deals from 0 to 1,000,000,000."
    ),
    url_state.Param(
        "sort", url_state.choice(list(SORTS)), str, "value_12m_usd", f"expected one of {', '.join(SORTS)}."
    ),
    url_state.Param("reverse", url_state.flag, url_state.lowered, False, "expected true or false."),
    url_state.Param(
        "compare", url_state.ids(MAX_COMPARE), url_state.joined, [], "expected up to four supplier ids such as 3,17."
    ),
)


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
