"""The policy engine of PRODUCT.md: badges, failed rules, margins, the Trade Assurance Amount, diffs
and validation. Features are built from raw counts with `derive_features`, exactly as the warehouse
returns them; every expected value is worked out by hand in the test.
"""

import json
import math
from datetime import date, datetime, timedelta

import polars as pl
import pytest

from policy import DEFAULT_POLICY, Policy, PolicyError, diff, evaluate
from queries.scorecard import RAW_SCHEMA, derive_features

AS_OF = date(2024, 7, 1)
A = datetime(2024, 7, 1)
SEC = timedelta(seconds=1)
HOUR_MICROS = 3_600_000_000
PRODUCT_KEYS = (
    "open_countries",
    "min_account_age_days",
    "min_orders_6m",
    "min_gmv_6m_usd",
    "min_on_time_rate",
    "max_claim_rate",
    "min_response_rate",
    "max_median_response_hours",
    "amount_multiplier",
    "amount_floor_usd",
    "amount_cap_usd",
)
ALL_RULES = "account_age;min_orders;min_gmv;on_time;claims;response_rate;response_time"

# A supplier that passes every default rule with room to spare.
PASSING = {
    "name": "Supplier",
    "country_code": "CN",
    "category": "Machinery",
    "registered_at": datetime(2020, 1, 1),
    "ta_enrolled_at": datetime(2020, 1, 1),
    "deals_12m": 10,
    "value_12m_usd": 20_000.0,
    "orders_6m": 10,  # ≥ 3
    "gmv_6m_usd": 20_000.0,  # ≥ 10,000
    "inquiries_30d": 10,
    "answered_24h_30d": 10,  # 10 / 10 = 1.0 ≥ 0.70
    "median_response_micros": 2.0 * HOUR_MICROS,  # 2 h ≤ 24 h
    "shipments_6m": 10,
    "on_time_shipments_6m": 10,  # 10 / 10 = 1.0 ≥ 0.90
    "claims_12m": 0,
    "upheld_claims_6m": 0,  # 0 / 10 = 0 ≤ 0.05
    "refunds_12m_usd": 0.0,
    "open_exposure_usd": 0.0,
}


def features(*suppliers: dict) -> pl.DataFrame:
    """Features of suppliers 1, 2, … each PASSING with the given overrides."""
    rows = [{**PASSING, "supplier_id": i, **overrides} for i, overrides in enumerate(suppliers, start=1)]
    raw = pl.DataFrame([{k: row[k] for k in RAW_SCHEMA} for row in rows], schema=RAW_SCHEMA, orient="row")
    return derive_features(raw, AS_OF)


def verdicts(policy=DEFAULT_POLICY, *suppliers: dict) -> list[tuple[str, str, float]]:
    """(badge, failed_rules, ta_amount_usd) per supplier."""
    out = evaluate(features(*suppliers), policy)
    return [(row["badge"], row["failed_rules"], row["ta_amount_usd"]) for row in out.iter_rows(named=True)]


def one(policy=DEFAULT_POLICY, **overrides) -> tuple[str, str, float]:
    (verdict,) = verdicts(policy, overrides)
    return verdict


# --- badges ---


def test_passing_supplier_is_qualified_with_half_its_gmv():
    # 0.5 × 20,000 = 10,000
    assert one() == ("qualified", "", 10_000.0)


@pytest.mark.parametrize("enrolled_at", [None, A, A + timedelta(days=3)])
def test_not_enrolled_when_never_or_not_before_as_of(enrolled_at):
    assert one(ta_enrolled_at=enrolled_at) == ("not_enrolled", "", 0.0)


def test_enrolled_a_second_before_as_of_counts():
    assert one(ta_enrolled_at=A - SEC)[0] == "qualified"


def test_not_enrolled_comes_before_region_and_rules():
    assert one(ta_enrolled_at=None, country_code="VN", orders_6m=0, gmv_6m_usd=0.0) == ("not_enrolled", "", 0.0)


def test_region_not_open_comes_before_rules():
    assert one(country_code="VN") == ("region_not_open", "", 0.0)
    assert one(country_code="VN", orders_6m=0) == ("region_not_open", "", 0.0)


def test_open_countries_list_and_star():
    vn_only = Policy(open_countries=("VN",))
    assert one(vn_only, country_code="VN")[0] == "qualified"
    assert one(vn_only, country_code="CN")[0] == "region_not_open"
    everywhere = Policy.from_mapping({"open_countries": ["*"]})
    assert [v[0] for v in verdicts(everywhere, {"country_code": "US"}, {"country_code": "IN"})] == [
        "qualified",
        "qualified",
    ]
    closed = Policy.from_mapping({"open_countries": []})
    assert one(closed)[0] == "region_not_open"


# --- each rule failing alone, and at its threshold ---

FAILING_ALONE = [
    ("account_age", {"registered_at": A - timedelta(days=179)}),  # 179 days < 180
    ("min_orders", {"orders_6m": 2}),  # 2 < 3 (claim rate 0 / 2 = 0 still passes)
    ("min_gmv", {"gmv_6m_usd": 9_999.99}),  # < 10,000
    ("on_time", {"on_time_shipments_6m": 8}),  # 8 / 10 = 0.8 < 0.9
    ("claims", {"upheld_claims_6m": 1}),  # 1 / 10 = 0.1 > 0.05
    ("response_rate", {"answered_24h_30d": 6}),  # 6 / 10 = 0.6 < 0.7
    ("response_time", {"median_response_micros": 24.0 * HOUR_MICROS + 1_000_000}),  # 24 h + 1 s > 24 h
]


@pytest.mark.parametrize(("rule", "overrides"), FAILING_ALONE, ids=[r for r, _ in FAILING_ALONE])
def test_each_rule_failing_alone_is_named(rule, overrides):
    assert one(**overrides) == ("not_qualified", rule, 0.0)


AT_THRESHOLD = [
    ("account_age", {"registered_at": datetime(2024, 1, 3)}),  # Jan 3 → Jul 1: 29+29+31+30+31+30 = 180 days
    ("min_orders", {"orders_6m": 3, "gmv_6m_usd": 10_000.0}),
    ("min_gmv", {"gmv_6m_usd": 10_000.00}),
    ("on_time", {"on_time_shipments_6m": 9}),  # 9 / 10 = 0.9
    ("claims", {"orders_6m": 20, "upheld_claims_6m": 1}),  # 1 / 20 = 0.05
    ("response_rate", {"answered_24h_30d": 7}),  # 7 / 10 = 0.7
    ("response_time", {"median_response_micros": 24.0 * HOUR_MICROS}),  # exactly 24 h
]


@pytest.mark.parametrize(("rule", "overrides"), AT_THRESHOLD, ids=[r for r, _ in AT_THRESHOLD])
def test_each_rule_passes_exactly_at_its_threshold(rule, overrides):
    assert one(**overrides)[:2] == ("qualified", "")


def test_account_age_is_elapsed_time_to_the_second():
    assert one(registered_at=A - 180 * timedelta(hours=24))[0] == "qualified"
    assert one(registered_at=A - 180 * timedelta(hours=24) + SEC) == ("not_qualified", "account_age", 0.0)
    # A zero minimum still needs the account to exist at A.
    zero = Policy(min_account_age_days=0)
    assert one(zero, registered_at=A)[0] == "qualified"
    assert one(zero, registered_at=A + SEC)[1] == "account_age"


def test_failed_rules_are_in_product_order():
    everything = {
        "registered_at": A - SEC,
        "orders_6m": 1,
        "gmv_6m_usd": 1.0,
        "on_time_shipments_6m": 0,
        "upheld_claims_6m": 1,  # 1 / 1 = 1.0
        "answered_24h_30d": 0,
        "median_response_micros": 48.0 * HOUR_MICROS,
    }
    assert one(**everything) == ("not_qualified", ALL_RULES, 0.0)
    assert one(median_response_micros=30.0 * HOUR_MICROS, on_time_shipments_6m=0, gmv_6m_usd=1.0)[1] == (
        "min_gmv;on_time;response_time"
    )


# --- null values ---


def test_null_on_time_rate_fails():
    # No covered order due in W182 → no on-time rate.
    assert one(shipments_6m=0, on_time_shipments_6m=0) == ("not_qualified", "on_time", 0.0)


def test_null_claim_rate_fails():
    # No order in W182 → no claim rate; a policy without order and GMV minimums isolates the claims rule.
    lenient = Policy(min_orders_6m=0, min_gmv_6m_usd=0.0)
    assert one(lenient, orders_6m=0, gmv_6m_usd=0.0) == ("not_qualified", "claims", 0.0)


def test_null_response_rate_and_time_pass():
    # No inquiries in W30: nothing to answer.
    assert one(inquiries_30d=0, answered_24h_30d=0, median_response_micros=None) == ("qualified", "", 10_000.0)


def test_null_response_time_passes_on_its_own():
    # Inquiries but no reply before A: rate 0 / 4 = 0 (passes a 0 minimum), median null (passes).
    any_rate = Policy(min_response_rate=0.0)
    assert one(any_rate, inquiries_30d=4, answered_24h_30d=0, median_response_micros=None)[0] == "qualified"
    assert one(inquiries_30d=4, answered_24h_30d=0, median_response_micros=None)[1] == "response_rate"


# --- margins ---


def test_margins_in_each_rules_unit():
    out = evaluate(
        features(
            {
                "registered_at": A - timedelta(days=200, hours=12),  # 200.5 days − 180 = 20.5 days
                "orders_6m": 8,  # 8 − 3 = 5 orders
                "gmv_6m_usd": 12_345.67,  # 12,345.67 − 10,000 = 2,345.67 USD
                "on_time_shipments_6m": 8,  # 8 / 10 − 0.9 = −0.1
                "upheld_claims_6m": 2,  # 0.05 − 2 / 8 = −0.2
                "answered_24h_30d": 9,  # 9 / 10 − 0.7 = 0.2
                "median_response_micros": 30.5 * HOUR_MICROS,  # 24 − 30.5 = −6.5 hours
            },
            {"shipments_6m": 0, "inquiries_30d": 0, "answered_24h_30d": 0, "median_response_micros": None},
        ),
        DEFAULT_POLICY,
    ).rows(named=True)
    first, second = out
    assert first["margin_account_age"] == pytest.approx(20.5, abs=1e-9)
    assert first["margin_min_orders"] == 5
    assert first["margin_min_gmv"] == pytest.approx(2_345.67, abs=1e-9)
    assert first["margin_on_time"] == pytest.approx(-0.1, abs=1e-12)
    assert first["margin_claims"] == pytest.approx(-0.2, abs=1e-12)
    assert first["margin_response_rate"] == pytest.approx(0.2, abs=1e-12)
    assert first["margin_response_time"] == pytest.approx(-6.5, abs=1e-12)
    assert first["failed_rules"] == "on_time;claims;response_time"
    # No value, no margin.
    assert (second["margin_on_time"], second["margin_response_rate"], second["margin_response_time"]) == (
        None,
        None,
        None,
    )


# --- the Trade Assurance Amount ---

AMOUNTS = [
    # multiplier, floor, cap, gmv_6m_usd, amount — min(cap, max(floor, m × gmv)) rounded down to 100 USD
    (0.8, 5_000.0, 1_000_000.0, 12_500.00, 10_000.0),  # 0.8 × 12,500 = 10,000 exactly (not 9,900)
    (0.5, 5_000.0, 1_000_000.0, 10_199.99, 5_000.0),  # 5,099.995 → 5,000
    (0.5, 5_000.0, 1_000_000.0, 20_199.98, 10_000.0),  # 10,099.99 → 10,000
    (0.5, 5_000.0, 1_000_000.0, 8_000.00, 5_000.0),  # 4,000 < floor 5,000
    (0.5, 5_050.50, 1_000_000.0, 10_000.00, 5_000.0),  # floor 5,050.50 → 5,000
    (0.5, 5_000.0, 1_000_000.0, 3_000_000.00, 1_000_000.0),  # 1,500,000 > cap
    (0.5, 5_000.0, 1_000_050.0, 3_000_000.00, 1_000_000.0),  # cap 1,000,050 → 1,000,000
    (0.29, 0.0, 1_000_000.0, 10_000.00, 2_900.0),  # 2,900 exactly (binary 0.29 × 10,000 < 2,900)
    (0.57, 0.0, 1_000_000.0, 10_000.00, 5_700.0),  # 5,700 exactly (binary 0.57 × 10,000 < 5,700)
    (0.7, 0.0, 1_000_000.0, 14_285.71, 9_900.0),  # 9,999.997 → 9,900
    (1.1, 0.0, 1_000_000.0, 10_000.00, 11_000.0),
    (0.0001, 0.0, 1_000_000.0, 999_999.99, 0.0),  # 99.999999 → 0
    (0.0, 0.0, 1_000_000.0, 10_000.00, 0.0),
    (0.5, 0.0, 0.0, 10_000.00, 0.0),  # a zero cap
]


@pytest.mark.parametrize(("multiplier", "floor", "cap", "gmv", "amount"), AMOUNTS)
def test_trade_assurance_amount(multiplier, floor, cap, gmv, amount):
    policy = Policy(min_gmv_6m_usd=0.0, amount_multiplier=multiplier, amount_floor_usd=floor, amount_cap_usd=cap)
    assert one(policy, gmv_6m_usd=gmv) == ("qualified", "", amount)


# --- diff ---


def test_diff_gained_lost_and_amount_change():
    frame = features(
        {"gmv_6m_usd": 20_000.00},  # qualified under both
        {"gmv_6m_usd": 9_000.00},  # fails min_gmv 10,000; passes 8,000 → gained
        {"orders_6m": 3, "gmv_6m_usd": 12_000.00},  # passes 3 orders; fails 4 → lost
        {"country_code": "VN"},  # region_not_open under both
    )
    after = Policy(min_gmv_6m_usd=8_000.0, min_orders_6m=4, amount_multiplier=0.6)
    d = diff(frame, DEFAULT_POLICY, after)
    assert d.gained["supplier_id"].to_list() == [2]
    assert d.lost["supplier_id"].to_list() == [3]
    assert (d.qualified_before, d.qualified_after, d.qualified_change) == (2, 2, 0)
    # Before: 0.5 × 20,000 + 0.5 × 12,000 = 10,000 + 6,000 = 16,000.
    # After: 0.6 × 20,000 + 0.6 × 9,000 = 12,000 + 5,400 = 17,400 → change +1,400.
    assert d.amount_before_usd == 16_000.0
    assert d.amount_after_usd == 17_400.0
    assert d.amount_change_usd == 1_400.0
    assert d.before["badge"].cast(pl.String).to_list() == ["qualified", "not_qualified", "qualified", "region_not_open"]
    assert d.after["ta_amount_usd"].to_list() == [12_000.0, 5_400.0, 0.0, 0.0]


def test_diff_of_a_policy_with_itself_changes_nothing():
    d = diff(features({}, {"orders_6m": 0}), DEFAULT_POLICY, DEFAULT_POLICY)
    assert (d.gained.height, d.lost.height, d.qualified_change, d.amount_change_usd) == (0, 0, 0, 0.0)


# --- validation ---

INVALID = [
    ({"colour": 1}, "colour"),
    ({"min_orders_6m": "3"}, "min_orders_6m"),
    ({"min_orders_6m": True}, "min_orders_6m"),
    ({"min_gmv_6m_usd": None}, "min_gmv_6m_usd"),
    ({"min_on_time_rate": [0.9]}, "min_on_time_rate"),
    ({"max_claim_rate": {"value": 0.1}}, "max_claim_rate"),
    ({"max_claim_rate": math.nan}, "max_claim_rate"),
    ({"max_median_response_hours": math.inf}, "max_median_response_hours"),
    ({"amount_multiplier": -math.inf}, "amount_multiplier"),
    ({"min_account_age_days": math.nan}, "min_account_age_days"),
    ({"min_on_time_rate": 1.01}, "min_on_time_rate"),
    ({"min_response_rate": -0.01}, "min_response_rate"),
    ({"max_claim_rate": 2}, "max_claim_rate"),
    ({"min_gmv_6m_usd": -1}, "min_gmv_6m_usd"),
    ({"amount_floor_usd": -0.01}, "amount_floor_usd"),
    ({"amount_cap_usd": -5}, "amount_cap_usd"),
    ({"max_median_response_hours": -1}, "max_median_response_hours"),
    ({"amount_multiplier": -0.5}, "amount_multiplier"),
    ({"min_account_age_days": -1}, "min_account_age_days"),
    ({"min_orders_6m": 2.5}, "min_orders_6m"),
    ({"min_account_age_days": 1.5}, "min_account_age_days"),
    ({"open_countries": ["cn"]}, "open_countries"),
    ({"open_countries": ["CHN"]}, "open_countries"),
    ({"open_countries": "CN"}, "open_countries"),
    ({"open_countries": [86]}, "open_countries"),
    ({"min_gmv_6m_usd": 10**400}, "min_gmv_6m_usd"),  # a whole number too large for a double
]


@pytest.mark.parametrize(("values", "key"), INVALID, ids=[f"{k}-{v!r}"[:60] for v, k in INVALID])
def test_invalid_policy_names_the_key(values, key):
    with pytest.raises(PolicyError) as caught:
        Policy.from_mapping(values)
    assert caught.value.key == key
    assert str(caught.value).startswith(f"{key}: ")


@pytest.mark.parametrize("values", [{"amount_floor_usd": 2_000, "amount_cap_usd": 1_000}, {"amount_cap_usd": 4_000}])
def test_floor_above_cap_is_an_error(values):
    # The default floor is 5,000, so a cap of 4,000 alone is below it.
    with pytest.raises(PolicyError, match="floor") as caught:
        Policy.from_mapping(values)
    assert caught.value.key in ("amount_floor_usd", "amount_cap_usd")


@pytest.mark.parametrize(
    ("text", "key"),
    [('{"max_claim_rate": NaN}', "max_claim_rate"), ('{"min_on_time_rate": Infinity}', "min_on_time_rate")],
)
def test_nan_and_infinity_in_json_are_errors(text, key):
    with pytest.raises(PolicyError) as caught:
        Policy.from_json(text)
    assert caught.value.key == key


def test_a_number_with_too_many_digits_is_an_error():
    with pytest.raises(PolicyError, match="not valid JSON"):
        Policy.from_json('{"min_gmv_6m_usd": 1' + "0" * 5000 + "}")


def test_policy_must_be_a_json_object():
    with pytest.raises(PolicyError, match="object"):
        Policy.from_json("[1, 2]")


def test_keys_left_out_keep_their_defaults():
    policy = Policy.from_mapping({"min_orders_6m": 5, "open_countries": ["VN", "CN"]})
    assert policy.min_orders_6m == 5
    assert set(policy.open_countries) == {"CN", "VN"}
    assert policy.to_dict() | {"min_orders_6m": 3, "open_countries": ["CN"]} == DEFAULT_POLICY.to_dict()
    # The keys of PRODUCT.md and their defaults (later extensions may add more keys).
    assert {k: v for k, v in DEFAULT_POLICY.to_dict().items() if k in PRODUCT_KEYS} == {
        "open_countries": ["CN"],
        "min_account_age_days": 180,
        "min_orders_6m": 3,
        "min_gmv_6m_usd": 10_000,
        "min_on_time_rate": 0.90,
        "max_claim_rate": 0.05,
        "min_response_rate": 0.70,
        "max_median_response_hours": 24,
        "amount_multiplier": 0.5,
        "amount_floor_usd": 5_000,
        "amount_cap_usd": 1_000_000,
    }


def test_from_file_reads_a_policy(tmp_path):
    path = tmp_path / "tuned.json"
    path.write_text(json.dumps({"max_claim_rate": 0.1, "open_countries": ["*"]}))
    policy = Policy.from_file(path)
    assert (policy.max_claim_rate, policy.open_countries, policy.min_orders_6m) == (0.1, ("*",), 3)


def test_from_file_with_invalid_json_names_the_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{min_orders_6m: 3}")
    with pytest.raises(PolicyError, match="not valid JSON") as caught:
        Policy.from_file(path)
    assert caught.value.key == str(path)


def test_from_file_that_does_not_exist_names_the_file(tmp_path):
    path = tmp_path / "missing.json"
    with pytest.raises(PolicyError, match="cannot read") as caught:
        Policy.from_file(path)
    assert caught.value.key == str(path)
