"""One supplier's profile over time: monthly trends and claim history.

Pure builders (`trends_statement()`, `claim_history_statement()`) with bound parameters, and thin
fetchers returning polars DataFrames.
"""

from datetime import date, datetime, time, timedelta

import polars as pl
from sqlalchemy import Double, Integer, bindparam, case, cast, func, literal_column, null, select, union_all
from sqlalchemy.engine import Connection

from data.schema import claims, inquiries, orders
from queries.dialect import median, micros_between, month_start
from queries.facts import (
    MICROS_PER_HOUR,
    answered_before,
    count_if,
    covered_deal,
    in_window,
    is_on_time,
    ratio,
    shipment_due,
)
from queries.scorecard import read_frame
from queries.windows import ts_param

TREND_RAW_SCHEMA = {
    "month": pl.Date,
    "deals": pl.Int64,
    "value_usd": pl.Float64,
    "shipments": pl.Int64,
    "on_time_shipments": pl.Int64,
    "inquiries": pl.Int64,
    "median_response_micros": pl.Float64,
}
TREND_COLUMNS = (
    "month",
    "deals",
    "value_usd",
    "shipments",
    "on_time_shipments",
    "on_time_rate",
    "inquiries",
    "median_response_hours",
)


def trend_months(as_of: date, months: int) -> tuple[date, ...]:
    """The 1st of each of the `months` calendar months before as_of, oldest first; the last is the month
    holding the day before as_of (as_of 2026-11-01 → … 2026-10-01; as_of 2026-11-15 → … 2026-11-01)."""
    if months < 1:
        raise ValueError(f"months: expected at least one month, got {months}")
    last = as_of - timedelta(days=1)
    year, month = last.year, last.month
    out = []
    for _ in range(months):
        out.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return tuple(reversed(out))


def trends_statement():
    """SELECT per calendar month (month_start) in [start, as_of) for supplier :supplier_id: covered deals
    completed (deals, value_usd), covered not-cancelled shipments due (shipments, on_time_shipments),
    inquiries received and the median wait in microseconds of those answered before as_of."""
    start, a = ts_param("start"), ts_param("as_of")
    supplier_id = bindparam("supplier_id", type_=Integer)
    zero, null_double = literal_column("0"), cast(null(), Double)
    o, i = orders.c, inquiries.c

    deal_month = month_start(o.completed_at)
    deals = (
        select(
            deal_month.label("month"),
            func.count().label("deals"),
            func.sum(o.amount_usd).label("value_usd"),
            zero.label("shipments"),
            zero.label("on_time_shipments"),
            zero.label("inquiries"),
            null_double.label("median_response_micros"),
        )
        .where(o.supplier_id == supplier_id, covered_deal(start, a))
        .group_by(deal_month)
    )
    ship_month = month_start(o.ship_by)
    shipments = (
        select(
            ship_month.label("month"),
            zero.label("deals"),
            zero.label("value_usd"),
            func.count().label("shipments"),
            count_if(is_on_time()).label("on_time_shipments"),
            zero.label("inquiries"),
            null_double.label("median_response_micros"),
        )
        .where(o.supplier_id == supplier_id, shipment_due(start, a))
        .group_by(ship_month)
    )
    answered = answered_before(a)
    wait = micros_between(i.received_at, i.first_response_at)
    inquiry_month = month_start(i.received_at)
    asked = (
        select(
            inquiry_month.label("month"),
            zero.label("deals"),
            zero.label("value_usd"),
            zero.label("shipments"),
            zero.label("on_time_shipments"),
            func.count().label("inquiries"),
            median(case((answered, cast(wait, Double)), else_=None)).label("median_response_micros"),
        )
        .where(i.supplier_id == supplier_id, in_window(i.received_at, start, a))
        .group_by(inquiry_month)
    )
    facts = union_all(deals, shipments, asked).subquery("facts")
    f = facts.c
    return (
        select(
            f.month,
            cast(func.sum(f.deals), Integer).label("deals"),
            cast(func.sum(f.value_usd), Double).label("value_usd"),
            cast(func.sum(f.shipments), Integer).label("shipments"),
            cast(func.sum(f.on_time_shipments), Integer).label("on_time_shipments"),
            cast(func.sum(f.inquiries), Integer).label("inquiries"),
            func.max(f.median_response_micros).label("median_response_micros"),  # one inquiry row per month
        )
        .group_by(f.month)
        .order_by(f.month)
    )


def fetch_supplier_trends(conn: Connection, supplier_id: int, as_of: date, months: int = 24) -> pl.DataFrame:
    """One row per calendar month of `trend_months(as_of, months)` (every month present, oldest first).

    Columns: month (Date, the 1st), deals and value_usd (covered deals completed in the month), shipments
    (covered, not cancelled, ship_by in the month), on_time_shipments (shipped_at ≤ ship_by), on_time_rate
    (null without shipments), inquiries (received in the month), median_response_hours (of those answered
    before as_of; null when none). Only activity before as_of counts; counts are 0 where there is none.
    """
    month_list = trend_months(as_of, months)
    params = {
        "supplier_id": supplier_id,
        "start": datetime.combine(month_list[0], time()),
        "as_of": datetime.combine(as_of, time()),
    }
    raw = read_frame(conn, trends_statement(), params, TREND_RAW_SCHEMA)
    counts = ("deals", "value_usd", "shipments", "on_time_shipments", "inquiries")
    return (
        pl.DataFrame({"month": month_list}, schema={"month": pl.Date})
        .join(raw, on="month", how="left")
        .with_columns(pl.col(c).fill_null(0) for c in counts)
        .with_columns(
            ratio("on_time_shipments", "shipments").alias("on_time_rate"),
            (pl.col("median_response_micros") / MICROS_PER_HOUR).cast(pl.Float64).alias("median_response_hours"),
        )
        .select(TREND_COLUMNS)
    )


CLAIM_HISTORY_SCHEMA = {
    "claim_id": pl.Int64,
    "filed_at": pl.Datetime("us"),
    "order_id": pl.Int64,
    "reason": pl.String,
    "status": pl.String,
    "resolved_at": pl.Datetime("us"),
    "refund_usd": pl.Float64,
    "order_amount_usd": pl.Float64,
}


def claim_history_statement():
    """SELECT the claims on :supplier_id's orders filed before :as_of, newest first (ties by claim_id)."""
    c, o = claims.c, orders.c
    return (
        select(
            c.claim_id,
            c.filed_at,
            c.order_id,
            c.reason,
            c.status,
            c.resolved_at,
            cast(c.refund_usd, Double).label("refund_usd"),
            cast(o.amount_usd, Double).label("order_amount_usd"),
        )
        .select_from(claims.join(orders, c.order_id == o.order_id))
        .where(o.supplier_id == bindparam("supplier_id", type_=Integer), c.filed_at < ts_param("as_of"))
        .order_by(c.filed_at.desc(), c.claim_id.desc())
    )


def fetch_claim_history(conn: Connection, supplier_id: int, as_of: date) -> pl.DataFrame:
    """The supplier's claims filed before as_of, newest first: CLAIM_HISTORY_SCHEMA's columns (claim_id,
    filed_at, order_id, reason, status, resolved_at, refund_usd, order_amount_usd); status and
    resolved_at as they stand in the warehouse."""
    params = {"supplier_id": supplier_id, "as_of": datetime.combine(as_of, time())}
    return read_frame(conn, claim_history_statement(), params, CLAIM_HISTORY_SCHEMA)
