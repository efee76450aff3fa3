"""The Policy lab's what-if step at scale: `python -m bench.bench_whatif [--suppliers N] [--runs R]`.

Times ui.lab.whatif (policy.diff of the current policy against a moved slider, the change by country
and category, the blocking rules) over a synthetic features frame built with numpy, and prints the
median and p95. Goal: ≤ 5 ms median at 1,000,000 suppliers. Not part of the test run.
"""

import argparse
import statistics
import time

import numpy as np
import polars as pl

from policy import DEFAULT_POLICY, Policy, diff, evaluate
from ui import lab
from ui.lab import whatif

COUNTRIES = ("CN", "VN", "IN", "US", "TR", "BD", "PK", "MX")
CATEGORIES = ("Machinery", "Apparel", "Electronics", "Home", "Beauty", "Packaging", "Auto parts", "Toys")


def synthetic_features(n: int, seed: int = 7) -> pl.DataFrame:
    """A features frame shaped like queries.scorecard.fetch_features, with realistic spreads and nulls."""
    rng = np.random.default_rng(seed)

    def with_nulls(values: np.ndarray, share: float) -> pl.Series:
        return pl.Series(values).scatter(np.flatnonzero(rng.random(n) < share), None)

    orders = rng.poisson(6, n)
    return pl.DataFrame(
        {
            "supplier_id": np.arange(1, n + 1),
            "country_code": pl.Series(rng.choice(COUNTRIES, n, p=[0.5, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.1])),
            "category": pl.Series(rng.choice(CATEGORIES, n)),
            "enrolled": rng.random(n) < 0.7,
            "account_age_days": rng.uniform(0, 3000, n),
            "orders_6m": orders,
            "gmv_6m_usd": np.round(orders * rng.lognormal(8, 1, n), 2),
            "on_time_rate_6m": with_nulls(rng.beta(18, 2, n), 0.1),
            "claim_rate_6m": with_nulls(rng.exponential(0.03, n), 0.1),
            "response_rate_30d": with_nulls(rng.beta(8, 2, n), 0.2),
            "median_response_hours_30d": with_nulls(rng.exponential(12, n), 0.2),
        }
    ).with_columns(pl.col("country_code", "category").cast(pl.String))


def timed(step, runs: int) -> tuple[float, float]:
    """Median and p95 of `runs` calls of `step`, in milliseconds (after two warm-up calls)."""
    step(0), step(1)
    times = []
    for i in range(runs):
        started = time.perf_counter()
        step(i)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suppliers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    started = time.perf_counter()
    features = synthetic_features(args.suppliers)
    print(f"suppliers: {features.height:,} (built in {time.perf_counter() - started:.1f} s); runs: {args.runs}")
    # Each run moves a slider, as a policy owner does: a new candidate policy every time.
    candidates = [Policy(min_orders_6m=2 + i % 5, min_on_time_rate=0.80 + (i % 10) / 100) for i in range(args.runs)]

    def step_whatif(i):
        return whatif(features, DEFAULT_POLICY, candidates[i % len(candidates)])

    rows = [
        ("whatif, baseline remembered (the Policy lab's slider step)", step_whatif),
        (
            "whatif, baseline recomputed every time",
            lambda i: (lab._baseline.clear(), whatif(features, DEFAULT_POLICY, candidates[i % len(candidates)])),
        ),
        ("policy.diff alone", lambda i: diff(features, DEFAULT_POLICY, candidates[i % len(candidates)])),
        ("policy.evaluate, no margins", lambda i: evaluate(features, candidates[i % len(candidates)], margins=False)),
    ]
    for label, step in rows:
        median, p95 = timed(step, args.runs)
        print(f"{label:<60} median {median:7.2f} ms   p95 {p95:7.2f} ms")


if __name__ == "__main__":
    main()
