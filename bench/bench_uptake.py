"""Time the uptake history (24 monthly as-of dates, one read of each fact table) against one scorecard.

    python -m bench.bench_uptake [--url duckdb:///data/warehouse.duckdb] [--as-of YYYY-MM-DD] [--points 24]

Prints the warehouse size, the seconds of one `fetch_features` and of one `fetch_history_features`
(best of --repeat runs each, wall clock and CPU of every thread: CPU is steadier on a shared machine),
and their ratios. The as-of date defaults to the day after the latest activity.
"""

import argparse
import time
from datetime import date

from sqlalchemy import func, select

from data.schema import claims, inquiries, orders, suppliers
from queries.freshness import default_as_of, fetch_freshness
from queries.scorecard import fetch_features
from queries.uptake import fetch_history_features, month_starts
from warehouse.connection import describe, resolve_url, warehouse_engine


def _best(repeat: int, run) -> tuple[float, float, object]:
    """Best wall-clock and best CPU seconds (every thread of this process) of `repeat` runs."""
    wall, cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = run()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu, result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", default=None, help="SQLAlchemy URL of the warehouse (default: the embedded DuckDB file)"
    )
    parser.add_argument("--as-of", type=date.fromisoformat, default=None)
    parser.add_argument("--points", type=int, default=24, help="monthly as-of dates in the history")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each, the best is printed")
    args = parser.parse_args(argv)

    url = resolve_url(args.url)
    engine = warehouse_engine(url)
    with engine.connect() as conn:
        sizes = {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar()
            for t in (suppliers, orders, inquiries, claims)
        }
        as_of = args.as_of or default_as_of(fetch_freshness(conn))
        points = month_starts(as_of, args.points)
        print(f"warehouse: {describe(url)}; " + ", ".join(f"{n:,} {name}" for name, n in sizes.items()))
        print(f"as-of {as_of}, {len(points)} points from {points[0]}")
        one, one_cpu, features = _best(args.repeat, lambda: fetch_features(conn, as_of))
        print(
            f"fetch_features (1 as-of):            {one:7.2f} s wall {one_cpu:7.2f} s CPU  ({features.height:,} rows)"
        )
        many, many_cpu, history = _best(args.repeat, lambda: fetch_history_features(conn, points))
        print(
            f"fetch_history_features ({len(points)} as-ofs): {many:7.2f} s wall {many_cpu:7.2f} s CPU  "
            f"({history.height:,} rows)"
        )
        print(f"ratio: {many / one:.2f}× one scorecard (wall), {many_cpu / one_cpu:.2f}× (CPU)")
    engine.dispose()


if __name__ == "__main__":
    main()
