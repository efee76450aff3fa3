"""Program uptake over time: scorecard features at many as-of dates, and monthly program facts.

`fetch_history_features(conn, as_ofs)` gives every supplier's scorecard features at many as-of dates,
reading each fact table once, and derives the rates exactly as `queries.scorecard.derive_features` does,
so each as-of's rows equal `fetch_features(conn, as_of)` (the 30-day reply rates only where the supplier
is enrolled). `uptake_series` and `uptake_breakdown` evaluate a policy over that history in polars.
`program_monthly_statement()` / `fetch_program_monthly` give covered deals, GMV and claims per calendar
month, country and category.

How the history avoids joining every order to every as-of date: the as-of dates' window bounds (as_of,
as_of − 365 days, as_of − 182 days of every point), sorted, cut time into slots; every window is a run of
consecutive slots. The warehouse buckets each fact into its slot with a small CASE over bound parameters
and sums per (supplier, slot) — one pass, a few million small rows; a window total is then a difference
of two running sums over the slots, taken in numpy. Inquiries need a median per window, so they are
grouped per (supplier, as-of point) instead: each is paired with the one (rarely two) points whose
30-day window holds it, by a CASE again, and only for points where the supplier is enrolled.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import polars as pl
from sqlalchemy import (
    BigInteger,
    Double,
    Integer,
    and_,
    case,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.engine import Connection

from data.schema import CLAIM_REASONS, claims, inquiries, orders, suppliers
from queries.dialect import median, micros_between, month_start
from queries.facts import (
    MICROS_PER_HOUR,
    completed_order,
    count,
    count_if,
    in_window,
    is_covered_deal,
    is_due_shipment,
    is_on_time,
    money,
    sum_if,
    upheld_claim,
)
from queries.scorecard import RAW_SCHEMA, derive_features, read_frame
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


# ---------------------------------------------------------------------------------------------------------
# Scorecard features at many as-of dates


def _bucket(ts, bounds: Sequence, leaves: Sequence) -> object:
    """`leaves[j]` for the j with exactly j of the ascending `bounds` ≤ ts, as a balanced nested CASE
    (log2 n comparisons). A null ts takes the last leaf."""

    def between(lo: int, hi: int):
        if lo == hi:
            return leaves[lo]
        mid = (lo + hi + 1) // 2
        return case((ts < bounds[mid - 1], between(lo, mid - 1)), else_=between(mid, hi))

    return between(0, len(bounds))


def _rank(ts, bounds: Sequence) -> object:
    """How many of the ascending `bounds` are ≤ ts (len(bounds) for a null ts)."""
    return _bucket(ts, bounds, [literal_column(str(j)) for j in range(len(bounds) + 1)])


@dataclass(frozen=True)
class HistoryLayout:
    """How sorted as-of dates cut time into slots, so each fact is bucketed once.

    bounds: the distinct as_of, a365 and a182 of every point, ascending; a fact at t sits in slot
    j = #{b ∈ bounds : b ≤ t}, and the window [lo, hi) of a point holds exactly the slots
    bounds.index(lo) + 1 … bounds.index(hi). inquiry_bounds: the same for as_of and a30; inquiry_points[j]
    lists the points whose 30-day window holds inquiry slot j (none, one, or a few where windows overlap).
    """

    as_ofs: tuple[datetime, ...]
    bounds: tuple[datetime, ...]
    inquiry_bounds: tuple[datetime, ...]
    inquiry_points: tuple[tuple[int, ...], ...]

    @classmethod
    def of(cls, as_ofs: Sequence[date]) -> "HistoryLayout":
        """The layout of the distinct `as_ofs` (sorted here)."""
        windows = [Windows.at(a) for a in sorted(set(as_ofs))]
        bounds = sorted({t for w in windows for t in (w.as_of, w.a365, w.a182)})
        inquiry_bounds = sorted({t for w in windows for t in (w.as_of, w.a30)})
        # Every instant of slot j ≥ 1 compares with the bounds as inquiry_bounds[j − 1] does.
        inquiry_points = [()] + [
            tuple(k for k, w in enumerate(windows) if w.a30 <= start < w.as_of) for start in inquiry_bounds
        ]
        return cls(
            as_ofs=tuple(w.as_of for w in windows),
            bounds=tuple(bounds),
            inquiry_bounds=tuple(inquiry_bounds),
            inquiry_points=tuple(inquiry_points),
        )

    def params(self) -> dict[str, datetime]:
        """The bound parameters of the history statements: as_of_k, bound_j and inquiry_bound_j."""
        return {
            **{f"as_of_{k}": t for k, t in enumerate(self.as_ofs)},
            **{f"bound_{j}": t for j, t in enumerate(self.bounds)},
            **{f"inquiry_bound_{j}": t for j, t in enumerate(self.inquiry_bounds)},
        }

    def window_slots(self, k: int, days: int) -> tuple[int, int]:
        """(lo, hi): point k's window of `days` days holds the slots lo + 1 … hi."""
        as_of = self.as_ofs[k]
        return self.bounds.index(as_of - timedelta(days=days)), self.bounds.index(as_of)


def _params(name: str, count: int) -> list:
    return [ts_param(f"{name}_{j}") for j in range(count)]


# The kinds of slot facts: their rows carry n, n2 and cents as below.
DEALS, SHIPMENTS, CLAIMS = 0, 1, 2


def _slot_facts(kind: int, supplier_id, at, measures: dict, from_, where, bounds: list):
    """Per (supplier_id, slot of `at`): n rows, n2 = sum of measures["n2"], cents = sum of measures["cents"]."""
    zero = literal_column("0")
    rows = (
        select(
            supplier_id.label("supplier_id"),
            _rank(at, bounds).label("slot"),
            measures.get("n2", zero).label("n2"),
            measures.get("cents", zero).label("cents"),
        )
        .select_from(from_)
        .where(where, at >= bounds[0], at < bounds[-1])  # outside every window: never counted
        .subquery()
    )
    r = rows.c
    # Grouped by the subquery's columns: an engine with positional parameters would not match a
    # GROUP BY on the CASE expression itself to the same expression in the SELECT list.
    return select(
        literal_column(str(kind)).label("kind"),
        r.supplier_id,
        r.slot,
        cast(func.count(), BigInteger).label("n"),
        cast(func.sum(r.n2), BigInteger).label("n2"),
        cast(func.sum(r.cents), BigInteger).label("cents"),
    ).group_by(r.supplier_id, r.slot)


def _cents(amount):
    # Exact: a numeric(14,2) times 100 is a whole number; integer sums are cheaper than decimal ones.
    return cast(amount * literal_column("100"), BigInteger)


def history_facts_statement(bound_count: int):
    """SELECT per (kind, supplier_id, slot) the facts of `HistoryLayout.bounds` slots (bound_j parameters).

    kind DEALS: covered deals by completed_at, n of them and cents their amount; SHIPMENTS: covered orders
    not cancelled by ship_by, n of them and n2 shipped on time; CLAIMS: claims by filed_at, n of them,
    n2 upheld and cents their refunds. Only facts inside [bound_0, bound_last) appear; rows come unordered.
    """
    if bound_count < 2:
        raise ValueError("bound_count: expected at least two window bounds")
    bounds = _params("bound", bound_count)
    o, c = orders.c, claims.c
    one, zero = literal_column("1"), literal_column("0")
    return union_all(
        _slot_facts(
            DEALS,
            o.supplier_id,
            o.completed_at,
            {"cents": _cents(o.amount_usd)},
            orders,
            is_covered_deal(),
            bounds,
        ),
        _slot_facts(
            SHIPMENTS,
            o.supplier_id,
            o.ship_by,
            {"n2": case((is_on_time(), one), else_=zero)},
            orders,
            is_due_shipment(),
            bounds,
        ),
        _slot_facts(
            CLAIMS,
            o.supplier_id,
            c.filed_at,
            {"n2": case((upheld_claim(), one), else_=zero), "cents": _cents(c.refund_usd)},
            claims.join(orders, c.order_id == o.order_id),
            true(),
            bounds,
        ),
    )


def history_inquiries_statement(inquiry_points: tuple[tuple[int, ...], ...], count: int):
    """SELECT per (supplier_id, point) where the supplier is enrolled at the point: inquiries_30d,
    answered_24h_30d and median_response_micros as `scorecard_statement` has them at that as-of date.

    Bound parameters as_of_k (k < count) and inquiry_bound_j (see `HistoryLayout`); `inquiry_points` is
    the layout's. Points where a supplier is not enrolled, or had no inquiry, have no row.
    """
    as_of = _params("as_of", count)
    bounds = _params("inquiry_bound", len(inquiry_points) - 1)
    i, s = inquiries.c, suppliers.c
    # Each inquiry is read once per 30-day window holding it: stream n gives the n-th such point (null
    # when there is none), over only the times where there is one. Most inquiries are in one window.
    streams = []
    for n in range(max(len(p) for p in inquiry_points)):
        slots = [j for j, p in enumerate(inquiry_points) if len(p) > n]
        runs = [[slots[0], slots[0]]]
        for j in slots[1:]:
            if j == runs[-1][1] + 1:
                runs[-1][1] = j
            else:
                runs.append([j, j])
        none = cast(null(), Integer)  # typed: PostgreSQL reads a CASE of bare NULLs as text
        leaves = [literal_column(str(p[n])) if len(p) > n else none for p in inquiry_points]
        streams.append(
            select(
                i.supplier_id,
                _bucket(i.received_at, bounds, leaves).label("point"),
                _rank(i.first_response_at, as_of).label("answered_from"),  # answered before A_p iff ≤ p
                micros_between(i.received_at, i.first_response_at).label("wait"),
            ).where(or_(*(in_window(i.received_at, bounds[lo - 1], bounds[hi]) for lo, hi in runs)))
        )
    rows = (union_all(*streams) if len(streams) > 1 else streams[0]).subquery("inquiry_rows")
    # A supplier's badge is not_enrolled at a point before its enrolment whatever its replies: skip those.
    enrolled = (
        select(s.supplier_id, _rank(s.ta_enrolled_at, as_of).label("enrolled_from"))
        .where(s.ta_enrolled_at < as_of[-1])
        .subquery("enrolled")
    )
    r, e = rows.c, enrolled.c
    answered = r.answered_from <= r.point
    return (
        select(
            r.supplier_id,
            r.point,
            func.count().label("inquiries_30d"),
            count_if(and_(answered, r.wait <= 24 * MICROS_PER_HOUR)).label("answered_24h_30d"),
            median(case((answered, cast(r.wait, Double)), else_=None)).label("median_response_micros"),
        )
        .select_from(rows.join(enrolled, and_(e.supplier_id == r.supplier_id, r.point >= e.enrolled_from)))
        .group_by(r.supplier_id, r.point)
    )


def history_suppliers_statement():
    """SELECT every supplier's as-of-independent facts, ordered by supplier_id."""
    s = suppliers.c
    return select(s.supplier_id, s.country_code, s.category, s.registered_at, s.ta_enrolled_at).order_by(s.supplier_id)


HISTORY_SUPPLIER_SCHEMA = {
    name: RAW_SCHEMA[name] for name in ("supplier_id", "country_code", "category", "registered_at", "ta_enrolled_at")
}
HISTORY_FACTS_SCHEMA = {
    "kind": pl.Int64,
    "supplier_id": pl.Int64,
    "slot": pl.Int64,
    "n": pl.Int64,
    "n2": pl.Int64,
    "cents": pl.Int64,
}
HISTORY_INQUIRY_SCHEMA = {
    "supplier_id": pl.Int64,
    "point": pl.Int64,
    "inquiries_30d": pl.Int64,
    "answered_24h_30d": pl.Int64,
    "median_response_micros": pl.Float64,
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

# Each window total: (kind of slot fact, its column, window days).
WINDOW_TOTALS = {
    "deals_12m": (DEALS, "n", 365),
    "value_12m_usd": (DEALS, "cents", 365),
    "orders_6m": (DEALS, "n", 182),
    "gmv_6m_usd": (DEALS, "cents", 182),
    "shipments_6m": (SHIPMENTS, "n", 182),
    "on_time_shipments_6m": (SHIPMENTS, "n2", 182),
    "claims_12m": (CLAIMS, "n", 365),
    "upheld_claims_6m": (CLAIMS, "n2", 182),
    "refunds_12m_usd": (CLAIMS, "cents", 365),
}
MONEY_TOTALS = ("value_12m_usd", "gmv_6m_usd", "refunds_12m_usd")  # carried as whole cents


def _window_totals(facts: pl.DataFrame, suppliers: int, layout: HistoryLayout) -> dict[str, np.ndarray]:
    """Each WINDOW_TOTALS name → an int64 array [point, supplier row] of its window sums; `facts` carries
    the supplier's row number in `row`."""
    slots = len(layout.bounds) + 1
    count = len(layout.as_ofs)
    totals = {}
    for kind in (DEALS, SHIPMENTS, CLAIMS):
        rows = facts.filter(pl.col("kind") == kind)
        where = (rows["slot"].to_numpy(), rows["row"].to_numpy())
        for column in ("n", "n2", "cents"):
            names = [name for name, (k, c, _) in WINDOW_TOTALS.items() if (k, c) == (kind, column)]
            if not names:
                continue
            # One row per (slot, supplier); running sums over the slots, then a window is a difference.
            running = np.zeros((slots, suppliers), dtype=np.int64)
            running[where] = rows[column].to_numpy()
            running = running.cumsum(axis=0)
            for name in names:
                ends = [layout.window_slots(k, WINDOW_TOTALS[name][2]) for k in range(count)]
                totals[name] = np.stack([running[hi] - running[lo] for lo, hi in ends])
    return totals


def fetch_history_features(conn: Connection, as_ofs: tuple[date, ...]) -> pl.DataFrame:
    """Every supplier's scorecard features at each of `as_ofs`.

    Returns HISTORY_COLUMNS, one row per (as_of, supplier), ordered by as_of then supplier_id; as_of is a
    Date. At each as-of date the values equal `queries.scorecard.fetch_features(conn, as_of)`, except
    that response_rate_30d and median_response_hours_30d are null where the supplier is not enrolled at
    that date (its badge is not_enrolled whatever its replies, and the 30-day medians are the costliest
    part). Duplicate dates are read once. The warehouse sums the facts per supplier and slot between
    window bounds (three statements); the window totals are differences of running sums here.
    """
    points = tuple(sorted(set(as_ofs)))
    if not points:
        return pl.DataFrame(schema={"as_of": pl.Date, **{c: pl.Null for c in HISTORY_COLUMNS[1:]}})
    layout = HistoryLayout.of(points)
    params = layout.params()
    supplier_rows = read_frame(conn, history_suppliers_statement(), {}, HISTORY_SUPPLIER_SCHEMA)
    facts = read_frame(conn, history_facts_statement(len(layout.bounds)), params, HISTORY_FACTS_SCHEMA)
    replies = read_frame(
        conn, history_inquiries_statement(layout.inquiry_points, len(points)), params, HISTORY_INQUIRY_SCHEMA
    )

    row = supplier_rows.select("supplier_id", pl.int_range(pl.len(), dtype=pl.Int64).alias("row"))
    ids = supplier_rows["supplier_id"]
    totals = _window_totals(facts.join(row, on="supplier_id"), len(ids), layout)
    replies = replies.join(row, on="supplier_id")
    where = (replies["point"].to_numpy(), replies["row"].to_numpy())
    inquiry_counts = {}
    for name in ("inquiries_30d", "answered_24h_30d"):
        inquiry_counts[name] = np.zeros((len(points), len(ids)), dtype=np.int64)
        inquiry_counts[name][where] = replies[name].to_numpy()
    medians = np.full((len(points), len(ids)), np.nan)
    medians[where] = replies["median_response_micros"].to_numpy()  # a null median reads as NaN

    frames = []
    for k, as_of in enumerate(points):
        raw = supplier_rows.with_columns(
            *(
                pl.Series(name, values[k] / 100 if name in MONEY_TOTALS else values[k])
                for name, values in totals.items()
            ),
            *(pl.Series(name, values[k]) for name, values in inquiry_counts.items()),
            pl.Series("median_response_micros", medians[k], nan_to_null=True),
        )
        frames.append(derive_features(raw, as_of).with_columns(pl.lit(as_of).alias("as_of")))
    return pl.concat(frames).select(HISTORY_COLUMNS)


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


def covered_share(program_monthly: pl.DataFrame) -> float | None:
    """Covered deal value ÷ the value of every completed order over fetch_program_monthly rows (None when
    nothing was completed): the uptake page's covered share (catalogue `covered_share`)."""
    gmv = program_monthly["gmv_usd"].sum()
    return float(program_monthly["covered_gmv_usd"].sum() / gmv) if gmv else None


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

    completed = completed_order(start, end)
    covered = is_covered_deal()
    order_month = month_start(o.completed_at)
    order_facts = (
        select(
            order_month.label("month"),
            s.country_code,
            s.category,
            count_if(covered).label("covered_deals"),
            sum_if(covered, o.amount_usd).label("covered_gmv_usd"),
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
            *(count_if(c.reason == reason).label(f"claims_{reason}") for reason in CLAIM_REASONS),
            func.sum(c.refund_usd).label("refunds_usd"),
        )
        .select_from(claims.join(orders, c.order_id == o.order_id).join(suppliers, s.supplier_id == o.supplier_id))
        .where(in_window(c.filed_at, start, end))
        .group_by(claim_month, s.country_code, s.category)
    )
    facts = union_all(order_facts, claim_facts).subquery("facts")
    f = facts.c
    counts = ("covered_deals", "claims", *(f"claims_{reason}" for reason in CLAIM_REASONS))
    sums = ("covered_gmv_usd", "gmv_usd", "refunds_usd")
    return (
        select(
            f.month,
            f.country_code,
            f.category,
            *(
                (count if name in counts else money)(func.sum(f[name])).label(name)
                for name in PROGRAM_MONTHLY_SCHEMA
                if name in counts or name in sums
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
