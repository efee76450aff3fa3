"""Program uptake over time: scorecard features at many as-of dates in one pass, and monthly program facts.

`history_statement(count)` is a pure builder: every supplier's scorecard counts and sums at `count`
as-of dates, computed in ONE pass over the fact tables. `fetch_history_features(conn, as_ofs)` runs it
and derives the rates exactly as `queries.scorecard.derive_features` does, so each as-of's rows equal
`fetch_features(conn, as_of)`. `uptake_series` and `uptake_breakdown` evaluate a policy over that history
in polars. `program_monthly_statement()` / `fetch_program_monthly` give covered deals, GMV and claims per
calendar month, country and category.

How the history avoids joining every order to every as-of date: for sorted as-of dates A_0 < … < A_{n−1}
and a window W(q) = [A_q − w, A_q), a fact at time t is counted at q exactly when e(t) ≤ q < s_w(t), where
e(t) = #{p : A_p ≤ t} (the first as-of date after t) and s_w(t) = #{p : A_p − w ≤ t} (the first as-of
date whose window has moved past t). So each fact adds +x at point e(t) and −x at point s_w(t); the metric
at q is the running sum of those deltas over points ≤ q. The warehouse computes e and s_w with a small
CASE over bound parameters, sums facts per (supplier, e, s365, s182), spreads each such row into at most
three (supplier, point) deltas, and takes one running SUM per supplier over the as-of grid.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import polars as pl
from sqlalchemy import Double, and_, case, cast, func, literal_column, null, select, true, union_all
from sqlalchemy.engine import Connection

from data.schema import CLAIM_REASONS, UPHELD_CLAIM_STATUSES, claims, inquiries, orders, suppliers
from queries.dialect import median, micros_between, month_start
from queries.scorecard import (
    MICROS_PER_HOUR,
    RAW_SCHEMA,
    _count,
    _count_if,
    _in,
    _money,
    _sum_if,
    derive_features,
    read_frame,
)
from queries.windows import Windows, ts_param

# ---------------------------------------------------------------------------------------------------------
# As-of dates and data freshness


def month_starts(as_of: date, count: int = 24) -> tuple[date, ...]:
    """The `count` monthly as-of dates of an uptake chart, oldest first, ending at `as_of`.

    The last date is `as_of` itself; the `count − 1` dates before it are the 1st of each month preceding
    as_of's month. So as_of 2026-11-01 (count 24) gives 2024-12-01 … 2026-10-01, 2026-11-01, and as_of
    2026-11-15 gives 2024-12-01 … 2026-10-01, 2026-11-15 (2026-11-01 is not among them).
    """
    if count < 1:
        raise ValueError(f"count: expected at least one as-of date, got {count}")
    points = [as_of]
    year, month = as_of.year, as_of.month
    for _ in range(count - 1):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        points.append(date(year, month, 1))
    return tuple(reversed(points))


def freshness_statement():
    """SELECT one row: the latest timestamp of every fact column (null when the table is empty)."""
    o, i, c = orders.c, inquiries.c, claims.c
    columns = {
        "placed_at": o.placed_at,
        "shipped_at": o.shipped_at,
        "delivered_at": o.delivered_at,
        "completed_at": o.completed_at,
        "received_at": i.received_at,
        "first_response_at": i.first_response_at,
        "filed_at": c.filed_at,
        "resolved_at": c.resolved_at,
    }
    return select(*(select(func.max(col)).scalar_subquery().label(name) for name, col in columns.items()))


def fetch_freshness(conn: Connection) -> dict:
    """How recent the warehouse is: {"latest_order_at": max placed_at, "latest_activity_at": max of every
    order, inquiry and claim timestamp}; each a datetime, or None when there is nothing."""
    row = conn.execute(freshness_statement()).mappings().one()
    latest = [value for value in row.values() if value is not None]
    return {"latest_order_at": row["placed_at"], "latest_activity_at": max(latest) if latest else None}


def default_as_of(freshness: dict) -> date:
    """The as-of date that covers all data: the day after latest_activity_at, or today (UTC) if none."""
    latest = freshness.get("latest_activity_at")
    if latest is None:
        return datetime.now(UTC).date()
    return latest.date() + timedelta(days=1)


# ---------------------------------------------------------------------------------------------------------
# Scorecard features at many as-of dates


def _point_param(k: int, name: str):
    return ts_param(f"{name}_{k}")


def _rank(ts, bounds: Sequence) -> object:
    """How many of the ascending `bounds` are ≤ ts, as a balanced nested CASE (log2 n comparisons)."""

    def between(lo: int, hi: int):
        if lo == hi:
            return literal_column(str(lo))
        mid = (lo + hi + 1) // 2
        return case((ts < bounds[mid - 1], between(lo, mid - 1)), else_=between(mid, hi))

    return between(0, len(bounds))


def history_params(as_ofs: Sequence[date]) -> dict[str, datetime]:
    """The bound parameters of `history_statement(len(as_ofs))`: each as-of date's window boundaries."""
    params = {}
    for k, as_of in enumerate(as_ofs):
        for name, value in Windows.at(as_of).params().items():
            params[f"{name}_{k}"] = value
    return params


MEASURES = ("deals", "value", "shipments", "on_time", "claims", "upheld", "refunds")
MONEY_MEASURES = ("value", "refunds")


def _facts(supplier_id, ranks, measures: dict, from_, where):
    """Sum per-row `measures` per (supplier_id, e, s365, s182); measures left out are 0."""
    e, s365, s182 = ranks
    rows = (
        select(
            supplier_id.label("supplier_id"),
            e.label("e"),
            s365.label("s365"),
            s182.label("s182"),
            *(value.label(name) for name, value in measures.items()),
        )
        .select_from(from_)
        .where(where)
        .subquery()
    )
    r = rows.c

    def total(name):
        if name not in measures:
            return cast(literal_column("0"), Double).label(name)
        if name in MONEY_MEASURES:
            # Exact decimal sum, carried on as whole cents in a double: every partial sum of whole
            # numbers below 2^53 is exact, and doubles keep the running sums below cheap.
            return cast(func.sum(r[name]) * literal_column("100"), Double).label(name)
        return cast(func.sum(r[name]), Double).label(name)

    # Grouped by the subquery's columns: an engine with positional parameters would not match a
    # GROUP BY on the CASE expressions themselves to the same expressions in the SELECT list.
    return select(r.supplier_id, r.e, r.s365, r.s182, *(total(n) for n in MEASURES)).group_by(
        r.supplier_id, r.e, r.s365, r.s182
    )


def _points(count: int, name: str = "points"):
    rows = [
        select(
            literal_column(str(k)).label("point"),
            _point_param(k, "as_of").label("as_of"),
            _point_param(k, "a30").label("a30"),
        )
        for k in range(count)
    ]
    return (union_all(*rows) if count > 1 else rows[0]).subquery(name)


def history_statement(count: int, overlap_30d: int = 2):
    """SELECT one row per (as-of point, supplier) with the scorecard's raw counts and sums at that point.

    Bound parameters: as_of_k, a365_k, a182_k, a30_k for k = 0 … count − 1, the windows of ascending
    as-of dates (see `history_params`); `overlap_30d` is how many of their 30-day windows can hold one
    inquiry (`window_overlap`). Columns: point (k), as_of, supplier_id, country_code, category,
    registered_at, ta_enrolled_at and the counts and sums of `scorecard_statement` except name and
    open_exposure_usd (RAW_SCHEMA's names). Rows come unordered.
    """
    if count < 1:
        raise ValueError("count: expected at least one as-of date")
    # The window deltas per (supplier, point), then running sums over the full grid of suppliers × points.
    delta_rows = _delta_rows(count).subquery("delta_rows")
    dr = delta_rows.c
    deltas = (
        select(dr.supplier_id, dr.point, *(func.sum(dr[name]).label(name) for name in DELTAS))
        .group_by(dr.supplier_id, dr.point)
        .subquery("deltas")
    )
    grid_points = _points(count, "grid_points")
    g, d = grid_points.c, deltas.c
    supplier_id = suppliers.c.supplier_id

    def running(name: str):
        total = func.sum(func.coalesce(d[name], cast(literal_column("0"), Double))).over(
            partition_by=supplier_id, order_by=g.point, rows=(None, 0)
        )
        if name in MONEY_DELTAS:  # whole cents → USD: one correctly rounded division, as a decimal's cast
            return _money(total / cast(literal_column("100"), Double)).label(name)
        return _count(total).label(name)

    # The running sums over a narrow row (ids only): a window sorts every column it carries.
    sums = (
        select(supplier_id, g.point, *(running(name) for name in DELTAS))
        .select_from(
            suppliers.join(grid_points, true()).outerjoin(
                deltas, and_(d.supplier_id == supplier_id, d.point == g.point)
            )
        )
        .subquery("sums")
    )

    inquiry_rows = _inquiry_rows(count, overlap_30d).subquery("inquiry_rows")
    ir = inquiry_rows.c
    inquiry_facts = (
        select(
            ir.supplier_id,
            ir.point,
            func.sum(ir.inquiries_30d).label("inquiries_30d"),
            func.sum(ir.answered_24h_30d).label("answered_24h_30d"),
            median(ir.wait_micros).label("median_response_micros"),
        )
        .group_by(ir.supplier_id, ir.point)
        .subquery("inquiry_facts")
    )
    inf = inquiry_facts.c

    points = _points(count)
    s, p, sm = suppliers.c, points.c, sums.c
    return select(
        p.point,
        p.as_of,
        s.supplier_id,
        s.country_code,
        s.category,
        s.registered_at,
        s.ta_enrolled_at,
        *(sm[name] for name in DELTAS),
        _count(inf.inquiries_30d).label("inquiries_30d"),
        _count(inf.answered_24h_30d).label("answered_24h_30d"),
        inf.median_response_micros,
    ).select_from(
        sums.join(suppliers, s.supplier_id == sm.supplier_id)
        .join(points, p.point == sm.point)
        .outerjoin(inquiry_facts, and_(inf.supplier_id == sm.supplier_id, inf.point == sm.point))
    )


# The window totals built from deltas; the money ones carried as whole cents.
DELTAS = (
    "deals_12m",
    "value_12m_usd",
    "orders_6m",
    "gmv_6m_usd",
    "shipments_6m",
    "on_time_shipments_6m",
    "claims_12m",
    "upheld_claims_6m",
    "refunds_12m_usd",
)
MONEY_DELTAS = ("value_12m_usd", "gmv_6m_usd", "refunds_12m_usd")


def _stream_row(supplier_id, point, deltas: dict, inquiry=None, answered_24h=None, wait=None):
    zero, none = cast(literal_column("0"), Double), cast(null(), Double)
    return (
        supplier_id.label("supplier_id"),
        point.label("point"),
        *(deltas.get(name, zero).label(name) for name in DELTAS),
        (zero if inquiry is None else inquiry).label("inquiries_30d"),
        (zero if answered_24h is None else answered_24h).label("answered_24h_30d"),
        (none if wait is None else wait).label("wait_micros"),
    )


def _window_facts(count: int):
    """Per (supplier_id, e, s365, s182): covered deals, shipments and claims with their sums."""
    as_of = [_point_param(k, "as_of") for k in range(count)]
    a365 = [_point_param(k, "a365") for k in range(count)]
    a182 = [_point_param(k, "a182") for k in range(count)]
    first, last = a365[0], as_of[-1]
    outside = literal_column(str(count))  # a point index past the grid: the fact never leaves in range
    zero, one = literal_column("0"), literal_column("1")

    o, c = orders.c, claims.c
    covered_deal = and_(o.ta_covered, o.status == "completed", _in(o.completed_at, first, last))
    shipment = and_(o.ta_covered, o.status != "cancelled", _in(o.ship_by, a182[0], last))
    on_time = and_(o.shipped_at.is_not(None), o.shipped_at <= o.ship_by)
    return union_all(
        _facts(
            o.supplier_id,
            (_rank(o.completed_at, as_of), _rank(o.completed_at, a365), _rank(o.completed_at, a182)),
            {"deals": one, "value": o.amount_usd},
            orders,
            covered_deal,
        ),
        _facts(
            o.supplier_id,
            (_rank(o.ship_by, as_of), outside, _rank(o.ship_by, a182)),
            {"shipments": one, "on_time": case((on_time, one), else_=zero)},
            orders,
            shipment,
        ),
        _facts(
            o.supplier_id,
            (_rank(c.filed_at, as_of), _rank(c.filed_at, a365), _rank(c.filed_at, a182)),
            {
                "claims": one,
                "upheld": case((c.status.in_(UPHELD_CLAIM_STATUSES), one), else_=zero),
                "refunds": c.refund_usd,
            },
            claims.join(orders, c.order_id == o.order_id),
            _in(c.filed_at, first, last),
        ),
    ).subquery("facts")


def _delta_rows(count: int):
    """Per (supplier_id, e, s365, s182) fact row, up to three (supplier_id, point) rows of signed deltas:
    the window totals gain the facts at point e and lose them at s365 (12 months) or s182 (6 months)."""
    zero = cast(literal_column("0"), Double)
    facts = _window_facts(count)
    kinds = union_all(*(select(literal_column(str(k)).label("kind")) for k in range(3))).subquery("kinds")
    f, kind = facts.c, kinds.c.kind
    point = case((kind == literal_column("0"), f.e), (kind == literal_column("1"), f.s365), else_=f.s182)

    def signed(value, leaves: str):
        return case((kind == literal_column("0"), value), (kind == literal_column(leaves), -value), else_=zero)

    deltas = {
        "deals_12m": signed(f.deals, "1"),
        "value_12m_usd": signed(f.value, "1"),
        "orders_6m": signed(f.deals, "2"),
        "gmv_6m_usd": signed(f.value, "2"),
        "shipments_6m": signed(f.shipments, "2"),
        "on_time_shipments_6m": signed(f.on_time, "2"),
        "claims_12m": signed(f.claims, "1"),
        "upheld_claims_6m": signed(f.upheld, "2"),
        "refunds_12m_usd": signed(f.refunds, "1"),
    }
    return (
        select(*_stream_row(f.supplier_id, point, deltas))
        .select_from(facts.join(kinds, true()))
        .where(point < literal_column(str(count)))
    )


def _inquiry_rows(count: int, overlap_30d: int):
    """One row per (inquiry, point whose 30-day window holds it): 1 inquiry, answered within 24 h before
    the point (1/0), and the wait in microseconds when answered before the point (else null)."""
    as_of = [_point_param(k, "as_of") for k in range(count)]
    a30 = [_point_param(k, "a30") for k in range(count)]
    # "Answered" depends on the as-of date, so each inquiry is paired with the (at most `overlap_30d`)
    # points whose 30-day window holds it, points e … s30 − 1, by an equi-join on e + offset.
    i = inquiries.c
    inquiry_ranks = (
        select(
            i.supplier_id,
            i.received_at,
            i.first_response_at,
            _rank(i.received_at, as_of).label("e"),
            _rank(i.received_at, a30).label("s30"),
        )
        .where(_in(i.received_at, a30[0], as_of[-1]))
        .subquery("inquiry_ranks")
    )
    offsets = [select(literal_column(str(k)).label("offset")) for k in range(overlap_30d)]
    offsets = (union_all(*offsets) if overlap_30d > 1 else offsets[0]).subquery("offsets")
    inquiry_points = _points(count, "inquiry_points")
    r, q = inquiry_ranks.c, inquiry_points.c
    one, zero = cast(literal_column("1"), Double), cast(literal_column("0"), Double)
    answered = and_(r.first_response_at.is_not(None), r.first_response_at < q.as_of)
    wait = micros_between(r.received_at, r.first_response_at)
    return (
        select(
            *_stream_row(
                r.supplier_id,
                q.point,
                {},
                inquiry=one,
                answered_24h=case((and_(answered, wait <= 24 * MICROS_PER_HOUR), one), else_=zero),
                wait=case((answered, cast(wait, Double)), else_=None),
            )
        )
        .select_from(inquiry_ranks.join(offsets, true()).join(inquiry_points, q.point == r.e + offsets.c.offset))
        .where(q.point < r.s30)
    )


def window_overlap(as_ofs: Sequence[date], days: int = 30) -> int:
    """The most `days`-long windows [A − days, A) of the as-of dates that share one instant (≥ 1)."""
    ends = [datetime.combine(a, time()) for a in sorted(set(as_ofs))]
    starts = [end - timedelta(days=days) for end in ends]
    return max((sum(1 for s, e in zip(starts, ends, strict=True) if s <= start < e) for start in starts), default=1)


HISTORY_RAW_SCHEMA = {
    "point": pl.Int64,
    **{name: dtype for name, dtype in RAW_SCHEMA.items() if name not in ("name", "open_exposure_usd")},
}

# The columns of fetch_history_features, in order.
HISTORY_COLUMNS = (
    "as_of",
    "supplier_id",
    "country_code",
    "category",
    "enrolled",
    "account_age_days",
    "orders_6m",
    "gmv_6m_usd",
    "on_time_rate_6m",
    "claim_rate_6m",
    "response_rate_30d",
    "median_response_hours_30d",
    "deals_12m",
    "value_12m_usd",
    "claims_12m",
    "refunds_12m_usd",
    "upheld_claims_6m",
)


def fetch_history_features(conn: Connection, as_ofs: tuple[date, ...]) -> pl.DataFrame:
    """Every supplier's scorecard features at each of `as_ofs`, from one warehouse statement.

    Returns HISTORY_COLUMNS, one row per (as_of, supplier), ordered by as_of then supplier_id; as_of is a
    Date. At each as-of date the values equal `queries.scorecard.fetch_features(conn, as_of)`.
    Duplicate dates are read once.
    """
    points = tuple(sorted(set(as_ofs)))
    if not points:
        return pl.DataFrame(schema={"as_of": pl.Date, **{c: pl.Null for c in HISTORY_COLUMNS[1:]}})
    statement = history_statement(len(points), window_overlap(points, 30))
    raw = read_frame(conn, statement, history_params(points), HISTORY_RAW_SCHEMA)
    frames = []
    for k, as_of in enumerate(points):
        at = raw.filter(pl.col("point") == k).drop("point")
        frames.append(derive_features(at, as_of).with_columns(pl.lit(as_of).alias("as_of")))
    return pl.concat(frames).select(HISTORY_COLUMNS).sort("as_of", "supplier_id")


# ---------------------------------------------------------------------------------------------------------
# Uptake under a policy (pure polars)

BREAKDOWNS = ("country_code", "category")


def _with_verdict(history: pl.DataFrame, policy) -> pl.DataFrame:
    from policy import evaluate

    verdict = evaluate(history, policy, margins=False)
    return history.with_columns(verdict["badge"], verdict["ta_amount_usd"])


def _uptake_aggregates() -> list[pl.Expr]:
    return [
        pl.len().alias("suppliers"),
        pl.col("enrolled").sum().cast(pl.Int64).alias("enrolled"),
        (pl.col("badge") == "qualified").sum().cast(pl.Int64).alias("qualified"),
        pl.col("deals_12m").sum().alias("covered_deals_12m"),
        pl.col("value_12m_usd").sum().alias("covered_value_12m_usd"),
        pl.col("refunds_12m_usd").sum().alias("refunds_12m_usd"),
        pl.col("ta_amount_usd").sum().alias("ta_amount_usd"),
    ]


def uptake_series(history: pl.DataFrame, policy) -> pl.DataFrame:
    """Program uptake per as-of date under `policy`, from `fetch_history_features` rows.

    Returns one row per as_of (ascending): as_of, suppliers, enrolled, qualified (badge qualified),
    covered_deals_12m, covered_value_12m_usd (sum of value_12m_usd), refunds_12m_usd, ta_amount_usd
    (total Trade Assurance Amount).
    """
    return _with_verdict(history, policy).group_by("as_of").agg(_uptake_aggregates()).sort("as_of")


def uptake_breakdown(history_at_one_as_of: pl.DataFrame, policy, by: str) -> pl.DataFrame:
    """Uptake at one as-of date per group `by` ("country_code" or "category") under `policy`.

    Takes the rows of a single as_of from `fetch_history_features` (or `fetch_features`); returns one row
    per group, ordered by the group: <by>, suppliers, enrolled, qualified, covered_deals_12m,
    covered_value_12m_usd, refunds_12m_usd, ta_amount_usd.
    """
    if by not in BREAKDOWNS:
        raise ValueError(f"by: expected one of {', '.join(BREAKDOWNS)}, got {by!r}")
    if "as_of" in history_at_one_as_of.columns and history_at_one_as_of["as_of"].n_unique() > 1:
        raise ValueError("uptake_breakdown: expected the rows of one as-of date; filter the history first")
    return _with_verdict(history_at_one_as_of, policy).group_by(by).agg(_uptake_aggregates()).sort(by)


# ---------------------------------------------------------------------------------------------------------
# Program facts per calendar month

PROGRAM_MONTHLY_SCHEMA = {
    "month": pl.Date,
    "country_code": pl.String,
    "category": pl.String,
    "covered_deals": pl.Int64,
    "covered_gmv_usd": pl.Float64,
    "gmv_usd": pl.Float64,
    "claims": pl.Int64,
    **{f"claims_{reason}": pl.Int64 for reason in CLAIM_REASONS},
    "refunds_usd": pl.Float64,
}


def program_monthly_statement():
    """SELECT per (month, country_code, category) the completed orders and claims of [start, end).

    Bound parameters start and end (timestamps). Counts and sums as PROGRAM_MONTHLY_SCHEMA; only
    combinations with some activity appear.
    """
    start, end = ts_param("start"), ts_param("end")
    zero = literal_column("0")
    o, s, c = orders.c, suppliers.c, claims.c

    completed = and_(o.status == "completed", _in(o.completed_at, start, end))
    covered = o.ta_covered
    order_month = month_start(o.completed_at)
    order_facts = (
        select(
            order_month.label("month"),
            s.country_code,
            s.category,
            _count_if(covered).label("covered_deals"),
            _sum_if(covered, o.amount_usd).label("covered_gmv_usd"),
            func.sum(o.amount_usd).label("gmv_usd"),
            zero.label("claims"),
            *(zero.label(f"claims_{reason}") for reason in CLAIM_REASONS),
            zero.label("refunds_usd"),
        )
        .select_from(orders.join(suppliers, s.supplier_id == o.supplier_id))
        .where(completed)
        .group_by(order_month, s.country_code, s.category)
    )
    claim_month = month_start(c.filed_at)
    claim_facts = (
        select(
            claim_month.label("month"),
            s.country_code,
            s.category,
            zero.label("covered_deals"),
            zero.label("covered_gmv_usd"),
            zero.label("gmv_usd"),
            func.count().label("claims"),
            *(_count_if(c.reason == reason).label(f"claims_{reason}") for reason in CLAIM_REASONS),
            func.sum(c.refund_usd).label("refunds_usd"),
        )
        .select_from(claims.join(orders, c.order_id == o.order_id).join(suppliers, s.supplier_id == o.supplier_id))
        .where(_in(c.filed_at, start, end))
        .group_by(claim_month, s.country_code, s.category)
    )
    facts = union_all(order_facts, claim_facts).subquery("facts")
    f = facts.c
    counts = ("covered_deals", "claims", *(f"claims_{reason}" for reason in CLAIM_REASONS))
    money = ("covered_gmv_usd", "gmv_usd", "refunds_usd")
    return (
        select(
            f.month,
            f.country_code,
            f.category,
            *(
                (_count if name in counts else _money)(func.sum(f[name])).label(name)
                for name in PROGRAM_MONTHLY_SCHEMA
                if name in counts or name in money
            ),
        )
        .group_by(f.month, f.country_code, f.category)
        .order_by(f.month, f.country_code, f.category)
    )


def fetch_program_monthly(conn: Connection, first_month: date, as_of: date) -> pl.DataFrame:
    """Program facts per calendar month in [first_month, as_of) × country_code × category.

    Returns PROGRAM_MONTHLY_SCHEMA's columns ordered by month, country_code, category: covered_deals and
    covered_gmv_usd (covered deals completed in the month), gmv_usd (every completed order, covered or
    not), claims filed in the month (in total and per reason, claims_<reason>) and refunds_usd (refund_usd
    of those claims). month is the 1st of the month; a first_month that is not a 1st, or an as_of that is
    not, gives a partial first or last month. Combinations with no activity are absent.
    """
    params = {"start": datetime.combine(first_month, time()), "end": datetime.combine(as_of, time())}
    return read_frame(conn, program_monthly_statement(), params, PROGRAM_MONTHLY_SCHEMA)
