"""The smallest change that flips a badge, in exact integers and plain words, worked out by hand per rule.

Every supplier starts from BASE (100 covered deals worth 20,000.00 in 6 months, all 100 shipped on time,
all 100 inquiries answered within 24 h, no claims, registered in 2020: far from every threshold) and changes
only what the test is about; A is 2024-07-01.
"""

from datetime import date, datetime, timedelta

import polars as pl

from policy import DEFAULT_POLICY, Policy, evaluate
from policy.flip import LOSE_COLUMNS, NEED_COLUMNS, at_risk, explain, next_assessment, project
from tests import test_backtest

A = datetime(2024, 7, 1)
HOUR_MICROS = 3_600_000_000
# A holder of BASE loses the badge only after 6 upheld claims (6/100 > 0.05), 12 late shipments
# (100/112 < 0.90 ≤ 100/111) or 43 unanswered inquiries (100/143 < 0.70 ≤ 100/142).
BASE = {
    "orders_6m": 100,
    "shipments_6m": 100,
    "on_time_shipments_6m": 100,
    "inquiries_30d": 100,
    "answered_24h_30d": 100,
}


def features(*rows: dict, as_of: date = A.date()) -> pl.DataFrame:
    return test_backtest.features(*({**BASE, **row} for row in rows), as_of=as_of)


def explained(*rows: dict, policy: Policy = DEFAULT_POLICY) -> dict[int, dict]:
    frame = explain(features(*rows), policy)
    assert frame.columns == [
        "supplier_id",
        "badge",
        "failed_rules",
        *NEED_COLUMNS,
        *LOSE_COLUMNS,
        "lose_in",
        "change",
        "out_of_reach",
    ]
    return {row["supplier_id"]: row for row in frame.with_columns(pl.col("badge").cast(pl.String)).to_dicts()}


def test_next_assessment_is_the_next_month_start():
    assert next_assessment(date(2024, 7, 1)) == date(2024, 8, 1)
    assert next_assessment(date(2024, 7, 31)) == date(2024, 8, 1)
    assert next_assessment(date(2024, 12, 15)) == date(2025, 1, 1)


def test_on_time_needs_the_smallest_k_and_equality_passes():
    rows = explained(
        # 8 of 10 on time: (8 + k) / (10 + k) ≥ 9/10 ⇔ 80 + 10k ≥ 90 + 9k ⇔ k ≥ 10 (18/20 = 0.90 exactly).
        {"supplier_id": 1, "shipments_6m": 10, "on_time_shipments_6m": 8},
        # 9 of 10 = 0.90 exactly: passes; one late shipment makes 9/11 < 0.90.
        {"supplier_id": 2, "shipments_6m": 10, "on_time_shipments_6m": 9},
        # No shipment due: the rate is null and fails; one on-time shipment makes 1/1.
        {"supplier_id": 3, "shipments_6m": 0, "on_time_shipments_6m": 0},
    )
    assert (rows[1]["badge"], rows[1]["need_on_time"], rows[1]["change"]) == (
        "not_qualified",
        10,
        "10 more on-time shipments",
    )
    assert (rows[2]["badge"], rows[2]["need_on_time"], rows[2]["lose_on_time"]) == ("qualified", 0, 1)
    assert rows[2]["change"] == "1 late shipment"
    assert (rows[3]["need_on_time"], rows[3]["change"]) == (1, "1 more on-time shipment")


def test_on_time_95_percent_has_no_float_off_by_one():
    # 18 of 19: (18 + k) / (19 + k) ≥ 19/20 ⇔ 360 + 20k ≥ 361 + 19k ⇔ k ≥ 1 (19/20 = 0.95 exactly).
    # In doubles (0.95 × 19 − 18) / 0.05 is 1.0000000000000142, whose ceiling would say 2.
    rows = explained(
        {"supplier_id": 1, "on_time_shipments_6m": 18, "shipments_6m": 19}, policy=Policy(min_on_time_rate=0.95)
    )
    assert rows[1]["need_on_time"] == 1


def test_on_time_threshold_of_one_cannot_be_met_by_more_shipments():
    rows = explained(
        {"supplier_id": 1, "shipments_6m": 10, "on_time_shipments_6m": 9}, policy=Policy(min_on_time_rate=1.0)
    )
    assert rows[1]["need_on_time"] is None
    assert rows[1]["change"] == "late shipments must leave the 6-month window (the threshold allows none)"


def test_claims_need_more_clean_orders_and_equality_passes():
    rows = explained(
        # 1 upheld of 10 orders: 1 / (10 + k) ≤ 1/20 ⇔ 20 ≤ 10 + k ⇔ k ≥ 10 (1/20 = 0.05 exactly).
        {"supplier_id": 1, "upheld_claims_6m": 1, "orders_6m": 10},
        # 1 of 20 = 0.05 exactly: passes; one more upheld claim makes 2/20 = 0.10.
        {"supplier_id": 2, "upheld_claims_6m": 1, "orders_6m": 20},
        # 1 of 40 = 0.025: (1 + k) / 40 > 1/20 ⇔ 1 + k > 2 ⇔ k ≥ 2.
        {"supplier_id": 3, "upheld_claims_6m": 1, "orders_6m": 40},
    )
    assert (rows[1]["need_claims"], rows[1]["change"]) == (10, "10 more covered orders without upheld claims")
    assert (rows[2]["badge"], rows[2]["lose_claims"], rows[2]["change"]) == ("qualified", 1, "1 more upheld claim")
    assert (rows[3]["lose_claims"], rows[3]["lose_in"], rows[3]["change"]) == (2, 2, "2 more upheld claims")


def test_claims_with_a_zero_threshold_wait_for_time():
    rows = explained(
        {"supplier_id": 1, "upheld_claims_6m": 1},
        {"supplier_id": 2},  # qualified, no claim: a single upheld claim fails 0 %
        policy=Policy(max_claim_rate=0.0),
    )
    assert rows[1]["need_claims"] is None
    assert rows[1]["change"] == "upheld claims must leave the 6-month window (the threshold allows none)"
    assert rows[2]["lose_claims"] == 1


def test_response_rate_counts_new_inquiries_answered_within_24_hours():
    rows = explained(
        # 5 of 10: (5 + k) / (10 + k) ≥ 7/10 ⇔ 50 + 10k ≥ 70 + 7k ⇔ 3k ≥ 20 ⇔ k ≥ 7 (12/17 ≈ 0.706; 11/16 < 0.70).
        {"supplier_id": 1, "inquiries_30d": 10, "answered_24h_30d": 5},
        # 1 of 4: 10 + 10k ≥ 28 + 7k ⇔ k ≥ 6, reached with equality (7/10 = 0.70 exactly).
        {"supplier_id": 2, "inquiries_30d": 4, "answered_24h_30d": 1},
        # 7 of 10 = 0.70 exactly: passes; one new unanswered inquiry makes 7/11.
        {"supplier_id": 3, "inquiries_30d": 10, "answered_24h_30d": 7},
    )
    assert (rows[1]["need_response_rate"], rows[1]["change"]) == (7, "answer the next 7 new inquiries within 24 h")
    assert rows[2]["need_response_rate"] == 6
    assert (rows[3]["badge"], rows[3]["lose_response_rate"]) == ("qualified", 1)
    assert rows[3]["change"] == "1 new inquiry not answered within 24 h"


def test_min_orders_and_min_gmv():
    rows = explained(
        {"supplier_id": 1, "orders_6m": 1},  # 3 − 1 = 2 more
        {"supplier_id": 2, "gmv_6m_usd": 8_750.0},  # 10,000 − 8,750 = 1,250
        {"supplier_id": 3, "gmv_6m_usd": 8_749.99},  # 10,000.00 − 8,749.99 = 1,250.01
        {"supplier_id": 4, "gmv_6m_usd": 10_000.0},  # exactly the threshold: passes
    )
    assert (rows[1]["need_min_orders"], rows[1]["change"]) == (2, "2 more covered orders in 6 months")
    assert (rows[2]["need_min_gmv"], rows[2]["change"]) == (1_250.0, "$1,250 more covered GMV in 6 months")
    assert rows[3]["change"] == "$1,250.01 more covered GMV in 6 months"
    assert (rows[4]["badge"], rows[4]["need_min_gmv"]) == ("qualified", 0.0)


def test_account_age_in_whole_days():
    day = timedelta(days=1)
    rows = explained(
        {"supplier_id": 1, "registered_at": A - 177 * day},  # 180 − 177 = 3 days
        {"supplier_id": 2, "registered_at": A - 177 * day + timedelta(seconds=1)},  # 3 days and 1 s → 4
        {"supplier_id": 3, "registered_at": A - 180 * day},  # exactly 180 × 24 h: passes
    )
    assert (rows[1]["need_account_age"], rows[1]["change"]) == (3, "account old enough in 3 days")
    assert rows[2]["need_account_age"] == 4
    assert (rows[3]["badge"], rows[3]["need_account_age"]) == ("qualified", 0)


def test_response_time_says_how_many_hours_to_drop():
    rows = explained(
        # 30.25 h against 24 h: 6.25 h, rounded up to a tenth so the drop is enough → 6.3 h.
        {"supplier_id": 1, "inquiries_30d": 2, "answered_24h_30d": 2, "median_response_micros": 30.25 * HOUR_MICROS},
        {"supplier_id": 2, "inquiries_30d": 2, "answered_24h_30d": 2, "median_response_micros": 24 * HOUR_MICROS},
    )
    assert rows[1]["need_response_time"] == 6.25
    assert rows[1]["change"] == "median reply time must drop by 6.3 h"
    assert (rows[2]["badge"], rows[2]["need_response_time"]) == ("qualified", 0.0)


def test_several_failing_rules_are_listed_in_rule_order_and_other_badges():
    rows = explained(
        {"supplier_id": 1, "orders_6m": 2, "shipments_6m": 10, "on_time_shipments_6m": 8},
        {"supplier_id": 2, "ta_enrolled_at": None},
        {"supplier_id": 3, "country_code": "VN"},
    )
    assert rows[1]["failed_rules"] == "min_orders;on_time"
    assert rows[1]["change"] == "1 more covered order in 6 months; 10 more on-time shipments"
    assert rows[2]["change"] == "opt in to Trade Assurance"
    assert rows[3]["change"] == "the program is not open in VN yet"
    # Lose counts are for badge holders only.
    assert rows[1]["lose_in"] is None and rows[2]["lose_claims"] is None


def test_at_risk_lists_holders_one_event_from_losing_it():
    feats = features(
        {"supplier_id": 1, "upheld_claims_6m": 1, "orders_6m": 20, "shipments_6m": 10, "on_time_shipments_6m": 9},
        {"supplier_id": 2, "upheld_claims_6m": 1, "orders_6m": 40},  # (1 + 2) / 40 > 0.05: 2 claims away
        {"supplier_id": 3, "shipments_6m": 10, "on_time_shipments_6m": 9, "name": "Late Co."},  # 9/11 < 0.90
        {"supplier_id": 4, "shipments_6m": 10, "on_time_shipments_6m": 8},  # not a holder
        # No inquiry in 30 days: a single one left unanswered makes 0/1 < 0.70.
        {"supplier_id": 5, "inquiries_30d": 0, "answered_24h_30d": 0},
    )
    risky = at_risk(feats, DEFAULT_POLICY)
    assert risky["supplier_id"].to_list() == [1, 3, 5]
    # Supplier 1: 2/20 = 0.10 > 0.05 and 9/11 < 0.90.
    assert risky["change"].to_list() == [
        "1 more upheld claim or 1 late shipment",
        "1 late shipment",
        "1 new inquiry not answered within 24 h",
    ]
    assert risky["name"].to_list() == ["Supplier", "Late Co.", "Supplier"]


def test_projection_to_the_next_assessment():
    now = features(
        {"supplier_id": 1},
        {"supplier_id": 2, "orders_6m": 2},
        {"supplier_id": 3, "registered_at": datetime(2024, 2, 11)},
    )
    # At 2024-08-01, with no new activity: supplier 1 keeps 2 deals only, supplier 2 still has 2,
    # supplier 3 (registered 2024-02-11) is still too young.
    nxt = features(
        {"supplier_id": 1, "orders_6m": 2},
        {"supplier_id": 2, "orders_6m": 2},
        {"supplier_id": 3, "registered_at": datetime(2024, 2, 11)},
        as_of=date(2024, 8, 1),
    )
    assert evaluate(now, DEFAULT_POLICY)["badge"].cast(pl.String).to_list() == [
        "qualified",
        "not_qualified",
        "not_qualified",
    ]
    frame = project(now, nxt, DEFAULT_POLICY)
    rows = {row["supplier_id"]: row for row in frame.with_columns(pl.col(pl.Enum).cast(pl.String)).to_dicts()}
    assert (rows[1]["badge"], rows[1]["projected_badge"], rows[1]["flips"]) == ("qualified", "not_qualified", True)
    assert rows[1]["change"] == "1 more covered order in 6 months"
    assert (rows[2]["flips"], rows[2]["change"]) == (False, "1 more covered order in 6 months")
    # 2024-02-11 → 2024-03-01 is 19 days (2024 is a leap year); + 31 + 30 + 31 + 30 = 141 days at A;
    # 180 − 141 = 39 days from A (8 after 2024-08-01, when it is 141 + 31 = 172 days old).
    assert (rows[3]["need_account_age"], rows[3]["change"]) == (39, "account old enough in 39 days")


def test_a_change_more_than_one_window_could_bring_is_named_as_out_of_reach():
    rows = explained(
        # 31 of 50 on time: (31 + k) / (50 + k) ≥ 9/10 ⇔ 310 + 10k ≥ 450 + 9k ⇔ k ≥ 140 > 50 shipments due.
        {"supplier_id": 1, "shipments_6m": 50, "on_time_shipments_6m": 31},
        # 7 of 10: 70 + 10k ≥ 90 + 9k ⇔ k ≥ 20 > 10.  8 of 10 needs k = 10, not more than the 10: a number.
        {"supplier_id": 2, "shipments_6m": 10, "on_time_shipments_6m": 7},
        {"supplier_id": 3, "shipments_6m": 10, "on_time_shipments_6m": 8},
        # 5 upheld of 20 deals: 5 / (20 + k) ≤ 1/20 ⇔ k ≥ 80 > 20.  2 upheld of 20: k ≥ 20, not more: a number.
        {"supplier_id": 4, "orders_6m": 20, "upheld_claims_6m": 5},
        {"supplier_id": 5, "orders_6m": 20, "upheld_claims_6m": 2},
        # 3 of 10 answered: (3 + k) / (10 + k) ≥ 7/10 ⇔ 3k ≥ 40 ⇔ k ≥ 14 > 10.  4 of 10: 3k ≥ 30, k = 10.
        {"supplier_id": 6, "inquiries_30d": 10, "answered_24h_30d": 3},
        {"supplier_id": 7, "inquiries_30d": 10, "answered_24h_30d": 4},
        # Two rules out of reach at once, in rule order, beside a rule still within reach (min_orders 2 < 3:
        # 1 more; its 0 of 2 on time needs (0 + k) / (2 + k) ≥ 9/10 ⇔ k ≥ 18 > 2).
        {"supplier_id": 8, "orders_6m": 2, "shipments_6m": 2, "on_time_shipments_6m": 0, "upheld_claims_6m": 1},
    )
    assert rows[1]["need_on_time"] == 140
    assert rows[1]["change"] == "on-time rate 62.0 %, needs 90.0 %: out of reach this window"
    assert rows[1]["out_of_reach"] == "on_time"
    assert rows[2]["change"] == "on-time rate 70.0 %, needs 90.0 %: out of reach this window"
    assert (rows[3]["change"], rows[3]["out_of_reach"]) == ("10 more on-time shipments", "")
    assert rows[4]["change"] == "claim rate 25.0 %, allows at most 5.0 %: out of reach this window"
    assert rows[5]["change"] == "20 more covered orders without upheld claims"
    assert rows[6]["change"] == "replies within 24 h 30.0 %, needs 70.0 %: out of reach this window"
    assert rows[7]["change"] == "answer the next 10 new inquiries within 24 h"
    # Supplier 8: 1 upheld of 2 deals: 1 / (2 + k) ≤ 1/20 ⇔ k ≥ 18 > 2.
    assert rows[8]["change"] == (
        "1 more covered order in 6 months; on-time rate 0.0 %, needs 90.0 %: out of reach this window; "
        "claim rate 50.0 %, allows at most 5.0 %: out of reach this window"
    )
    assert rows[8]["out_of_reach"] == "on_time;claims"
    # A holder's words (what would lose it) never say "out of reach".
    holder = explained({"supplier_id": 9})[9]
    assert (holder["badge"], holder["out_of_reach"]) == ("qualified", "")
