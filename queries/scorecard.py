"""The per-supplier scorecard: one warehouse statement, rates derived once in polars.

`scorecard_statement()` is a pure builder (bound parameters as_of, a365, a182, a30);
`fetch_features(conn, as_of)` runs it and returns the features the policy engine evaluates.
"""

import warnings
from datetime import date

import polars as pl
from sqlalchemy import Double, and_, case, cast, func, select
from sqlalchemy.engine import Connection

from data.schema import claims, inquiries, orders, suppliers
from queries.dialect import median, micros_between
from queries.facts import (
    MICROS_PER_DAY,
    MICROS_PER_HOUR,
    count,
    count_if,
    covered_deal,
    in_window,
    money,
    open_exposure,
    ratio,
    shipment_due,
    shipped_on_time,
    sum_if,
    upheld_claim,
)
from queries.windows import Windows, ts_param

# The columns of `python -m queries scorecard`, in the contract's order.
SCORECARD_COLUMNS = (
    "supplier_id",
    "badge",
    "deals_12m",
    "value_12m_usd",
    "orders_6m",
    "gmv_6m_usd",
    "response_rate_30d",
    "median_response_hours_30d",
    "on_time_rate_6m",
    "claims_12m",
    "upheld_claims_6m",
    "claim_rate_6m",
    "refunds_12m_usd",
    "open_exposure_usd",
    "ta_amount_usd",
    "failed_rules",
)
MONEY_COLUMNS = ("value_12m_usd", "gmv_6m_usd", "refunds_12m_usd", "open_exposure_usd", "ta_amount_usd")


def scorecard_statement():
    """SELECT one row per supplier with the counts and sums of PRODUCT.md, ordered by supplier_id."""
    a, a365, a182, a30 = (ts_param(n) for n in ("as_of", "a365", "a182", "a30"))
    o = orders.c
    deal_12m = covered_deal(a365, a)
    deal_6m = covered_deal(a182, a)
    shipment_6m = shipment_due(a182, a)
    on_time = shipped_on_time(a182, a)
    exposure = open_exposure(a)
    order_facts = (
        select(
            o.supplier_id,
            count_if(deal_12m).label("deals_12m"),
            sum_if(deal_12m, o.amount_usd).label("value_12m_usd"),
            count_if(deal_6m).label("orders_6m"),
            sum_if(deal_6m, o.amount_usd).label("gmv_6m_usd"),
            count_if(shipment_6m).label("shipments_6m"),
            count_if(on_time).label("on_time_shipments_6m"),
            sum_if(exposure, o.amount_usd).label("open_exposure_usd"),
        )
        .where(deal_12m | shipment_6m | exposure)
        .group_by(o.supplier_id)
        .subquery("order_facts")
    )

    i = inquiries.c
    answered = and_(i.first_response_at.is_not(None), i.first_response_at < a)
    wait = micros_between(i.received_at, i.first_response_at)
    inquiry_facts = (
        select(
            i.supplier_id,
            func.count().label("inquiries_30d"),
            count_if(and_(answered, wait <= 24 * MICROS_PER_HOUR)).label("answered_24h_30d"),
            median(case((answered, cast(wait, Double)), else_=None)).label("median_response_micros"),
        )
        .where(in_window(i.received_at, a30, a))
        .group_by(i.supplier_id)
        .subquery("inquiry_facts")
    )

    c = claims.c
    claim_facts = (
        select(
            o.supplier_id,
            func.count().label("claims_12m"),
            count_if(and_(c.filed_at >= a182, upheld_claim())).label("upheld_claims_6m"),
            func.sum(c.refund_usd).label("refunds_12m_usd"),
        )
        .select_from(claims.join(orders, c.order_id == o.order_id))
        .where(in_window(c.filed_at, a365, a))
        .group_by(o.supplier_id)
        .subquery("claim_facts")
    )

    s = suppliers.c
    of, inf, cf = order_facts.c, inquiry_facts.c, claim_facts.c
    return (
        select(
            s.supplier_id,
            s.name,
            s.country_code,
            s.category,
            s.registered_at,
            s.ta_enrolled_at,
            count(of.deals_12m).label("deals_12m"),
            money(of.value_12m_usd).label("value_12m_usd"),
            count(of.orders_6m).label("orders_6m"),
            money(of.gmv_6m_usd).label("gmv_6m_usd"),
            count(inf.inquiries_30d).label("inquiries_30d"),
            count(inf.answered_24h_30d).label("answered_24h_30d"),
            inf.median_response_micros,
            count(of.shipments_6m).label("shipments_6m"),
            count(of.on_time_shipments_6m).label("on_time_shipments_6m"),
            count(cf.claims_12m).label("claims_12m"),
            count(cf.upheld_claims_6m).label("upheld_claims_6m"),
            money(cf.refunds_12m_usd).label("refunds_12m_usd"),
            money(of.open_exposure_usd).label("open_exposure_usd"),
        )
        .select_from(
            suppliers.outerjoin(order_facts, of.supplier_id == s.supplier_id)
            .outerjoin(inquiry_facts, inf.supplier_id == s.supplier_id)
            .outerjoin(claim_facts, cf.supplier_id == s.supplier_id)
        )
        .order_by(s.supplier_id)
    )


def derive_features(raw: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Add the rates and as-of facts of PRODUCT.md to the statement's raw counts and sums."""
    a = Windows.at(as_of).as_of
    return raw.with_columns(
        ratio("answered_24h_30d", "inquiries_30d").alias("response_rate_30d"),
        (pl.col("median_response_micros") / MICROS_PER_HOUR).cast(pl.Float64).alias("median_response_hours_30d"),
        ratio("on_time_shipments_6m", "shipments_6m").alias("on_time_rate_6m"),
        ratio("upheld_claims_6m", "orders_6m").alias("claim_rate_6m"),
        (pl.col("ta_enrolled_at").is_not_null() & (pl.col("ta_enrolled_at") < a)).alias("enrolled"),
        ((pl.lit(a) - pl.col("registered_at")).dt.total_microseconds() / MICROS_PER_DAY).alias("account_age_days"),
    ).drop("median_response_micros")


RAW_SCHEMA = {
    "supplier_id": pl.Int64,
    "name": pl.String,
    "country_code": pl.String,
    "category": pl.String,
    "registered_at": pl.Datetime("us"),
    "ta_enrolled_at": pl.Datetime("us"),
    "deals_12m": pl.Int64,
    "value_12m_usd": pl.Float64,
    "orders_6m": pl.Int64,
    "gmv_6m_usd": pl.Float64,
    "inquiries_30d": pl.Int64,
    "answered_24h_30d": pl.Int64,
    "median_response_micros": pl.Float64,
    "shipments_6m": pl.Int64,
    "on_time_shipments_6m": pl.Int64,
    "claims_12m": pl.Int64,
    "upheld_claims_6m": pl.Int64,
    "refunds_12m_usd": pl.Float64,
    "open_exposure_usd": pl.Float64,
}


def read_frame(conn: Connection, statement, params: dict, schema: dict) -> pl.DataFrame:
    """Run a statement and return its rows as a polars DataFrame with exactly `schema`."""
    with warnings.catch_warnings():
        # polars notes that DuckDB's Arrow result is copied once; harmless, and noise on a CLI's stderr.
        warnings.filterwarnings("ignore", message="Arrow output on a DB-API result", category=UserWarning)
        frame = pl.read_database(statement, conn, execute_options={"parameters": params})
    if frame.width == 0:
        return pl.DataFrame(schema=schema)
    return frame.select(pl.col(name).cast(dtype) for name, dtype in schema.items())


def fetch_features(conn: Connection, as_of: date) -> pl.DataFrame:
    """Every supplier's scorecard features at `as_of`: counts, sums, rates, enrolled, account_age_days."""
    raw = read_frame(conn, scorecard_statement(), Windows.at(as_of).params(), RAW_SCHEMA)
    return derive_features(raw, as_of)


def build_scorecard(features: pl.DataFrame, policy) -> pl.DataFrame:
    """The contract's scorecard: SCORECARD_COLUMNS, one row per supplier, ordered by supplier_id."""
    from policy import evaluate

    verdict = evaluate(features, policy, margins=False)
    return (
        features.drop("badge", "ta_amount_usd", "failed_rules", strict=False)
        .join(verdict, on="supplier_id", how="left", maintain_order="left")
        .with_columns(pl.col("badge").cast(pl.String))
        .select(SCORECARD_COLUMNS)
        .sort("supplier_id")
    )
