"""The other warehouse queries against tests/reference.py on many random, seeded warehouses.

fetch_outcomes, fetch_program_monthly, fetch_supplier_trends, fetch_claim_history and fetch_freshness,
each against its slow, obvious twin in tests/reference.py. Timestamps crowd the window edges (A − 365 d,
A − 182 d, A − 30 d, A, A + 182 d) and every month start around them, ± 1 s and ± 1 µs; waits have
microseconds; amounts have cents; every order status, claim status and reason comes up, covered and
uncovered orders, as-of dates and first months on and off the 1st. Money and counts must match exactly,
rates and hours to 1e-9, claim rows and their order exactly.

Each warehouse has twelve hot instants (four window edges or month starts, 1 µs before, on and after each)
that planted rows are due, completed, claimed and received at. The DuckDB and PostgreSQL tests check the
same examples, count what they reached (Coverage) and assert it: every status and reason, covered and
uncovered orders, dates on and off the 1st, events on every edge and 1 µs either side (per column where a
query's window turns on it), replies at exactly 24 h and 1 µs over, outcome rows with deals, upheld claims
and refunds, non-empty trends and claim histories, ties in filed_at, a timestamp past the activity bound.
(tests/reference.py's outcomes have no Amount, so refunds over, equal to or under it are the backtest's
tests' concern: test_contract_edges.py `test_refunds_equal_to_the_amount_are_not_over_it`.)
"""

from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import strategies as st
from sqlalchemy import create_engine

from data.ddl import create_schema
from data.schema import CLAIM_REASONS, CLAIM_STATUSES, ORDER_STATUSES, UPHELD_CLAIM_STATUSES
from queries.backtest import OUTCOMES_SCHEMA, fetch_outcomes
from queries.freshness import fetch_freshness, freshness_statement
from queries.supplier import CLAIM_HISTORY_SCHEMA, TREND_COLUMNS, fetch_claim_history, fetch_supplier_trends
from queries.uptake import PROGRAM_MONTHLY_SCHEMA, fetch_program_monthly
from tests import reference
from tests.test_differential import MICRO, NUDGES, SCALE, SEC, money, replace_rows, seeded_examples
from tests.warehouse import duckdb_memory_engine

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
# On and off the 1st, a leap February, a year end; the outcome window [A, A + 182 d) crosses months too.
AS_OF_DATES = (date(2024, 7, 1), date(2024, 3, 1), date(2025, 1, 1), date(2024, 11, 15), date(2024, 3, 31))
COUNTRIES = ("CN", "VN", "US")
CATEGORIES = ("Machinery", "Textiles")
TREND_MONTHS = (1, 2, 14, 14)
EXAMPLE_COUNT = 50  # each engine checks the same ones
MIN_REACHED = 5
MIN_ON_DECIDING_EDGE = 3


def month_starts_around(a: datetime) -> list[datetime]:
    """The 1st of every month from 15 months before A to 7 months after it."""
    month = reference.month_of(a + 7 * 31 * DAY)
    out = []
    while datetime.combine(month, time()) > a - 460 * DAY:
        out.append(datetime.combine(month, time()))
        month = reference.month_before(month)
    return out


def first_months(as_of: date) -> st.SearchStrategy[date]:
    """fetch_program_monthly's first month: a 1st 0, 2 or 13 months back, or a day in the middle."""
    last = reference.month_of(datetime.combine(as_of, time()) - DAY)
    back = [last]
    for _ in range(13):
        back.append(reference.month_before(back[-1]))
    on_first = [back[0], back[2], back[13]]
    return st.sampled_from([*on_first, *(d + timedelta(days=9) for d in on_first), as_of])


def times(
    window_edges: list[datetime], month_edges: list[datetime], a: datetime, hot: list[datetime]
) -> st.SearchStrategy[datetime]:
    """One of the warehouse's hot instants (most often), on or a nudge from a window edge or a month start,
    a few days from one, in the ten weeks before A or the 182 days after it, or anywhere in ~20 months, to
    the µs."""
    nudges = st.sampled_from(NUDGES)
    on_window_edge = st.builds(lambda t, d: t + d, st.sampled_from(window_edges), nudges)
    on_month_edge = st.builds(lambda t, d: t + d, st.sampled_from(month_edges), nudges)
    near = st.builds(
        lambda t, us: t + timedelta(microseconds=us),
        st.sampled_from(window_edges + month_edges),
        st.integers(-3 * 86_400 * 10**6, 3 * 86_400 * 10**6),
    )
    anywhere = st.integers(-460 * 86_400 * 10**6, 200 * 86_400 * 10**6).map(lambda us: a + timedelta(microseconds=us))
    recent = st.integers(-70 * 86_400 * 10**6, 0).map(lambda us: a + timedelta(microseconds=us))
    next_6m = st.integers(0, 182 * 86_400 * 10**6).map(lambda us: a + timedelta(microseconds=us))
    on_hot = st.sampled_from(hot)
    return st.one_of(on_hot, on_hot, on_window_edge, on_hot, on_month_edge, near, recent, next_6m, anywhere)


@st.composite
def warehouses(draw) -> tuple[dict, dict[str, list[dict]]]:
    """(the dates to query at, the tables as plain rows)."""
    as_of = draw(st.sampled_from(AS_OF_DATES))
    a = datetime.combine(as_of, time())
    first_month = draw(first_months(as_of))
    months = draw(st.sampled_from(TREND_MONTHS))
    trend_start = reference.month_of(a - DAY)
    for _ in range(months - 1):
        trend_start = reference.month_before(trend_start)
    window_edges = [
        a - 365 * DAY,
        a - 182 * DAY,
        a - 30 * DAY,
        a,
        a + 182 * DAY,
        datetime.combine(first_month, time()),
        datetime.combine(trend_start, time()),
    ]
    month_edges = month_starts_around(a)
    anchors = window_edges + month_edges
    # Twelve instants that many of the warehouse's timestamps share: four consecutive edges of the cycle
    # below, each 1 µs before, on and 1 µs after it (drawn one by one, a timestamp of a given column landed
    # on a given edge too rarely; a drawn offset into the cycle reaches every edge as often).
    month_start = draw(st.sampled_from(month_edges))
    cycle = [edge + nudge for edge in [*window_edges, month_start] for nudge in (-MICRO, timedelta(0), MICRO)]
    offset = draw(st.sampled_from(range(len(window_edges) + 1)))  # integers() favours 0 more
    hot = [cycle[(3 * offset + k) % len(cycle)] for k in range(12)]
    when = times(window_edges, month_edges, a, hot)
    n_suppliers = draw(st.integers(1, 4))
    supplier_ids = st.integers(1, n_suppliers)
    suppliers = [
        {
            "supplier_id": sid,
            "name": f"Supplier {sid}",
            "country_code": draw(st.sampled_from(COUNTRIES)),
            "category": draw(st.sampled_from(CATEGORIES)),
            "registered_at": datetime(2020, 1, 1),
            "ta_enrolled_at": draw(st.one_of(st.none(), st.just(datetime(2020, 1, 1)), when)),
        }
        for sid in range(1, n_suppliers + 1)
    ]

    # Windows select by timestamps only and statuses are read as they stand, so a row's timestamps are
    # drawn independently (an open order may carry a completed_at, a rejected claim a refund of 0). When the
    # warehouse has orders (inquiries), each hot instant also gets a completed order due, completed and
    # claimed there (an inquiry received there); claim statuses and reasons, and covered or not on the
    # planted orders, go round from a drawn offset, so that every one comes up as often.
    past_the_activity_bound = st.sampled_from((a + 600 * DAY, datetime(2100, 1, 1), datetime(2100, 1, 1) + MICRO))
    orders = []

    def add_order(**values):
        ship_by = values.pop("ship_by", None) or draw(when)
        status = values.pop("status", None) or draw(st.sampled_from(ORDER_STATUSES))
        row = {
            "order_id": len(orders) + 1,
            "supplier_id": draw(supplier_ids),
            "buyer_id": 1,
            "placed_at": draw(when),
            "ship_by": ship_by,
            "shipped_at": draw(st.one_of(st.none(), st.sampled_from(NUDGES).map(lambda d, s=ship_by: s + d), when)),
            "delivered_at": draw(st.one_of(st.none(), when, when, past_the_activity_bound)),
            "completed_at": draw(when) if status == "completed" or draw(st.booleans()) else None,
            "status": status,
            "amount_usd": draw(money()),
            "ta_covered": draw(st.sampled_from([True, True, True, False])),
        }
        orders.append(row | values)

    for _ in range(draw(st.one_of(st.integers(4, 20), st.just(0)))):
        add_order()
    planted = []
    if orders:
        for k, instant in enumerate(hot):
            add_order(ship_by=instant, completed_at=instant, status="completed", ta_covered=k % 2 == 0)
            planted.append((orders[-1], instant))

    waits = st.one_of(
        st.sampled_from([timedelta(0), MICRO, SEC, 24 * HOUR, 24 * HOUR + MICRO]),
        st.integers(0, 40 * 86_400 * 10**6).map(lambda us: timedelta(microseconds=us)),
    )
    inquiries = []

    def add_inquiry(received):
        reply = draw(
            st.one_of(
                st.none(),
                waits.map(lambda w, r=received: r + w),
                # Exactly 24 h or 1 µs over (the contract's prompt-reply bound, in the median here).
                st.sampled_from([24 * HOUR, 24 * HOUR + MICRO]).map(lambda w, r=received: r + w),
                # Just before, at or after A, or a month edge: answered before as_of or not.
                st.sampled_from([a - MICRO, a, a + MICRO]).map(lambda t, r=received: max(t, r)),
                st.builds(lambda t, d, r=received: max(t + d, r), st.sampled_from(anchors), st.sampled_from(NUDGES)),
            )
        )
        inquiries.append(
            {
                "inquiry_id": len(inquiries) + 1,
                "supplier_id": draw(supplier_ids),
                "buyer_id": 1,
                "received_at": received,
                "first_response_at": reply,
            }
        )

    for _ in range(draw(st.one_of(st.integers(3, 14), st.just(0)))):
        add_inquiry(draw(when))
    if inquiries:
        for instant in hot:
            add_inquiry(instant)

    claims = []
    status_offset = draw(st.sampled_from(range(len(CLAIM_STATUSES))))
    reason_offset = draw(st.sampled_from(range(len(CLAIM_REASONS))))

    def add_claim(order, filed_at):
        status = CLAIM_STATUSES[(status_offset + len(claims)) % len(CLAIM_STATUSES)]
        claims.append(
            {
                "claim_id": len(claims) + 1,
                "order_id": order["order_id"],
                "filed_at": filed_at,
                "reason": CLAIM_REASONS[(reason_offset + len(claims)) % len(CLAIM_REASONS)],
                "status": status,
                "resolved_at": draw(st.one_of(st.none(), when, when, past_the_activity_bound)),
                "refund_usd": draw(money()) if status in UPHELD_CLAIM_STATUSES else Decimal("0.00"),
            }
        )

    for _ in range(draw(st.one_of(st.integers(2, 12), st.just(0))) if orders else 0):
        # Ties in filed_at just before and at A.
        add_claim(draw(st.sampled_from(orders)), draw(st.one_of(when, st.sampled_from([a - MICRO, a, a - SEC]))))
    for order, instant in planted:
        add_claim(order, instant)

    tables = {"suppliers": suppliers, "buyers": [{"buyer_id": 1, "country_code": "US"}]}
    tables |= {"orders": orders, "inquiries": inquiries, "claims": claims}
    return {"as_of": as_of, "first_month": first_month, "months": months}, tables


def assert_money(got, want: Decimal, where: str) -> None:
    # The double nearest the exact decimal, and the same text to the cent.
    assert got == float(want), f"{where}: {got!r} != {want}"
    assert f"{got:.2f}" == f"{want:.2f}", where


def assert_rate(got, want: Fraction | None, where: str) -> None:
    if want is None:
        assert got is None, f"{where}: {got!r}, expected null"
    else:
        assert got is not None, f"{where}: null, expected {float(want)}"
        assert abs(Fraction(got) - want) <= Fraction(1, 10**9), f"{where}: {got!r} != {float(want)}"


def assert_rows(actual: list[dict], expected: list[dict], money: set[str], rates: set[str], what: str) -> None:
    """Same rows in the same order; money to the cent, rates to 1e-9, everything else exactly."""
    assert [list(row) for row in actual[:1]] == [list(row) for row in expected[:1]], f"{what}: columns"
    assert len(actual) == len(expected), f"{what}: {len(actual)} rows, expected {len(expected)}:\n{actual}\n{expected}"
    for index, (got, want) in enumerate(zip(actual, expected, strict=True)):
        for name, value in want.items():
            where = f"{what}, row {index}, {name}"
            if name in money:
                assert_money(got[name], value, where)
            elif name in rates:
                assert_rate(got[name], value, where)
            else:
                assert got[name] == value, f"{where}: {got[name]!r} != {value!r}"


# Each event column and the window edges (below) whose inclusive or exclusive end it decides.
EVENT_COLUMNS = {
    "orders": ("placed_at", "ship_by", "shipped_at", "completed_at"),
    "inquiries": ("received_at", "first_response_at"),
    "claims": ("filed_at",),
}
EDGE_NUDGES = {-MICRO: "1 µs before", timedelta(0): "on", MICRO: "1 µs after"}
# (column, edge): where a query's window turns on that column (outcomes [A, A + 182 d), program monthly
# [first month, A), trends [trend start, A) by month, claim history and replies before A).
DECIDING_EDGES = (
    ("completed_at", "A"),
    ("completed_at", "A + 182 d"),
    ("filed_at", "A"),
    ("filed_at", "A + 182 d"),
    ("completed_at", "first month"),
    ("filed_at", "first month"),
    ("completed_at", "trend start"),
    ("ship_by", "trend start"),
    ("received_at", "trend start"),
    ("completed_at", "a month start"),
    ("filed_at", "a month start"),
    ("ship_by", "a month start"),
    ("received_at", "a month start"),
    ("first_response_at", "A"),
)


class Coverage:
    """What the examples reached, counted from the generated rows and the reference's answers, so that a
    test can assert that its strategy still reaches every branch (and cannot pass vacuously)."""

    def __init__(self):
        self.counts = Counter()

    def tables(self, dates: dict, tables: dict) -> None:
        c = self.counts
        as_of, first_month = dates["as_of"], dates["first_month"]
        a = datetime.combine(as_of, time())
        c["as_of", "on the 1st" if as_of.day == 1 else "off the 1st"] += 1
        c["first month", "on the 1st" if first_month.day == 1 else "off the 1st"] += 1
        trend_start = reference.month_of(a - DAY)
        for _ in range(dates["months"] - 1):
            trend_start = reference.month_before(trend_start)
        edges = {
            "A - 365 d": [a - 365 * DAY],
            "A - 182 d": [a - 182 * DAY],
            "A - 30 d": [a - 30 * DAY],
            "A": [a],
            "A + 182 d": [a + 182 * DAY],
            "first month": [datetime.combine(first_month, time())],
            "trend start": [datetime.combine(trend_start, time())],
            "a month start": month_starts_around(a),
        }
        for order in tables["orders"]:
            c["order", order["status"]] += 1
            c["order", "covered" if order["ta_covered"] else "uncovered"] += 1
        for claim in tables["claims"]:
            c["claim", claim["status"]] += 1
            c["claim", claim["reason"]] += 1
        for inquiry in tables["inquiries"]:
            reply = inquiry["first_response_at"]
            if reply is None:
                c["inquiry", "unanswered"] += 1
                continue
            c["inquiry", "answered before A" if reply < a else "answered at or after A"] += 1
            wait = reply - inquiry["received_at"]
            if wait == 24 * HOUR:
                c["inquiry", "answered in exactly 24 h"] += 1
            if wait == 24 * HOUR + MICRO:
                c["inquiry", "answered in 24 h and 1 µs"] += 1
        # Edges count warehouses (not rows) with a timestamp there.
        reached = set()
        for table, columns in EVENT_COLUMNS.items():
            for row in tables[table]:
                for column in columns:
                    if row[column] is None:
                        continue
                    for edge, instants in edges.items():
                        for instant in instants:
                            nudge = EDGE_NUDGES.get(row[column] - instant)
                            if nudge is not None:
                                reached |= {("edge", edge, nudge), ("edge", column, edge, nudge)}
        c.update(reached)

    def answers(self, kind: str, rows: list[dict]) -> None:
        c = self.counts
        if kind in ("history", "trends"):
            c[kind, "non-empty" if any(self.busy(kind, row) for row in rows) else "empty"] += 1
        for row in rows:
            if kind == "outcomes":
                c[kind, "rows"] += 1
                c[kind, "with deals"] += row["deals_next_6m"] > 0
                c[kind, "with upheld claims"] += row["upheld_claims_next_6m"] > 0
                c[kind, "with refunds"] += row["refunds_next_6m_usd"] > 0
            elif kind == "monthly":
                c[kind, "rows"] += 1
                c[kind, "with covered deals"] += row["covered_deals"] > 0
                c[kind, "with uncovered GMV"] += row["gmv_usd"] > row["covered_gmv_usd"]
                c[kind, "with claims"] += row["claims"] > 0
            elif kind == "trends":
                c[kind, "months with deals"] += row["deals"] > 0
                c[kind, "months with inquiries"] += row["inquiries"] > 0
                c[kind, "months with a median wait"] += row["median_response_hours"] is not None
                rate = row["on_time_rate"]
                if rate is not None:
                    c[kind, "on-time rate", "0" if rate == 0 else "1" if rate == 1 else "between"] += 1
        if kind == "history":
            filed = [row["filed_at"] for row in rows]
            c[kind, "tie in filed_at"] += len(set(filed)) < len(filed)

    @staticmethod
    def busy(kind: str, row: dict) -> bool:
        return kind == "history" or row["deals"] > 0 or row["shipments"] > 0 or row["inquiries"] > 0

    def assert_reached(self) -> None:
        c = self.counts
        report = dict(sorted(c.items(), key=str))
        facts = [
            *(("order", status) for status in ORDER_STATUSES),
            ("order", "covered"),
            ("order", "uncovered"),
            *(("claim", status) for status in CLAIM_STATUSES),
            *(("claim", reason) for reason in CLAIM_REASONS),
            *((when, day) for when in ("as_of", "first month") for day in ("on the 1st", "off the 1st")),
            ("inquiry", "unanswered"),
            ("inquiry", "answered before A"),
            ("inquiry", "answered at or after A"),
            ("inquiry", "answered in exactly 24 h"),
            ("inquiry", "answered in 24 h and 1 µs"),
            ("outcomes", "with deals"),
            ("outcomes", "with upheld claims"),
            ("outcomes", "with refunds"),
            ("monthly", "with covered deals"),
            ("monthly", "with uncovered GMV"),
            ("monthly", "with claims"),
            ("trends", "non-empty"),
            ("trends", "months with deals"),
            ("trends", "months with inquiries"),
            ("trends", "months with a median wait"),
            *(("trends", "on-time rate", rate) for rate in ("0", "1", "between")),
            ("history", "non-empty"),
            ("history", "empty"),
            ("history", "tie in filed_at"),
            ("freshness", "a timestamp past the activity bound"),
        ]
        for fact in facts:
            assert c[fact] >= MIN_REACHED, (fact, report)
        for edge in ("A - 365 d", "A - 182 d", "A - 30 d", "A", "A + 182 d", "a month start"):
            for nudge in EDGE_NUDGES.values():
                assert c["edge", edge, nudge] >= MIN_REACHED, (edge, nudge, report)
        for column, edge in DECIDING_EDGES:
            for nudge in EDGE_NUDGES.values():
                assert c["edge", column, edge, nudge] >= MIN_ON_DECIDING_EDGE, (column, edge, nudge, report)


def assert_matches_reference(engine, dates: dict, tables: dict, coverage: "Coverage | None" = None) -> None:
    replace_rows(engine, tables)
    as_of = dates["as_of"]
    if coverage is not None:
        coverage.tables(dates, tables)
    supplier_ids = [s["supplier_id"] for s in tables["suppliers"]]
    with engine.connect() as conn:
        outcomes = reference.outcomes(tables, as_of)
        monthly = reference.program_monthly(tables, dates["first_month"], as_of)
        if coverage is not None:
            coverage.answers("outcomes", outcomes)
            coverage.answers("monthly", monthly)
        assert_rows(
            fetch_outcomes(conn, as_of).rows(named=True),
            outcomes,
            {name for name in OUTCOMES_SCHEMA if name.endswith("_usd")},
            set(),
            f"outcomes at A0 {as_of}",
        )
        assert_rows(
            fetch_program_monthly(conn, dates["first_month"], as_of).rows(named=True),
            monthly,
            {name for name in PROGRAM_MONTHLY_SCHEMA if name.endswith("_usd")},
            set(),
            f"program monthly in [{dates['first_month']}, {as_of})",
        )
        # Every supplier, and one the warehouse does not hold.
        for sid in [*supplier_ids, max(supplier_ids) + 1]:
            trends = fetch_supplier_trends(conn, sid, as_of, dates["months"])
            assert trends.columns == list(TREND_COLUMNS)
            expected_trends = reference.supplier_trends(tables, sid, as_of, dates["months"])
            expected_history = reference.claim_history(tables, sid, as_of)
            if coverage is not None:
                coverage.answers("trends", expected_trends)
                coverage.answers("history", expected_history)
            assert_rows(
                trends.rows(named=True),
                expected_trends,
                {"value_usd"},
                {"on_time_rate", "median_response_hours"},
                f"trends of supplier {sid}, {dates['months']} months to {as_of}",
            )
            history = fetch_claim_history(conn, sid, as_of)
            assert history.columns == list(CLAIM_HISTORY_SCHEMA)
            assert_rows(
                history.rows(named=True),
                expected_history,
                {"refund_usd", "order_amount_usd"},
                set(),
                f"claim history of supplier {sid} before {as_of}",
            )
        freshness = reference.freshness(tables)
        if coverage is not None:
            coverage.counts["freshness", "a timestamp past the activity bound"] += (
                freshness["ignored_after"] is not None
            )
        assert fetch_freshness(conn) == freshness
        # Each column's latest value too: the overall latest alone would hide a column left out.
        assert dict(conn.execute(freshness_statement()).mappings().one()) == reference.latest_timestamps(tables)


@pytest.fixture(scope="module")
def duckdb_engine():
    engine = duckdb_memory_engine()
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def postgresql_engine(pg_server):
    engine = create_engine(pg_server.create_database("differential_more"))
    create_schema(engine)
    yield engine
    engine.dispose()


_DRAWN: list = []  # the warehouses of check_examples, as the first engine's run drew them


def check_examples(engine) -> None:
    """Every query on `engine` against the reference over the seeded examples, and their coverage asserted.

    Both engines check the same warehouses: drawn once (derandomised by its source), replayed for the other.
    """
    coverage = Coverage()
    seeded_examples(
        warehouses(),
        EXAMPLE_COUNT * SCALE,
        _DRAWN,
        lambda case: assert_matches_reference(engine, *case, coverage=coverage),
    )
    coverage.assert_reached()


def test_duckdb_matches_the_reference(duckdb_engine):
    check_examples(duckdb_engine)


def test_postgresql_matches_the_reference(postgresql_engine):
    check_examples(postgresql_engine)


# The reference itself, on numbers worked out by hand.


def test_reference_trend_months_end_with_the_day_before_as_of():
    empty = {"suppliers": [], "orders": [], "inquiries": []}
    assert [r["month"] for r in reference.supplier_trends(empty, 1, date(2025, 1, 1), 3)] == [
        date(2024, 10, 1),
        date(2024, 11, 1),
        date(2024, 12, 1),
    ]
    assert [r["month"] for r in reference.supplier_trends(empty, 1, date(2024, 3, 15), 2)] == [
        date(2024, 2, 1),
        date(2024, 3, 1),
    ]


def test_reference_program_monthly_groups_by_month_country_category():
    t = datetime(2024, 5, 31, 23, 59, 59, 999_999)
    tables = {
        "suppliers": [{"supplier_id": 1, "country_code": "CN", "category": "Machinery"}],
        "orders": [
            {
                "order_id": 1,
                "supplier_id": 1,
                "status": "completed",
                "completed_at": t,
                "amount_usd": Decimal("1.01"),
                "ta_covered": False,
            },
            {
                "order_id": 2,
                "supplier_id": 1,
                "status": "completed",
                "completed_at": t + MICRO,
                "amount_usd": Decimal("2.00"),
                "ta_covered": True,
            },
        ],
        "claims": [
            {"claim_id": 1, "order_id": 1, "filed_at": t, "reason": "not_delivered", "refund_usd": Decimal("0.50")}
        ],
    }
    may, june = reference.program_monthly(tables, date(2024, 5, 1), date(2024, 7, 1))
    assert (may["month"], may["covered_deals"], may["gmv_usd"], may["claims_not_delivered"], may["refunds_usd"]) == (
        date(2024, 5, 1),
        0,
        Decimal("1.01"),
        1,
        Decimal("0.50"),
    )
    assert (june["month"], june["covered_deals"], june["covered_gmv_usd"], june["claims"]) == (
        date(2024, 6, 1),
        1,
        Decimal("2.00"),
        0,
    )
