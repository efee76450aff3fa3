"""The same warehouse on DuckDB, PostgreSQL and Spark SQL: load time, cold scorecard, uptake history.

    python -m bench.bench_engines --source duckdb:////tmp/full.duckdb [--as-of 2026-11-01]
        [--engines duckdb,postgresql,spark] [--history 24] [--pg-url URL] [--spark-url URL]

The source is a DuckDB warehouse (e.g. from `python -m data.generate`). It is copied into a throwaway
PostgreSQL server (COPY, in chunks) and a throwaway standalone Spark cluster (DuckDB writes Parquet in
the tables' Spark types; Spark tables are created over it), unless --pg-url / --spark-url name servers
already running (the bench then creates its own database there). Each engine is measured in a child
process of its own, so its peak RSS is that engine's client work alone: load (DuckDB: none, it is the
source), cold scorecard (first fetch_features in a new engine), a warm repeat, and the uptake history
(fetch_history_features over --history monthly as-of dates) when queries.uptake exists.
Not part of the test run.
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

DATABASE = "bench_engines"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _source_connection(source: str):
    import duckdb
    from sqlalchemy.engine import make_url

    return duckdb.connect(make_url(source).database, read_only=True)


def load_postgresql(source: str, url: str) -> None:
    """Every table of the DuckDB source into PostgreSQL through COPY, 1M rows at a time, one transaction."""
    import polars as pl

    from data.bulk import bulk_insert
    from data.ddl import create_schema
    from data.schema import TABLE_NAMES
    from warehouse.connection import warehouse_engine

    engine = warehouse_engine(url, read_only=False)
    create_schema(engine)
    src = _source_connection(source)
    with engine.begin() as conn:
        for name in TABLE_NAMES:
            reader = src.sql(f"SELECT * FROM {name}").to_arrow_reader(1_000_000)
            for batch in reader:
                bulk_insert(conn, name, pl.from_arrow(batch))
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()


def load_spark(source: str, url: str, data_dir: Path) -> None:
    """DuckDB writes each table as Parquet in its Spark types; Spark tables are created over the files."""
    from data.schema import TABLE_NAMES
    from data.spark import attach_parquet_tables

    src = _source_connection(source)
    directories = {}
    for name in TABLE_NAMES:
        directory = directories[name] = data_dir / name
        directory.parent.mkdir(parents=True, exist_ok=True)
        # INTEGER, DECIMAL(14,2), TIMESTAMP (µs, no zone) and BOOLEAN: exactly what data.spark declares.
        src.execute(
            f"COPY (SELECT * FROM {name}) TO '{directory}' "
            "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000, PER_THREAD_OUTPUT true)"
        )
    attach_parquet_tables(url, directories)


def measure(engine_name: str, url: str, source: str, as_of: date, history: int, data_dir: str) -> dict:
    """Load (if needed) and query one engine; the figures as a dict."""
    from queries.scorecard import fetch_features
    from warehouse.connection import warehouse_engine

    figures: dict = {"engine": engine_name}
    started = time.perf_counter()
    if engine_name == "postgresql":
        load_postgresql(source, url)
    elif engine_name == "spark":
        load_spark(source, url, Path(data_dir))
    figures["load_s"] = time.perf_counter() - started if engine_name != "duckdb" else None
    figures["rss_after_load_mb"] = peak_rss_mb()

    engine = warehouse_engine(url)
    started = time.perf_counter()
    with engine.connect() as conn:
        features = fetch_features(conn, as_of)
    figures["cold_scorecard_s"] = time.perf_counter() - started
    print(json.dumps(figures), flush=True)  # partial figures survive a later failure
    figures["suppliers"] = features.height
    del features
    started = time.perf_counter()
    with engine.connect() as conn:
        fetch_features(conn, as_of)
    figures["warm_scorecard_s"] = time.perf_counter() - started
    serving_figures(engine, url, as_of, figures)
    try:
        from queries.uptake import fetch_history_features, month_starts
    except ImportError:
        figures["history_s"] = None
    else:
        as_ofs = month_starts(as_of, history)
        started = time.perf_counter()
        try:
            with engine.connect() as conn:
                figures["history_rows"] = fetch_history_features(conn, as_ofs).height
            figures["history_s"] = time.perf_counter() - started
        except Exception as exc:  # reported, so the other figures still print
            figures["history_s"] = None
            figures["history_error"] = str(exc).splitlines()[0][:300]
    engine.dispose()
    figures["peak_rss_mb"] = peak_rss_mb()
    return figures


def serving_figures(engine, url: str, as_of: date, figures: dict) -> None:
    """The serving layer on this engine: the data-version check every process makes, and a scorecard
    read from its snapshot once one process has computed it (a throwaway snapshot folder)."""
    import os

    from queries import serving

    os.environ["TRUST_SERVING_DIR"] = tempfile.mkdtemp(prefix="bench-engines-serving-")
    started = time.perf_counter()
    with engine.connect() as conn:
        version = serving.fetch_data_version(conn)
    figures["data_version_s"] = time.perf_counter() - started
    serving.features(url, as_of, version, engine.connect)  # computed once and kept
    started = time.perf_counter()
    serving.features(url, as_of, version, engine.connect)
    figures["serving_read_s"] = time.perf_counter() - started


def _fmt(value, unit: str = "s") -> str:
    if value is None:
        return "—"
    return f"{value:,.2f} {unit}" if unit else f"{value:,}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, help="a DuckDB warehouse URL (duckdb:///PATH)")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 1))
    parser.add_argument("--engines", default="duckdb,postgresql,spark")
    parser.add_argument("--history", type=int, default=24, help="monthly as-of dates of the uptake history")
    parser.add_argument("--pg-url", default=None, help="a running PostgreSQL server's superuser URL")
    parser.add_argument("--spark-url", default=None, help="a running Spark Thrift server's hive:// URL")
    parser.add_argument("--data-dir", default=None, help="where Spark's Parquet files go (a path Spark can read)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--url", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:  # one engine, measured in its own process
        figures = measure(args.child, args.url, args.source, args.as_of, args.history, args.data_dir)
        print(json.dumps(figures))
        return

    from sqlalchemy.engine import make_url

    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    servers, urls, started = [], {}, {}
    data_dir = Path(args.data_dir) if args.data_dir else None
    try:
        if "postgresql" in engines:
            t = time.perf_counter()
            if args.pg_url:
                from sqlalchemy import create_engine, text

                admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}"'))
                    conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
                admin.dispose()
                urls["postgresql"] = str(make_url(args.pg_url).set(database=DATABASE).render_as_string(False))
            else:
                from devtools.pgserver import PgServer

                server = PgServer().start()
                servers.append(server)
                urls["postgresql"] = server.create_database(DATABASE)
            started["postgresql"] = time.perf_counter() - t
        if "spark" in engines:
            t = time.perf_counter()
            if args.spark_url:
                urls["spark"] = str(make_url(args.spark_url).set(database=DATABASE).render_as_string(False))
                data_dir = data_dir or Path(tempfile.mkdtemp(prefix="bench-engines-"))
            else:
                from devtools.sparkserver import SparkCluster

                cluster = SparkCluster(worker_memory="4g", driver_memory="2g").start()
                servers.append(cluster)
                urls["spark"] = cluster.url(DATABASE)
                data_dir = cluster.data_dir
            started["spark"] = time.perf_counter() - t
        urls["duckdb"] = args.source

        results = []
        for name in engines:
            command = [sys.executable, "-m", "bench.bench_engines", "--child", name, "--url", urls[name]]
            command += ["--source", args.source, "--as-of", args.as_of.isoformat(), "--history", str(args.history)]
            if data_dir is not None:
                command += ["--data-dir", str(data_dir / name)]
            done = subprocess.run(command, stdout=subprocess.PIPE, text=True)
            lines = done.stdout.strip().splitlines()
            figures = json.loads(lines[-1]) if lines else {"engine": name}
            if done.returncode:
                figures["error"] = f"exit status {done.returncode} (see stderr)"
            results.append(figures)
            print(f"{name}: {results[-1]}", file=sys.stderr, flush=True)
    finally:
        for server in servers:
            server.stop()

    print(f"source: {make_url(args.source).database}; as-of {args.as_of}; history: {args.history} as-of dates")
    for name, seconds in started.items():
        print(f"{name} server start-up: {seconds:.1f} s")
    header = (
        "engine",
        "suppliers",
        "load",
        "cold scorecard",
        "warm scorecard",
        "data version",
        "serving read",
        "uptake history",
        "peak RSS",
    )
    print(" | ".join(header))
    for r in results:
        cells = (
            r["engine"],
            _fmt(r.get("suppliers"), ""),
            _fmt(r.get("load_s")),
            _fmt(r.get("cold_scorecard_s")),
            _fmt(r.get("warm_scorecard_s")),
            _fmt(r.get("data_version_s"), "s"),
            _fmt(r.get("serving_read_s"), "s"),
            _fmt(r.get("history_s")),
            _fmt(r.get("peak_rss_mb"), "MB"),
        )
        print(" | ".join(cells))
        for key in ("history_error", "error"):
            if key in r:
                print(f"  {r['engine']} {key}: {r[key]}")


if __name__ == "__main__":
    main()
