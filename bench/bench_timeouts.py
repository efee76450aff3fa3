"""How long a runaway statement runs before the query guard stops it: `python -m bench.bench_timeouts`.

A DuckDB warehouse runs `SELECT sum(hash(i)) FROM range(10^11)` (hours of work) under
TRUST_STATEMENT_TIMEOUT_S; prints the timeout and the elapsed time until QueryTimeout (perf_counter), for a
few timeouts. Goal: stopped within a second of the timeout. tests/test_faults.py checks that it is
stopped; this prints how fast. Not part of the test run.
"""

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path

import duckdb
from sqlalchemy import text

from warehouse import connection as guard
from warehouse.connection import warehouse_engine

RUNAWAY = "SELECT sum(hash(i)) FROM range(100000000000) t(i)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeouts", default="0.5,1,2", help="comma-separated seconds")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # the guard logs each stopped statement with its traceback
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "runaway.duckdb"
        duckdb.connect(str(path)).close()  # an empty warehouse file: the statement needs no table
        url = f"duckdb:///{path}"
        engine = warehouse_engine(url)
        for timeout in (float(t) for t in args.timeouts.split(",")):
            os.environ["TRUST_STATEMENT_TIMEOUT_S"] = str(timeout)
            started = time.perf_counter()
            try:
                with guard.connection(engine, url) as conn:
                    conn.execute(text(RUNAWAY)).scalar_one()
                outcome = "finished (not stopped!)"
            except guard.QueryTimeout:
                outcome = "stopped"
            print(f"timeout {timeout:4.1f} s: {outcome} after {time.perf_counter() - started:5.2f} s")
        engine.dispose()


if __name__ == "__main__":
    main()
