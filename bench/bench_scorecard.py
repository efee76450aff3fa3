"""Cold scorecard time on a warehouse: `python -m bench.bench_scorecard --url URL --as-of YYYY-MM-DD`.

Prints the time of fetch_features (statement + transfer to polars) in a fresh engine, then warm
repeats, and the time of evaluate() on the result. Not part of the test run.
"""

import argparse
import statistics
import time
from datetime import date

from policy import DEFAULT_POLICY, evaluate
from queries.scorecard import build_scorecard, fetch_features
from warehouse.connection import resolve_url, warehouse_engine


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=None)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 1))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    url = resolve_url(args.url)

    engine = warehouse_engine(url)
    started = time.perf_counter()
    with engine.connect() as conn:
        features = fetch_features(conn, args.as_of)
    cold = time.perf_counter() - started
    warm = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        with engine.connect() as conn:
            fetch_features(conn, args.as_of)
        warm.append(time.perf_counter() - started)
    started = time.perf_counter()
    card = build_scorecard(features, DEFAULT_POLICY)
    build = time.perf_counter() - started
    started = time.perf_counter()
    evaluate(features, DEFAULT_POLICY)
    ev = time.perf_counter() - started
    print(f"warehouse: {engine.dialect.name}; suppliers: {features.height:,}")
    print(f"cold scorecard (first fetch_features in a new engine): {cold:.3f} s")
    print(f"warm scorecard median of {args.repeat}: {statistics.median(warm):.3f} s")
    print(f"build_scorecard (evaluate + join + order): {build * 1000:.1f} ms; evaluate alone: {ev * 1000:.1f} ms")
    print(card["badge"].value_counts().sort("badge"))


if __name__ == "__main__":
    main()
