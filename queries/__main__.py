"""Command line: `python -m queries scorecard|backtest --as-of DATE [--url URL] [--policy FILE] [--format csv|json]`
and `python -m queries assess --as-of DATE [--url URL] [--policy FILE] [--publish DIR] [--supersede] [--actor NAME]`.

scorecard: the contract's scorecard at the as-of date. backtest: the badge at the as-of date A0 next to
each supplier's covered deals, upheld claims and refunds in the six months after it (queries.backtest).
assess: records an assessment (grace applied over the earlier recorded ones) in the app database and
with --publish writes the storefront feed DIR/storefront-YYYY-MM-DD.csv (store.assessments).
Exit status: 0 done; 1 the warehouse, the app database or the folder failed; 2 the request was refused
or invalid (a bad policy file, a date already assessed without --supersede), with nothing recorded.
"""

import argparse
import json
import logging
import math
import os
import sys
from datetime import date
from pathlib import Path

import polars as pl

from policy import DEFAULT_POLICY, Policy, PolicyError
from queries import serving
from queries.backtest import BACKTEST_MONEY_COLUMNS, build_backtest, fetch_outcomes
from queries.scorecard import MONEY_COLUMNS, build_scorecard
from queries.windows import EARLIEST_AS_OF, LATEST_AS_OF
from warehouse.connection import WarehouseError, resolve_url, warehouse_engine, warehouse_key


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


def write_csv_rows(frame: pl.DataFrame, out, money=MONEY_COLUMNS) -> None:
    """CSV with a header; money with two decimals; nulls (and NaN) as empty fields; other floats as
    Python's repr. Cell by cell in Python: `write_csv` writes the same bytes faster."""
    import csv

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(frame.columns)
    for row in frame.iter_rows():
        writer.writerow([_cell(name, value, money) for name, value in zip(frame.columns, row, strict=True)])


def _repr_text(values: pl.Series) -> pl.Series:
    """Floats as Python's repr writes them (polars agrees except in exponent notation: |x| < 1e-4, ≥ 1e16)."""
    text = values.fill_nan(None).cast(pl.String)
    odd = (values.abs() < 1e-4) & (values != 0) | (values.abs() >= 1e16)
    odd = odd.fill_null(False) & values.is_not_nan().fill_null(False)
    if odd.any():
        text = text.scatter(odd.arg_true(), [repr(v) for v in values.filter(odd)])
    return text


def _has_return(frame: pl.DataFrame) -> bool:
    """A carriage return in some text: the csv module quotes it, polars does not."""
    return any(frame[name].str.contains("\r", literal=True).any() for name, t in frame.schema.items() if t == pl.String)


_FAST_TYPES = (pl.Int64, pl.Int32, pl.Float64, pl.String)


def write_csv(frame: pl.DataFrame, out, money=MONEY_COLUMNS) -> None:
    """CSV with a header; money with two decimals; nulls as empty fields; failed rules joined by ';'.

    The same bytes as `write_csv_rows`, written by polars when every column is an integer, a float or
    text (the scorecard); other frames go cell by cell."""
    if frame.width < 2 or any(dtype not in _FAST_TYPES for dtype in frame.dtypes) or _has_return(frame):
        return write_csv_rows(frame, out, money)
    texts = frame.with_columns(
        pl.col(name).fill_nan(None) if name in money else _repr_text(frame[name])
        for name, dtype in frame.schema.items()
        if dtype == pl.Float64
    ).with_columns(  # the csv module writes an empty text as an empty field, as a null
        pl.when(pl.col(name) != "").then(pl.col(name)).alias(name)
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    )
    out.write(texts.write_csv(float_precision=2, quote_style="necessary", null_value=""))


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
    run = commands.add_parser("assess", help="record the badge of every supplier at an as-of date; publish the feed")
    run.add_argument("--as-of", required=True, type=_as_of, help="as-of date YYYY-MM-DD (midnight UTC, exclusive)")
    run.add_argument("--publish", metavar="DIR", help="write the storefront feed DIR/storefront-YYYY-MM-DD.csv")
    run.add_argument(
        "--supersede", action="store_true", help="replace the assessment recorded at this date (it stays on record)"
    )
    run.add_argument("--actor", help="who runs it, for the audit trail (default: the login name, $USER)")
    for command in (card, back, run):
        command.add_argument(
            "--url", help="SQLAlchemy URL of the warehouse (default: $TRUST_WAREHOUSE_URL, else data/)"
        )
        command.add_argument("--policy", help="policy JSON file; keys left out keep their defaults")
    for command in (card, back):
        command.add_argument("--format", choices=("csv", "json"), default="csv")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "assess":
        return assess_command(args)
    try:
        policy = Policy.from_file(args.policy) if args.policy else DEFAULT_POLICY
    except PolicyError as exc:
        print(f"error: policy {exc}", file=sys.stderr)
        return 2
    try:
        url = resolve_url(args.url)
        engine = warehouse_engine(url)
        with engine.connect() as conn:
            version = serving.fetch_data_version(conn)
        # The serving layer's snapshot when the dashboard or an earlier run computed it at this data version.
        features = serving.features(url, args.as_of, version, engine.connect)
        if args.command == "backtest":
            with engine.connect() as conn:
                outcomes = fetch_outcomes(conn, args.as_of)
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


def _login_name() -> str:
    """The login name ($LOGNAME or $USER, else the password database), or '' when there is none."""
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no such variable and a uid without a passwd entry (a bare container)
        return ""


def assess_command(args) -> int:
    """`python -m queries assess`: check, assess, record, publish; every refusal before anything is recorded."""
    from policy.assess import counts
    from queries.assess import assessment_at
    from store import assessments as store

    actor = args.actor or _login_name()
    try:
        key = warehouse_key(args.url)
        policy = Policy.from_file(args.policy) if args.policy else None
    except PolicyError as exc:
        print(f"error: policy {exc}", file=sys.stderr)
        return 2
    except WarehouseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    run = None
    try:
        if policy is None:
            name, version, policy = store.policy_for(key)
        else:
            name, version = Path(args.policy).name, None
        store.check_assessment(key, args.as_of, supersede=args.supersede)
        if not actor.strip():
            raise store.AssessmentRefused("Who runs the assessment is required: pass --actor NAME or set $USER.")
        if args.publish:
            folder = Path(args.publish)
            folder.mkdir(parents=True, exist_ok=True)
            if not os.access(folder, os.W_OK):
                raise PermissionError(f"the folder {folder} is not writable")
        previous = store.previous_assessment(key, args.as_of)
        engine = warehouse_engine(resolve_url(args.url))
        with engine.connect() as conn:
            assessment = assessment_at(conn, args.as_of, policy, previous)
        run = store.record_assessment(
            key,
            args.as_of,
            assessment,
            policy=policy,
            policy_name=name,
            policy_version=version,
            actor=actor,
            supersede=args.supersede,
        )
        written = store.publish(run.run_id, args.publish, actor) if args.publish else None
    except store.AssessmentRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (WarehouseError, store.AppDatabaseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        done = f"run {run.run_id} is recorded but not published" if run else "nothing was recorded or published"
        print(f"error: cannot write the storefront feed ({exc.strerror or exc}); {done}", file=sys.stderr)
        return 1
    except Exception as exc:  # a driver error carries SQL and URLs: name only its kind
        logging.getLogger("trust.assess").debug("assess failed", exc_info=True)
        print(
            f"error: the warehouse or the app database failed ({type(exc).__name__}); check the URLs and the tables",
            file=sys.stderr,
        )
        return 1
    tally = counts(assessment)
    shown = f"{name} v{version}" if version else name
    print(
        f"run {run.run_id} ({run.action}) at {args.as_of:%Y-%m-%d} under {shown}: {tally['suppliers']:,} suppliers, "
        f"{tally['holders']:,} hold the badge ({tally['kept_under_grace']:,} kept under grace)"
        + (f"; published {written}" if written else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
