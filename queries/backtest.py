"""What happened after an as-of date A0: each supplier's covered deals, upheld claims and refunds.

`outcomes_statement()` is a pure builder (bound parameters a0 and a0_end = A0 + 182 days);
`fetch_outcomes(conn, a0)` runs it. The badge at A0 comes from the scorecard (fetch_features at A0 and
policy.evaluate), whose windows end at A0, so a backtest never lets the outcomes leak into the badge.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from data.schema import claims, orders, suppliers

# The scorecard's helpers: the same integer and money casts in every engine.
from queries.facts import count, count_if, covered_deal, in_window, money, upheld_claim
from queries.scorecard import read_frame
from queries.windows import ts_param

OUTCOME_DAYS = 182

# The columns of `python -m queries backtest`, in order.
BACKTEST_COLUMNS = ("supplier_id", "badge", "deals_next_6m", "upheld_claims_next_6m", "refunds_next_6m_usd")
BACKTEST_MONEY_COLUMNS = ("refunds_next_6m_usd",)

OUTCOMES_SCHEMA = {
    "supplier_id": pl.Int64,
    "deals_next_6m": pl.Int64,
    "value_next_6m_usd": pl.Float64,
    "upheld_claims_next_6m": pl.Int64,
    "refunds_next_6m_usd": pl.Float64,
}


@dataclass(frozen=True)
class OutcomeWindow:
    """The six months after A0: [a0, a0_end) with a0_end = A0 + 182 days; A0 is midnight UTC."""

    a0: datetime
    a0_end: datetime

    @classmethod
    def at(cls, a0: date) -> "OutcomeWindow":
        start = datetime.combine(a0, time())
        return cls(a0=start, a0_end=start + timedelta(days=OUTCOME_DAYS))

    def params(self) -> dict[str, datetime]:
        return {"a0": self.a0, "a0_end": self.a0_end}


def outcomes_statement():
    """SELECT one row per supplier (all of them, ordered by supplier_id) with the next six months' outcomes.

    deals_next_6m, value_next_6m_usd: covered deals (ta_covered, status completed) with completed_at in
    [a0, a0_end); upheld_claims_next_6m: claims on the supplier's orders filed in that window with status
    refunded or partially_refunded; refunds_next_6m_usd: refund_usd of every claim filed in that window.
    """
    a0, a0_end = ts_param("a0"), ts_param("a0_end")
    o = orders.c
    deal_facts = (
        select(
            o.supplier_id,
            func.count().label("deals_next_6m"),
            func.sum(o.amount_usd).label("value_next_6m_usd"),
        )
        .where(covered_deal(a0, a0_end))
        .group_by(o.supplier_id)
        .subquery("deal_facts")
    )

    c = claims.c
    claim_facts = (
        select(
            o.supplier_id,
            count_if(upheld_claim()).label("upheld_claims_next_6m"),
            func.sum(c.refund_usd).label("refunds_next_6m_usd"),
        )
        .select_from(claims.join(orders, c.order_id == o.order_id))
        .where(in_window(c.filed_at, a0, a0_end))
        .group_by(o.supplier_id)
        .subquery("claim_facts")
    )

    s = suppliers.c
    df, cf = deal_facts.c, claim_facts.c
    return (
        select(
            s.supplier_id,
            count(df.deals_next_6m).label("deals_next_6m"),
            money(df.value_next_6m_usd).label("value_next_6m_usd"),
            count(cf.upheld_claims_next_6m).label("upheld_claims_next_6m"),
            money(cf.refunds_next_6m_usd).label("refunds_next_6m_usd"),
        )
        .select_from(
            suppliers.outerjoin(deal_facts, df.supplier_id == s.supplier_id).outerjoin(
                claim_facts, cf.supplier_id == s.supplier_id
            )
        )
        .order_by(s.supplier_id)
    )


def fetch_outcomes(conn: Connection, a0: date) -> pl.DataFrame:
    """Every supplier's outcomes in [A0, A0 + 182 days): OUTCOMES_SCHEMA, ordered by supplier_id."""
    return read_frame(conn, outcomes_statement(), OutcomeWindow.at(a0).params(), OUTCOMES_SCHEMA)


def build_backtest(features: pl.DataFrame, outcomes: pl.DataFrame, policy) -> pl.DataFrame:
    """The command's rows: BACKTEST_COLUMNS, the badge at A0 next to the outcomes after it, by supplier_id."""
    from policy import evaluate

    verdict = evaluate(features, policy, margins=False).select("supplier_id", pl.col("badge").cast(pl.String))
    return (
        verdict.join(outcomes, on="supplier_id", how="left", maintain_order="left")
        .select(BACKTEST_COLUMNS)
        .sort("supplier_id")
    )
