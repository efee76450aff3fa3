"""The scorecard of PRODUCT.md on small hand-built warehouses, on DuckDB and PostgreSQL.

Every expected number is worked out by hand in the test (the arithmetic is in the comments);
each warehouse puts rows exactly on, and one second either side of, the window edges.
"""

from datetime import date, datetime, timedelta

import pytest

from policy import DEFAULT_POLICY
from queries.scorecard import SCORECARD_COLUMNS, build_scorecard, fetch_features
from queries.windows import Windows
from tests.warehouse import load_rows

AS_OF = date(2024, 7, 1)
A = datetime(2024, 7, 1)
# 2023-07-01 → 2024-07-01 is 366 days (it spans 2024-02-29), so A − 365 days is 2023-07-02.
A365 = datetime(2023, 7, 2)
# Jan 31 + Feb 29 + Mar 31 + Apr 30 + May 31 + Jun 30 = 182 days, so A − 182 days is 2024-01-01.
A182 = datetime(2024, 1, 1)
# June has 30 days, so A − 30 days is 2024-06-01.
A30 = datetime(2024, 6, 1)
SEC = timedelta(seconds=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
MID_6M = datetime(2024, 3, 15)  # well inside W182
MID_30D = datetime(2024, 6, 10)  # well inside W30


def scorecard(engine, tables, as_of=AS_OF, policy=DEFAULT_POLICY) -> dict[int, dict]:
    """Load the rows, run the SQL scorecard, and return its rows keyed by supplier_id."""
    load_rows(engine, tables)
    with engine.connect() as conn:
        features = fetch_features(conn, as_of)
    card = build_scorecard(features, policy)
    assert card.columns == list(SCORECARD_COLUMNS)
    return {row["supplier_id"]: row for row in card.iter_rows(named=True)}


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


def inquiry(supplier_id, received_at, wait=None):
    return {
        "supplier_id": supplier_id,
        "received_at": received_at,
        "first_response_at": None if wait is None else received_at + wait,
    }


def claim(order_id, filed_at, status, refund="0", reason="quality_after_delivery"):
    return {"order_id": order_id, "filed_at": filed_at, "status": status, "refund_usd": refund, "reason": reason}


def test_windows_are_the_hand_computed_dates():
    w = Windows.at(AS_OF)
    assert (w.as_of, w.a365, w.a182, w.a30) == (A, A365, A182, A30)


def test_deals_count_in_w365_by_completed_at(engine):
    rows = scorecard(
        engine,
        {
            "suppliers": [{"supplier_id": 1}],
            "orders": [
                deal(1, A365, "100.00"),  # exactly A − 365 d: counts
                deal(1, A365 - SEC, "200.00"),  # a second earlier: does not
                deal(1, A - SEC, "400.00"),  # last second of the window: counts
                deal(1, A, "800.00"),  # at A: does not (exclusive end)
            ],
        },
    )
    row = rows[1]
    # W365: 100.00 + 400.00 = 500.00 over 2 deals.
    assert row["deals_12m"] == 2
    assert row["value_12m_usd"] == 500.00
    # W182 holds only the deal at A − 1 s.
    assert row["orders_6m"] == 1
    assert row["gmv_6m_usd"] == 400.00


def test_orders_6m_count_in_w182_by_completed_at(engine):
    rows = scorecard(
        engine,
        {
            "suppliers": [{"supplier_id": 1}],
            "orders": [
                deal(1, A182, "1000.00"),  # exactly A − 182 d: in W182 and W365
                deal(1, A182 - SEC, "2000.00"),  # a second earlier: W365 only
                deal(1, A - SEC, "4000.00"),  # in both
                deal(1, A, "8000.00"),  # in neither
            ],
        },
    )
    row = rows[1]
    # W182: 1000.00 + 4000.00 = 5000.00 over 2; W365: 1000.00 + 2000.00 + 4000.00 = 7000.00 over 3.
    assert (row["orders_6m"], row["gmv_6m_usd"]) == (2, 5000.00)
    assert (row["deals_12m"], row["value_12m_usd"]) == (3, 7000.00)


def test_only_completed_covered_orders_are_deals(engine):
    rows = scorecard(
        engine,
        {
            "suppliers": [{"supplier_id": 1}, {"supplier_id": 2}],
            "orders": [
                deal(1, MID_6M, "10.00"),  # a covered deal
                deal(1, MID_6M, "20.00", status="cancelled"),  # completed_at set, but cancelled
                deal(1, MID_6M, "40.00", status="open"),  # open: no deal, but open exposure
                deal(1, MID_6M, "80.00", ta_covered=False),  # not paid through the program
                deal(2, MID_6M, "160.00", ta_covered=False),
                deal(2, MID_6M, "320.00", ta_covered=False, status="open"),
            ],
        },
    )
    assert (rows[1]["deals_12m"], rows[1]["value_12m_usd"]) == (1, 10.00)
    assert (rows[1]["orders_6m"], rows[1]["gmv_6m_usd"]) == (1, 10.00)
    assert rows[1]["open_exposure_usd"] == 40.00
    # Supplier 2 has only uncovered orders: nothing counts.
    assert (rows[2]["deals_12m"], rows[2]["value_12m_usd"], rows[2]["orders_6m"]) == (0, 0.0, 0)
    assert rows[2]["open_exposure_usd"] == 0.0


def test_open_exposure_is_open_covered_orders_placed_before_as_of(engine):
    def open_order(placed_at, amount, **extra):
        return {"supplier_id": 1, "placed_at": placed_at, "status": "open", "amount_usd": amount, **extra}

    rows = scorecard(
        engine,
        {
            "suppliers": [{"supplier_id": 1}],
            "orders": [
                open_order(A - SEC, "1.25"),  # counts
                open_order(A, "2.50"),  # placed at A: not before A
                open_order(datetime(2022, 1, 1), "5.00"),  # long ago, still open: counts (no lower bound)
                open_order(MID_6M, "10.00", ta_covered=False),  # uncovered
                open_order(MID_6M, "20.00", status="cancelled"),
                deal(1, A + DAY, "40.00"),  # completed (after A, but the status is read as it stands)
            ],
        },
    )
    # 1.25 + 5.00 = 6.25
    assert rows[1]["open_exposure_usd"] == 6.25


def test_response_rate_counts_inquiries_received_in_w30(engine):
    rows = scorecard(
        engine,
        {
            "suppliers": [{"supplier_id": 1}],
            "inquiries": [
                inquiry(1, A30, HOUR),  # exactly A − 30 d: counts, answered in 1 h
                inquiry(1, A30 - SEC, HOUR),  # a second earlier: not in W30
                inquiry(1, A - 2 * HOUR, HOUR),  # counts, answered at A − 1 h
                inquiry(1, A, HOUR),  # received at A: not in W30
                inquiry(1, A30 + DAY),  # counts, never answered
            ],
        },
    )
    # 2 answered within 24 h out of 3 received in W30; median of {1 h, 1 h} = 1 h.
    assert rows[1]["response_rate_30d"] == pytest.approx(2 / 3, abs=1e-12)
    assert rows[1]["median_response_hours_30d"] == 1.0


def test_reply_at_24_hours_counts_and_a_reply_at_or_after_as_of_does_not(engine):
    rows = scorecard(
        engine,
        {
            "suppliers": [{"supplier_id": 1}],
            "inquiries": [
                inquiry(1, A30 + DAY, 24 * HOUR),  # exactly 24 h: answered within 24 h
                inquiry(1, A30 + 2 * DAY, 24 * HOUR + SEC),  # 24 h + 1 s: answered, but late
                inquiry(1, A - HOUR, HOUR),  # reply exactly at A: not answered, not in the median
                inquiry(1, A - HOUR, 25 * HOUR),  # reply after A: the same
                inquiry(1, A - 10 * HOUR, 10 * HOUR - SEC),  # reply at A − 1 s: answered within 24 h
                inquiry(1, A30 + 3 * DAY),  # never answered
            ],
        },
    )
    # 6 received in W30; within 24 h and before A: the first and the fifth → 2 / 6.
    assert rows[1]["response_rate_30d"] == pytest.approx(1 / 3, abs=1e-12)
    # Answered before A: 24 h, 24 h + 1 s, 10 h − 1 s → sorted middle value 24 h. (Counting the reply
    # at A would give (10 h − 1 s + 24 h) / 2; counting the one after A, (24 h + 24 h + 1 s) / 2.)
    assert rows[1]["median_response_hours_30d"] == 24.0


def test_median_response_hours_is_interpolated(engine):
    rows = scorecard(
        engine,
        {
            "suppliers": [{"supplier_id": 1}, {"supplier_id": 2}, {"supplier_id": 3}, {"supplier_id": 4}],
            "inquiries": [
                # Supplier 1, even count: 1 h, 2 h, 4 h, 10 h → (2 + 4) / 2 = 3 h.
                inquiry(1, MID_30D, 10 * HOUR),
                inquiry(1, MID_30D, HOUR),
                inquiry(1, MID_30D, 4 * HOUR),
                inquiry(1, MID_30D, 2 * HOUR),
                # Supplier 2: 1 h and 2 h + 1 s → (3600 s + 7201 s) / 2 = 5400.5 s = 5400.5 / 3600 h.
                inquiry(2, MID_30D, HOUR),
                inquiry(2, MID_30D, 2 * HOUR + SEC),
                # Supplier 3, odd count: 30 min, 5 h, 7 h → 5 h; the unanswered one is left out of the
                # median but counts against the rate: 3 of 4 within 24 h.
                inquiry(3, MID_30D, 7 * HOUR),
                inquiry(3, MID_30D, HOUR / 2),
                inquiry(3, MID_30D, 5 * HOUR),
                inquiry(3, MID_30D),
                # Supplier 4: received in W30 but never answered → rate 0, median null.
                inquiry(4, MID_30D),
            ],
        },
    )
    assert rows[1]["median_response_hours_30d"] == 3.0
    assert rows[1]["response_rate_30d"] == 1.0
    assert rows[2]["median_response_hours_30d"] == pytest.approx(5400.5 / 3600, abs=1e-12)
    assert rows[3]["median_response_hours_30d"] == 5.0
    assert rows[3]["response_rate_30d"] == 0.75
    assert rows[4]["response_rate_30d"] == 0.0
    assert rows[4]["median_response_hours_30d"] is None


def test_on_time_rate_over_covered_uncancelled_orders_due_in_w182(engine):
    def due(supplier_id, ship_by, shipped_at, **extra):
        return {
            "supplier_id": supplier_id,
            "placed_at": ship_by - 5 * DAY,
            "ship_by": ship_by,
            "shipped_at": shipped_at,
            "status": "open" if shipped_at is None else "completed",
            "completed_at": None if shipped_at is None else shipped_at + 5 * DAY,
            "amount_usd": "50.00",
            **extra,
        }

    rows = scorecard(
        engine,
        {
            "suppliers": [{"supplier_id": 1}, {"supplier_id": 2}],
            "orders": [
                due(1, A182, A182),  # due exactly at A − 182 d, shipped exactly at ship_by: on time
                due(1, A - SEC, None),  # due in W182, never shipped: late
                due(1, MID_6M, MID_6M + SEC),  # shipped a second late
                due(1, MID_6M, MID_6M - DAY),  # shipped early: on time
                due(1, MID_6M, None, status="cancelled"),  # cancelled: left out
                due(1, A182 - SEC, None),  # due before W182: left out
                due(1, A, None),  # due at A: left out
                due(1, MID_6M, None, ta_covered=False),  # not covered: left out
                due(2, MID_6M, None, status="cancelled"),  # supplier 2 has only a cancelled one
            ],
        },
    )
    # Counted: the first four; on time: the first and the fourth → 2 / 4.
    assert rows[1]["on_time_rate_6m"] == 0.5
    assert rows[2]["on_time_rate_6m"] is None


def test_claims(engine):
    old = datetime(2023, 1, 1)  # completed before W365
    rows = scorecard(
        engine,
        {
            "suppliers": [{"supplier_id": 1}, {"supplier_id": 2}],
            "orders": [
                deal(1, A182 + DAY, "100.00", order_id=1),  # the only order in W182
                deal(1, old, "100.00", order_id=2),
                deal(1, MID_6M, "100.00", order_id=3, ta_covered=False),
                deal(2, old, "100.00", order_id=4),
            ],
            "claims": [
                claim(1, A182, "refunded", "10.00"),  # W182 edge: any-status, upheld, refund
                claim(2, A - SEC, "partially_refunded", "2.50"),  # upheld (on an older order)
                claim(2, A182 - SEC, "refunded", "20.00"),  # W365 but not W182: not upheld in 6 m
                claim(1, MID_6M, "rejected"),
                claim(1, MID_6M, "open"),
                claim(1, MID_6M, "withdrawn"),
                claim(2, A365, "refunded", "0.10"),  # W365 edge
                claim(2, A365 - SEC, "refunded", "1000.00"),  # before W365: nothing
                claim(1, A, "refunded", "2000.00"),  # at A: nothing
                claim(3, MID_6M, "refunded", "0.20"),  # on an uncovered order: still the supplier's claim
                claim(4, MID_6M, "refunded", "7.00"),  # supplier 2
            ],
        },
    )
    one, two = rows[1], rows[2]
    # Filed in W365, any status: all but the one before A − 365 d and the one at A → 8.
    assert one["claims_12m"] == 8
    # Upheld in W182: 10.00 refunded, 2.50 partially refunded, 0.20 refunded → 3.
    assert one["upheld_claims_6m"] == 3
    # 3 upheld / 1 order in W182 = 3.0: a claim may concern an older order.
    assert one["orders_6m"] == 1
    assert one["claim_rate_6m"] == 3.0
    # 10.00 + 2.50 + 20.00 + 0.10 + 0.20 = 32.80
    assert one["refunds_12m_usd"] == 32.80
    # Supplier 2: one upheld claim but no order in W182 → claim rate null (and the claims rule fails).
    assert (two["claims_12m"], two["upheld_claims_6m"], two["refunds_12m_usd"]) == (1, 1, 7.00)
    assert two["claim_rate_6m"] is None
    assert "claims" in two["failed_rules"].split(";")


def test_supplier_without_activity_has_zeros_and_nulls(engine):
    rows = scorecard(engine, {"suppliers": [{"supplier_id": 7}]})
    assert rows[7] == {
        "supplier_id": 7,
        "badge": "not_qualified",
        "deals_12m": 0,
        "value_12m_usd": 0.0,
        "orders_6m": 0,
        "gmv_6m_usd": 0.0,
        "response_rate_30d": None,
        "median_response_hours_30d": None,
        "on_time_rate_6m": None,
        "claims_12m": 0,
        "upheld_claims_6m": 0,
        "claim_rate_6m": None,
        "refunds_12m_usd": 0.0,
        "open_exposure_usd": 0.0,
        "ta_amount_usd": 0.0,
        # 0 orders < 3, 0 USD < 10,000, no on-time rate, no claim rate; no inquiries passes.
        "failed_rules": "min_orders;min_gmv;on_time;claims",
    }


def test_money_sums_are_exact_to_the_cent(engine):
    many = [deal(2, MID_6M, "0.07") for _ in range(100)]
    rows = scorecard(
        engine,
        {
            "suppliers": [{"supplier_id": 1}, {"supplier_id": 2}, {"supplier_id": 3}],
            "orders": [
                deal(1, MID_6M, "0.10", order_id=1),
                deal(1, MID_6M, "0.20", order_id=2),
                {"supplier_id": 1, "placed_at": MID_6M, "status": "open", "amount_usd": "0.10"},
                {"supplier_id": 1, "placed_at": MID_6M, "status": "open", "amount_usd": "0.20"},
                *many,
                deal(3, MID_6M, "123456789012.34"),
                deal(3, MID_6M, "0.01"),
            ],
            "claims": [claim(1, MID_6M, "refunded", "0.10"), claim(2, MID_6M, "partially_refunded", "0.20")],
        },
    )
    # 0.10 + 0.20 = 0.30 (a binary sum of the doubles would be 0.30000000000000004).
    assert rows[1]["value_12m_usd"] == 0.30
    assert rows[1]["gmv_6m_usd"] == 0.30
    assert rows[1]["refunds_12m_usd"] == 0.30
    assert rows[1]["open_exposure_usd"] == 0.30
    # 100 × 0.07 = 7.00
    assert rows[2]["value_12m_usd"] == 7.00
    assert rows[2]["deals_12m"] == 100
    # 123,456,789,012.34 + 0.01 = 123,456,789,012.35
    assert f"{rows[3]['gmv_6m_usd']:.2f}" == "123456789012.35"


def test_badges_at_the_as_of_edges(engine):
    qualified_history = [
        # 3 covered deals in W182, shipped on time: 4000.00 + 4000.00 + 4199.99 = 12,199.99 USD.
        deal(1, MID_6M, "4000.00"),
        deal(1, MID_6M, "4000.00"),
        deal(1, MID_6M, "4199.99"),
    ]
    rows = scorecard(
        engine,
        {
            "suppliers": [
                {"supplier_id": 1, "registered_at": A - 180 * DAY, "ta_enrolled_at": A - SEC},
                {"supplier_id": 2, "ta_enrolled_at": A},  # enrolled at A: not yet
                {"supplier_id": 3, "ta_enrolled_at": None},
                {"supplier_id": 4, "country_code": "VN"},
                {"supplier_id": 5, "registered_at": A - 180 * DAY + SEC},  # a second too young
            ],
            "orders": qualified_history,
        },
    )
    # Registered exactly 180 × 24 h before A passes; 0.5 × 12,199.99 = 6,099.995 → 6,000 (whole 100 USD).
    assert (rows[1]["badge"], rows[1]["failed_rules"], rows[1]["ta_amount_usd"]) == ("qualified", "", 6000.0)
    assert (rows[2]["badge"], rows[2]["ta_amount_usd"]) == ("not_enrolled", 0.0)
    assert (rows[3]["badge"], rows[3]["ta_amount_usd"]) == ("not_enrolled", 0.0)
    assert (rows[4]["badge"], rows[4]["ta_amount_usd"]) == ("region_not_open", 0.0)
    assert rows[5]["badge"] == "not_qualified"
    assert rows[5]["failed_rules"] == "account_age;min_orders;min_gmv;on_time;claims"
    assert list(rows) == [1, 2, 3, 4, 5]
