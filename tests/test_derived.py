"""The derived figures of PRODUCT.md on hand-written suppliers (numbers worked by hand below)."""

from datetime import date, datetime
from decimal import Decimal

import polars as pl
import pytest

from app_pages.sections.over_amount import over_amount_lists
from policy import DEFAULT_POLICY, evaluate
from policy.derived import OVER_AMOUNT_COLUMNS, holders_money, loss_ratio, with_derived
from queries.scorecard import fetch_features
from tests import test_backtest
from tests.warehouse import load_rows
from ui import format as fmt
from ui.exposure import holders_exposure_words, over_amount_flag, over_amount_summary


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


# ---- over the Amount, on a hand-built warehouse (DuckDB and PostgreSQL) -------------------------------------
# A = 2024-07-01. Every supplier is in CN, enrolled since 2020 unless said, with 4 covered deals completed
# 2024-05-01 (due 2024-04-20, shipped 2024-04-19): 1, 2, 3 of 5,000.00 each (GMV 20,000 → Amount 10,000),
# 4 of 3,000.00 (GMV 12,000 → Amount 6,000). Open covered orders (placed 2024-06-15, due 2024-07-20):
# 1: 7,000.00 + 5,500.50 = 12,500.50 → over by 2,500.50, 125.005 % of the Amount in use
#    (and 1,000.00 placed 2024-07-02, after A: not exposure yet)
# 2: 9,999.99 → 0.01 left (and an open order of 100,000.00 not paid through the program: not exposure)
# 3: 10,000.00 → exactly the Amount, not over
# 4: 30,000.00 → over by 24,000, 500 % in use
# 5: never enrolled, open covered orders of 50,000.00: not a holder, not listed.

A_DATE = date(2024, 7, 1)


def over_amount_warehouse() -> dict[str, list[dict]]:
    suppliers = [
        {"supplier_id": sid, "name": name}
        for sid, name in ((1, "Over Co"), (2, "Within Co"), (3, "Exactly Co"), (4, "Big Over Co"))
    ] + [{"supplier_id": 5, "name": "Not enrolled Co", "ta_enrolled_at": None}]
    orders = []

    def order(sid, amount, *, status="open", covered=True, placed=datetime(2024, 6, 15)):
        deal = status == "completed"
        orders.append(
            {
                "order_id": len(orders) + 1,
                "supplier_id": sid,
                "placed_at": datetime(2024, 4, 1) if deal else placed,
                "ship_by": datetime(2024, 4, 20) if deal else datetime(2024, 7, 20),
                "shipped_at": datetime(2024, 4, 19) if deal else None,
                "completed_at": datetime(2024, 5, 1) if deal else None,
                "status": status,
                "amount_usd": Decimal(amount),
                "ta_covered": covered,
            }
        )

    for sid, deal in ((1, "5000.00"), (2, "5000.00"), (3, "5000.00"), (4, "3000.00"), (5, "5000.00")):
        for _ in range(4):
            order(sid, deal, status="completed")
    order(1, "7000.00"), order(1, "5500.50"), order(1, "1000.00", placed=datetime(2024, 7, 2))
    order(2, "9999.99"), order(2, "100000.00", covered=False)
    order(3, "10000.00")
    order(4, "30000.00")
    order(5, "50000.00")
    return {"suppliers": suppliers, "orders": orders}


def test_over_amount_list_on_a_hand_built_warehouse(engine):
    load_rows(engine, over_amount_warehouse())
    with engine.connect() as conn:
        features = fetch_features(conn, A_DATE)
    found = over_amount_lists(features, DEFAULT_POLICY)
    assert found.listed.columns == list(OVER_AMOUNT_COLUMNS)
    assert found.listed.select("supplier_id", "name", "ta_amount_usd", "open_exposure_usd").rows() == [
        (4, "Big Over Co", 6_000.0, 30_000.0),
        (1, "Over Co", 10_000.0, 12_500.50),
    ]
    assert found.listed["excess_usd"].to_list() == pytest.approx([24_000.0, 2_500.50], abs=1e-9)
    assert found.listed["amount_used"].to_list() == pytest.approx([5.0, 1.25005], abs=1e-12)
    assert (found.holders, found.excess_usd) == (4, pytest.approx(26_500.50, abs=1e-9))

    scored = with_derived(features.join(evaluate(features, DEFAULT_POLICY, margins=False), on="supplier_id"))
    money = holders_money(scored)
    # Amounts 10,000 × 3 + 6,000; exposure 12,500.50 + 9,999.99 + 10,000 + 30,000; covered min(exposure,
    # Amount) 10,000 + 9,999.99 + 10,000 + 6,000; every supplier's exposure adds 5's 50,000.
    assert money == {
        "holders": 4,
        "amount_usd": 36_000.0,
        "exposure_usd": pytest.approx(62_500.49, abs=1e-9),
        "covered_exposure_usd": pytest.approx(35_999.99, abs=1e-9),
        "over_amount": 2,
        "excess_usd": pytest.approx(26_500.50, abs=1e-9),
        "exposure_all_usd": pytest.approx(112_500.49, abs=1e-9),
    }
    by_id = {row["supplier_id"]: row for row in scored.to_dicts()}
    assert over_amount_flag(by_id[1]) == (
        "Over the Amount: open covered orders of $12,500.50 exceed the Trade Assurance Amount of $10,000.00 by "
        "$2,500.50 (125% of it in use). The program would refund at most the Amount."
    )
    assert [over_amount_flag(by_id[sid]) for sid in (2, 3, 5)] == [None, None, None]
    # Amount left: 0.01 for 2, 0 for 3, "—" (none) for 5 without the badge — never 0 − 50,000.
    assert [by_id[sid]["amount_left_usd"] for sid in (2, 3, 5)] == [pytest.approx(0.01, abs=1e-9), 0.0, None]
    assert fmt.money(by_id[5]["amount_left_usd"]) == "—"
    words = holders_exposure_words(money)
    assert words.startswith("Badge holders' open exposure: $62,500 against their Amounts of $36,000;")
    assert "the program covers $36,000 of it. 2 holders are over their Amount, by $26,501 in all." in words
    assert words.endswith("another $50,000 of open covered orders, with no Amount behind them.")


def test_over_amount_with_nobody_over():
    found = over_amount_lists(test_backtest.features({"supplier_id": 1, "open_exposure_usd": 100.0}), DEFAULT_POLICY)
    assert (found.listed.height, found.holders, found.excess_usd) == (0, 1, 0.0)
    assert (
        over_amount_summary(0, 1, 0.0)
        == "No badge holder in this view (1) has more open covered orders than its Amount."
    )
    assert over_amount_summary(2, 4, 26_500.5) == (
        "2 of 4 badge holders have more open covered orders than their Trade Assurance Amount, $26,501 over in all. "
        "Largest excess first."
    )
