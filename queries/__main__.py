"""Command line: `python -m queries scorecard --as-of YYYY-MM-DD [--url URL] [--policy FILE] [--format csv|json]`."""

import argparse
import json
import math
import sys
from datetime import date

import polars as pl

from policy import DEFAULT_POLICY, Policy, PolicyError
from queries.engine import WarehouseError, resolve_url, warehouse_engine
from queries.scorecard import MONEY_COLUMNS, build_scorecard, fetch_features


def _as_of(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}")


def _cell(name: str, value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if name in MONEY_COLUMNS:
        return f"{value:.2f}"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_csv(frame: pl.DataFrame, out) -> None:
    """CSV with a header; money with two decimals; nulls as empty fields; failed rules joined by ';'."""
    import csv

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(frame.columns)
    for row in frame.iter_rows():
        writer.writerow([_cell(name, value) for name, value in zip(frame.columns, row)])


def write_json(frame: pl.DataFrame, out) -> None:
    """A JSON array of objects; nulls as null; money rounded to the cent."""
    rows = frame.with_columns(pl.col(c).round(2) for c in MONEY_COLUMNS).to_dicts()
    json.dump(rows, out, indent=None, separators=(",", ":"))
    out.write("\n")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m queries", description="Trade Assurance warehouse queries.")
    commands = top.add_subparsers(dest="command", required=True)
    card = commands.add_parser("scorecard", help="one row per supplier at an as-of date")
    card.add_argument("--as-of", required=True, type=_as_of, help="as-of date YYYY-MM-DD (midnight UTC, exclusive)")
    card.add_argument("--url", help="SQLAlchemy URL of the warehouse (default: $TRUST_WAREHOUSE_URL, else data/)")
    card.add_argument("--policy", help="policy JSON file; keys left out keep their defaults")
    card.add_argument("--format", choices=("csv", "json"), default="csv")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        policy = Policy.from_file(args.policy) if args.policy else DEFAULT_POLICY
    except PolicyError as exc:
        print(f"error: policy {exc}", file=sys.stderr)
        return 2
    try:
        engine = warehouse_engine(resolve_url(args.url))
        with engine.connect() as conn:
            features = fetch_features(conn, args.as_of)
    except WarehouseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a driver error carries SQL and URLs: name only its kind
        print(f"error: the warehouse query failed ({type(exc).__name__}); check the URL and the tables", file=sys.stderr)
        return 1
    frame = build_scorecard(features, policy)
    (write_json if args.format == "json" else write_csv)(frame, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
