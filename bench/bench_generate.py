"""How long the demo generator takes to generate and load, into a temporary DuckDB file.

    python -m bench.bench_generate [--suppliers N] [--months M] [--seed S] [--keep PATH]

Prints the wall time, rows per second, the rows per table and the file size.
"""

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from data.generate import DEFAULT_MONTHS, DEFAULT_SEED, generate
from warehouse.connection import warehouse_engine


def main(argv: list[str] | None = None) -> int:
    top = argparse.ArgumentParser(prog="python -m bench.bench_generate", description=__doc__.splitlines()[0])
    top.add_argument("--suppliers", type=int, default=200_000)
    top.add_argument("--months", type=int, default=DEFAULT_MONTHS)
    top.add_argument("--seed", type=int, default=DEFAULT_SEED)
    top.add_argument("--keep", type=Path, help="write the warehouse here (must not exist) instead of a temp file")
    args = top.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-generate-") as tmp:
        path = args.keep or Path(tmp) / "warehouse.duckdb"
        engine = warehouse_engine(f"duckdb:///{path}", read_only=False)
        started = time.perf_counter()
        try:
            counts = generate(engine, args.suppliers, args.months, args.seed, progress=True)
        finally:
            engine.dispose()  # closes the file, which checkpoints it
        elapsed = time.perf_counter() - started
        size = path.stat().st_size

    rows = sum(counts.values())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"suppliers={args.suppliers:,} months={args.months} seed={args.seed}")
    print(f"generate+load: {elapsed:.1f} s, {rows / elapsed:,.0f} rows/s, peak RSS {peak_mb:,.0f} MB")
    for name, count in counts.items():
        print(f"  {name:<10} {count:>12,}")
    print(f"  file size  {size / 2**20:>12,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
