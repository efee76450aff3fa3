"""policy.whatif against the reference API: every number and frame of a Step equals policy.diff /
policy.evaluate (and ui.lab's change_by and rule_blockers over them), on seeded random frames and
policies that sit on threshold edges, with nulls, NaN, null countries and categories, '*' and no open
country, awkward Amount terms, and caches small enough to be evicted mid-run.
"""

import random
from decimal import Decimal
from fractions import Fraction

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from policy import DEFAULT_POLICY, Policy, diff, evaluate
from policy.derived import with_derived
from policy.whatif import WhatIfEngine
from ui import lab

COUNTRIES = ("CN", "VN", "IN", "US", None)
CATEGORIES = ("Toys", "Home", "Apparel", None)
# Values every rule's threshold is also drawn from, so suppliers sit exactly on a threshold.
RATES = (0.0, 0.05, 0.1, 0.3333, 0.7, 0.85, 0.9, 0.95, 1.0)
HOURS = (0.0, 1.5, 12.0, 24.0, 24.5, 48.0, 168.0)
DAYS = (0.0, 30.0, 179.0, 179.999, 180.0, 365.0, 730.0)
GMV = (0.0, 0.01, 99.99, 4_999.99, 10_000.0, 12_500.0, 20_000.0, 1_234_567.89, 3e9)
# Open exposure and refunds: 0, cents, on and around typical Amounts (5,000; 10,000) and far above the cap.
MONEY = (0.0, 0.01, 250.5, 4_999.99, 5_000.0, 9_999.99, 10_000.0, 10_000.01, 73_001.37, 2_500_000.0)


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
            "open_exposure_usd": pick(MONEY),
            "refunds_12m_usd": pick(MONEY),
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
            "open_exposure_usd": pl.Float64,
            "refunds_12m_usd": pl.Float64,
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
    money = features.select("open_exposure_usd", "refunds_12m_usd")
    before, after = (with_derived(side.hstack(money)).fill_null(0.0) for side in (d.before, d.after))
    return (
        features.select("country_code", "category")
        .with_columns(
            was.alias("before"),
            now.alias("after"),
            (d.after["ta_amount_usd"] - d.before["ta_amount_usd"]).alias("amount_change_usd"),
            (after["covered_exposure_usd"] - before["covered_exposure_usd"]).alias("covered_exposure_change_usd"),
            (after["expected_refunds_6m_usd"] - before["expected_refunds_6m_usd"]).alias("expected_refunds_change_usd"),
        )
        .filter(was | now)
    )


def assert_step_matches(features: pl.DataFrame, engine: WhatIfEngine, base: Policy, candidate: Policy) -> None:
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
    engine = WhatIfEngine(features, base, cached_rules=8)  # small: entries are evicted between steps
    assert_step_matches(features, engine, base, base)
    for _ in range(8):
        assert_step_matches(features, engine, base, random_policy(rng))
    assert_step_matches(features, engine, base, base)  # the baseline still answers after evictions


@pytest.mark.parametrize("seed", range(6))
def test_slider_moves_from_the_baseline(seed):
    # What a policy owner does: one threshold at a time, back and forth, from the current policy.
    rng = random.Random(7 + seed)
    features = random_features(rng, 500)
    engine = WhatIfEngine(features, DEFAULT_POLICY)
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
    engine = WhatIfEngine(features, DEFAULT_POLICY)
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
    step = WhatIfEngine(features, DEFAULT_POLICY).step(Policy(min_on_time_rate=0.95, open_countries=("CN", "VN")))
    assert (step.qualified_before, step.qualified_after) == (2, 2)  # {1, 2} → {1, 3}
    assert step.gained["supplier_id"].to_list() == [3] and step.lost["supplier_id"].to_list() == [2]
    # Before: 0.5 × 20,000 + 0.5 × 12,500 (6,250 rounded down to whole 100 USD) = 10,000 + 6,200;
    # after: 10,000 + 0.5 × 18,000 = 19,000.
    assert (step.amount_before_usd, step.amount_after_usd) == (16_200.0, 19_000.0)
    # The frame has no open exposure or refunds: those changes are 0.
    assert step.by_country.rows() == [("CN", 2, 1, -1, -6_200.0, 0.0, 0.0), ("VN", 0, 1, 1, 9_000.0, 0.0, 0.0)]
    assert step.by_category.rows() == [("Home", 1, 0, -1, -6_200.0, 0.0, 0.0), ("Toys", 1, 2, 1, 9_000.0, 0.0, 0.0)]
    assert step.not_qualified == 1 and step.failed_counts[1 << 3] == 1  # 2 fails on_time alone


# ---- the money of a what-if ------------------------------------------------------------------------------
# A slow reference written from PRODUCT.md alone (nothing from policy/): the badge from the features, the
# Amount in exact decimals, covered_exposure = min(open exposure, Amount) and expected_refunds_6m =
# min(Amount, refunds_12m × 182 / 365) for holders, summed as exact fractions.


def slow_qualified(row: dict, policy: Policy) -> bool:
    opened = policy.open_countries
    if not row["enrolled"] or ("*" not in opened and row["country_code"] not in opened):
        return False
    on_time, claims = row["on_time_rate_6m"], row["claim_rate_6m"]
    rate, hours = row["response_rate_30d"], row["median_response_hours_30d"]
    return (
        row["account_age_days"] >= policy.min_account_age_days
        and row["orders_6m"] >= policy.min_orders_6m
        and row["gmv_6m_usd"] >= policy.min_gmv_6m_usd
        and on_time is not None
        and on_time >= policy.min_on_time_rate
        and claims is not None
        and claims <= policy.max_claim_rate
        and (rate is None or rate >= policy.min_response_rate)
        and (hours is None or hours <= policy.max_median_response_hours)
    )


def slow_money(row: dict, policy: Policy) -> tuple[Fraction, Fraction, Fraction] | None:
    """(Amount, covered exposure, expected refunds) of a holder under `policy`; None for anyone else."""
    if not slow_qualified(row, policy):
        return None
    exact = [
        Decimal(repr(float(x))) for x in (policy.amount_multiplier, policy.amount_floor_usd, policy.amount_cap_usd)
    ]
    multiplier, floor, cap = exact
    raw = min(cap, max(floor, multiplier * Decimal(repr(row["gmv_6m_usd"]))))
    amount = Fraction(int(raw // 100) * 100)
    exposure, refunds = (Fraction(Decimal(repr(row[c] or 0.0))) for c in ("open_exposure_usd", "refunds_12m_usd"))
    return amount, min(exposure, amount), min(amount, refunds * 182 / 365)


def close(got: float, want: Fraction) -> bool:
    return abs(Fraction(got) - want) <= Fraction(1, 10**6) * max(1, abs(want))


def assert_money_matches_slow_reference(features: pl.DataFrame, base: Policy, candidate: Policy) -> None:
    step = WhatIfEngine(features, base).step(candidate)
    rows = features.to_dicts()
    zero = (Fraction(0),) * 3
    totals = {"before": list(zero), "after": list(zero)}
    by = {"country_code": {}, "category": {}}
    for row in rows:
        for side, policy in (("before", base), ("after", candidate)):
            money = slow_money(row, policy)
            if money is None:
                continue
            totals[side] = [t + m for t, m in zip(totals[side], money, strict=True)]
            sign = 1 if side == "after" else -1
            for column, groups in by.items():
                group = groups.setdefault(row[column], [Fraction(0)] * 3)
                groups[row[column]] = [g + sign * m for g, m in zip(group, money, strict=True)]
    names = ("amount", "covered_exposure", "expected_refunds")
    for i, name in enumerate(names):
        for side in ("before", "after"):
            assert close(getattr(step, f"{name}_{side}_usd"), totals[side][i]), (name, side)
        assert close(getattr(step, f"{name}_change_usd"), totals["after"][i] - totals["before"][i]), name
    summary = {row["figure"]: row for row in lab.money_summary(step).iter_rows(named=True)}
    assert list(summary) == ["Trade Assurance Amount", "Covered exposure", "Expected refunds, 6 months"]
    for i, row in enumerate(summary.values()):
        assert close(row["change_usd"], totals["after"][i] - totals["before"][i])
    for column, groups in by.items():
        frame = step.by_country if column == "country_code" else step.by_category
        got = {row[column]: row for row in frame.iter_rows(named=True)}
        assert set(got) == set(groups), column  # every value with a holder either side, no other
        for value, want in groups.items():
            changes = [
                got[value][c]
                for c in ("amount_change_usd", "covered_exposure_change_usd", "expected_refunds_change_usd")
            ]
            assert all(close(g, w) for g, w in zip(changes, want, strict=True)), (column, value)
    # Gainers carry their figures under the candidate, losers theirs under the baseline.
    by_id = {row["supplier_id"]: row for row in rows}
    for which, policy in (("gained", candidate), ("lost", base)):
        listed = lab.supplier_changes(features, step, which)
        expected_ids = sorted(
            sid
            for sid, row in by_id.items()
            if (slow_money(row, candidate) is not None) != (slow_money(row, base) is not None)
            and (slow_money(row, policy) is not None)
        )
        assert listed["supplier_id"].to_list() == expected_ids
        for row in listed.iter_rows(named=True):
            _, covered, expected = slow_money(by_id[row["supplier_id"]], policy)
            assert close(row["covered_exposure_usd"], covered) and close(row["expected_refunds_6m_usd"], expected)
            assert row["open_exposure_usd"] == (by_id[row["supplier_id"]]["open_exposure_usd"] or 0.0)


@settings(deadline=None, derandomize=True, database=None, max_examples=40)
@given(st.integers(0, 2**32 - 1), st.sampled_from((1, 2, 9, 60, 250)))
def test_what_if_money_equals_a_slow_reference_on_seeded_random_frames(seed, n):
    rng = random.Random(seed)
    # Only what a warehouse can hold: no NaN (SQL has none; nulls are covered), a country on every supplier
    # (the schema requires one; null categories stay), an account age and a GMV.
    features = random_features(rng, n).with_columns(pl.col(pl.Float64).fill_nan(None))
    features = features.with_columns(
        pl.col("account_age_days", "gmv_6m_usd").fill_null(0.0), pl.col("country_code").fill_null("CN")
    )
    base = rng.choice((DEFAULT_POLICY, random_policy(rng)))
    assert_money_matches_slow_reference(features, base, random_policy(rng))
    assert_money_matches_slow_reference(features, base, Policy.from_mapping({"min_orders_6m": 2}, base=base))


def test_what_if_money_by_hand_with_an_awkward_multiplier_floor_and_cap():
    # Candidate: multiplier 0.57, floor 7,500, cap 12,000, on-time ≥ 0.85, claims ≤ 0.03 (base: the default).
    # id cat   gmv     exposure   refunds  | base Amount  | candidate Amount
    # 1  Toys  12,000  9,000      10,000   | 6,000        | 0.57 × 12,000 = 6,840 → floor 7,500
    # 2  Toys  40,000  3,000.50   30,000   | 20,000       | 22,800 → cap 12,000
    # 3  Toys  20,000  11,350     0        | 10,000       | 11,400 exactly (in doubles 11,399.999…)
    # 4  Home  12,000  20,000     1,000    | on-time 0.86 | gains: 7,500 (floor)
    # 5  Home  50,000  26,000     73,000   | 25,000       | loses: claim rate 0.04 > 0.03
    features = pl.DataFrame(
        {
            "supplier_id": [1, 2, 3, 4, 5],
            "name": ["a", "b", "c", "d", "e"],
            "country_code": ["CN"] * 5,
            "category": ["Toys", "Toys", "Toys", "Home", "Home"],
            "enrolled": [True] * 5,
            "account_age_days": [400.0] * 5,
            "orders_6m": [5] * 5,
            "gmv_6m_usd": [12_000.0, 40_000.0, 20_000.0, 12_000.0, 50_000.0],
            "on_time_rate_6m": [1.0, 1.0, 1.0, 0.86, 1.0],
            "claim_rate_6m": [0.0, 0.0, 0.0, 0.0, 0.04],
            "response_rate_30d": [0.9] * 5,
            "median_response_hours_30d": [2.0] * 5,
            "open_exposure_usd": [9_000.0, 3_000.50, 11_350.0, 20_000.0, 26_000.0],
            "refunds_12m_usd": [10_000.0, 30_000.0, 0.0, 1_000.0, 73_000.0],
        }
    )
    candidate = Policy(
        amount_multiplier=0.57,
        amount_floor_usd=7_500.0,
        amount_cap_usd=12_000.0,
        min_on_time_rate=0.85,
        max_claim_rate=0.03,
    )
    step = WhatIfEngine(features, DEFAULT_POLICY).step(candidate)
    # Amount: 6,000 + 20,000 + 10,000 + 25,000 = 61,000 → 7,500 + 12,000 + 11,400 + 7,500 = 38,400.
    assert (step.amount_before_usd, step.amount_after_usd) == (61_000.0, 38_400.0)
    # Covered exposure, min(exposure, Amount): 6,000 + 3,000.50 + 10,000 + 25,000 = 44,000.50
    # → 7,500 + 3,000.50 + 11,350 + 7,500 = 29,350.50.
    assert step.covered_exposure_before_usd == pytest.approx(44_000.50, abs=1e-6)
    assert step.covered_exposure_after_usd == pytest.approx(29_350.50, abs=1e-6)
    # Expected refunds, min(Amount, refunds × 182/365): 10,000 → 4,986.30 (1,820,000/365), 30,000 → 14,958.90
    # (5,460,000/365), 1,000 → 498.63 (182,000/365), 73,000 → 36,400, capped by 25,000.
    # Before: 1,820,000/365 + 5,460,000/365 + 0 + 25,000 = 44,945.205…; after: 1,820,000/365 + 12,000 (the
    # cap) + 0 + 182,000/365 = 17,484.931….
    assert step.expected_refunds_before_usd == pytest.approx(7_280_000 / 365 + 25_000, abs=1e-6)
    assert step.expected_refunds_after_usd == pytest.approx(2_002_000 / 365 + 12_000, abs=1e-6)
    assert step.expected_refunds_change_usd == pytest.approx(-27_460.2739726, abs=1e-6)
    # By category: Toys 36,000 → 30,900 (−5,100), covered 19,000.50 → 21,850.50 (+2,850), expected
    # 7,280,000/365 → 1,820,000/365 + 12,000 (−2,958.904…); Home 25,000 → 7,500 in Amount and covered,
    # expected 25,000 → 498.630… (−24,501.369…). Holders: Toys 3 → 3, Home 1 → 1 (4 in, 5 out): both change
    # by 0, a tie, so they are listed by name.
    rows = {row[0]: row[1:] for row in step.by_category.rows()}
    assert rows["Home"][:4] == (1, 1, 0, -17_500.0)
    assert rows["Home"][4:] == pytest.approx((-17_500.0, 182_000 / 365 - 25_000), abs=1e-6)
    assert rows["Toys"][:4] == (3, 3, 0, -5_100.0)
    assert rows["Toys"][4:] == pytest.approx((2_850.0, 12_000 - 5_460_000 / 365), abs=1e-6)
    assert step.by_category["category"].to_list() == ["Home", "Toys"]
    gained, lost = (lab.supplier_changes(features, step, which) for which in ("gained", "lost"))
    assert gained.select("supplier_id", *lab.CHANGE_MONEY).rows() == [
        (4, 20_000.0, 7_500.0, pytest.approx(182_000 / 365))
    ]
    assert lost.select("supplier_id", *lab.CHANGE_MONEY).rows() == [(5, 26_000.0, 25_000.0, 25_000.0)]
    # The slow path (policy.diff) lists the same figures.
    d = diff(features, DEFAULT_POLICY, candidate)
    assert_frame_equal(lab.supplier_changes(features, d, "gained"), gained)
    assert_frame_equal(lab.supplier_changes(features, d, "lost"), lost)
