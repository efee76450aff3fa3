"""Cases of PRODUCT.md's policy that mutation testing found untested (docs/mutation.md), one each.

The Trade Assurance Amount of suppliers whose GMV is missing, and what a refused policy
value says: "An unknown key, a value of the wrong type or out of range is an error that names it", and the
message says what was expected and what was found, in the words a policy owner reads. Expected values
and messages are written out by hand.
"""

import polars as pl
import pytest

from policy import Policy, PolicyError, evaluate
from tests.test_policy import features

# ------------------------------------------------------------------------------------------------- the badge


def test_a_supplier_without_a_gmv_gets_an_amount_of_0():
    # "Every other supplier gets 0": a supplier with no gmv_6m_usd fails min_gmv (no value is no pass),
    # and is given 0, never an empty Amount, whatever its badge would otherwise be.
    frame = features(
        {"gmv_6m_usd": None},
        {"gmv_6m_usd": None, "country_code": "VN"},
        {"gmv_6m_usd": None, "ta_enrolled_at": None},
        {},
    )
    out = evaluate(frame, Policy(min_gmv_6m_usd=0.0))
    assert out["badge"].cast(pl.String).to_list() == ["not_qualified", "region_not_open", "not_enrolled", "qualified"]
    assert out["failed_rules"].to_list() == ["min_gmv", "", "", ""]
    assert out["ta_amount_usd"].to_list() == [0.0, 0.0, 0.0, 10_000.0]


# ------------------------------------------------------------------------------- a refused value, in words


def refusal(build) -> str:
    """The message of the PolicyError that `build()` raises, checked to start with its key."""
    with pytest.raises(PolicyError) as info:
        build()
    assert str(info.value).startswith(f"{info.value.key}: ")
    return str(info.value)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        # open_countries: a list of two capital letters, or "*".
        ({"open_countries": "CN"}, "open_countries: expected a list of country codes, got a string"),
        ({"open_countries": None}, "open_countries: expected a list of country codes, got null"),
        (
            {"open_countries": ["CN", "cn"]},
            "open_countries: expected two capital letters (ISO 3166-1 alpha-2) or '*', got 'cn'",
        ),
        # A number of the wrong kind.
        ({"min_gmv_6m_usd": "10000"}, "min_gmv_6m_usd: expected a number, got a string"),
        ({"min_orders_6m": 2.5}, "min_orders_6m: expected a whole number, got 2.5"),
        ({"min_account_age_days": -1}, "min_account_age_days: expected a whole number from 0 to 36,500, got -1"),
        ({"grace_assessments": 25}, "grace_assessments: expected a whole number from 0 to 24, got 25"),
        (
            {"min_gmv_6m_usd": 10**400},
            "min_gmv_6m_usd: expected a finite number, got a whole number too large for it",
        ),
        # Out of range, each kind of value with its own words.
        ({"min_on_time_rate": 1.01}, "min_on_time_rate: expected a rate between 0 and 1, got 1.01"),
        ({"max_claim_rate": -0.01}, "max_claim_rate: expected a rate between 0 and 1, got -0.01"),
        (
            {"amount_cap_usd": 1e12 + 0.01},
            "amount_cap_usd: expected an amount from 0 to 1,000,000,000,000 USD, got 1000000000000.01",
        ),
        ({"min_gmv_6m_usd": -0.01}, "min_gmv_6m_usd: expected an amount from 0 to 1,000,000,000,000 USD, got -0.01"),
        ({"min_gmv_6m_usd": 0.001}, "min_gmv_6m_usd: expected whole cents (at most two decimals), got 0.001"),
        (
            {"max_median_response_hours": -0.5},
            "max_median_response_hours: expected hours from 0 to 1,000,000, got -0.5",
        ),
        ({"amount_multiplier": 100.0001}, "amount_multiplier: expected a multiplier from 0 to 100, got 100.0001"),
        ({"amount_multiplier": 0.12345}, "amount_multiplier: expected at most four decimals, got 0.12345"),
        (
            {"amount_floor_usd": 8_000.01, "amount_cap_usd": 8_000.0},
            "amount_floor_usd: the floor (8,000.01) must not exceed the cap (8,000.00)",
        ),
    ],
    ids=lambda v: str(v)[:50],
)
def test_a_refused_policy_value_says_what_was_expected_and_what_was_found(values, message):
    assert refusal(lambda: Policy.from_mapping(values)) == message


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("max_claim_rate", float("inf")),
        ("min_response_rate", float("nan")),
        ("min_gmv_6m_usd", float("inf")),
        ("amount_floor_usd", float("-inf")),
        ("max_median_response_hours", float("inf")),
        ("amount_multiplier", float("nan")),
        ("max_claim_rate", True),
        ("min_gmv_6m_usd", "10000"),
    ],
)
def test_an_infinite_or_non_numeric_threshold_is_not_a_finite_number(key, value):
    # Not "out of range": the value is no number a threshold can hold.
    assert refusal(lambda: Policy(**{key: value})) == f"{key}: expected a finite number, got {value!r}"


def test_a_policy_built_directly_is_checked_like_one_read_from_a_file():
    assert refusal(lambda: Policy(open_countries=["CN"])) == "open_countries: expected a tuple of country codes"
    assert (
        refusal(lambda: Policy(open_countries=("CN", "cn")))
        == "open_countries: expected two capital letters or '*', got 'cn'"
    )
    assert refusal(lambda: Policy(min_orders_6m=3.0)) == "min_orders_6m: expected a whole number, got 3.0"
    assert refusal(lambda: Policy(min_orders_6m=True)) == "min_orders_6m: expected a whole number, got True"
    assert (
        refusal(lambda: Policy(min_orders_6m=1_000_000_001))
        == "min_orders_6m: expected a whole number from 0 to 1,000,000,000, got 1,000,000,001"
    )
