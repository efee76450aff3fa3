"""The what-if against an independent reference: tests/reference.what_if evaluates both policies supplier by
supplier from the raw scorecard counts, in exact Fractions and Decimals (PRODUCT.md, not policy/), and
policy.whatif's numpy Step, policy.diff and policy.evaluate (polars) must all give its numbers: badges,
failed rules, Amounts to the dollar, gainers and losers, totals, and the change by country and category.

Frames are seeded random raw counts that sit on every threshold (9 of 10 on time against 0.90, 7 of 10
answered against 0.70, 1 upheld claim of 20 against 0.05, a median of exactly 24 h, an account exactly
180 days old, ± 1 µs), GMVs that put multiplier × GMV on, just under and just over the floor and the cap,
and multipliers such as 0.3, 0.37 and 1.25 whose products a binary double gets wrong.
"""

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest

from policy import DEFAULT_POLICY, Policy, diff, evaluate
from policy.whatif import WhatIfEngine
from queries.scorecard import RAW_SCHEMA, derive_features
from tests import reference

AS_OF = date(2024, 7, 1)
A = datetime(2024, 7, 1)
MICRO = timedelta(microseconds=1)
HOUR_MICROS = 3_600_000_000
MULTIPLIERS = (0.3, 0.37, 1.25, 0.5, 0.29, 0.8, 0.0001, 2.5)
COUNTRIES = ("CN", "VN", "US")
CATEGORIES = ("Machinery", "Textiles", "Toys")
# (good, total) pairs on and around 0.90, 0.70, 0.05, 1 and 0.
RATE_COUNTS = ((9, 10), (8, 9), (18, 20), (10, 10), (0, 10), (7, 10), (6, 9), (12, 17), (1, 1), (0, 0), (19, 20))
CLAIM_COUNTS = ((0, 10), (1, 20), (1, 19), (1, 10), (0, 0), (3, 3), (0, 3), (2, 40))


def gmv_near(rng: random.Random, policy: Policy) -> float:
    """A GMV whose product with the policy's multiplier sits on, just under or just over the floor or the
    cap, or the min_gmv threshold, or anywhere."""
    m = Decimal(repr(policy.amount_multiplier))
    targets = [Decimal(repr(policy.amount_floor_usd)), Decimal(repr(policy.amount_cap_usd))]
    if m:
        edge = rng.choice(targets) / m
        cents = (edge * 100).to_integral_value() + rng.choice((-1, 0, 0, 1))
        near_amount = float(max(cents, 0) / 100)
    else:
        near_amount = 20_000.0
    threshold = round(policy.min_gmv_6m_usd + rng.choice((-0.01, 0.0, 0.01)), 2)
    return rng.choice((near_amount, near_amount, max(threshold, 0.0), round(rng.uniform(0, 3e6), 2), 12_500.0))


def random_raw(rng: random.Random, n: int, policy: Policy) -> list[dict]:
    """Suppliers passing every rule of `policy` with room, each count moved onto or around a threshold
    one time in four."""

    def some(value, *edges):
        return rng.choice(edges) if rng.random() < 0.25 else value

    rows = []
    for i in range(n):
        on_time, shipments = some((10, 10), *RATE_COUNTS)
        answered, inquiries = some((10, 10), *RATE_COUNTS)
        upheld, orders = some((0, 40), *CLAIM_COUNTS)
        orders = some(orders, 2, 3, policy.min_orders_6m)
        days = some(2000, 180, policy.min_account_age_days, 400)
        median = some(HOUR_MICROS, None, 24 * HOUR_MICROS, 24 * HOUR_MICROS + 1, 30 * HOUR_MICROS)
        rows.append(
            raw(
                supplier_id=1000 - 7 * i,  # not in frame order
                name=f"Supplier {i}",
                country_code=some("CN", *COUNTRIES),
                category=rng.choice(CATEGORIES),
                registered_at=A - days * timedelta(days=1) + some(timedelta(0), MICRO, -MICRO),
                ta_enrolled_at=some(datetime(2020, 1, 1), A - MICRO, A, None),
                deals_12m=orders,
                orders_6m=orders,
                gmv_6m_usd=gmv_near(rng, policy) if orders else 0.0,
                inquiries_30d=inquiries,
                answered_24h_30d=answered,
                median_response_micros=None if not inquiries else median,
                shipments_6m=shipments,
                on_time_shipments_6m=on_time,
                claims_12m=upheld,
                upheld_claims_6m=upheld,
            )
        )
    return rows


def random_policy(rng: random.Random) -> Policy:
    floor = rng.choice((0, 5_000, 10_000, 7_777.77))
    return Policy(
        open_countries=rng.choice((("CN",), ("CN", "VN"), ("*",))),
        min_account_age_days=rng.choice((0, 180, 365)),
        min_orders_6m=rng.choice((0, 3, 5)),
        min_gmv_6m_usd=rng.choice((0.0, 10_000.0, 12_345.67)),
        min_on_time_rate=rng.choice((0.9, 0.0, 1.0, 0.85)),
        max_claim_rate=rng.choice((0.05, 0.0, 1.0, 0.1)),
        min_response_rate=rng.choice((0.7, 0.0, 1.0)),
        max_median_response_hours=rng.choice((24.0, 2.0, 48.0)),
        amount_multiplier=rng.choice(MULTIPLIERS),
        amount_floor_usd=float(floor),
        amount_cap_usd=float(rng.choice((1_000_000, 250_000, 20_000.5, floor))),
    )


def features_of(rows: list[dict]) -> pl.DataFrame:
    raw = pl.DataFrame([{k: row[k] for k in RAW_SCHEMA} for row in rows], schema=RAW_SCHEMA, orient="row")
    return derive_features(raw, AS_OF)


def change_rows(frame: pl.DataFrame, by: str) -> list[tuple]:
    return [
        (r[by], r["qualified_before"], r["qualified_after"], r["change"], Decimal(repr(r["amount_change_usd"])))
        for r in frame.iter_rows(named=True)
    ]


def assert_matches(rows: list[dict], base: Policy, candidate: Policy) -> dict:
    want = reference.what_if(rows, AS_OF, base, candidate)
    features = features_of(rows)

    # policy.evaluate (polars): every supplier's badge, failed rules and Amount under the candidate.
    got = evaluate(features, candidate, margins=False)
    for row in got.iter_rows(named=True):
        badge, failed, amount = want["verdicts"][row["supplier_id"]]
        where = f"supplier {row['supplier_id']} under {candidate}"
        assert (row["badge"], row["failed_rules"]) == (badge, failed), where
        assert row["ta_amount_usd"] == float(amount), where

    # policy.diff (polars).
    d = diff(features, base, candidate)
    assert sorted(d.gained["supplier_id"].to_list()) == want["gained"]
    assert sorted(d.lost["supplier_id"].to_list()) == want["lost"]
    assert (d.qualified_before, d.qualified_after) == (want["qualified_before"], want["qualified_after"])
    assert (d.amount_before_usd, d.amount_after_usd) == (
        float(want["amount_before_usd"]),
        float(want["amount_after_usd"]),
    )

    # policy.whatif (numpy).
    step = WhatIfEngine(features, base).step(candidate)
    assert sorted(step.gained["supplier_id"].to_list()) == want["gained"]
    assert sorted(step.lost["supplier_id"].to_list()) == want["lost"]
    assert (step.qualified_before, step.qualified_after) == (want["qualified_before"], want["qualified_after"])
    assert (step.amount_before_usd, step.amount_after_usd) == (
        float(want["amount_before_usd"]),
        float(want["amount_after_usd"]),
    )
    assert change_rows(step.by_country, "country_code") == want["by_country"]
    assert change_rows(step.by_category, "category") == want["by_category"]
    after = {r["supplier_id"]: r for r in step.after.iter_rows(named=True)}
    for sid, (badge, _failed, amount) in want["verdicts"].items():
        assert (after[sid]["badge"], after[sid]["ta_amount_usd"]) == (badge, float(amount)), sid
    not_qualified = sum(1 for badge, _, _ in want["verdicts"].values() if badge == "not_qualified")
    assert step.not_qualified == not_qualified
    return want


@pytest.mark.parametrize("seed", range(12))
def test_whatif_diff_and_evaluate_equal_the_reference_on_random_frames(seed):
    rng = random.Random(seed)
    reached = {"floor": 0, "cap": 0, "qualified": 0, "gained": 0, "lost": 0}
    for _ in range(8):
        base, candidate = random_policy(rng), random_policy(rng)
        rows = random_raw(rng, 60, rng.choice((base, candidate)))
        want = assert_matches(rows, base, candidate)
        m = Decimal(repr(candidate.amount_multiplier))
        for row in rows:
            badge, _, _ = want["verdicts"][row["supplier_id"]]
            if badge == "qualified":
                reached["qualified"] += 1
                gmv = Decimal(repr(row["gmv_6m_usd"]))
                reached["floor"] += m * gmv < Decimal(repr(candidate.amount_floor_usd))
                reached["cap"] += m * gmv > Decimal(repr(candidate.amount_cap_usd))
        reached["gained"] += len(want["gained"])
        reached["lost"] += len(want["lost"])
    # The frames reach what they are for: qualified suppliers, Amounts at the floor and the cap, and
    # suppliers gaining and losing the badge.
    assert all(count > 0 for count in reached.values()), reached
    assert reached["qualified"] >= 0.3 * 8 * 60, reached


def raw(**overrides) -> dict:
    """A supplier passing every default rule (10 deals, 20,000 USD, all on time, all answered in 2 h)."""
    row = {
        "supplier_id": 1,
        "name": "Supplier",
        "country_code": "CN",
        "category": "Machinery",
        "registered_at": datetime(2020, 1, 1),
        "ta_enrolled_at": datetime(2020, 1, 1),
        "deals_12m": 10,
        "value_12m_usd": 20_000.0,
        "orders_6m": 10,
        "gmv_6m_usd": 20_000.0,
        "inquiries_30d": 10,
        "answered_24h_30d": 10,
        "median_response_micros": 2.0 * HOUR_MICROS,
        "shipments_6m": 10,
        "on_time_shipments_6m": 10,
        "claims_12m": 0,
        "upheld_claims_6m": 0,
        "refunds_12m_usd": 0.0,
        "open_exposure_usd": 0.0,
    }
    return row | overrides


def test_a_small_what_if_with_awkward_multipliers_by_hand():
    rows = [
        raw(supplier_id=1, gmv_6m_usd=4_000_000.0),  # CN Machinery
        raw(supplier_id=2, gmv_6m_usd=16_216.22, category="Toys"),  # CN Toys
        raw(supplier_id=3, gmv_6m_usd=10_000.0, orders_6m=2, country_code="VN"),  # fails min_orders (2 < 3)
        raw(supplier_id=4, gmv_6m_usd=13_513.52, country_code="VN"),
    ]
    base = DEFAULT_POLICY  # 0.5, floor 5,000, cap 1,000,000, CN only, min_orders 3
    candidate = Policy(open_countries=("CN", "VN"), amount_multiplier=0.37, min_orders_6m=2)
    # Base: 1 → min(1,000,000, 0.5 × 4,000,000) = 1,000,000; 2 → 0.5 × 16,216.22 = 8,108.11 → 8,100;
    #       3 and 4 are in VN: region_not_open. Total 1,008,100.
    # Candidate (0.37, VN open, 2 orders enough): 1 → 0.37 × 4,000,000 = 1,480,000 → the cap 1,000,000;
    #       2 → 0.37 × 16,216.22 = 6,000.0014 → 6,000; 3 → 0.37 × 10,000 = 3,700 → the floor 5,000;
    #       4 → 0.37 × 13,513.52 = 5,000.0024 → 5,000. Total 1,016,000.
    want = assert_matches(rows, base, candidate)
    assert (want["qualified_before"], want["qualified_after"]) == (2, 4)
    assert (want["amount_before_usd"], want["amount_after_usd"]) == (1_008_100, 1_016_000)
    assert (want["gained"], want["lost"]) == ([3, 4], [])
    # By country: VN before 0, after 2 (3 and 4), amount +5,000 + 5,000 = +10,000; CN 2 → 2, amount
    # (1,000,000 − 1,000,000) + (6,000 − 8,100) = −2,100. By category: Machinery (1, 3, 4) 1 → 3, +10,000;
    # Toys (2) 1 → 1, −2,100. Largest change first.
    assert want["by_country"] == [("VN", 0, 2, 2, 10_000), ("CN", 2, 2, 0, -2_100)]
    assert want["by_category"] == [("Machinery", 1, 3, 2, 10_000), ("Toys", 1, 1, 0, -2_100)]
