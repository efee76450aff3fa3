"""The backtest over 12 monthly A0s: `python -m bench.bench_backtest [--url URL] [--last-a0 YYYY-MM-DD]`.

Times, in a fresh engine: the outcomes after each A0 (12 statements), the features at every A0 (one
statement via queries.uptake.fetch_history_features when it is there, else 12 scorecards), then the
pure-polars work: backtest_series with and without grace, flip_counts, a 5-point trade-off curve and the
explanations at the last A0. The last A0 defaults to the month start 182 days before the latest activity,
so every outcome window is complete. Not part of the test run.
"""

import argparse
import time
from datetime import date, timedelta

from policy import DEFAULT_POLICY, Policy
from policy.backtest import backtest_series, flip_counts, tradeoff_curve
from policy.flip import explain
from queries.backtest import OUTCOME_DAYS, fetch_outcomes
from queries.scorecard import fetch_features
from warehouse.connection import resolve_url, warehouse_engine

MONTHS = 12


def month_starts(last: date, count: int) -> list[date]:
    """`count` month starts ending at `last` (a month start), oldest first."""
    months = []
    year, month = last.year, last.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def default_last_a0(conn) -> date:
    try:
        from queries.freshness import fetch_freshness
    except ImportError:
        raise SystemExit("queries.uptake is not there yet: pass --last-a0 YYYY-MM-DD")

    latest = fetch_freshness(conn)["latest_activity_at"]
    day = latest.date() - timedelta(days=OUTCOME_DAYS)
    return date(day.year, day.month, 1)


def fetch_history(conn, a0s: list[date]):
    try:
        from queries.uptake import fetch_history_features
    except ImportError:
        return {a0: fetch_features(conn, a0) for a0 in a0s}, "12 scorecard statements"
    return fetch_history_features(conn, tuple(a0s)), "one history statement"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=None)
    parser.add_argument("--last-a0", type=date.fromisoformat, default=None)
    args = parser.parse_args()
    engine = warehouse_engine(resolve_url(args.url))

    started = time.perf_counter()
    with engine.connect() as conn:
        last = args.last_a0 or default_last_a0(conn)
        a0s = month_starts(date(last.year, last.month, 1), MONTHS)
        t0 = time.perf_counter()
        outcomes = {a0: fetch_outcomes(conn, a0) for a0 in a0s}
        t_outcomes = time.perf_counter() - t0
        t0 = time.perf_counter()
        history, how = fetch_history(conn, a0s)
        t_history = time.perf_counter() - t0
        # explain needs the raw counts (shipments, inquiries) that the history rows leave out.
        last_features = fetch_features(conn, a0s[-1])
    warehouse = time.perf_counter() - started

    t0 = time.perf_counter()
    graced = Policy(grace_assessments=2)
    series = backtest_series(history, outcomes, DEFAULT_POLICY)
    backtest_series(history, outcomes, graced)
    flips = flip_counts(history, graced)
    tradeoff_curve(last_features, outcomes[a0s[-1]], DEFAULT_POLICY, "min_orders_6m", [1, 3, 5, 10, 20])
    t_explain = time.perf_counter()
    explain(last_features, DEFAULT_POLICY)
    t_explain = time.perf_counter() - t_explain
    compute = time.perf_counter() - t0

    suppliers = outcomes[a0s[0]].height
    print(f"warehouse: {engine.dialect.name}; suppliers: {suppliers:,}; A0s: {a0s[0]} … {a0s[-1]} ({len(a0s)})")
    print(f"outcomes (12 statements): {t_outcomes:.3f} s; features ({how}): {t_history:.3f} s")
    print(f"polars: series ×2, flip counts, 5-point curve, explain: {compute * 1000:.0f} ms")
    print(f"  of which explain (plain words for every supplier): {t_explain * 1000:.0f} ms")
    print(f"backtest over {len(a0s)} monthly A0s, end to end: {warehouse + compute:.3f} s")
    print(
        series.select("as_of", "holders", "holder_upheld_claim_rate", "other_upheld_claim_rate", "holder_refund_share")
    )
    total = flips.per_assessment.select("flips_without_grace", "flips_with_grace").sum().row(0)
    print(f"badge flips over the 12 assessments: {total[0]:,} without grace, {total[1]:,} with 2 assessments' grace")


if __name__ == "__main__":
    main()
