"""The derived figures of ../shared/PRODUCT.md ("Derived figures"), defined once, on a scored frame.

`with_derived` is the polars form; `covered_exposure` and `expected_refunds` are the same two figures on
numpy arrays of holders, for the what-if at slider speed (policy.whatif).

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
