"""`python -m queries scorecard` as a whole process against one plain DuckDB SQL query writing the same CSV.

    python -m bench.bench_cli --url duckdb:///PATH [--as-of YYYY-MM-DD] [--repeat 3]

Runs, alternating so both see the same load: (1) the command line with the serving layer's snapshot in
place (warm: a dashboard or an earlier run computed it at this data version), (2) the command line with
an empty snapshot folder (cold: it aggregates in the warehouse, then keeps the snapshot), (3) a fresh
Python process that imports duckdb and runs the scorecard's aggregation (the same compiled statement) as
`COPY (...) TO 'file.csv'`. Prints the median and worst wall seconds of each and the ratios. DuckDB only.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy.engine import make_url

from queries.scorecard import scorecard_statement
from queries.windows import Windows
from warehouse.connection import resolve_url, warehouse_engine

PLAIN = """import duckdb, sys
duckdb.connect(sys.argv[1], read_only=True).execute(open(sys.argv[2]).read())
"""


def plain_sql(url: str, as_of: date, out: Path) -> str:
    """The scorecard's aggregation with its parameters written in, as one COPY … TO out (CSV, header)."""
    engine = warehouse_engine(url)
    statement = scorecard_statement().params(**Windows.at(as_of).params())
    sql = str(statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    engine.dispose()
    return f"COPY ({sql}) TO '{out}' (HEADER, DELIMITER ',')"


def _run(command: list[str], env: dict, stdout) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, stdout=stdout, check=True)
    return time.perf_counter() - started


def measure(url: str, as_of: date, repeat: int = 3) -> dict[str, list[float]]:
    """Wall seconds of each run: {"cli_warm": [...], "cli_cold": [...], "plain_sql": [...]}."""
    database = make_url(url).database
    times: dict[str, list[float]] = {"cli_warm": [], "cli_cold": [], "plain_sql": []}
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        tmp = Path(tmp)
        sql_file = tmp / "scorecard.sql"
        sql_file.write_text(plain_sql(url, as_of, tmp / "plain.csv"))
        cli = [sys.executable, "-m", "queries", "scorecard", "--as-of", as_of.isoformat(), "--url", url]
        warm_env = {**os.environ, "TRUST_SERVING_DIR": str(tmp / "warm")}
        with open(tmp / "cli.csv", "w") as out:
            subprocess.run(cli, env=warm_env, stdout=out, check=True)  # puts the snapshot in place
            for n in range(repeat):
                times["cli_warm"].append(_run(cli, warm_env, out))
                cold_env = {**os.environ, "TRUST_SERVING_DIR": str(tmp / f"cold{n}")}
                times["cli_cold"].append(_run(cli, cold_env, out))
                times["plain_sql"].append(_run([sys.executable, "-c", PLAIN, database, str(sql_file)], warm_env, out))
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_cli", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None, help="a DuckDB warehouse URL (default: $TRUST_WAREHOUSE_URL)")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 1))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    url = resolve_url(args.url)
    times = measure(url, args.as_of, args.repeat)
    plain = statistics.median(times["plain_sql"])
    for name, runs in times.items():
        median = statistics.median(runs)
        print(f"{name:<9} median {median:6.2f} s  worst {max(runs):6.2f} s  ({median / plain:.2f}× plain SQL)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
