"""The derived figures of ../shared/PRODUCT.md ("Derived figures"), defined once, on a scored frame.

In: a per-supplier frame with badge, ta_amount_usd, open_exposure_usd, refunds_12m_usd (a scorecard or
features joined with the verdict). Out: the same frame with amount_left_usd, over_amount,
covered_exposure_usd and expected_refunds_6m_usd; each is null (amount_left, the two money figures) or
false (over_amount) for a supplier without the badge.
"""

import polars as pl

QUALIFIED = pl.col("badge").cast(pl.String) == "qualified"


def with_derived(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` plus the four per-supplier derived figures (see the module docstring)."""
    amount, exposure = pl.col("ta_amount_usd"), pl.col("open_exposure_usd")
    return frame.with_columns(
        pl.when(QUALIFIED).then(amount - exposure).otherwise(None).alias("amount_left_usd"),
        (QUALIFIED & (exposure > amount)).alias("over_amount"),
        pl.when(QUALIFIED).then(pl.min_horizontal(exposure, amount)).otherwise(None).alias("covered_exposure_usd"),
        pl.when(QUALIFIED)
        .then(pl.min_horizontal(amount, pl.col("refunds_12m_usd") * 182 / 365))
        .otherwise(None)
        .alias("expected_refunds_6m_usd"),
    )


def loss_ratio(refunds_12m_usd: float, value_12m_usd: float) -> float | None:
    """refunds_12m_usd ÷ value_12m_usd over a group of suppliers; None when the value is 0."""
    return refunds_12m_usd / value_12m_usd if value_12m_usd else None
