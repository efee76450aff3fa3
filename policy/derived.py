"""The derived figures of ../shared/PRODUCT.md ("Derived figures"), defined once, on a scored frame.

`with_derived` is the polars form; `covered_exposure` and `expected_refunds` are the same two figures on
numpy arrays of holders, for the what-if at slider speed (policy.whatif). `over_amount_holders` lists the
holders over their Amount and `holders_money` sums the holders' Amounts and exposure (vetting, Overview).

In: a per-supplier frame with badge, ta_amount_usd, open_exposure_usd, refunds_12m_usd (a scorecard or
features joined with the verdict). Out: the same frame with amount_left_usd, over_amount,
covered_exposure_usd and expected_refunds_6m_usd; each is null (amount_left, the two money figures) or
false (over_amount) for a supplier without the badge.
"""

import numpy as np
import polars as pl

QUALIFIED = pl.col("badge").cast(pl.String) == "qualified"


def six_months_of(refunds_12m_usd):
    """refunds_12m_usd × 182 / 365: the coming six months' refunds at the last year's pace (a polars
    expression or a numpy array in, the same out; the same arithmetic, so the same doubles)."""
    return refunds_12m_usd * 182 / 365


def covered_exposure(amount: np.ndarray, exposure: np.ndarray) -> np.ndarray:
    """covered_exposure_usd of holders with these Amounts and open exposures: min(exposure, Amount)."""
    return np.minimum(exposure, amount)


def expected_refunds(amount: np.ndarray, refunds_12m_usd: np.ndarray) -> np.ndarray:
    """expected_refunds_6m_usd of holders: min(Amount, six_months_of(refunds_12m_usd))."""
    return np.minimum(amount, six_months_of(refunds_12m_usd))


def with_derived(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` plus the four per-supplier derived figures (see the module docstring)."""
    amount, exposure = pl.col("ta_amount_usd"), pl.col("open_exposure_usd")
    return frame.with_columns(
        pl.when(QUALIFIED).then(amount - exposure).otherwise(None).alias("amount_left_usd"),
        (QUALIFIED & (exposure > amount)).alias("over_amount"),
        pl.when(QUALIFIED).then(pl.min_horizontal(exposure, amount)).otherwise(None).alias("covered_exposure_usd"),
        pl.when(QUALIFIED)
        .then(pl.min_horizontal(amount, six_months_of(pl.col("refunds_12m_usd"))))
        .otherwise(None)
        .alias("expected_refunds_6m_usd"),
    )


def loss_ratio(refunds_12m_usd: float, value_12m_usd: float) -> float | None:
    """refunds_12m_usd ÷ value_12m_usd over a group of suppliers; None when the value is 0."""
    return refunds_12m_usd / value_12m_usd if value_12m_usd else None


OVER_AMOUNT_COLUMNS = (
    "supplier_id",
    "name",
    "country_code",
    "category",
    "ta_amount_usd",
    "open_exposure_usd",
    "excess_usd",
    "amount_used",
)


def over_amount_holders(scored: pl.DataFrame) -> pl.DataFrame:
    """The holders whose open exposure exceeds their Amount (over_amount), for category managers.

    In: a scored frame (badge, ta_amount_usd, open_exposure_usd, refunds_12m_usd and the labels
    name, country_code, category). Out: OVER_AMOUNT_COLUMNS, one row per such holder, largest excess first
    (then by supplier_id): excess_usd = open_exposure_usd − ta_amount_usd (−amount_left_usd) and
    amount_used = open_exposure_usd ÷ ta_amount_usd (above 1; null for an Amount of 0, which a policy with
    a floor of 0 and a multiplier of 0 can give).
    """
    derived = with_derived(scored) if "over_amount" not in scored.columns else scored
    amount = pl.col("ta_amount_usd")
    return (
        derived.filter(pl.col("over_amount"))
        .with_columns(
            (-pl.col("amount_left_usd")).alias("excess_usd"),
            pl.when(amount > 0).then(pl.col("open_exposure_usd") / amount).otherwise(None).alias("amount_used"),
        )
        .sort(["excess_usd", "supplier_id"], descending=[True, False])
        .select(OVER_AMOUNT_COLUMNS)
    )


def holders_money(scored: pl.DataFrame) -> dict:
    """The badge holders' money in a scored frame: holders, amount_usd (their Amounts), exposure_usd (their
    open exposure), covered_exposure_usd, over_amount (holders over their Amount), excess_usd (the sum of
    those excesses), and exposure_all_usd (the open exposure of every supplier, holders or not)."""
    derived = with_derived(scored) if "over_amount" not in scored.columns else scored
    holders = derived.filter(QUALIFIED)
    over = holders.filter(pl.col("over_amount"))
    return {
        "holders": holders.height,
        "amount_usd": float(holders["ta_amount_usd"].sum()),
        "exposure_usd": float(holders["open_exposure_usd"].sum()),
        "covered_exposure_usd": float(holders["covered_exposure_usd"].sum()),
        "over_amount": over.height,
        "excess_usd": float((over["open_exposure_usd"] - over["ta_amount_usd"]).sum()),
        "exposure_all_usd": float(derived["open_exposure_usd"].sum()),
    }
