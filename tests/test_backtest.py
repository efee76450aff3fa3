"""Backtests: the outcomes after A0 on DuckDB and PostgreSQL, the command line, and the pure-polars summaries.

Every expected number is worked out by hand in the test (the arithmetic is in the comments).
"""

import json
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb_engine
import polars as pl
import pytest
from pyhive.sqlalchemy_hive import HiveDialect
from sqlalchemy import create_engine
from sqlalchemy.dialects import postgresql

from policy import DEFAULT_POLICY, Policy, PolicyError
from policy.backtest import (
    SUMMARY_COLUMNS,
    TRADEOFF_COLUMNS,
    backtest_series,
    backtest_summary,
    badge_sequence,
    flip_counts,
    tradeoff_curve,
)
from queries.__main__ import main
from queries.backtest import OutcomeWindow, fetch_outcomes, outcomes_statement
from queries.scorecard import RAW_SCHEMA, derive_features
from tests.warehouse import load_rows

REPO = Path(__file__).resolve().parent.parent
A0 = date(2024, 7, 1)
START = datetime(2024, 7, 1)
# July 31 + August 31 + September 30 + October 31 + November 30 = 153 days to 2024-12-01; + 29 = 182.
END = datetime(2024, 12, 30)
SEC = timedelta(seconds=1)
DAY = timedelta(days=1)
MID = datetime(2024, 9, 15)  # well inside [A0, A0 + 182 d)


def deal(supplier_id, completed_at, amount, **extra):
    """A covered order completed at `completed_at`, placed and shipped on time ten days earlier."""
    placed = completed_at - 10 * DAY
    return {
        "supplier_id": supplier_id,
        "placed_at": placed,
        "ship_by": placed + DAY,
        "shipped_at": placed + DAY,
        "completed_at": completed_at,
        "amount_usd": amount,
        **extra,
    }


def claim(order_id, filed_at, status, refund="0"):
    return {
        "order_id": order_id,
        "filed_at": filed_at,
        "status": status,
        "refund_usd": refund,
        "reason": "quality_after_delivery",
    }


def outcomes(engine, tables) -> dict[int, dict]:
    load_rows(engine, tables)
    with engine.connect() as conn:
        frame = fetch_outcomes(conn, A0)
    return {row["supplier_id"]: row for row in frame.iter_rows(named=True)}


# --- queries.backtest ------------------------------------------------------------------------------


def test_outcome_window_is_the_hand_computed_dates():
    assert OutcomeWindow.at(A0).params() == {"a0": START, "a0_end": END}


@pytest.mark.parametrize(
    "dialect", [duckdb_engine.Dialect(), postgresql.dialect(), HiveDialect()], ids=lambda dialect: dialect.name
)
def test_outcomes_statement_binds_the_window(dialect):
    """The window is bound as parameters (tests/test_parity.py runs the statement on PostgreSQL and Spark)."""
    compiled = outcomes_statement().compile(dialect=dialect)
    assert {"a0", "a0_end"} <= set(compiled.params)
    assert "DOUBLE" in str(compiled)  # money carried as a double, as in the scorecard


def test_deals_count_by_completed_at_from_a0_to_182_days_later(engine):
    rows = outcomes(
        engine,
        {
            "suppliers": [{"supplier_id": 1}, {"supplier_id": 2}],
            "orders": [
                deal(1, START, "100.00"),  # exactly at A0: counts
                deal(1, START - SEC, "200.00"),  # a second before A0: does not
                deal(1, END - SEC, "400.00"),  # a second before A0 + 182 d: counts
                deal(1, END, "800.00"),  # at A0 + 182 d: does not
                deal(1, MID, "1600.00", status="open"),  # not completed
                deal(1, MID, "3200.00", status="cancelled"),
                deal(1, MID, "6400.00", ta_covered=False),  # not paid through the program
            ],
        },
    )
    # 100.00 + 400.00 = 500.00 over 2 deals.
    assert (rows[1]["deals_next_6m"], rows[1]["value_next_6m_usd"]) == (2, 500.00)
    # Supplier 2 has nothing: zeros, not nulls.
    assert rows[2] == {
        "supplier_id": 2,
        "deals_next_6m": 0,
        "value_next_6m_usd": 0.0,
        "upheld_claims_next_6m": 0,
        "refunds_next_6m_usd": 0.0,
    }
    assert list(rows) == [1, 2]


def test_claims_filed_in_the_window_upheld_and_refunds(engine):
    rows = outcomes(
        engine,
        {
            "suppliers": [{"supplier_id": 1}, {"supplier_id": 2}],
            "orders": [
                deal(1, datetime(2024, 3, 1), "100.00", order_id=1),  # an order completed before A0
                deal(1, MID, "100.00", order_id=2, ta_covered=False),  # an uncovered order
                deal(2, datetime(2024, 3, 1), "100.00", order_id=3),
            ],
            "claims": [
                claim(1, START, "refunded", "10.00"),  # filed exactly at A0: upheld, refund
                claim(1, END - SEC, "partially_refunded", "2.50"),  # last second: upheld, refund
                claim(1, END, "refunded", "1000.00"),  # at A0 + 182 d: nothing
                claim(1, START - SEC, "refunded", "2000.00"),  # before A0: nothing
                claim(1, MID, "rejected"),
                claim(1, MID, "open"),
                claim(1, MID, "withdrawn"),
                claim(2, MID, "refunded", "0.10"),  # on an uncovered order: still the supplier's claim
                claim(2, MID, "refunded", "0.20"),
                claim(3, MID, "rejected"),  # supplier 2: a claim, but not upheld
            ],
        },
    )
    # Upheld in the window: 10.00, 2.50, 0.10, 0.20 → 4; refunds 10.00 + 2.50 + 0.10 + 0.20 = 12.80.
    assert rows[1]["upheld_claims_next_6m"] == 4
    assert rows[1]["refunds_next_6m_usd"] == 12.80
    # No covered deal completed in the window (order 2 is not covered).
    assert rows[1]["deals_next_6m"] == 0
    assert (rows[2]["upheld_claims_next_6m"], rows[2]["refunds_next_6m_usd"]) == (0, 0.0)


# --- the command line ------------------------------------------------------------------------------


def cli_warehouse(path: Path) -> str:
    """A DuckDB file: supplier 1 qualifies at A0, 2 never enrolled, 3 in VN, 4 without history."""
    url = f"duckdb:///{path}"
    engine = create_engine(url)
    history = [deal(1, datetime(2024, 3, 15), "4000.00", order_id=n) for n in (1, 2, 3)]
    load_rows(
        engine,
        {
            "suppliers": [
                {"supplier_id": 1},
                {"supplier_id": 2, "ta_enrolled_at": None},
                {"supplier_id": 3, "country_code": "VN"},
                {"supplier_id": 4},
            ],
            "orders": [
                *history,  # 3 covered deals in W182 worth 12,000.00, shipped on time: qualified
                deal(1, datetime(2024, 8, 1), "100.00", order_id=4),
                deal(1, datetime(2024, 8, 2), "100.00", order_id=5),
                deal(3, datetime(2024, 8, 1), "100.00", order_id=6),
            ],
            "claims": [
                claim(1, datetime(2024, 9, 1), "refunded", "10.10"),
                claim(4, datetime(2024, 9, 2), "partially_refunded", "0.20"),
                claim(6, datetime(2024, 9, 3), "rejected"),
            ],
        },
    )
    engine.dispose()
    return url


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "queries", *args], cwd=REPO, capture_output=True, text=True, timeout=60
    )


def test_cli_backtest_csv_and_json(tmp_path, capsys):
    url = cli_warehouse(tmp_path / "warehouse.duckdb")
    csv = run_cli("backtest", "--as-of", "2024-07-01", "--url", url)
    assert csv.returncode == 0, csv.stderr
    # Supplier 1: 2 deals in the window; 2 upheld claims; refunds 10.10 + 0.20 = 10.30.
    assert csv.stdout == (
        "supplier_id,badge,deals_next_6m,upheld_claims_next_6m,refunds_next_6m_usd\n"
        "1,qualified,2,2,10.30\n"
        "2,not_enrolled,0,0,0.00\n"
        "3,region_not_open,1,0,0.00\n"
        "4,not_qualified,0,0,0.00\n"
    )
    # The same rows as JSON (in-process: one interpreter start is enough for the test run).
    assert main(["backtest", "--as-of", "2024-07-01", "--url", url, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"supplier_id": 1, "badge": "qualified", "deals_next_6m": 2, "upheld_claims_next_6m": 2,
         "refunds_next_6m_usd": 10.3},
        {"supplier_id": 2, "badge": "not_enrolled", "deals_next_6m": 0, "upheld_claims_next_6m": 0,
         "refunds_next_6m_usd": 0.0},
        {"supplier_id": 3, "badge": "region_not_open", "deals_next_6m": 1, "upheld_claims_next_6m": 0,
         "refunds_next_6m_usd": 0.0},
        {"supplier_id": 4, "badge": "not_qualified", "deals_next_6m": 0, "upheld_claims_next_6m": 0,
         "refunds_next_6m_usd": 0.0},
    ]  # fmt: skip


def test_cli_backtest_policy_file_and_errors(tmp_path, capsys):
    url = cli_warehouse(tmp_path / "warehouse.duckdb")
    # Four deals needed: supplier 1 (three) no longer qualifies; the grace key is accepted.
    strict = tmp_path / "strict.json"
    strict.write_text('{"min_orders_6m": 4, "grace_assessments": 2}')
    assert main(["backtest", "--as-of", "2024-07-01", "--url", url, "--policy", str(strict)]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "1,not_qualified,2,2,10.30"

    bad = tmp_path / "bad.json"
    bad.write_text('{"grace_assessments": 25}')
    assert main(["backtest", "--as-of", "2024-07-01", "--url", url, "--policy", str(bad)]) == 2
    assert "grace_assessments" in capsys.readouterr().err

    assert main(["backtest", "--as-of", "2024-07-01", "--url", f"duckdb:///{tmp_path / 'none.duckdb'}"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: No DuckDB warehouse") and "Traceback" not in err


def test_grace_assessments_is_a_policy_key():
    assert Policy.from_mapping({"grace_assessments": 2}).grace_assessments == 2
    assert DEFAULT_POLICY.grace_assessments == 0
    for value in (25, -1, 1.5, "2", True):
        with pytest.raises(PolicyError) as caught:
            Policy.from_mapping({"grace_assessments": value})
        assert caught.value.key == "grace_assessments"


# --- policy.backtest on hand-built features ---------------------------------------------------------

QUALIFIED = {  # passes every default rule: 10 deals worth 20,000.00, all on time, no claims, no inquiries
    "name": "Supplier",
    "country_code": "CN",
    "category": "Machinery",
    "registered_at": datetime(2020, 1, 1),
    "ta_enrolled_at": datetime(2020, 1, 1),
    "deals_12m": 10,
    "value_12m_usd": 20_000.0,
    "orders_6m": 10,
    "gmv_6m_usd": 20_000.0,
    "inquiries_30d": 0,
    "answered_24h_30d": 0,
    "median_response_micros": None,
    "shipments_6m": 10,
    "on_time_shipments_6m": 10,
    "claims_12m": 0,
    "upheld_claims_6m": 0,
    "refunds_12m_usd": 0.0,
    "open_exposure_usd": 0.0,
}


def features(*rows: dict, as_of: date = A0) -> pl.DataFrame:
    """Scorecard features from raw counts: every key not given is QUALIFIED's."""
    raw = pl.DataFrame([{**QUALIFIED, **row} for row in rows], schema=RAW_SCHEMA)
    return derive_features(raw, as_of)


def outcome_rows(*rows: tuple) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema=["supplier_id", "deals_next_6m", "value_next_6m_usd", "upheld_claims_next_6m", "refunds_next_6m_usd"],
        orient="row",
    )


def test_backtest_summary_by_hand():
    feats = features(
        {"supplier_id": 1, "gmv_6m_usd": 20_000.0},  # amount 0.5 × 20,000 = 10,000
        {"supplier_id": 2, "gmv_6m_usd": 12_000.0},  # amount 6,000
        {"supplier_id": 3, "gmv_6m_usd": 10_000.0},  # amount max(5,000 floor, 5,000) = 5,000
        {"supplier_id": 4, "orders_6m": 1},  # not_qualified
        {"supplier_id": 5, "ta_enrolled_at": None},  # not_enrolled
    )
    outs = outcome_rows(
        (1, 10, 0.0, 1, 2_500.00),
        (2, 5, 0.0, 0, 0.0),
        (3, 5, 0.0, 2, 6_000.00),
        (4, 4, 0.0, 2, 1_000.10),
        (5, 6, 0.0, 1, 499.90),
    )
    summary = backtest_summary(feats, outs, DEFAULT_POLICY)
    assert summary.columns == list(SUMMARY_COLUMNS)
    assert summary.row(0, named=True) == {
        "holders": 3,
        "others": 2,
        "holder_deals": 20,  # 10 + 5 + 5
        "other_deals": 10,  # 4 + 6
        "holder_upheld_claims": 3,  # 1 + 0 + 2
        "other_upheld_claims": 3,  # 2 + 1
        "holder_upheld_claim_rate": 0.15,  # 3 / 20
        "other_upheld_claim_rate": 0.3,  # 3 / 10
        "holder_refunds_usd": 8_500.0,  # 2,500 + 0 + 6,000
        "other_refunds_usd": 1_500.0,  # 1,000.10 + 499.90
        "holder_refunds_per_deal_usd": 425.0,  # 8,500 / 20
        "other_refunds_per_deal_usd": 150.0,  # 1,500 / 10
        "refunds_usd": 10_000.0,
        "holder_refund_share": 0.85,  # 8,500 / 10,000
        "holder_amount_usd": 21_000.0,  # 10,000 + 6,000 + 5,000
        "amount_used_median": 0.25,  # of {2,500 / 10,000 = 0.25, 0 / 6,000 = 0, 6,000 / 5,000 = 1.2}
        "amount_used_max": 1.2,
        "holders_over_amount": 1,  # supplier 3
    }


def test_backtest_summary_without_deals_or_refunds_gives_null_rates():
    summary = backtest_summary(features({"supplier_id": 1}), outcome_rows((1, 0, 0.0, 0, 0.0)), DEFAULT_POLICY)
    row = summary.row(0, named=True)
    assert (row["holders"], row["others"], row["holder_deals"]) == (1, 0, 0)
    assert row["holder_upheld_claim_rate"] is None and row["other_refunds_per_deal_usd"] is None
    assert row["holder_refund_share"] is None
    assert (row["amount_used_median"], row["holders_over_amount"]) == (0.0, 0)


def test_tradeoff_curve_sweeps_min_orders():
    feats = features(
        {"supplier_id": 1, "orders_6m": 2},
        {"supplier_id": 2, "orders_6m": 5},
        {"supplier_id": 3, "orders_6m": 10},
    )
    outs = outcome_rows((1, 4, 0.0, 2, 400.0), (2, 6, 0.0, 1, 100.0), (3, 10, 0.0, 0, 0.0))
    curve = tradeoff_curve(feats, outs, DEFAULT_POLICY, "min_orders_6m", [1, 5, 11])
    assert curve.columns == list(TRADEOFF_COLUMNS)
    assert curve.select("value", "qualified", "holder_deals", "holder_upheld_claims").rows() == [
        (1.0, 3, 20, 3),  # everyone: 4 + 6 + 10 deals, 2 + 1 + 0 upheld
        (5.0, 2, 16, 1),  # suppliers 2 and 3
        (11.0, 0, 0, 0),
    ]
    # Refunds per covered deal of holders: (400 + 100) / 20 = 25.0; 100 / 16 = 6.25; none without deals.
    assert curve["holder_refunds_per_deal_usd"].to_list() == [25.0, 6.25, None]
    assert curve["holder_upheld_claim_rate"].to_list() == [0.15, 1 / 16, None]


def test_tradeoff_curve_allows_only_rule_thresholds():
    feats, outs = features({"supplier_id": 1}), outcome_rows((1, 0, 0.0, 0, 0.0))
    with pytest.raises(PolicyError) as caught:
        tradeoff_curve(feats, outs, DEFAULT_POLICY, "amount_cap_usd", [1.0])
    assert caught.value.key == "amount_cap_usd"
    with pytest.raises(PolicyError) as caught:
        tradeoff_curve(feats, outs, DEFAULT_POLICY, "max_claim_rate", [1.5])
    assert caught.value.key == "max_claim_rate"


# --- grace over monthly assessments ----------------------------------------------------------------

MONTHS = [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1), date(2024, 4, 1), date(2024, 5, 1)]
FAILS = {"orders_6m": 2}  # min_orders fails


def history(sequence: dict[int, list[dict]]) -> dict[date, pl.DataFrame]:
    """{month: features}: per supplier, one dict of overrides per month (an empty dict passes)."""
    return {
        month: features(*({"supplier_id": sid, **rows[i]} for sid, rows in sequence.items()), as_of=month)
        for i, month in enumerate(MONTHS)
    }


# Supplier 1 passes, fails two assessments, passes, passes; supplier 2 fails three times after passing once;
# supplier 3 passes and then opts out (enrolled after the as-of date stands for "not enrolled").
SEQUENCE = {
    1: [{}, FAILS, FAILS, {}, {}],
    2: [{"gmv_6m_usd": 30_000.0}, FAILS, FAILS, FAILS, {}],
    3: [{}, {"ta_enrolled_at": datetime(2030, 1, 1)}, {}, {}, {}],
}


def badges(policy: Policy) -> dict[int, list[str]]:
    seq = badge_sequence(history(SEQUENCE), policy)
    return {sid: seq.filter(pl.col("supplier_id") == sid)["badge"].cast(pl.String).to_list() for sid in SEQUENCE}


def test_grace_two_keeps_the_badge_through_two_failing_assessments():
    got = badges(Policy(grace_assessments=2))
    Q, N = "qualified", "not_qualified"
    assert got[1] == [Q, Q, Q, Q, Q]
    # Supplier 2 last passed at assessment 1: assessments 2 and 3 are within 2 of it, 4 is not.
    assert got[2] == [Q, Q, Q, N, Q]
    # Opting out ends the badge at once, grace or not.
    assert got[3] == [Q, "not_enrolled", Q, Q, Q]


def test_grace_one_loses_it_at_the_second_failing_assessment():
    Q, N = "qualified", "not_qualified"
    assert badges(Policy(grace_assessments=1))[1] == [Q, Q, N, Q, Q]
    assert badges(DEFAULT_POLICY)[1] == [Q, N, N, Q, Q]


def test_grace_shows_the_failed_rules_and_keeps_the_last_amount():
    seq = badge_sequence(history(SEQUENCE), Policy(grace_assessments=2)).filter(pl.col("supplier_id") == 2)
    # Amount at assessment 1: 0.5 × 30,000 = 15,000, kept while in grace.
    assert seq.select("passes", "in_grace", "failed_rules", "ta_amount_usd").rows() == [
        (True, False, "", 15_000.0),
        (False, True, "min_orders", 15_000.0),
        (False, True, "min_orders", 15_000.0),
        (False, False, "min_orders", 0.0),
        (True, False, "", 10_000.0),
    ]


def test_flip_counts_with_and_without_grace():
    counts = flip_counts(history(SEQUENCE), Policy(grace_assessments=2))
    # Without grace: supplier 1 Q N N Q Q → 2 flips; 2 Q N N N Q → 2; 3 Q - Q Q Q → 2.
    # With grace 2: supplier 1 none; 2 Q Q Q N Q → 2; 3 → 2.
    assert counts.per_supplier.rows() == [(1, 2, 0), (2, 2, 2), (3, 2, 2)]
    assert counts.per_assessment.columns == [
        "as_of",
        "gained_without_grace",
        "lost_without_grace",
        "flips_without_grace",
        "gained_with_grace",
        "lost_with_grace",
        "flips_with_grace",
    ]
    assert counts.per_assessment.drop("as_of").rows() == [
        (0, 0, 0, 0, 0, 0),
        (0, 3, 3, 0, 1, 1),  # all three lose it; with grace only supplier 3 (opted out)
        (1, 0, 1, 1, 0, 1),  # supplier 3 back
        (1, 0, 1, 0, 1, 1),  # supplier 1 passes again; with grace supplier 2 runs out
        (1, 0, 1, 1, 0, 1),  # supplier 2 passes again
    ]


def test_backtest_series_counts_holders_in_grace():
    hist = history(SEQUENCE)
    outs = {month: outcome_rows((1, 2, 0.0, 1, 30.0), (2, 1, 0.0, 0, 0.0), (3, 1, 0.0, 0, 0.0)) for month in MONTHS}
    series = backtest_series(hist, outs, Policy(grace_assessments=2))
    assert series.columns == ["as_of", *SUMMARY_COLUMNS]
    assert series["as_of"].to_list() == MONTHS
    # Holders per month with grace 2 (see the grace test): 3, 2, 3, 2, 3.
    assert series["holders"].to_list() == [3, 2, 3, 2, 3]
    # At the second assessment, the holders are 1 and 2 (in grace): 2 + 1 deals, 1 upheld.
    assert series.row(1, named=True)["holder_deals"] == 3
    assert series.row(1, named=True)["holder_upheld_claim_rate"] == pytest.approx(1 / 3)
    # Without grace every row is the single-A0 summary.
    plain = backtest_series(hist, outs, DEFAULT_POLICY)
    for i, month in enumerate(MONTHS):
        single = backtest_summary(hist[month], outs[month], DEFAULT_POLICY)
        assert plain.drop("as_of").row(i) == single.row(0)
