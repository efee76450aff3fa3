"""The other warehouse queries against tests/reference.py on many random, seeded warehouses.

fetch_outcomes, fetch_program_monthly, fetch_supplier_trends, fetch_claim_history and fetch_freshness,
each against its slow, obvious twin in tests/reference.py. Timestamps crowd the window edges (A − 365 d,
A − 182 d, A − 30 d, A, A + 182 d) and every month start around them, ± 1 s and ± 1 µs; waits have
microseconds; amounts have cents; every order status, claim status and reason comes up, covered and
uncovered orders, as-of dates and first months on and off the 1st. Money and counts must match exactly,
rates and hours to 1e-9, claim rows and their order exactly.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine

from data.ddl import create_schema
from data.schema import CLAIM_REASONS, CLAIM_STATUSES, ORDER_STATUSES, UPHELD_CLAIM_STATUSES
from queries.backtest import OUTCOMES_SCHEMA, fetch_outcomes
from queries.freshness import fetch_freshness, freshness_statement
from queries.supplier import CLAIM_HISTORY_SCHEMA, TREND_COLUMNS, fetch_claim_history, fetch_supplier_trends
from queries.uptake import PROGRAM_MONTHLY_SCHEMA, fetch_program_monthly
from tests import reference
from tests.test_differential import EXAMPLES, MICRO, NUDGES, SCALE, SEC, money, replace_rows
from tests.warehouse import duckdb_memory_engine

DAY = timedelta(days=1)
# On and off the 1st, a leap February, a year end; the outcome window [A, A + 182 d) crosses months too.
AS_OF_DATES = (date(2024, 7, 1), date(2024, 3, 1), date(2025, 1, 1), date(2024, 11, 15), date(2024, 3, 31))
COUNTRIES = ("CN", "VN", "US")
CATEGORIES = ("Machinery", "Textiles")
TREND_MONTHS = (1, 2, 14, 14)


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


def times(window_edges: list[datetime], month_edges: list[datetime], a: datetime) -> st.SearchStrategy[datetime]:
    """A timestamp on or a nudge from a window edge (most often) or a month start, a few days from one, in
    the ten weeks before A or the 182 days after it, or anywhere in ~20 months, to the µs."""
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
    return st.one_of(on_window_edge, on_window_edge, on_month_edge, near, recent, next_6m, anywhere)


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
    when = times(window_edges, month_edges, a)
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
    # drawn independently (an open order may carry a completed_at, a rejected claim a refund of 0).
    orders = []
    for order_id in range(1, draw(st.one_of(st.integers(4, 20), st.just(0))) + 1):
        status = draw(st.sampled_from(ORDER_STATUSES))
        ship_by = draw(when)
        orders.append(
            {
                "order_id": order_id,
                "supplier_id": draw(supplier_ids),
                "buyer_id": 1,
                "placed_at": draw(when),
                "ship_by": ship_by,
                "shipped_at": draw(st.one_of(st.none(), st.sampled_from(NUDGES).map(lambda d, s=ship_by: s + d), when)),
                "delivered_at": draw(st.one_of(st.none(), when)),
                "completed_at": draw(when) if status == "completed" or draw(st.booleans()) else None,
                "status": status,
                "amount_usd": draw(money()),
                "ta_covered": draw(st.sampled_from([True, True, True, False])),
            }
        )

    waits = st.one_of(
        st.sampled_from([timedelta(0), MICRO, SEC, 24 * timedelta(hours=1), 24 * timedelta(hours=1) + MICRO]),
        st.integers(0, 40 * 86_400 * 10**6).map(lambda us: timedelta(microseconds=us)),
    )
    inquiries = []
    for inquiry_id in range(1, draw(st.one_of(st.integers(3, 14), st.just(0))) + 1):
        received = draw(when)
        reply = draw(
            st.one_of(
                st.none(),
                waits.map(lambda w, r=received: r + w),
                # Just before, at or after A, or a month edge: answered before as_of or not.
                st.sampled_from([a - MICRO, a, a + MICRO]).map(lambda t, r=received: max(t, r)),
                st.builds(lambda t, d, r=received: max(t + d, r), st.sampled_from(anchors), st.sampled_from(NUDGES)),
            )
        )
        inquiries.append(
            {
                "inquiry_id": inquiry_id,
                "supplier_id": draw(supplier_ids),
                "buyer_id": 1,
                "received_at": received,
                "first_response_at": reply,
            }
        )

    claims = []
    for claim_id in range(1, (draw(st.one_of(st.integers(2, 12), st.just(0))) if orders else 0) + 1):
        status = draw(st.sampled_from(CLAIM_STATUSES))
        claims.append(
            {
                "claim_id": claim_id,
                "order_id": draw(st.sampled_from(orders))["order_id"],
                "filed_at": draw(st.one_of(when, st.sampled_from([a - MICRO, a, a - SEC]))),  # ties in filed_at
                "reason": draw(st.sampled_from(CLAIM_REASONS)),
                "status": status,
                "resolved_at": draw(st.one_of(st.none(), when)),
                "refund_usd": draw(money()) if status in UPHELD_CLAIM_STATUSES else Decimal("0.00"),
            }
        )

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


def assert_matches_reference(engine, dates: dict, tables: dict) -> None:
    replace_rows(engine, tables)
    as_of = dates["as_of"]
    supplier_ids = [s["supplier_id"] for s in tables["suppliers"]]
    with engine.connect() as conn:
        assert_rows(
            fetch_outcomes(conn, as_of).rows(named=True),
            reference.outcomes(tables, as_of),
            {name for name in OUTCOMES_SCHEMA if name.endswith("_usd")},
            set(),
            f"outcomes at A0 {as_of}",
        )
        assert_rows(
            fetch_program_monthly(conn, dates["first_month"], as_of).rows(named=True),
            reference.program_monthly(tables, dates["first_month"], as_of),
            {name for name in PROGRAM_MONTHLY_SCHEMA if name.endswith("_usd")},
            set(),
            f"program monthly in [{dates['first_month']}, {as_of})",
        )
        # Every supplier, and one the warehouse does not hold.
        for sid in [*supplier_ids, max(supplier_ids) + 1]:
            trends = fetch_supplier_trends(conn, sid, as_of, dates["months"])
            assert trends.columns == list(TREND_COLUMNS)
            assert_rows(
                trends.rows(named=True),
                reference.supplier_trends(tables, sid, as_of, dates["months"]),
                {"value_usd"},
                {"on_time_rate", "median_response_hours"},
                f"trends of supplier {sid}, {dates['months']} months to {as_of}",
            )
            history = fetch_claim_history(conn, sid, as_of)
            assert history.columns == list(CLAIM_HISTORY_SCHEMA)
            assert_rows(
                history.rows(named=True),
                reference.claim_history(tables, sid, as_of),
                {"refund_usd", "order_amount_usd"},
                set(),
                f"claim history of supplier {sid} before {as_of}",
            )
        assert fetch_freshness(conn) == reference.freshness(tables)
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


def test_duckdb_matches_the_reference(duckdb_engine):
    @settings(EXAMPLES, max_examples=100 * SCALE)
    @given(warehouses())
    def check(case):
        assert_matches_reference(duckdb_engine, *case)

    check()


def test_postgresql_matches_the_reference(postgresql_engine):
    @settings(EXAMPLES, max_examples=30 * SCALE)
    @given(warehouses())
    def check(case):
        assert_matches_reference(postgresql_engine, *case)

    check()


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
