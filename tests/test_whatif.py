"""policy.whatif against the reference API: every number and frame of a Step equals policy.diff /
policy.evaluate (and ui.lab's change_by and rule_blockers over them), on seeded random frames and
policies that sit on threshold edges, with nulls, NaN, null countries and categories, '*' and no open
country, awkward Amount terms, and caches small enough to be evicted mid-run.
"""

import random

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from policy import DEFAULT_POLICY, Policy, diff, evaluate
from policy.whatif import WhatIf
from ui import lab

COUNTRIES = ("CN", "VN", "IN", "US", None)
CATEGORIES = ("Toys", "Home", "Apparel", None)
# Values every rule's threshold is also drawn from, so suppliers sit exactly on a threshold.
RATES = (0.0, 0.05, 0.1, 0.3333, 0.7, 0.85, 0.9, 0.95, 1.0)
HOURS = (0.0, 1.5, 12.0, 24.0, 24.5, 48.0, 168.0)
DAYS = (0.0, 30.0, 179.0, 179.999, 180.0, 365.0, 730.0)
GMV = (0.0, 0.01, 99.99, 4_999.99, 10_000.0, 12_500.0, 20_000.0, 1_234_567.89, 3e9)


def random_features(rng: random.Random, n: int) -> pl.DataFrame:
    def pick(values, nulls=0.0, nan=0.0):
        out = []
        for _ in range(n):
            roll = rng.random()
            out.append(None if roll < nulls else float("nan") if roll < nulls + nan else rng.choice(values))
        return out

    return pl.DataFrame(
        {
            "supplier_id": rng.sample(range(1, 10 * n + 2), n),  # unique, not in frame order
            "name": [f"s{i}" for i in range(n)],
            "country_code": [rng.choice(COUNTRIES) for _ in range(n)],
            "category": [rng.choice(CATEGORIES) for _ in range(n)],
            "enrolled": [rng.random() < 0.8 for _ in range(n)],
            "account_age_days": pick(DAYS),
            "orders_6m": [rng.choice((0, 1, 2, 3, 4, 10)) for _ in range(n)],
            "gmv_6m_usd": pick(GMV),
            "on_time_rate_6m": pick(RATES, nulls=0.15, nan=0.03),
            "claim_rate_6m": pick(RATES + (1.5,), nulls=0.15, nan=0.03),
            "response_rate_30d": pick(RATES, nulls=0.2, nan=0.03),
            "median_response_hours_30d": pick(HOURS, nulls=0.2, nan=0.03),
        },
        schema_overrides={
            "supplier_id": pl.Int64,
            "name": pl.String,
            "enrolled": pl.Boolean,
            "orders_6m": pl.Int64,
            "country_code": pl.String,
            "category": pl.String,
            "account_age_days": pl.Float64,
            "gmv_6m_usd": pl.Float64,
            "on_time_rate_6m": pl.Float64,
            "claim_rate_6m": pl.Float64,
            "response_rate_30d": pl.Float64,
            "median_response_hours_30d": pl.Float64,
        },
    )


def random_policy(rng: random.Random) -> Policy:
    floor, cap = sorted(rng.choice((0.0, 100.0, 5_000.0, 5_000.01, 12_345.67, 1_000_000.0, 1e12)) for _ in range(2))
    opened = rng.choice((("CN",), ("*",), (), ("CN", "VN"), ("US", "IN", "VN"), ("*", "CN")))
    return Policy.from_mapping(
        {
            "open_countries": list(opened),
            "min_account_age_days": rng.choice((0, 179, 180, 365)),
            "min_orders_6m": rng.choice((0, 1, 3, 4)),
            "min_gmv_6m_usd": rng.choice(GMV[:-1]),
            "min_on_time_rate": rng.choice(RATES),
            "max_claim_rate": rng.choice(RATES),
            "min_response_rate": rng.choice(RATES),
            "max_median_response_hours": rng.choice(HOURS),
            "amount_multiplier": rng.choice((0.0, 0.5, 0.8, 0.3333, 1.0, 1.5, 0.0001, 100.0)),
            "amount_floor_usd": floor,
            "amount_cap_usd": cap,
        }
    )


def reference_changes(features: pl.DataFrame, d) -> pl.DataFrame:
    """ui.lab's per-row input to change_by, from the reference diff: suppliers qualified either way."""
    was, now = d.before["badge"] == "qualified", d.after["badge"] == "qualified"
    return (
        features.select("country_code", "category")
        .with_columns(
            was.alias("before"),
            now.alias("after"),
            (d.after["ta_amount_usd"] - d.before["ta_amount_usd"]).alias("amount_change_usd"),
        )
        .filter(was | now)
    )


def assert_step_matches(features: pl.DataFrame, engine: WhatIf, base: Policy, candidate: Policy) -> None:
    step = engine.step(candidate)
    d = diff(features, base, candidate)
    assert (step.qualified_before, step.qualified_after) == (d.qualified_before, d.qualified_after)
    assert (step.amount_before_usd, step.amount_after_usd) == (d.amount_before_usd, d.amount_after_usd)
    assert (step.qualified_change, step.amount_change_usd) == (d.qualified_change, d.amount_change_usd)
    assert_frame_equal(step.gained, d.gained)
    assert_frame_equal(step.lost, d.lost)
    assert_frame_equal(step.before, d.before)
    assert_frame_equal(step.after, d.after)
    evaluated = evaluate(features, candidate, margins=False)
    assert_frame_equal(step.after, evaluated.select("supplier_id", "badge", "failed_mask", "ta_amount_usd"))
    changes = reference_changes(features, d)
    assert_frame_equal(step.by_country, lab.change_by(changes, "country_code"))
    assert_frame_equal(step.by_category, lab.change_by(changes, "category"))
    blockers = {m: int(step.failed_counts[m]) for m in range(len(step.failed_counts))}
    assert_frame_equal(lab.blockers_from_counts(blockers), lab.rule_blockers(d.after["failed_mask"]))
    assert step.not_qualified == int((d.after["badge"] == "not_qualified").sum())
    for which in ("gained", "lost"):
        assert_frame_equal(lab.supplier_changes(features, step, which), lab.supplier_changes(features, d, which))


@pytest.mark.parametrize("seed", range(12))
def test_steps_equal_diff_and_evaluate_on_random_frames(seed):
    rng = random.Random(42 + seed)
    features = random_features(rng, rng.choice((1, 2, 7, 60, 301)))
    base = rng.choice((DEFAULT_POLICY, random_policy(rng)))
    engine = WhatIf(features, base, cached_rules=8)  # small: entries are evicted between steps
    assert_step_matches(features, engine, base, base)
    for _ in range(8):
        assert_step_matches(features, engine, base, random_policy(rng))
    assert_step_matches(features, engine, base, base)  # the baseline still answers after evictions


@pytest.mark.parametrize("seed", range(6))
def test_slider_moves_from_the_baseline(seed):
    # What a policy owner does: one threshold at a time, back and forth, from the current policy.
    rng = random.Random(7 + seed)
    features = random_features(rng, 500)
    engine = WhatIf(features, DEFAULT_POLICY)
    candidate = DEFAULT_POLICY
    for _ in range(15):
        field, values = rng.choice(
            (
                ("min_on_time_rate", RATES),
                ("max_claim_rate", RATES),
                ("min_response_rate", RATES),
                ("max_median_response_hours", HOURS),
                ("min_gmv_6m_usd", GMV[:-1]),
                ("min_orders_6m", (0, 2, 3, 4)),
                ("amount_multiplier", (0.5, 0.8, 0.05)),
            )
        )
        candidate = Policy.from_mapping({field: rng.choice(values)}, base=candidate)
        assert_step_matches(features, engine, DEFAULT_POLICY, candidate)


def test_an_empty_frame():
    features = random_features(random.Random(1), 0)
    engine = WhatIf(features, DEFAULT_POLICY)
    assert_step_matches(features, engine, DEFAULT_POLICY, Policy(open_countries=("*",)))


def test_a_small_what_if_by_hand():
    # 1 passes everything; 2 has on-time exactly 0.9 (passes) and a null response rate (passes);
    # 3 is in VN; 4 is not enrolled. Candidate: on-time ≥ 0.95 and VN opened.
    features = pl.DataFrame(
        {
            "supplier_id": [1, 2, 3, 4],
            "name": ["a", "b", "c", "d"],
            "country_code": ["CN", "CN", "VN", "CN"],
            "category": ["Toys", "Home", "Toys", "Toys"],
            "enrolled": [True, True, True, False],
            "account_age_days": [400.0] * 4,
            "orders_6m": [5] * 4,
            "gmv_6m_usd": [20_000.0, 12_500.0, 9_000.0 * 2, 50_000.0],
            "on_time_rate_6m": [1.0, 0.9, 0.97, 1.0],
            "claim_rate_6m": [0.0] * 4,
            "response_rate_30d": [0.8, None, 0.9, 0.9],
            "median_response_hours_30d": [2.0, None, 3.0, 1.0],
        }
    )
    step = WhatIf(features, DEFAULT_POLICY).step(Policy(min_on_time_rate=0.95, open_countries=("CN", "VN")))
    assert (step.qualified_before, step.qualified_after) == (2, 2)  # {1, 2} → {1, 3}
    assert step.gained["supplier_id"].to_list() == [3] and step.lost["supplier_id"].to_list() == [2]
    # Before: 0.5 × 20,000 + 0.5 × 12,500 (6,250 rounded down to whole 100 USD) = 10,000 + 6,200;
    # after: 10,000 + 0.5 × 18,000 = 19,000.
    assert (step.amount_before_usd, step.amount_after_usd) == (16_200.0, 19_000.0)
    assert step.by_country.rows() == [("CN", 2, 1, -1, -6_200.0), ("VN", 0, 1, 1, 9_000.0)]  # |change| ties: by name
    assert step.by_category.rows() == [("Home", 1, 0, -1, -6_200.0), ("Toys", 1, 2, 1, 9_000.0)]
    assert step.not_qualified == 1 and step.failed_counts[1 << 3] == 1  # 2 fails on_time alone
