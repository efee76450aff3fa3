"""The contract's edges, one case each, in PRODUCT.md's words: the cases that small mistakes in the core
(a rounding turned the other way, a check removed, ≥ turned into >) slipped past before (docs/mutation.md).

Every expected number is worked by hand in the comment beside it. Features are built from raw counts with
tests.test_policy.features (a supplier passing every default rule, with the overrides given).
"""

from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest

from policy import DEFAULT_POLICY, Policy, PolicyError, diff, evaluate
from policy.backtest import backtest_summary
from policy.derived import loss_ratio, with_derived
from policy.flip import explain
from policy.policy import MAX_DAYS, MAX_GRACE_ASSESSMENTS, MAX_HOURS, MAX_MULTIPLIER, MAX_ORDERS, MAX_USD
from policy.rules import RULE_NAMES, amount_expr, cents, failed_rules_text
from policy.whatif import WhatIfEngine, amounts_usd
from tests import test_backtest, test_flip
from tests.test_policy import HOUR_MICROS, A, features, one

MICRO = timedelta(microseconds=1)

# ------------------------------------------------------------------------------ the Trade Assurance Amount

# (multiplier, gmv_6m_usd, floor, cap, the Amount): min(cap, max(floor, multiplier × gmv)) rounded down to a
# whole 100 USD, exact in decimal.
AMOUNTS = [
    # 0.3 × 4,000,000 = 1,200,000 → the cap 1,000,000 (the GMV bound rounded down would give 999,900).
    (0.3, 4_000_000.00, 5_000.0, 1_000_000.0, 1_000_000.0),
    # 0.3 × 3,333,333.34 = 1,000,000.002 → the cap; 0.3 × 3,333,333.33 = 999,999.999 → 999,900.
    (0.3, 3_333_333.34, 5_000.0, 1_000_000.0, 1_000_000.0),
    (0.3, 3_333_333.33, 5_000.0, 1_000_000.0, 999_900.0),
    # 0.37 × 2,702,702.71 = 1,000,000.0027 → the cap; 0.37 × 2,702,702.70 = 999,999.999 → 999,900.
    (0.37, 2_702_702.71, 5_000.0, 1_000_000.0, 1_000_000.0),
    (0.37, 2_702_702.70, 5_000.0, 1_000_000.0, 999_900.0),
    # 1.25 × 800,000 = 1,000,000 exactly: the cap, reached with equality.
    (1.25, 800_000.00, 5_000.0, 1_000_000.0, 1_000_000.0),
    # 0.37 × 10,000 = 3,700 < the floor 5,000 → 5,000.
    (0.37, 10_000.00, 5_000.0, 1_000_000.0, 5_000.0),
    # 0.37 × 13,513.52 = 5,000.0024 → 5,000 (just above the floor, rounded down onto it).
    (0.37, 13_513.52, 5_000.0, 1_000_000.0, 5_000.0),
    # 0.37 × 16,216.22 = 6,000.0014 → 6,000; 0.37 × 16,216.21 = 5,999.9977 → 5,900.
    (0.37, 16_216.22, 5_000.0, 1_000_000.0, 6_000.0),
    (0.37, 16_216.21, 5_000.0, 1_000_000.0, 5_900.0),
    # 0.8 × 12,500 = 10,000 exactly (not 9,900 as in binary floating point).
    (0.8, 12_500.00, 5_000.0, 1_000_000.0, 10_000.0),
    # A floor of 5,050 is rounded down to a whole 100 too: 5,000.
    (0.01, 10_000.00, 5_050.0, 1_000_000.0, 5_000.0),
    # A cap of 7,777.77 rounded down: 7,700.
    (2.0, 10_000.00, 0.0, 7_777.77, 7_700.0),
    # Multiplier 0: the floor.
    (0.0, 50_000.00, 5_000.0, 1_000_000.0, 5_000.0),
    # Floor equal to cap: that amount whatever the GMV.
    (0.5, 10_000.00, 8_000.0, 8_000.0, 8_000.0),
    # A multiplier with four decimals: 0.0001 × 123,456,789.00 = 12,345.6789 → 12,300.
    (0.0001, 123_456_789.00, 0.0, 1_000_000.0, 12_300.0),
    # A multiplier above 1 with four decimals: 1.0001 × 10,000 = 10,001 → 10,000.
    (1.0001, 10_000.00, 0.0, 1_000_000.0, 10_000.0),
    # 100 × 10,000 = 1,000,000 exactly, at the largest multiplier.
    (100.0, 10_000.00, 0.0, 1_000_000.0, 1_000_000.0),
    # 2 × 3,900 = 7,800 > the cap 7,799.99 → 7,799.99 → 7,700 (not 7,800: the cap applies before rounding).
    (2.0, 3_900.00, 0.0, 7_799.99, 7_700.0),
    # 99.9999 × 100,000,000,000 is far above the cap (and its cents × 999,999 overflow 64 bits): the cap.
    (99.9999, 100_000_000_000.00, 0.0, 1_000_000.0, 1_000_000.0),
]


@pytest.mark.parametrize(("multiplier", "gmv", "floor", "cap", "amount"), AMOUNTS)
def test_the_amount_is_min_cap_max_floor_multiplier_gmv_rounded_down_to_100(multiplier, gmv, floor, cap, amount):
    policy = Policy(amount_multiplier=multiplier, amount_floor_usd=floor, amount_cap_usd=cap, min_gmv_6m_usd=0.0)
    # The polars rules (a qualified supplier), the numpy what-if and the bare expression agree, to the dollar.
    assert one(policy, gmv_6m_usd=gmv) == ("qualified", "", amount)
    assert amounts_usd(np.array([round(gmv * 100)], dtype=np.int64), policy).tolist() == [int(amount)]
    frame = pl.DataFrame({"gmv_6m_usd": [gmv]})
    assert frame.select(amount_expr(policy)).item() == amount
    step = WhatIfEngine(features({"gmv_6m_usd": gmv}), DEFAULT_POLICY).step(policy)
    assert step.amount_after_usd == amount


def test_only_a_qualified_supplier_gets_an_amount():
    # Supplier 2 fails min_orders (2 < 3), supplier 3 is not enrolled, supplier 4 is outside CN: 0 each.
    rows = evaluate(
        features({"gmv_6m_usd": 20_000.0}, {"orders_6m": 2}, {"ta_enrolled_at": None}, {"country_code": "VN"}),
        DEFAULT_POLICY,
    )
    assert rows["ta_amount_usd"].to_list() == [10_000.0, 0.0, 0.0, 0.0]


def test_cents_are_the_decimal_spelling():
    assert (cents(0.29), cents(1_000_000.0), cents(19.99), cents(0.0)) == (29, 100_000_000, 1_999, 0)


# ------------------------------------------------------------------------------------------------- the badge


def test_not_enrolled_is_ta_enrolled_at_null_or_at_or_after_a():
    assert one(ta_enrolled_at=None)[0] == "not_enrolled"
    assert one(ta_enrolled_at=A)[0] == "not_enrolled"  # enrolled at A itself: not yet
    assert one(ta_enrolled_at=A + MICRO)[0] == "not_enrolled"
    assert one(ta_enrolled_at=A - MICRO)[0] == "qualified"


def test_not_enrolled_comes_before_region_not_open():
    assert one(ta_enrolled_at=None, country_code="VN")[0] == "not_enrolled"
    assert one(country_code="VN")[0] == "region_not_open"
    # A supplier outside the open countries is region_not_open even when it fails every rule.
    assert one(country_code="VN", orders_6m=0)[:2] == ("region_not_open", "")


@pytest.mark.parametrize(
    ("countries", "country", "badge"),
    [
        (("CN",), "CN", "qualified"),
        (("CN",), "cn", "region_not_open"),
        (("*",), "ZZ", "qualified"),
        ((), "CN", "region_not_open"),
        # More than eight open countries (the lookup changes form there): CN is the ninth.
        (("AA", "AB", "AC", "AD", "AE", "AF", "AG", "AH", "CN"), "CN", "qualified"),
        (("AA", "AB", "AC", "AD", "AE", "AF", "AG", "AH", "CN"), "VN", "region_not_open"),
        (("AA", "AB", "AC", "AD", "AE", "AF", "AG", "CN"), "CN", "qualified"),
        (("AA", "AB", "AC", "AD", "AE", "AF", "AG", "CN"), "VN", "region_not_open"),
    ],
)
def test_region_not_open_is_a_country_outside_the_open_countries(countries, country, badge):
    assert one(Policy(open_countries=tuple(sorted(countries))), country_code=country)[0] == badge


# Each rule at its default threshold exactly passes ("≥" / "≤"), one step across fails.
# (overrides that reach the threshold exactly, overrides one step past it, the rule's name)
RULE_EDGES = [
    # account_age: registered_at ≤ A − 180 × 24 h.
    ({"registered_at": A - timedelta(days=180)}, {"registered_at": A - timedelta(days=180) + MICRO}, "account_age"),
    # min_orders: orders_6m ≥ 3 (claims 0 of 3 = 0 ≤ 0.05 either way).
    ({"orders_6m": 3}, {"orders_6m": 2}, "min_orders"),
    # min_gmv: gmv_6m_usd ≥ 10,000.
    ({"gmv_6m_usd": 10_000.0}, {"gmv_6m_usd": 9_999.99}, "min_gmv"),
    # on_time: 9 of 10 = 0.90 ≥ 0.90 passes; 8 of 9 = 0.888… fails.
    (
        {"shipments_6m": 10, "on_time_shipments_6m": 9},
        {"shipments_6m": 9, "on_time_shipments_6m": 8},
        "on_time",
    ),
    # claims: 1 upheld of 20 = 0.05 ≤ 0.05 passes; 1 of 19 fails.
    (
        {"orders_6m": 20, "upheld_claims_6m": 1},
        {"orders_6m": 19, "upheld_claims_6m": 1},
        "claims",
    ),
    # response_rate: 7 of 10 = 0.70 passes; 6 of 9 = 0.666… fails.
    (
        {"inquiries_30d": 10, "answered_24h_30d": 7},
        {"inquiries_30d": 9, "answered_24h_30d": 6},
        "response_rate",
    ),
    # response_time: a median of 24 h passes; 24 h and 1 µs fails.
    (
        {"median_response_micros": 24.0 * HOUR_MICROS},
        {"median_response_micros": 24.0 * HOUR_MICROS + 1},
        "response_time",
    ),
]


@pytest.mark.parametrize(("at", "past", "rule"), RULE_EDGES, ids=[edge[2] for edge in RULE_EDGES])
def test_each_rule_passes_at_its_threshold_and_fails_one_step_past(at, past, rule):
    assert one(**at) == ("qualified", "", one(**at)[2])
    assert one(**past)[:2] == ("not_qualified", rule)


# A null value: on_time and claims fail, response_rate and response_time pass.
NULL_VALUES = [
    ({"shipments_6m": 0, "on_time_shipments_6m": 0}, "not_qualified", "on_time"),
    ({"orders_6m": 0, "gmv_6m_usd": 0.0}, "not_qualified", "min_orders;min_gmv;claims"),
    ({"inquiries_30d": 0, "answered_24h_30d": 0}, "qualified", ""),
    ({"median_response_micros": None}, "qualified", ""),
]


@pytest.mark.parametrize(("overrides", "badge", "failed"), NULL_VALUES)
def test_a_null_rate_fails_on_time_and_claims_and_passes_the_response_rules(overrides, badge, failed):
    assert one(DEFAULT_POLICY, **overrides)[:2] == (badge, failed)
    # At the loosest thresholds the null still fails on_time and claims: no value to compare.
    loosest = Policy(min_orders_6m=0, min_gmv_6m_usd=0.0, min_on_time_rate=0.0, max_claim_rate=1.0)
    expected = ";".join(rule for rule in failed.split(";") if rule in ("on_time", "claims"))
    assert one(loosest, **overrides)[:2] == ("not_qualified" if expected else "qualified", expected)


def test_failed_rules_are_named_in_the_contract_order():
    worst = {
        "registered_at": A,
        "orders_6m": 1,
        "gmv_6m_usd": 1.0,
        "shipments_6m": 10,
        "on_time_shipments_6m": 0,
        "upheld_claims_6m": 1,
        "inquiries_30d": 10,
        "answered_24h_30d": 0,
        "median_response_micros": 48.0 * HOUR_MICROS,
    }
    assert one(**worst)[:2] == ("not_qualified", ";".join(RULE_NAMES))
    assert RULE_NAMES == ("account_age", "min_orders", "min_gmv", "on_time", "claims", "response_rate", "response_time")
    masks = pl.DataFrame({"m": [0, 1, 2, 5, 64, 127]}, schema={"m": pl.UInt8})
    assert masks.select(failed_rules_text(pl.col("m"))).to_series().to_list() == [
        "",
        "account_age",
        "min_orders",
        "account_age;min_gmv",
        "response_time",
        ";".join(RULE_NAMES),
    ]


def test_margins_are_value_minus_threshold_or_threshold_minus_value():
    row = evaluate(features({"orders_6m": 5, "gmv_6m_usd": 12_500.0}), DEFAULT_POLICY).row(0, named=True)
    assert row["margin_min_orders"] == 2.0  # 5 − 3
    assert row["margin_min_gmv"] == 2_500.0  # 12,500 − 10,000
    assert row["margin_claims"] == pytest.approx(0.05)  # 0.05 − 0 (no upheld claims)
    assert row["margin_response_time"] == pytest.approx(22.0)  # 24 − 2 h
    assert row["margin_account_age"] == pytest.approx((A - datetime(2020, 1, 1)).days - 180)
    assert "margin_on_time" not in evaluate(features({}), DEFAULT_POLICY, margins=False).columns


def test_diff_counts_gainers_losers_and_amounts():
    # Supplier 1: gmv 20,000 qualifies under both (10,000 → 0.3 × 20,000 = 6,000). Supplier 2: 2 orders
    # qualifies only with min_orders 2 (0.3 × 20,000 = 6,000). Supplier 3: 0.3 × 9,000 = 2,700 < floor →
    # 5,000 under b only... it fails min_gmv under a (9,000 < 10,000) and passes b's min_gmv 9,000.
    frame = features({}, {"orders_6m": 2}, {"gmv_6m_usd": 9_000.0}, {"orders_6m": 0})
    a = DEFAULT_POLICY
    b = Policy(min_orders_6m=2, min_gmv_6m_usd=9_000.0, amount_multiplier=0.3)
    d = diff(frame, a, b)
    assert d.gained["supplier_id"].to_list() == [2, 3]
    assert d.lost["supplier_id"].to_list() == []
    assert (d.qualified_before, d.qualified_after, d.qualified_change) == (1, 3, 2)
    assert (d.amount_before_usd, d.amount_after_usd) == (10_000.0, 6_000.0 + 6_000.0 + 5_000.0)
    assert d.amount_change_usd == 7_000.0
    back = diff(frame, b, a)
    assert back.lost["supplier_id"].to_list() == [2, 3] and back.gained.height == 0
    step = WhatIfEngine(frame, a).step(b)
    assert (step.qualified_before, step.qualified_after, step.amount_after_usd) == (1, 3, 17_000.0)
    assert step.gained["supplier_id"].to_list() == [2, 3]


# ------------------------------------------------------------------------------------------------ the policy


USD_KEYS = ("min_gmv_6m_usd", "amount_floor_usd", "amount_cap_usd")


@pytest.mark.parametrize("key", USD_KEYS)
def test_money_thresholds_are_whole_cents(key):
    base = {"amount_floor_usd": 0.0} if key == "amount_cap_usd" else {}
    assert getattr(Policy.from_mapping({**base, key: 1234.56}), key) == 1234.56
    assert getattr(Policy.from_mapping({**base, key: 0.1}), key) == 0.1
    for bad in (1234.567, 0.001, 10.005):
        with pytest.raises(PolicyError, match="whole cents") as info:
            Policy.from_mapping({**base, key: bad})
        assert info.value.key == key


@pytest.mark.parametrize("key", USD_KEYS)
def test_money_thresholds_are_from_0_to_the_largest_amount(key):
    low = {"amount_floor_usd": 0.0} if key == "amount_cap_usd" else {}
    high = {"amount_cap_usd": MAX_USD} if key == "amount_floor_usd" else {}
    assert getattr(Policy.from_mapping({**low, key: 0}), key) == 0.0
    assert getattr(Policy.from_mapping({**high, key: MAX_USD}), key) == MAX_USD
    for bad in (-0.01, MAX_USD + 0.01, float("inf"), float("nan")):
        with pytest.raises(PolicyError) as info:
            Policy.from_mapping({**low, **high, key: bad})
        assert info.value.key == key


def test_the_multiplier_has_at_most_four_decimals():
    assert Policy(amount_multiplier=0.1234).amount_multiplier == 0.1234
    assert Policy(amount_multiplier=1.0001).amount_multiplier == 1.0001
    for bad in (0.12345, 0.00001, 1.00001):
        with pytest.raises(PolicyError, match="at most four decimals") as info:
            Policy(amount_multiplier=bad)
        assert info.value.key == "amount_multiplier"


def test_the_multiplier_is_from_0_to_its_largest():
    assert Policy(amount_multiplier=0.0).amount_multiplier == 0.0
    assert Policy(amount_multiplier=MAX_MULTIPLIER).amount_multiplier == MAX_MULTIPLIER
    for bad in (-0.0001, MAX_MULTIPLIER + 0.0001, float("nan"), True):
        with pytest.raises(PolicyError) as info:
            Policy(amount_multiplier=bad)
        assert info.value.key == "amount_multiplier"


@pytest.mark.parametrize("key", ("min_on_time_rate", "max_claim_rate", "min_response_rate"))
def test_rates_are_between_0_and_1(key):
    assert getattr(Policy.from_mapping({key: 0}), key) == 0.0
    assert getattr(Policy.from_mapping({key: 1}), key) == 1.0
    for bad in (-0.01, 1.01, float("inf")):
        with pytest.raises(PolicyError, match="rate between 0 and 1|finite") as info:
            Policy.from_mapping({key: bad})
        assert info.value.key == key


def test_hours_are_from_0_to_the_largest():
    assert Policy(max_median_response_hours=0.0).max_median_response_hours == 0.0
    assert Policy(max_median_response_hours=MAX_HOURS).max_median_response_hours == MAX_HOURS
    for bad in (-0.5, MAX_HOURS + 1):
        with pytest.raises(PolicyError, match="hours") as info:
            Policy(max_median_response_hours=bad)
        assert info.value.key == "max_median_response_hours"


@pytest.mark.parametrize(
    ("key", "top"),
    [("min_account_age_days", MAX_DAYS), ("min_orders_6m", MAX_ORDERS), ("grace_assessments", MAX_GRACE_ASSESSMENTS)],
)
def test_whole_number_keys_are_from_0_to_their_largest(key, top):
    assert getattr(Policy.from_mapping({key: 0}), key) == 0
    assert getattr(Policy.from_mapping({key: top}), key) == top
    assert getattr(Policy.from_mapping({key: 7.0}), key) == 7  # 7.0 is a whole number
    for bad in (-1, top + 1, 2.5, True, "3", None):
        with pytest.raises(PolicyError) as info:
            Policy.from_mapping({key: bad})
        assert info.value.key == key
    with pytest.raises(PolicyError) as info:
        Policy(**{key: 3.0})  # a float built directly is not a whole number
    assert info.value.key == key


def test_the_floor_may_equal_the_cap_but_not_exceed_it():
    assert Policy(amount_floor_usd=8_000.0, amount_cap_usd=8_000.0).amount_floor_usd == 8_000.0
    with pytest.raises(PolicyError, match="must not exceed the cap") as info:
        Policy(amount_floor_usd=8_000.01, amount_cap_usd=8_000.0)
    assert info.value.key == "amount_floor_usd"


def test_open_countries_are_codes_or_star():
    assert Policy.from_mapping({"open_countries": ["VN", "CN", "VN"]}).open_countries == ("CN", "VN")
    assert Policy.from_mapping({"open_countries": []}).open_countries == ()
    assert Policy.from_mapping({"open_countries": ["*"]}).opens("ZZ")
    assert Policy().opens("CN") and not Policy().opens("VN")
    for bad in (["cn"], ["CHN"], [1], "CN", None):
        with pytest.raises(PolicyError) as info:
            Policy.from_mapping({"open_countries": bad})
        assert info.value.key == "open_countries"
    for bad in (["CN"], ("cn",), (1,)):
        with pytest.raises(PolicyError) as info:
            Policy(open_countries=bad)
        assert info.value.key == "open_countries"


def test_an_unknown_key_or_a_wrong_type_names_the_key():
    with pytest.raises(PolicyError, match="unknown key") as info:
        Policy.from_mapping({"min_orders": 3})
    assert info.value.key == "min_orders"
    for key, value, words in (
        ("min_gmv_6m_usd", "10000", "expected a number, got a string"),
        ("min_gmv_6m_usd", True, "expected a number, got true/false"),
        ("max_claim_rate", None, "expected a number, got null"),
        ("amount_cap_usd", [1], "expected a number, got a list"),
        ("min_response_rate", {}, "expected a number, got an object"),
    ):
        with pytest.raises(PolicyError, match=words) as info:
            Policy.from_mapping({key: value})
        assert info.value.key == key
    with pytest.raises(PolicyError, match="expected a JSON object, got a list"):
        Policy.from_mapping([])
    with pytest.raises(PolicyError, match="too large"):
        Policy.from_mapping({"min_gmv_6m_usd": 10**400})


def test_a_policy_round_trips_through_json_and_keeps_defaults_for_keys_left_out():
    policy = Policy.from_json('{"amount_multiplier": 0.37, "open_countries": ["VN", "CN"]}')
    assert (policy.amount_multiplier, policy.open_countries, policy.min_orders_6m) == (0.37, ("CN", "VN"), 3)
    assert Policy.from_json(policy.to_json()) == policy
    assert policy.to_dict()["open_countries"] == ["CN", "VN"]
    based = Policy.from_mapping({"min_orders_6m": 5}, base=policy)
    assert (based.min_orders_6m, based.amount_multiplier) == (5, 0.37)


# ------------------------------------------------------------------------------------------ derived figures


def test_an_exposure_equal_to_the_amount_is_not_over_it():
    frame = pl.DataFrame(
        {
            "badge": ["qualified", "qualified", "qualified", "not_qualified"],
            "ta_amount_usd": [10_000.0, 10_000.0, 10_000.0, 0.0],
            "open_exposure_usd": [10_000.0, 10_000.01, 9_999.99, 50.0],
            "refunds_12m_usd": [0.0, 730.0, 36_500.0, 730.0],
        }
    )
    out = with_derived(frame)
    assert out["over_amount"].to_list() == [False, True, False, False]
    assert out["amount_left_usd"].to_list() == pytest.approx([0.0, -0.01, 0.01, None])
    assert out["covered_exposure_usd"].to_list() == [10_000.0, 10_000.0, 9_999.99, None]
    # min(10,000, refunds × 182 / 365): 0; 730 × 182 / 365 = 364; 36,500 × 182 / 365 = 18,200 → 10,000.
    assert out["expected_refunds_6m_usd"].to_list() == pytest.approx([0.0, 364.0, 10_000.0, None])


def test_loss_ratio_is_refunds_over_value():
    assert loss_ratio(300.0, 1_200.0) == 0.25
    assert loss_ratio(0.0, 1_200.0) == 0.0
    assert loss_ratio(300.0, 0.0) is None


# ------------------------------------------------------------------------------------ backtests and flips


def test_refunds_equal_to_the_amount_are_not_over_it():
    # Three holders with Amount 10,000 (0.5 × 20,000): refunds 10,000.00 (equal: not over), 10,000.01
    # (over) and 9,999.99 (not over). amount_used: 1.0, 1.000001, 0.999999.
    feats = test_backtest.features({"supplier_id": 1}, {"supplier_id": 2}, {"supplier_id": 3})
    outs = test_backtest.outcome_rows((1, 1, 0.0, 1, 10_000.00), (2, 1, 0.0, 1, 10_000.01), (3, 1, 0.0, 1, 9_999.99))
    row = backtest_summary(feats, outs, DEFAULT_POLICY).row(0, named=True)
    assert row["holders"] == 3
    assert row["holders_over_amount"] == 1
    assert row["amount_used_max"] == pytest.approx(1.000001)
    assert row["amount_used_median"] == pytest.approx(1.0)


def test_a_100_percent_on_time_threshold_with_10_of_10_on_time_passes():
    rows = test_flip.explained(
        {"supplier_id": 1, "shipments_6m": 10, "on_time_shipments_6m": 10},
        {"supplier_id": 2, "shipments_6m": 10, "on_time_shipments_6m": 9},
        policy=Policy(min_on_time_rate=1.0),
    )
    # 10 / 10 = 1.0 ≥ 1.0: qualified, needs nothing; one late shipment (10 / 11) loses it.
    assert (rows[1]["badge"], rows[1]["failed_rules"], rows[1]["need_on_time"]) == ("qualified", "", 0)
    assert (rows[1]["lose_on_time"], rows[1]["change"]) == (1, "1 late shipment")
    # 9 / 10 cannot reach 1.0 by more shipments: only time helps.
    assert (rows[2]["badge"], rows[2]["need_on_time"]) == ("not_qualified", None)
    assert rows[2]["change"] == "late shipments must leave the 6-month window (the threshold allows none)"


def test_a_100_percent_response_rate_with_every_inquiry_answered_passes():
    rows = test_flip.explained(
        {"supplier_id": 1, "inquiries_30d": 4, "answered_24h_30d": 4},
        {"supplier_id": 2, "inquiries_30d": 4, "answered_24h_30d": 3},
        policy=Policy(min_response_rate=1.0),
    )
    assert (rows[1]["badge"], rows[1]["need_response_rate"], rows[1]["lose_response_rate"]) == ("qualified", 0, 1)
    assert rows[2]["need_response_rate"] is None
    assert rows[2]["change"] == "unanswered inquiries must leave the 30-day window (the threshold allows none)"


def test_a_claims_failure_is_explained_in_words():
    # 2 upheld of 10 orders: 2 / (10 + k) ≤ 1/20 ⇔ 40 ≤ 10 + k ⇔ k ≥ 30.
    rows = test_flip.explained({"supplier_id": 1, "orders_6m": 10, "upheld_claims_6m": 2})
    assert (rows[1]["badge"], rows[1]["failed_rules"]) == ("not_qualified", "claims")
    assert rows[1]["need_claims"] == 30
    # 30 more than the 10 deals of six months: out of reach within one window, so the words say what blocks.
    assert rows[1]["change"] == "claim rate 20.0 %, allows at most 5.0 %: out of reach this window"
    # Every not_qualified supplier is told something to do.
    frame = explain(
        test_flip.features({"supplier_id": 2, "orders_6m": 0}, {"supplier_id": 3, "orders_6m": 1}), DEFAULT_POLICY
    )
    assert all(change for change in frame["change"].to_list())


def test_evaluate_gives_one_row_per_supplier_with_these_types():
    frame = features({"orders_6m": 2}, {}, {"country_code": "VN"}, {"ta_enrolled_at": None})
    out = evaluate(frame, DEFAULT_POLICY)
    assert out["supplier_id"].to_list() == [1, 2, 3, 4]
    assert out["badge"].cast(pl.String).to_list() == ["not_qualified", "qualified", "region_not_open", "not_enrolled"]
    assert out.schema["badge"] == pl.Enum(["not_enrolled", "region_not_open", "not_qualified", "qualified"])
    assert out.schema["failed_mask"] == pl.UInt8
    assert out["failed_mask"].to_list() == [2, 0, 0, 0]  # bit 1: min_orders
    assert out.schema["ta_amount_usd"] == pl.Float64
    assert out.schema["failed_rules"] == pl.String
    assert all(out.schema[f"margin_{rule}"] == pl.Float64 for rule in RULE_NAMES)
    assert out.columns[:3] == ["supplier_id", "badge", "failed_mask"]


def test_a_missing_count_or_gmv_fails_its_rule():
    # account_age, min_orders and min_gmv have no null rule: no value is no pass (and no Amount).
    # A missing orders_6m also leaves the claim rate without a denominator: claims fails too.
    for overrides, rule in (({"gmv_6m_usd": None}, "min_gmv"), ({"orders_6m": None}, "min_orders;claims")):
        assert one(**overrides)[:2] == ("not_qualified", rule)
        step = WhatIfEngine(features(overrides), DEFAULT_POLICY).step(Policy(min_gmv_6m_usd=0.0))
        assert step.after["badge"].cast(pl.String).to_list() == ["not_qualified"]
