"""The derived figures of PRODUCT.md on hand-written suppliers (numbers worked by hand below)."""

import polars as pl
import pytest

from policy.derived import loss_ratio, with_derived


def test_derived_figures_by_hand():
    frame = pl.DataFrame(
        {
            "supplier_id": [1, 2, 3],
            "badge": ["qualified", "qualified", "not_qualified"],
            "ta_amount_usd": [10_000.0, 5_000.0, 0.0],
            "open_exposure_usd": [4_000.0, 7_500.0, 3_531_479.0],
            "refunds_12m_usd": [36_500.0, 730.0, 900.0],
        }
    )
    out = with_derived(frame)
    # 1: 10,000 − 4,000 = 6,000 left; covered min(4,000, 10,000) = 4,000;
    #    expected min(10,000, 36,500 × 182 / 365 = 18,200) = 10,000 (capped by the Amount).
    # 2: 5,000 − 7,500 = −2,500 (over the Amount); covered min(7,500, 5,000) = 5,000;
    #    expected min(5,000, 730 × 182 / 365 = 364) = 364.
    # 3: no badge: none, not over, none, none (never 0 − 3,531,479).
    assert out["amount_left_usd"].to_list() == [6_000.0, -2_500.0, None]
    assert out["over_amount"].to_list() == [False, True, False]
    assert out["covered_exposure_usd"].to_list() == [4_000.0, 5_000.0, None]
    assert out["expected_refunds_6m_usd"].to_list() == pytest.approx([10_000.0, 364.0, None])


def test_loss_ratio_is_none_without_value():
    assert loss_ratio(250.0, 10_000.0) == 0.025
    assert loss_ratio(250.0, 0.0) is None
