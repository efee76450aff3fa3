"""queries.supplier on real DuckDB and PostgreSQL: one supplier's monthly trends and claim history, by hand."""

from datetime import date, datetime, timedelta

import pytest
from pyhive import sqlalchemy_hive
from sqlalchemy.dialects import postgresql

from queries.supplier import (
    TREND_COLUMNS,
    claim_history_statement,
    fetch_claim_history,
    fetch_supplier_trends,
    trend_months,
    trends_statement,
)
from tests.warehouse import load_rows

D = datetime
AS_OF = date(2026, 3, 15)


def _order(order_id, completed_at, amount, ship_by, shipped_at, supplier_id=1, **columns):
    return {
        "order_id": order_id,
        "supplier_id": supplier_id,
        "placed_at": ship_by - timedelta(days=5),
        "ship_by": ship_by,
        "shipped_at": shipped_at,
        "completed_at": completed_at,
        "amount_usd": amount,
        **columns,
    }


def _inquiry(inquiry_id, received_at, wait_hours, supplier_id=1):
    answered = None if wait_hours is None else received_at + timedelta(hours=wait_hours)
    return {
        "inquiry_id": inquiry_id,
        "supplier_id": supplier_id,
        "received_at": received_at,
        "first_response_at": answered,
    }


def _claim(claim_id, order_id, filed_at, status, refund="0", resolved_at=None, reason="late_shipment"):
    return {
        "claim_id": claim_id,
        "order_id": order_id,
        "filed_at": filed_at,
        "reason": reason,
        "status": status,
        "resolved_at": resolved_at,
        "refund_usd": refund,
    }


WAREHOUSE = {
    "suppliers": [{"supplier_id": 1}, {"supplier_id": 2}],
    "orders": [
        _order(1, D(2026, 1, 10), "100.00", ship_by=D(2026, 1, 5), shipped_at=D(2026, 1, 5)),  # on time (≤)
        _order(2, D(2026, 3, 14), "40.50", ship_by=D(2026, 3, 1), shipped_at=D(2026, 3, 2)),  # late
        _order(3, None, "60.00", ship_by=D(2026, 1, 20), shipped_at=None, status="cancelled"),  # not a shipment
        _order(4, D(2026, 3, 15), "1000.00", ship_by=D(2026, 3, 16), shipped_at=D(2026, 3, 14)),  # at as_of: out
        _order(5, D(2026, 2, 10), "70.00", ship_by=D(2026, 2, 1), shipped_at=D(2026, 2, 1), ta_covered=False),
        _order(6, D(2026, 1, 12), "9.00", ship_by=D(2026, 1, 6), shipped_at=D(2026, 1, 6), supplier_id=2),
    ],
    "inquiries": [
        _inquiry(1, D(2026, 1, 3), 2),
        _inquiry(2, D(2026, 1, 4), 4),
        _inquiry(3, D(2026, 1, 5), None),
        _inquiry(4, D(2026, 3, 14, 12), 13),  # answered 2026-03-15 01:00, after as_of
        _inquiry(5, D(2026, 2, 3), 1, supplier_id=2),
    ],
    "claims": [
        _claim(1, 1, D(2026, 1, 20), "refunded", "20.00", resolved_at=D(2026, 1, 25)),
        _claim(2, 2, D(2026, 3, 14), "open", reason="quality_on_arrival"),
        _claim(3, 2, D(2026, 3, 15), "open"),  # filed at as_of: out
        _claim(4, 6, D(2026, 2, 1), "rejected"),  # supplier 2's order
    ],
}


def test_trend_months():
    assert trend_months(date(2026, 3, 15), 3) == (date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1))
    assert trend_months(date(2026, 3, 1), 3) == (date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1))
    assert len(trend_months(date(2026, 11, 1), 24)) == 24
    with pytest.raises(ValueError, match="months"):
        trend_months(date(2026, 3, 1), 0)


def test_supplier_trends_by_hand(engine):
    load_rows(engine, WAREHOUSE)
    with engine.connect() as conn:
        trends = fetch_supplier_trends(conn, 1, AS_OF, months=3)
    assert trends.columns == list(TREND_COLUMNS)
    assert trends.to_dicts() == [
        # January: order 1 (100.00) completed and shipped on its ship_by; inquiries 1–3, answered after 2 h
        # and 4 h: median (2 + 4) / 2 = 3 h.
        {
            "month": date(2026, 1, 1), "deals": 1, "value_usd": 100.0, "shipments": 1, "on_time_shipments": 1,
            "on_time_rate": 1.0, "inquiries": 3, "median_response_hours": 3.0,
        },
        # February: order 5 is not covered; nothing else.
        {
            "month": date(2026, 2, 1), "deals": 0, "value_usd": 0.0, "shipments": 0, "on_time_shipments": 0,
            "on_time_rate": None, "inquiries": 0, "median_response_hours": None,
        },
        # March (to the 14th): order 2 (40.50) shipped a day late; order 4 completes at as_of and is due
        # after it; inquiry 4 is answered only after as_of.
        {
            "month": date(2026, 3, 1), "deals": 1, "value_usd": 40.5, "shipments": 1, "on_time_shipments": 0,
            "on_time_rate": 0.0, "inquiries": 1, "median_response_hours": None,
        },
    ]  # fmt: skip


def test_supplier_trends_of_a_quiet_supplier_has_every_month(engine):
    load_rows(engine, WAREHOUSE)
    with engine.connect() as conn:
        trends = fetch_supplier_trends(conn, 2, date(2026, 11, 1))
    assert trends.height == 24 and trends["month"][0] == date(2024, 11, 1) and trends["month"][-1] == date(2026, 10, 1)
    assert trends["deals"].sum() == 1 and trends["inquiries"].sum() == 1


def test_claim_history_by_hand(engine):
    load_rows(engine, WAREHOUSE)
    with engine.connect() as conn:
        history = fetch_claim_history(conn, 1, AS_OF)
    # Claims 1 and 2 are on supplier 1's orders and filed before as_of, newest first; claim 3 is filed at
    # as_of, claim 4 is on supplier 2's order.
    assert history.to_dicts() == [
        {
            "claim_id": 2, "filed_at": D(2026, 3, 14), "order_id": 2, "reason": "quality_on_arrival",
            "status": "open", "resolved_at": None, "refund_usd": 0.0, "order_amount_usd": 40.5,
        },
        {
            "claim_id": 1, "filed_at": D(2026, 1, 20), "order_id": 1, "reason": "late_shipment",
            "status": "refunded", "resolved_at": D(2026, 1, 25), "refund_usd": 20.0, "order_amount_usd": 100.0,
        },
    ]  # fmt: skip
    with engine.connect() as conn:
        assert fetch_claim_history(conn, 1, date(2026, 1, 1)).height == 0


def test_statements_compile_for_every_engine():
    for dialect in (postgresql.dialect(), sqlalchemy_hive.HiveDialect()):
        for statement in (trends_statement(), claim_history_statement()):
            compiled = statement.compile(dialect=dialect)
            assert "supplier_id" in compiled.params and "as_of" in compiled.params  # bound, never formatted in
