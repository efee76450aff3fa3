"""Words for exposure against the Trade Assurance Amount: the over-Amount list, the trust card's flag and the
Overview's comparison of holders' exposure with holders' Amounts. Pure: rows and sums in, text out
(policy.derived computes the figures; warehouse text never enters these words).
"""

from ui import format as fmt


def over_amount_flag(row: dict) -> str | None:
    """The trust card's flag for a holder whose open exposure exceeds its Amount; None for anyone else.

    `row`: a scored supplier with policy.derived's figures (over_amount, ta_amount_usd, open_exposure_usd).
    """
    if not row.get("over_amount"):
        return None
    amount, exposure = row["ta_amount_usd"], row["open_exposure_usd"]
    used = f" ({fmt.percent(exposure / amount, 0)} of it in use)" if amount else ""
    return (
        f"Over the Amount: open covered orders of {fmt.money(exposure, cents=True)} exceed the Trade Assurance "
        f"Amount of {fmt.money(amount, cents=True)} by {fmt.money(exposure - amount, cents=True)}{used}. "
        "The program would refund at most the Amount."
    )


def over_amount_summary(listed: int, holders: int, excess_usd: float) -> str:
    """One line above the over-Amount list: how many holders, out of how many, and the total excess."""
    if not listed:
        return f"No badge holder in this view ({fmt.count(holders)}) has more open covered orders than its Amount."
    return (
        f"{fmt.count(listed)} of {fmt.count(holders)} badge holders have more open covered orders than their "
        f"Trade Assurance Amount, {fmt.money(excess_usd)} over in all. Largest excess first."
    )


def holders_exposure_words(money: dict) -> str:
    """The Overview's comparison, from policy.derived.holders_money: holders' exposure against their Amounts."""
    if not money["holders"]:
        return "No supplier holds the badge in this view, so no open exposure is covered."
    others = money["exposure_all_usd"] - money["exposure_usd"]
    return (
        f"Badge holders' open exposure: {fmt.money(money['exposure_usd'])} against their Amounts of "
        f"{fmt.money(money['amount_usd'])}; the program covers {fmt.money(money['covered_exposure_usd'])} of it. "
        f"{fmt.count(money['over_amount'])} holders are over their Amount, by {fmt.money(money['excess_usd'])} in "
        f"all. Suppliers without the badge today have another {fmt.money(others)} of open covered orders, with "
        "no Amount behind them."
    )
