"""The Policy lab's what-if money: what a candidate policy does to the holders' total Trade Assurance Amount,
covered exposure and expected refunds over the coming six months (PRODUCT.md's derived figures, summed
over the holders; ui.lab.money_summary). The change by country and category and each gainer's and loser's
figures are columns of the what-if's own tables (policy.whatif.Step).
"""

import streamlit as st

from ui import format as fmt
from ui.explain import escape_markdown
from ui.lab import money_summary
from ui.widgets import delta_tile

HELP = {
    "Trade Assurance Amount": "The most the program would pay out, summed over the badge holders.",
    "Covered exposure": "Open covered orders the program would refund at most today: per holder the smaller "
    "of its open exposure and its Amount.",
    "Expected refunds, 6 months": "Per holder, the last year's refunds × 182/365, capped by its Amount: the "
    "coming six months' refunds if the last year's pace holds.",
}


def render_whatif_money(step) -> None:
    """Three tiles: each figure under the candidate, with its change from the current policy."""
    tiles = st.columns(3)
    for tile, row in zip(tiles, money_summary(step).iter_rows(named=True), strict=True):
        delta_tile(
            tile,
            row["figure"],
            fmt.money_compact(row["after_usd"]),
            row["change_usd"],
            0,
            "money",
            delta_color="off",
            help=escape_markdown(
                f"{HELP[row['figure']]} Under the current policy: {fmt.money(row['before_usd'])}; "
                f"under this what-if: {fmt.money(row['after_usd'])}."
            ),
        )
