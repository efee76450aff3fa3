"""queries.uptake on real DuckDB and PostgreSQL: as-of dates, freshness, the one-pass history against
one scorecard per as-of date, uptake under a policy, and program facts per month."""

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from pyhive import sqlalchemy_hive
from sqlalchemy.dialects import postgresql

from data.ddl import create_schema
from policy import DEFAULT_POLICY
from queries import freshness as freshness_module
from queries.freshness import data_end, default_as_of, fetch_data_end, fetch_freshness, freshness_statement
from queries.scorecard import fetch_features
from queries.uptake import (
    HISTORY_COLUMNS,
    HistoryLayout,
    fetch_history_features,
    fetch_program_monthly,
    history_facts_statement,
    history_inquiries_statement,
    history_suppliers_statement,
    month_starts,
    program_monthly_statement,
    uptake_breakdown,
    uptake_series,
)
from queries.windows import activity_bound
from queries.windows import default_as_of as windows_default_as_of
from tests.warehouse import load_rows

D = datetime


# ---------------------------------------------------------------------------------------------- as-of dates


def test_month_starts_on_a_first_ends_with_it():
    points = month_starts(date(2026, 11, 1), 24)
    assert len(points) == 24
    assert points[0] == date(2024, 12, 1) and points[-2:] == (date(2026, 10, 1), date(2026, 11, 1))


def test_month_starts_mid_month_ends_with_the_day_itself():
    points = month_starts(date(2026, 11, 15), 24)
    assert points[0] == date(2024, 12, 1) and points[-2:] == (date(2026, 10, 1), date(2026, 11, 15))
    assert date(2026, 11, 1) not in points


def test_month_starts_crosses_a_year_and_small_counts():
    assert month_starts(date(2026, 1, 20), 3) == (date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 20))
    assert month_starts(date(2026, 1, 20), 1) == (date(2026, 1, 20),)
    with pytest.raises(ValueError, match="count"):
        month_starts(date(2026, 1, 20), 0)


def test_layout_slots_and_shared_30_day_windows():
    layout = HistoryLayout.of((date(2026, 3, 1), date(2026, 1, 1), date(2026, 2, 1)))
    # as_of, a365, a182 of each: 2026-01-01, 2025-01-01, 2025-07-03; 2026-02-01, 2025-02-01, 2025-08-03;
    # 2026-03-01, 2025-03-01, 2025-08-31.
    assert layout.bounds == tuple(
        D(*ymd)
        for ymd in [(2025, 1, 1), (2025, 2, 1), (2025, 3, 1), (2025, 7, 3), (2025, 8, 3), (2025, 8, 31)]
        + [(2026, 1, 1), (2026, 2, 1), (2026, 3, 1)]
    )
    # W365 at 2026-02-01 is [2025-02-01, 2026-02-01): slots 2 … 7.
    assert layout.window_slots(1, 365) == (1, 7)
    # W30 of 2026-03-01 is [2026-01-30, 2026-03-01) and of 2026-02-01 [2026-01-02, 2026-02-01): Jan 30–31
    # are in both. Slots: before 2025-12-02, then from 12-02, 01-01, 01-02, 01-30, 02-01, 03-01.
    assert layout.inquiry_points == ((), (0,), (), (1,), (1, 2), (2,), ())
    # 2025-06-10, 06-25 and 07-01: [05-11, 06-10), [05-26, 06-25), [06-01, 07-01) all hold 2025-06-01.
    odd = HistoryLayout.of((date(2025, 6, 10), date(2025, 6, 25), date(2025, 7, 1)))
    assert max(len(points) for points in odd.inquiry_points) == 3


# ---------------------------------------------------------------------------------------------- freshness


def _order(order_id, supplier_id, completed_at, amount, **columns):
    placed_at = columns.pop("placed_at", completed_at - timedelta(days=20) if completed_at else None)
    return {
        "order_id": order_id,
        "supplier_id": supplier_id,
        "placed_at": placed_at,
        "completed_at": completed_at,
        "amount_usd": amount,
        **columns,
    }


def _claim(claim_id, order_id, filed_at, reason, status, refund="0", **columns):
    row = {"claim_id": claim_id, "order_id": order_id, "filed_at": filed_at, "reason": reason, "status": status}
    return {**row, "refund_usd": refund, **columns}


class _LastMicrosecondOf2026_03_15(datetime):
    """ "Now" frozen at the last microsecond of a UTC day (a test reading the real clock fails at midnight)."""

    @classmethod
    def now(cls, tz=None):
        return datetime(2026, 3, 15, 23, 59, 59, 999_999, tzinfo=UTC).astimezone(tz)


def test_freshness_of_an_empty_and_a_filled_warehouse(engine, monkeypatch):
    create_schema(engine)  # the schema alone
    with engine.connect() as conn:
        empty = fetch_freshness(conn)
    assert empty == {"latest_order_at": None, "latest_activity_at": None, "ignored_after": None}
    load_rows(engine, {"suppliers": [{"supplier_id": 1, "registered_at": D(2025, 4, 2, 9), "ta_enrolled_at": None}]})
    with engine.connect() as conn:
        registered = fetch_freshness(conn)
    # A registration is an event too: the data runs through it, though nobody has ordered yet.
    assert registered == {"latest_order_at": None, "latest_activity_at": D(2025, 4, 2, 9), "ignored_after": None}
    # Without data, today in UTC, even where the local day is already the 16th.
    monkeypatch.setattr(freshness_module, "datetime", _LastMicrosecondOf2026_03_15)
    assert default_as_of(empty) == date(2026, 3, 15)
    monkeypatch.undo()

    load_rows(
        engine,
        {
            "buyers": [{"buyer_id": 2}],  # buyer 1 is in from the first load
            "orders": [
                _order(1, 1, D(2026, 3, 9), "10.00", placed_at=D(2026, 3, 1, 8)),
                _order(2, 1, None, "10.00", placed_at=D(2026, 3, 5), status="open"),
            ],
            "claims": [
                {
                    "claim_id": 1,
                    "order_id": 1,
                    "filed_at": D(2026, 3, 10),
                    "reason": "late_shipment",
                    "status": "rejected",
                    "resolved_at": D(2026, 3, 20, 23, 59),
                }
            ],
        },
    )
    with engine.connect() as conn:
        fresh = fetch_freshness(conn)
    # Latest placed_at is order 2's 2026-03-05; the latest of every timestamp is the claim's resolution.
    assert fresh == {
        "latest_order_at": D(2026, 3, 5),
        "latest_activity_at": D(2026, 3, 20, 23, 59),
        "ignored_after": None,
    }
    assert default_as_of(fresh) == date(2026, 3, 21)


@pytest.mark.parametrize("placeholder", [D(9999, 12, 31, 23, 59, 59), D(2204, 3, 1)])
def test_a_far_future_timestamp_does_not_move_the_default_as_of(engine, placeholder):
    load_rows(
        engine,
        {
            "suppliers": [{"supplier_id": 1}],
            "orders": [
                _order(1, 1, D(2024, 6, 1), "10.00", placed_at=D(2024, 5, 20)),
                _order(2, 1, None, "9.00", placed_at=D(2024, 6, 5, 10), status="open"),
            ],
            "claims": [
                {
                    "claim_id": 1,
                    "order_id": 1,
                    "filed_at": D(2024, 6, 10),
                    "reason": "late_shipment",
                    "status": "rejected",
                    "resolved_at": D(2024, 6, 12, 8),
                },
                {
                    "claim_id": 2,
                    "order_id": 1,
                    "filed_at": D(2024, 6, 11),
                    "reason": "late_shipment",
                    "status": "rejected",
                    "resolved_at": placeholder,
                },
            ],
        },
    )
    with engine.connect() as conn:
        fresh = fetch_freshness(conn)
    # Only events up to a year after the latest order (2024-06-05 10:00) count: claim 1's resolution is last.
    assert fresh == {
        "latest_order_at": D(2024, 6, 5, 10),
        "latest_activity_at": D(2024, 6, 12, 8),
        "ignored_after": D(2025, 6, 5, 10),
    }
    assert default_as_of(fresh) == date(2024, 6, 13)  # the day after the data's last believable event
    # The projection's T is that same day: one definition of the data's end, the placeholder ignored by both.
    with engine.connect() as conn:
        assert fetch_data_end(conn) == data_end(fresh) == date(2024, 6, 13)


def test_activity_bound_and_the_day_after_the_last_event():
    assert activity_bound(D(2024, 6, 5, 10)) == D(2025, 6, 5, 10)
    assert activity_bound(None) == D(2100, 1, 1)
    assert activity_bound(D(9999, 12, 31)) == D(2100, 1, 1)  # no overflow
    assert windows_default_as_of(D(2024, 6, 12, 8), date(2030, 1, 1)) == date(2024, 6, 13)
    assert windows_default_as_of(D(2024, 6, 12, 0, 0), date(2030, 1, 1)) == date(2024, 6, 13)
    assert windows_default_as_of(None, date(2030, 1, 1)) == date(2030, 1, 1)
    assert windows_default_as_of(D(9999, 12, 31, 23, 59), date(2030, 1, 1)) == date(2100, 1, 2)


# ---------------------------------------------------------------------------------------------- history

A0, A1, A2 = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


def _hand_built():
    # Windows (2025 is not a leap year):
    #   A0 2026-01-01: W365 from 2025-01-01, W182 from 2025-07-03, W30 from 2025-12-02
    #   A1 2026-02-01: W365 from 2025-02-01, W182 from 2025-08-03, W30 from 2026-01-02
    #   A2 2026-03-01: W365 from 2025-03-01, W182 from 2025-08-31, W30 from 2026-01-30
    covered = [
        (1, D(2025, 1, 1), "100.00"),  # W365 at A0 only (window start is inclusive)
        (2, D(2025, 12, 31, 23, 59, 59), "200.50"),  # everywhere
        (3, D(2026, 1, 1), "50.25"),  # not at A0 (window end is exclusive), at A1 and A2
        (4, D(2025, 8, 31), "10.00"),  # W182 at A2 starts exactly here: in
        (5, D(2025, 8, 30, 23, 59, 59, 999999), "1000.00"),  # one microsecond before it: out of W182 at A2
    ]
    orders = [
        {
            "order_id": oid,
            "supplier_id": 1,
            "placed_at": done - timedelta(days=20),
            "ship_by": done,  # due the day it completes, shipped a day early
            "shipped_at": done - timedelta(days=1),
            "completed_at": done,
            "amount_usd": amount,
        }
        for oid, done, amount in covered
    ]
    orders += [
        # Not covered: never a deal.
        {
            "order_id": 6,
            "supplier_id": 1,
            "placed_at": D(2025, 12, 1),
            "completed_at": D(2025, 12, 5),
            "amount_usd": 7,
            "ta_covered": False,
        },
        # Open, due 2026-02-15 and not shipped: a late shipment at A2 only.
        {
            "order_id": 7,
            "supplier_id": 1,
            "placed_at": D(2026, 2, 10),
            "ship_by": D(2026, 2, 15),
            "status": "open",
            "amount_usd": 5,
        },
    ]
    return {
        "suppliers": [
            {"supplier_id": 1, "registered_at": D(2025, 6, 1), "ta_enrolled_at": D(2026, 1, 15)},
            {"supplier_id": 2, "country_code": "VN", "category": "Textiles", "ta_enrolled_at": None},
        ],
        "orders": orders,
        "inquiries": [
            # Answered after exactly 24 h at A1 = 2026-02-01: unanswered at A1, answered within 24 h at A2.
            {"inquiry_id": 1, "supplier_id": 1, "received_at": D(2026, 1, 31), "first_response_at": D(2026, 2, 1)},
        ],
        "claims": [
            {
                "claim_id": 1,
                "order_id": 2,
                "filed_at": D(2025, 12, 15),
                "reason": "late_shipment",
                "status": "refunded",
                "refund_usd": "30.00",
            },
            {"claim_id": 2, "order_id": 3, "filed_at": D(2025, 8, 1), "reason": "not_delivered", "status": "rejected"},
        ],
    }


def test_history_by_hand(engine):
    load_rows(engine, _hand_built())
    with engine.connect() as conn:
        history = fetch_history_features(conn, (A2, A0, A1, A1))  # any order, duplicates read once
    assert history.columns == list(HISTORY_COLUMNS)
    assert history["as_of"].to_list() == [A0, A0, A1, A1, A2, A2]
    one = history.filter(pl.col("supplier_id") == 1)
    # deals_12m: A0 orders 1, 2, 4, 5 = 100 + 200.50 + 10 + 1000 = 1310.50; A1 and A2 orders 2, 3, 4, 5 =
    # 200.50 + 50.25 + 10 + 1000 = 1260.75.
    assert one["deals_12m"].to_list() == [4, 4, 4]
    assert one["value_12m_usd"].to_list() == [1310.50, 1260.75, 1260.75]
    # orders_6m: A0 orders 2, 4, 5 = 1210.50; A1 orders 2, 3, 4, 5 = 1260.75; A2 orders 2, 3, 4 = 260.75.
    assert one["orders_6m"].to_list() == [3, 4, 3]
    assert one["gmv_6m_usd"].to_list() == [1210.50, 1260.75, 260.75]
    # Shipments due in W182 (covered, not cancelled): each deal is due when it completes, shipped a day
    # early; order 7 (due 2026-02-15, not shipped) joins at A2.
    # A0: 2, 4, 5 → 3/3; A1: 2, 3, 4, 5 → 4/4; A2: 2, 3, 4, 7 → 3/4.
    assert one["on_time_rate_6m"].to_list() == [1.0, 1.0, 0.75]
    # Claim 1 (refunded, 30.00, filed 2025-12-15) is in every window; claim 2 (2025-08-01) in W365 only.
    assert one["refunds_12m_usd"].to_list() == [30.0, 30.0, 30.0]
    assert one["upheld_claims_6m"].to_list() == [1, 1, 1]
    assert one["claims_12m"].to_list() == [2, 2, 2]
    assert one["claim_rate_6m"].to_list() == [1 / 3, 1 / 4, 1 / 3]
    # Inquiry 1: no inquiry in W30 at A0; at A1 received but not answered before A1; at A2 answered in 24 h.
    assert one["response_rate_30d"].to_list() == [None, 0.0, 1.0]
    assert one["median_response_hours_30d"].to_list() == [None, None, 24.0]
    # Enrolled 2026-01-15: not at A0. Registered 2025-06-01: 214 days before A0 (30+31+31+30+31+30+31).
    assert one["enrolled"].to_list() == [False, True, True]
    assert one["account_age_days"].to_list() == [214.0, 245.0, 273.0]
    two = history.filter(pl.col("supplier_id") == 2)
    assert two["deals_12m"].to_list() == [0, 0, 0] and two["on_time_rate_6m"].to_list() == [None] * 3
    assert two["country_code"].to_list() == ["VN"] * 3 and two["enrolled"].to_list() == [False] * 3


REPLY_COLUMNS = ("response_rate_30d", "median_response_hours_30d")


def _assert_history_equals_scorecards(conn, as_ofs):
    """Every column equal to one scorecard per as-of date; the 30-day reply rates where enrolled, and
    null where not (the history leaves them out there)."""
    history = fetch_history_features(conn, as_ofs)
    for as_of in sorted(set(as_ofs)):
        expected = fetch_features(conn, as_of).select(HISTORY_COLUMNS[1:])
        got = history.filter(pl.col("as_of") == as_of).drop("as_of")
        assert_frame_equal(got.drop(REPLY_COLUMNS), expected.drop(REPLY_COLUMNS), check_exact=True)
        enrolled = pl.col("enrolled")
        assert_frame_equal(got.filter(enrolled), expected.filter(enrolled), check_exact=True)
        assert got.filter(~enrolled).select(pl.col(REPLY_COLUMNS).is_null().all()).row(0) == (True, True)


def test_history_equals_one_scorecard_per_as_of_by_hand(engine):
    load_rows(engine, _hand_built())
    with engine.connect() as conn:
        _assert_history_equals_scorecards(conn, (A0, A1, A2, date(2026, 1, 17)))


def _random_warehouse(seed: int, as_ofs) -> dict:
    """A small seeded warehouse; a third of its timestamps sit on a window boundary of `as_ofs` or 1 µs off."""
    rng = random.Random(seed)
    edges = []
    for a in as_ofs:
        end = datetime.combine(a, datetime.min.time())
        edges += [end - timedelta(days=days) for days in (0, 30, 182, 365)]

    def ts():
        if rng.random() < 0.35:
            return rng.choice(edges) + timedelta(microseconds=rng.choice((0, 0, -1, 1)))
        return D(2023, 6, 1) + timedelta(seconds=rng.randrange(1100 * 86_400))

    suppliers = [
        {
            "supplier_id": s,
            "country_code": rng.choice(["CN", "VN"]),
            "category": rng.choice(["Machinery", "Textiles"]),
            "registered_at": ts(),
            "ta_enrolled_at": rng.choice([None, ts()]),
        }
        for s in range(1, 9)
    ]
    orders = []
    for oid in range(1, 301):
        status = rng.choice(["open", "completed", "completed", "cancelled"])
        ship_by = ts()
        orders.append(
            {
                "order_id": oid,
                "supplier_id": rng.randrange(1, 9),
                "placed_at": ship_by - timedelta(days=rng.randrange(0, 30)),
                "ship_by": ship_by,
                "shipped_at": rng.choice([None, ship_by, ship_by + timedelta(hours=rng.randrange(-90, 90))]),
                "completed_at": ts() if status == "completed" else None,
                "status": status,
                "amount_usd": Decimal(rng.randrange(1, 10**7)) / 100,
                "ta_covered": rng.random() < 0.75,
            }
        )
    inquiries = []
    for iid in range(1, 301):
        received = ts()
        answer = rng.choice(
            [None, timedelta(hours=24), timedelta(hours=24, microseconds=1), timedelta(seconds=rng.randrange(200_000))]
        )
        inquiries.append(
            {
                "inquiry_id": iid,
                "supplier_id": rng.randrange(1, 9),
                "received_at": received,
                "first_response_at": None if answer is None else received + answer,
            }
        )
    claims = []
    for cid in range(1, 61):
        status = rng.choice(["open", "refunded", "partially_refunded", "rejected", "withdrawn"])
        upheld = status in ("refunded", "partially_refunded")
        claims.append(
            {
                "claim_id": cid,
                "order_id": rng.randrange(1, 301),
                "filed_at": ts(),
                "reason": rng.choice(
                    ["late_shipment", "quality_on_arrival", "quality_after_delivery", "not_delivered"]
                ),
                "status": status,
                "refund_usd": Decimal(rng.randrange(1, 10**6)) / 100 if upheld else Decimal(0),
            }
        )
    return {"suppliers": suppliers, "orders": orders, "inquiries": inquiries, "claims": claims}


@pytest.mark.parametrize("seed", [7, 42])
def test_history_equals_one_scorecard_per_as_of_random(engine, seed):
    monthly = month_starts(date(2026, 3, 17), 14)
    odd = (date(2025, 6, 10), date(2025, 6, 25), date(2025, 7, 1))  # three 30-day windows share a day
    load_rows(engine, _random_warehouse(seed, monthly + odd))
    with engine.connect() as conn:
        _assert_history_equals_scorecards(conn, monthly)
        _assert_history_equals_scorecards(conn, odd)


def test_statements_compile_for_every_engine():
    for dialect in (postgresql.dialect(), sqlalchemy_hive.HiveDialect()):
        for statement in (
            history_facts_statement(9),
            history_facts_statement(3),
            history_inquiries_statement(((), (0,), (), (1,), (1, 2), (2,), ()), 3),
            history_inquiries_statement(((), (0,), ()), 1),
            history_suppliers_statement(),
            program_monthly_statement(),
            freshness_statement(),
            freshness_statement(bound=True),
        ):
            assert "SELECT" in str(statement.compile(dialect=dialect))
        bounded = freshness_statement(bound=True).compile(dialect=dialect)
        assert set(bounded.params) == {"activity_bound"}  # the bound is a parameter, never a literal


# ---------------------------------------------------------------------------------------------- uptake


def _history_frame():
    row = {
        "country_code": "CN",
        "category": "Machinery",
        "enrolled": True,
        "account_age_days": 400.0,
        "orders_6m": 10,
        "gmv_6m_usd": 20_000.0,
        "on_time_rate_6m": 1.0,
        "claim_rate_6m": 0.0,
        "response_rate_30d": None,
        "median_response_hours_30d": None,
        "deals_12m": 20,
        "value_12m_usd": 30_000.0,
        "refunds_12m_usd": 0.0,
        "upheld_claims_6m": 0,
    }
    rows = [
        {**row, "as_of": A1, "supplier_id": 1},  # qualified: 0.5 × 20,000 = 10,000
        {**row, "as_of": A1, "supplier_id": 2, "enrolled": False, "value_12m_usd": 500.0},
        {**row, "as_of": A1, "supplier_id": 3, "country_code": "VN", "category": "Textiles", "value_12m_usd": 250.0},
        {**row, "as_of": A2, "supplier_id": 1, "gmv_6m_usd": 12_345.0},  # 6,172.50 → 6,100
        {**row, "as_of": A2, "supplier_id": 2, "enrolled": False},
        {**row, "as_of": A2, "supplier_id": 3, "orders_6m": 2, "refunds_12m_usd": 99.5},  # fails min_orders
    ]
    return pl.DataFrame(rows)


def test_uptake_series_by_hand():
    series = uptake_series(_history_frame(), DEFAULT_POLICY)
    assert series["as_of"].to_list() == [A1, A2]
    assert series["suppliers"].to_list() == [3, 3]
    assert series["enrolled"].to_list() == [2, 2]  # supplier 2 never
    assert series["qualified"].to_list() == [1, 1]  # supplier 1 (3 is VN at A1, short of orders at A2)
    # A1: 30,000 + 500 + 250; A2: 3 × 30,000.
    assert series["covered_value_12m_usd"].to_list() == [30_750.0, 90_000.0]
    assert series["refunds_12m_usd"].to_list() == [0.0, 99.5]
    assert series["ta_amount_usd"].to_list() == [10_000.0, 6_100.0]


def test_uptake_breakdown_by_country_and_allow_list():
    at_a1 = _history_frame().filter(pl.col("as_of") == A1)
    by_country = uptake_breakdown(at_a1, DEFAULT_POLICY, "country_code")
    assert by_country["country_code"].to_list() == ["CN", "VN"]
    assert by_country["suppliers"].to_list() == [2, 1]
    assert by_country["enrolled"].to_list() == [1, 1]
    assert by_country["qualified"].to_list() == [1, 0]
    assert by_country["covered_value_12m_usd"].to_list() == [30_500.0, 250.0]
    assert by_country["ta_amount_usd"].to_list() == [10_000.0, 0.0]
    with pytest.raises(ValueError, match="by"):
        uptake_breakdown(at_a1, DEFAULT_POLICY, "name; DROP TABLE suppliers")
    with pytest.raises(ValueError, match="one as-of"):
        uptake_breakdown(_history_frame(), DEFAULT_POLICY, "category")


# ---------------------------------------------------------------------------------------------- program monthly


def test_program_monthly_by_hand(engine):
    load_rows(
        engine,
        {
            "suppliers": [
                {"supplier_id": 1},
                {"supplier_id": 2, "country_code": "VN", "category": "Textiles"},
            ],
            "orders": [
                {
                    "order_id": 1,
                    "supplier_id": 1,
                    "placed_at": D(2026, 1, 2),
                    "completed_at": D(2026, 1, 15),
                    "amount_usd": "100.00",
                },
                {
                    "order_id": 2,
                    "supplier_id": 1,
                    "placed_at": D(2026, 1, 2),
                    "completed_at": D(2026, 1, 20),
                    "amount_usd": "50.00",
                    "ta_covered": False,
                },
                {
                    "order_id": 3,
                    "supplier_id": 2,
                    "placed_at": D(2026, 1, 2),
                    "completed_at": D(2026, 2, 1),
                    "amount_usd": "70.00",
                },
                # Completed at as_of itself: outside [first_month, as_of).
                {
                    "order_id": 4,
                    "supplier_id": 1,
                    "placed_at": D(2026, 1, 2),
                    "completed_at": D(2026, 3, 1),
                    "amount_usd": "999.00",
                },
                {"order_id": 5, "supplier_id": 1, "placed_at": D(2026, 1, 2), "status": "open", "amount_usd": "5.00"},
                {
                    "order_id": 6,
                    "supplier_id": 1,
                    "placed_at": D(2025, 12, 2),
                    "completed_at": D(2025, 12, 31),
                    "amount_usd": "8.00",
                },
            ],
            "claims": [
                {
                    "claim_id": 1,
                    "order_id": 1,
                    "filed_at": D(2026, 1, 31, 23, 59),
                    "reason": "late_shipment",
                    "status": "refunded",
                    "refund_usd": "20.00",
                },
                {
                    "claim_id": 2,
                    "order_id": 3,
                    "filed_at": D(2026, 2, 10),
                    "reason": "quality_on_arrival",
                    "status": "rejected",
                },
                {
                    "claim_id": 3,
                    "order_id": 6,
                    "filed_at": D(2025, 12, 31),
                    "reason": "not_delivered",
                    "status": "refunded",
                    "refund_usd": "8.00",
                },
            ],
        },
    )
    with engine.connect() as conn:
        monthly = fetch_program_monthly(conn, date(2026, 1, 1), date(2026, 3, 1))
    assert monthly.to_dicts() == [
        # January, CN Machinery: order 1 covered (100), order 2 not (50): GMV 150; claim 1 late, 20 refunded.
        {
            "month": date(2026, 1, 1), "country_code": "CN", "category": "Machinery",
            "covered_deals": 1, "covered_gmv_usd": 100.0, "gmv_usd": 150.0, "claims": 1,
            "claims_late_shipment": 1, "claims_quality_on_arrival": 0, "claims_quality_after_delivery": 0,
            "claims_not_delivered": 0, "refunds_usd": 20.0,
        },
        # February, VN Textiles: order 3 completed at 2026-02-01 00:00; claim 2 rejected.
        {
            "month": date(2026, 2, 1), "country_code": "VN", "category": "Textiles",
            "covered_deals": 1, "covered_gmv_usd": 70.0, "gmv_usd": 70.0, "claims": 1,
            "claims_late_shipment": 0, "claims_quality_on_arrival": 1, "claims_quality_after_delivery": 0,
            "claims_not_delivered": 0, "refunds_usd": 0.0,
        },
    ]  # fmt: skip


def test_covered_share_by_hand():
    from queries.uptake import covered_share

    rows = pl.DataFrame({"covered_gmv_usd": [3000.0, 1000.0, 0.0], "gmv_usd": [4000.0, 1000.0, 3000.0]})
    assert covered_share(rows) == pytest.approx(4000 / 8000)  # 0.5
    assert covered_share(rows.clear()) is None
    assert covered_share(pl.DataFrame({"covered_gmv_usd": [0.0], "gmv_usd": [0.0]})) is None
