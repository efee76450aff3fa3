"""Command line: `python -m queries scorecard|backtest --as-of DATE [--url URL] [--policy FILE] [--format csv|json]`.

scorecard: the contract's scorecard at the as-of date. backtest: the badge at the as-of date A0 next to
each supplier's covered deals, upheld claims and refunds in the six months after it (queries.backtest).
"""

import argparse
import json
import math
import os
import sys
from datetime import date

import polars as pl

from policy import DEFAULT_POLICY, Policy, PolicyError
from queries.backtest import BACKTEST_MONEY_COLUMNS, build_backtest, fetch_outcomes
from queries.scorecard import MONEY_COLUMNS, build_scorecard, fetch_features
from queries.windows import EARLIEST_AS_OF, LATEST_AS_OF
from warehouse.connection import WarehouseError, resolve_url, warehouse_engine


def _as_of(text: str) -> date:
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}")
    if not EARLIEST_AS_OF <= value <= LATEST_AS_OF:  # the windows reach a year back: 0001-01-01 would overflow
        raise argparse.ArgumentTypeError(f"expected a date between {EARLIEST_AS_OF} and {LATEST_AS_OF}, got {text}")
    return value


def _cell(name: str, value, money=MONEY_COLUMNS) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if name in money:
        return f"{value:.2f}"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_csv(frame: pl.DataFrame, out, money=MONEY_COLUMNS) -> None:
    """CSV with a header; money with two decimals; nulls as empty fields; failed rules joined by ';'."""
    import csv

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(frame.columns)
    for row in frame.iter_rows():
        writer.writerow([_cell(name, value, money) for name, value in zip(frame.columns, row, strict=True)])


def write_json(frame: pl.DataFrame, out, money=MONEY_COLUMNS) -> None:
    """A JSON array of objects; nulls as null; money rounded to the cent."""
    rows = frame.with_columns(pl.col(c).round(2) for c in money).to_dicts()
    json.dump(rows, out, indent=None, separators=(",", ":"))
    out.write("\n")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m queries", description="Trade Assurance warehouse queries.")
    commands = top.add_subparsers(dest="command", required=True)
    card = commands.add_parser("scorecard", help="one row per supplier at an as-of date")
    card.add_argument("--as-of", required=True, type=_as_of, help="as-of date YYYY-MM-DD (midnight UTC, exclusive)")
    back = commands.add_parser("backtest", help="the badge at an as-of date A0 against the six months after it")
    back.add_argument("--as-of", required=True, type=_as_of, help="as-of date A0 YYYY-MM-DD (midnight UTC)")
    for command in (card, back):
        command.add_argument(
            "--url", help="SQLAlchemy URL of the warehouse (default: $TRUST_WAREHOUSE_URL, else data/)"
        )
        command.add_argument("--policy", help="policy JSON file; keys left out keep their defaults")
        command.add_argument("--format", choices=("csv", "json"), default="csv")
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
            outcomes = fetch_outcomes(conn, args.as_of) if args.command == "backtest" else None
    except WarehouseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a driver error carries SQL and URLs: name only its kind
        print(
            f"error: the warehouse query failed ({type(exc).__name__}); check the URL and the tables", file=sys.stderr
        )
        return 1
    if args.command == "backtest":
        frame, money = build_backtest(features, outcomes, policy), BACKTEST_MONEY_COLUMNS
    else:
        frame, money = build_scorecard(features, policy), MONEY_COLUMNS
    try:
        (write_json if args.format == "json" else write_csv)(frame, sys.stdout, money)
        sys.stdout.flush()
    except BrokenPipeError:  # `... | head` closed the pipe: stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
