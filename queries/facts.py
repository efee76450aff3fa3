"""Each metric's SQL condition and aggregate, once: every statement (scorecard, supplier trends,
backtest outcomes, uptake history) builds on these, so a covered deal or an on-time shipment means the
same thing everywhere (../shared/PRODUCT.md, "Metric definitions").

Window edges are bound parameters or columns the caller passes: [start, end).
"""

import polars as pl
from sqlalchemy import Double, Integer, and_, case, cast, func, literal_column

from data.schema import UPHELD_CLAIM_STATUSES, claims, inquiries, orders

MICROS_PER_HOUR = 3_600_000_000
MICROS_PER_DAY = 86_400_000_000


def count_if(condition):
    """SUM(CASE WHEN condition THEN 1 ELSE 0 END)."""
    return func.sum(case((condition, literal_column("1")), else_=literal_column("0")))


def sum_if(condition, value):
    """SUM(CASE WHEN condition THEN value ELSE 0 END)."""
    return func.sum(case((condition, value), else_=literal_column("0")))


def in_window(column, start, end):
    """start <= column < end."""
    return and_(column >= start, column < end)


def money(expr):
    """A money sum, 0 when null. Sums are exact decimals in every engine; a double carries a cent-exact
    value to polars."""
    return cast(func.coalesce(expr, literal_column("0")), Double)


def count(expr):
    """A count, 0 when null."""
    return cast(func.coalesce(expr, literal_column("0")), Integer)


def is_covered_deal():
    """A covered deal, whatever its window: ta_covered and status completed (it counts by completed_at)."""
    o = orders.c
    return and_(o.ta_covered, o.status == "completed")


def covered_deal(start, end):
    """A covered deal completed in [start, end): ta_covered, status completed, by completed_at."""
    return and_(is_covered_deal(), in_window(orders.c.completed_at, start, end))


def completed_order(start, end):
    """Any order (covered or not) completed in [start, end): the denominator of the covered share."""
    o = orders.c
    return and_(o.status == "completed", in_window(o.completed_at, start, end))


def is_due_shipment():
    """A covered order that is not cancelled, whatever its window (it counts by ship_by)."""
    o = orders.c
    return and_(o.ta_covered, o.status != "cancelled")


def shipment_due(start, end):
    """A covered order due to ship in [start, end) and not cancelled (the on-time rate's denominator)."""
    return and_(is_due_shipment(), in_window(orders.c.ship_by, start, end))


def is_on_time():
    """Shipped, and no later than ship_by (applied to due shipments: the on-time rate's numerator)."""
    o = orders.c
    return and_(o.shipped_at.is_not(None), o.shipped_at <= o.ship_by)


def shipped_on_time(start, end):
    """A due shipment (shipment_due) shipped no later than ship_by (the on-time rate's numerator)."""
    return and_(shipment_due(start, end), is_on_time())


def open_exposure(as_of):
    """A covered order placed before as_of whose status is open (open_exposure_usd)."""
    o = orders.c
    return and_(o.ta_covered, o.status == "open", o.placed_at < as_of)


def answered_before(as_of):
    """An inquiry with a first reply before as_of (the median reply time counts only these)."""
    i = inquiries.c
    return and_(i.first_response_at.is_not(None), i.first_response_at < as_of)


def upheld_claim():
    """A claim whose status is refunded or partially_refunded."""
    return claims.c.status.in_(UPHELD_CLAIM_STATUSES)


def ratio(numerator: str, denominator: str) -> pl.Expr:
    """numerator / denominator as a float, null when the denominator is 0."""
    return (
        pl.when(pl.col(denominator) > 0).then(pl.col(numerator) / pl.col(denominator)).otherwise(None).cast(pl.Float64)
    )
