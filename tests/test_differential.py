"""The SQL scorecard against tests/reference.py on many random, seeded warehouses.

Timestamps crowd the window edges (A − 365 d, A − 182 d, A − 30 d, A, ± 1 s and ± 1 µs) and replies
crowd 24 h; amounts have cents. Money and counts must match exactly, rates and hours to 1e-9, badges,
failed rules and Trade Assurance Amounts exactly, for the default policy, a random valid one and a lenient one.

Strong suppliers (CN, enrolled, old enough, covered deals in W182 shipped by ship_by, prompt replies, no
upheld claim) qualify by construction, or fail exactly one rule by the smallest step; floors of 10,000 to
50,000 USD and multipliers like 0.3, 0.37 and 1.25 reach the floor and the cap. The DuckDB and PostgreSQL
tests check the same examples, count what they reached (Coverage) and assert it: qualified suppliers ≥ 30 %
under each policy, every rule failed and passed under the default, the floor and the cap reached, events on
every window edge.
"""

import copy
import os
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from data.bulk import bulk_insert
from data.ddl import create_schema
from data.schema import CLAIM_REASONS, CLAIM_STATUSES, ORDER_STATUSES, TABLE_NAMES
from policy import DEFAULT_POLICY, Policy
from policy.rules import RULE_NAMES
from queries.scorecard import MONEY_COLUMNS, SCORECARD_COLUMNS, build_scorecard, fetch_features
from tests import reference
from tests.warehouse import duckdb_memory_engine, rows_to_frames

AS_OF_DATES = (date(2024, 7, 1), date(2024, 3, 1), date(2025, 1, 1))
SEC = timedelta(seconds=1)
MICRO = timedelta(microseconds=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
LONG_AGO = datetime(2020, 1, 1)
AWKWARD_MULTIPLIERS = (0.29, 0.57, 0.7, 0.35, 0.3, 0.37, 0.8, 1.25)
NUDGES = (-SEC, -MICRO, timedelta(0), timedelta(0), MICRO, SEC)
COUNTRIES = ("CN", "VN", "US")
UPHELD = ("refunded", "partially_refunded")
NOT_UPHELD = tuple(status for status in CLAIM_STATUSES if status not in UPHELD)
COUNT_COLUMNS = ("supplier_id", "deals_12m", "orders_6m", "claims_12m", "upheld_claims_6m")
RATE_COLUMNS = ("response_rate_30d", "median_response_hours_30d", "on_time_rate_6m", "claim_rate_6m")


def edge_times(a: datetime, extra: tuple[datetime, ...] = ()) -> st.SearchStrategy[datetime]:
    """A timestamp on or a nudge away from a window edge, or anywhere in the 13 months around A."""
    anchors = (a - 365 * DAY, a - 182 * DAY, a - 30 * DAY, a, *extra)
    on_edge = st.builds(lambda t, d: t + d, st.sampled_from(anchors), st.sampled_from(NUDGES))
    anywhere = st.integers(-400 * 86_400, 5 * 86_400).map(lambda s: a + timedelta(seconds=s))
    return st.one_of(on_edge, on_edge, anywhere)


def money(low_cents: int = 1) -> st.SearchStrategy[Decimal]:
    cents = st.one_of(
        st.sampled_from([1, 7, 10, 20, 30, 99, 100, 333_333, 500_000, 1_019_999, 1_250_000]),
        st.integers(low_cents, 2_000_000),
        st.integers(low_cents, 99_999_999_999_999),  # up to numeric(14, 2)'s largest value
    )
    return cents.filter(lambda c: c >= low_cents).map(lambda c: Decimal(c).scaleb(-2))


def decimal_number(scale: int, low: int, high: int) -> st.SearchStrategy[float]:
    """A float written with at most `scale` decimals, e.g. 0.07 (as a policy file would hold it)."""
    return st.integers(low, high).map(lambda n: float(Decimal(n).scaleb(-scale)))


def near_default(key: str, strategy: st.SearchStrategy) -> st.SearchStrategy:
    """The contract's default for `key` half the time (so that strong suppliers qualify often), else `strategy`."""
    return st.one_of(st.just(getattr(DEFAULT_POLICY, key)), strategy)


@st.composite
def policies(draw) -> Policy:
    # Floor and cap anywhere up to 20,000 USD, or a floor of 10,000 to 50,000 USD that many Amounts fall below.
    floor, cap = draw(
        st.one_of(
            st.lists(st.integers(0, 2_000_000), min_size=2, max_size=2).map(sorted),
            st.tuples(st.integers(1_000_000, 5_000_000), st.integers(0, 200_000_000)).map(
                lambda t: (t[0], t[0] + t[1])
            ),
        )
    )
    return Policy.from_mapping(
        {
            # CN, where the strong suppliers trade, is open three times in four.
            "open_countries": draw(
                st.one_of(
                    st.lists(st.sampled_from([*COUNTRIES, "*"]), unique=True, max_size=3),
                    *[st.lists(st.sampled_from(COUNTRIES[1:]), unique=True, max_size=2).map(lambda c: ["CN", *c])] * 3,
                )
            ),
            "min_account_age_days": draw(st.integers(0, 400)),
            "min_orders_6m": draw(st.integers(0, 5)),
            "min_gmv_6m_usd": draw(near_default("min_gmv_6m_usd", decimal_number(2, 0, 3_000_000))),
            "min_on_time_rate": draw(near_default("min_on_time_rate", decimal_number(2, 0, 100))),
            "max_claim_rate": draw(near_default("max_claim_rate", decimal_number(2, 0, 100))),
            "min_response_rate": draw(near_default("min_response_rate", decimal_number(2, 0, 100))),
            "max_median_response_hours": draw(
                near_default(
                    "max_median_response_hours", st.one_of(decimal_number(2, 0, 4_800), decimal_number(2, 2_400, 4_800))
                )
            ),
            # Multipliers whose binary product with a round GMV falls just below a whole 100 USD.
            "amount_multiplier": draw(st.one_of(st.sampled_from(AWKWARD_MULTIPLIERS), decimal_number(4, 0, 20_000))),
            "amount_floor_usd": float(Decimal(floor).scaleb(-2)),
            "amount_cap_usd": float(Decimal(cap).scaleb(-2)),
        }
    )


@st.composite
def warehouses(draw, policy: Policy) -> tuple[date, dict[str, list[dict]]]:
    as_of = draw(st.sampled_from(AS_OF_DATES))
    a = datetime.combine(as_of, time())
    when = edge_times(a)
    n_suppliers = draw(st.integers(1, 4))
    supplier_ids = st.integers(1, n_suppliers)
    ages = {180, policy.min_account_age_days}
    registered = st.one_of(
        st.builds(lambda days, d: a - days * DAY + d, st.sampled_from(sorted(ages)), st.sampled_from(NUDGES)),
        when,
        st.just(LONG_AGO),
        st.just(LONG_AGO),
        st.just(LONG_AGO),
    )
    enrolled = st.one_of(st.just(LONG_AGO), st.just(LONG_AGO), st.sampled_from([None, a - SEC, a, a + SEC]), when)
    suppliers = [
        {
            "supplier_id": sid,
            "name": f"Supplier {sid}",
            "country_code": draw(st.sampled_from(("CN", "CN", *COUNTRIES))),
            "category": "Machinery",
            "registered_at": draw(registered),
            "ta_enrolled_at": draw(enrolled),
        }
        for sid in range(1, n_suppliers + 1)
    ]

    # Suppliers that trade well get covered deals completed in W182 (edges included), mostly shipped on
    # time, prompt replies and little noise, so that qualified badges, amounts and single failing rules
    # come up often; every other row lands on any supplier (on a good one only a quarter of the time).
    good = {sid for sid in range(1, n_suppliers + 1) if draw(st.integers(0, 2))}
    # Strong suppliers pass every default rule by construction, or all but one: strong[sid] names the rule
    # the supplier fails, by the smallest step (None: it fails none). No noise lands on them.
    # The flawed ones fail consecutive rules from a drawn offset, so every rule comes up as often.
    offset = draw(st.integers(0, len(RULE_NAMES) - 1))
    strong = {
        sid: RULE_NAMES[(offset + sid) % len(RULE_NAMES)] if draw(st.integers(0, 9)) < 2 else None
        for sid in range(1, n_suppliers + 1)
        if draw(st.integers(0, 9)) < 9
    }
    good -= set(strong)

    def noisy_supplier():
        sid = draw(supplier_ids)
        return None if sid in strong or (sid in good and draw(st.integers(0, 3))) else sid

    orders = []
    for _ in range(draw(st.integers(0, 12))):
        sid = noisy_supplier()
        if sid is None:
            continue
        status = draw(st.sampled_from(ORDER_STATUSES))
        ship_by = draw(when)
        shipped = draw(st.one_of(st.none(), st.sampled_from(NUDGES).map(lambda d, s=ship_by: s + d), when))
        completed = draw(when) if status == "completed" or draw(st.booleans()) else None
        orders.append(
            {
                "order_id": len(orders) + 1,
                "supplier_id": sid,
                "buyer_id": 1,
                "placed_at": draw(when),
                "ship_by": ship_by,
                "shipped_at": shipped,
                "delivered_at": None,
                "completed_at": completed,
                "status": status,
                "amount_usd": draw(money()),
                "ta_covered": draw(st.sampled_from([True, True, True, False])),
            }
        )

    w182 = st.one_of(
        st.builds(lambda t, d: t + d, st.sampled_from((a - 182 * DAY, a - DAY, a)), st.sampled_from(NUDGES)),
        st.integers(-182 * 86_400, -1).map(lambda s: a + timedelta(seconds=s)),
    )
    # A good supplier's amounts have cents, or are all whole 10,000s (so multiplier × GMV is often exactly
    # a whole 100 USD, where binary arithmetic would round down to the 100 below).
    whole_ten_thousands = st.integers(1, 5).map(lambda k: Decimal(k * 10_000).quantize(Decimal("0.01")))
    # Late by 1 µs, the smallest step past ship_by (a strong supplier with the flaw on_time alone was too rare).
    shipped_nudges = (timedelta(0), timedelta(0), -SEC, -DAY, -DAY, -DAY, -DAY, MICRO)
    for sid in sorted(good):
        amounts = draw(st.sampled_from([money(low_cents=100_000), whole_ten_thousands]))
        for _ in range(draw(st.integers(1, 8))):
            ship_by = draw(w182)
            orders.append(
                {
                    "order_id": len(orders) + 1,
                    "supplier_id": sid,
                    "buyer_id": 1,
                    "placed_at": ship_by - 10 * DAY,
                    "ship_by": ship_by,
                    "shipped_at": ship_by + draw(st.sampled_from(shipped_nudges)),
                    "delivered_at": None,
                    "completed_at": draw(w182),
                    "status": "completed",
                    "amount_usd": draw(amounts),
                    "ta_covered": True,
                }
            )

    strong_orders = add_strong_orders(draw, a, policy, suppliers, strong, len(orders) + 1)
    orders += strong_orders

    waits = st.one_of(
        st.sampled_from([24 * HOUR, 24 * HOUR - SEC, 24 * HOUR + SEC, 24 * HOUR + MICRO, timedelta(0)]),
        st.integers(0, 72 * 3600).map(lambda s: timedelta(seconds=s)),
    )
    prompt = st.one_of(
        st.sampled_from([24 * HOUR, 24 * HOUR - SEC, HOUR]), st.integers(0, 86_400).map(lambda s: s * SEC)
    )
    received_at = st.one_of(edge_times(a), st.integers(-35 * 86_400, 86_400).map(lambda s: a + timedelta(seconds=s)))
    in_w30 = st.integers(-30 * 86_400, -2 * 86_400).map(lambda s: a + timedelta(seconds=s))
    inquiries = []
    for _ in range(draw(st.integers(0, 10))):
        sid = noisy_supplier()
        if sid is None:
            continue
        received = draw(received_at)
        reply = draw(
            st.one_of(
                st.none(),
                waits.map(lambda w, r=received: r + w),
                st.sampled_from([a - SEC, a, a + SEC]).map(lambda t, r=received: max(t, r)),
            )
        )
        inquiries.append({"supplier_id": sid, "received_at": received, "first_response_at": reply})
    for sid in sorted(good):
        for _ in range(draw(st.integers(0, 4))):
            received = draw(in_w30)
            inquiries.append(
                {"supplier_id": sid, "received_at": received, "first_response_at": received + draw(prompt)}
            )
    inquiries += strong_inquiries(draw, a, strong)
    inquiries = [{"inquiry_id": inquiry_id, "buyer_id": 1, **row} for inquiry_id, row in enumerate(inquiries, start=1)]

    claims = []
    for _ in range(draw(st.integers(0, 8)) if orders else 0):
        order = draw(st.sampled_from(orders))
        if order["supplier_id"] in strong or (order["supplier_id"] in good and draw(st.integers(0, 3))):
            continue
        status = draw(st.sampled_from(CLAIM_STATUSES))
        claims.append(
            {
                "claim_id": len(claims) + 1,
                "order_id": order["order_id"],
                "filed_at": draw(when),
                "reason": draw(st.sampled_from(CLAIM_REASONS)),
                "status": status,
                "resolved_at": None,
                "refund_usd": draw(money()) if status in ("refunded", "partially_refunded") else Decimal("0.00"),
            }
        )

    claims += strong_claims(draw, a, strong, strong_orders, len(claims) + 1)
    tables = {"suppliers": suppliers, "buyers": [{"buyer_id": 1, "country_code": "US"}]}
    tables |= {"orders": orders, "inquiries": inquiries, "claims": claims}
    return as_of, tables


def inside(start: datetime, end: datetime) -> st.SearchStrategy[datetime]:
    """A time in [start, end): on either end (the exclusive one less 1 µs or 1 s) or anywhere, to the µs."""
    span = (end - start) // MICRO
    return st.one_of(
        st.sampled_from((start, start + MICRO, end - MICRO, end - SEC)),
        st.integers(0, span - 1).map(lambda us: start + us * MICRO),
    )


def add_strong_orders(draw, a: datetime, policy: Policy, suppliers: list[dict], strong: dict, first_id: int):
    """The strong suppliers' rows of suppliers (changed in place) and their orders (returned).

    CN, enrolled, registered long ago or exactly min_account_age_days × 24 h before A; 3 to 8 covered deals
    completed in W182 (2 with the flaw min_orders, 3 × 3,333.33 = 9,999.99 with min_gmv), each shipped at or
    before ship_by (one 1 µs late with on_time), ship_by in W182; amounts whole 10,000s, with cents, or
    large enough for the cap. Beside them, orders that must not count: a deal completed at A itself, one at
    A − 365 d (in W365 only), a cancelled covered order due in W182, an open covered order, an uncovered deal.
    """
    w182 = inside(a - 182 * DAY, a)
    orders = []

    def order(sid, **values):
        ship_by = values.pop("ship_by", None) or draw(w182)
        row = {
            "order_id": first_id + len(orders),
            "supplier_id": sid,
            "buyer_id": 1,
            "placed_at": ship_by - 10 * DAY,
            "ship_by": ship_by,
            "shipped_at": ship_by,
            "delivered_at": None,
            "completed_at": None,
            "status": "completed",
            "amount_usd": Decimal("100.00"),
            "ta_covered": True,
        }
        orders.append(row | values)

    for sid, flaw in sorted(strong.items()):
        supplier = suppliers[sid - 1]
        if flaw == "account_age":  # 1 µs short of the default's or the random policy's age
            age = draw(st.sampled_from(sorted({180, policy.min_account_age_days})))
            supplier["registered_at"] = a - age * DAY + MICRO
        else:  # old enough for both, exactly so at times
            age = max(180, policy.min_account_age_days)
            supplier["registered_at"] = draw(st.sampled_from((LONG_AGO, LONG_AGO, a - age * DAY)))
        supplier["country_code"] = "CN"
        supplier["ta_enrolled_at"] = max(supplier["registered_at"], draw(st.sampled_from((LONG_AGO, a - MICRO))))
        n = {"min_orders": 2, "min_gmv": 3}.get(flaw) or draw(st.integers(3, 8))
        amounts = draw(
            st.sampled_from(
                (
                    st.integers(1, 5).map(lambda k: Decimal(k * 10_000).quantize(Decimal("0.01"))),
                    money(low_cents=400_000),
                    st.integers(70_000_000, 150_000_000).map(lambda c: Decimal(c).scaleb(-2)),
                )
            )
        )
        late = draw(st.integers(0, n - 1)) if flaw == "on_time" else None
        for k in range(n):
            ship_by = draw(w182)
            early = draw(st.sampled_from((timedelta(0), timedelta(0), SEC, DAY)))
            order(
                sid,
                ship_by=ship_by,
                shipped_at=ship_by + MICRO if k == late else ship_by - early,
                completed_at=draw(w182),
                amount_usd=Decimal("3333.33") if flaw == "min_gmv" else draw(amounts),
            )
        if draw(st.booleans()):
            order(sid, completed_at=a)  # completed at A: in no window
        if draw(st.booleans()):
            order(sid, completed_at=a - 365 * DAY)  # in W365, not in W182
        if draw(st.booleans()):
            order(sid, status="cancelled", shipped_at=None)  # due in W182, but cancelled
        if draw(st.booleans()):
            # Open exposure, due after A (so it is neither on time nor late yet).
            order(
                sid, status="open", ship_by=a + 10 * DAY, placed_at=a - DAY, shipped_at=None, amount_usd=draw(money())
            )
        if draw(st.booleans()):
            order(sid, completed_at=draw(w182), ta_covered=False)  # not covered
    return orders


def strong_inquiries(draw, a: datetime, strong: dict) -> list[dict]:
    """Every inquiry received in W30 (A − 30 d itself often) answered within 24 h (exactly 24 h often);
    with response_rate two of at least three are not (one never, one 24 h and 1 µs later); with
    response_time every reply takes more than 24 h."""
    received_at = st.one_of(st.just(a - 30 * DAY), st.integers(-30 * 86_400, -2 * 86_400).map(lambda s: a + s * SEC))
    prompt = st.one_of(
        st.sampled_from((24 * HOUR, 24 * HOUR, 24 * HOUR - MICRO, timedelta(0))),
        st.integers(0, 86_400).map(lambda s: s * SEC),
    )
    slow = st.one_of(st.just(24 * HOUR + MICRO), st.integers(86_401, 40 * 3600).map(lambda s: s * SEC))
    rows = []
    for sid, flaw in sorted(strong.items()):
        n = draw(st.integers(3 if flaw in ("response_rate", "response_time") else 0, 5))
        for j in range(n):
            received = draw(received_at)
            if flaw == "response_time":
                reply = received + draw(slow)
            elif flaw == "response_rate" and j < 2:
                reply = None if j == 0 else received + 24 * HOUR + MICRO
            else:
                reply = received + draw(prompt)
            rows.append({"supplier_id": sid, "received_at": received, "first_response_at": reply})
        if draw(st.booleans()):  # received before W30, or at A: not counted
            received = draw(st.sampled_from((a - 30 * DAY - MICRO, a)))
            rows.append({"supplier_id": sid, "received_at": received, "first_response_at": None})
    return rows


def strong_claims(draw, a: datetime, strong: dict, orders: list[dict], first_id: int) -> list[dict]:
    """With the flaw claims one upheld claim filed in W182 (1 of at most 8 deals > 0.05); any strong supplier
    may also have a claim that is not upheld filed in W182, and an upheld one filed just before W182."""
    rows = []

    def claim(order, filed_at, status):
        refund = min(Decimal("50.00"), order["amount_usd"]) if status in ("refunded", "partially_refunded") else 0
        rows.append(
            {
                "claim_id": first_id + len(rows),
                "order_id": order["order_id"],
                "filed_at": filed_at,
                "reason": draw(st.sampled_from(CLAIM_REASONS)),
                "status": status,
                "resolved_at": None,
                "refund_usd": Decimal(refund).quantize(Decimal("0.01")),
            }
        )

    for sid, flaw in sorted(strong.items()):
        deals = [o for o in orders if o["supplier_id"] == sid and o["status"] == "completed"]
        if flaw == "claims":
            claim(draw(st.sampled_from(deals)), draw(inside(a - 182 * DAY, a)), draw(st.sampled_from(UPHELD)))
        if draw(st.booleans()):
            claim(draw(st.sampled_from(deals)), draw(inside(a - 182 * DAY, a)), draw(st.sampled_from(NOT_UPHELD)))
        if draw(st.booleans()):
            claim(draw(st.sampled_from(deals)), a - 182 * DAY - MICRO, "refunded")
    return rows


@st.composite
def cases(draw):
    policy = draw(policies())
    as_of, tables = draw(warehouses(policy))
    return as_of, tables, policy


def replace_rows(engine, tables: dict[str, list[dict]]) -> None:
    """Empty every table and insert `tables`, in one transaction."""
    frames = rows_to_frames(tables)
    with engine.begin() as conn:
        for name in reversed(TABLE_NAMES):
            conn.execute(text(f"DELETE FROM {name}"))  # names from the schema, not input
        for name in TABLE_NAMES:
            bulk_insert(conn, name, frames[name])


def lenient(policy: Policy) -> Policy:
    """`policy`'s multiplier, every threshold at its loosest: most suppliers get an amount. With an awkward
    multiplier a floor of 50,000 and a cap of 1,000,000 USD (both are reached often), else neither."""
    bounded = policy.amount_multiplier in AWKWARD_MULTIPLIERS
    loosest = {
        "open_countries": ("*",),
        "min_account_age_days": 0,
        "min_orders_6m": 0,
        "min_gmv_6m_usd": 0.0,
        "min_on_time_rate": 0.0,
        "max_claim_rate": 1.0,
        "min_response_rate": 0.0,
        "max_median_response_hours": 1e6,
        "amount_floor_usd": 50_000.0 if bounded else 0.0,
        "amount_cap_usd": 1e6 if bounded else 1e9,
    }
    return replace(policy, **loosest)


class Coverage:
    """What the examples reached, counted from the reference's answers and the generated rows, so that a
    test can assert that its strategy still reaches every branch (and cannot pass vacuously)."""

    def __init__(self):
        self.counts = Counter()

    def policy(self, label: str, policy: Policy, rows: list[dict]) -> None:
        c = self.counts
        multiplier = reference.exact(policy.amount_multiplier)
        awkward = policy.amount_multiplier in AWKWARD_MULTIPLIERS
        for row in rows:
            c[label, "suppliers"] += 1
            if row["badge"] not in ("qualified", "not_qualified"):
                continue
            failed = row["failed_rules"].split(";") if row["failed_rules"] else []
            for rule in RULE_NAMES:
                c[label, rule, "fails" if rule in failed else "passes"] += 1
            if row["badge"] != "qualified":
                continue
            c[label, "qualified"] += 1
            product = multiplier * row["gmv_6m_usd"]
            if product < reference.exact(policy.amount_floor_usd):
                c["floor"] += 1
                c["floor", "awkward"] += awkward
            if product > reference.exact(policy.amount_cap_usd):
                c["cap"] += 1
                c["cap", "awkward"] += awkward

    def tables(self, as_of: date, tables: dict) -> None:
        a = datetime.combine(as_of, time())
        orders, inquiries, claims = tables["orders"], tables["inquiries"], tables["claims"]
        facts = {
            "completed at A - 365 d": any(o["completed_at"] == a - 365 * DAY for o in orders),
            "completed at A - 182 d": any(o["completed_at"] == a - 182 * DAY for o in orders),
            "completed at A": any(o["completed_at"] == a for o in orders),
            "ship_by at A - 182 d": any(o["ship_by"] == a - 182 * DAY for o in orders),
            "shipped_at == ship_by": any(o["shipped_at"] == o["ship_by"] for o in orders),
            "shipped 1 µs late": any(o["shipped_at"] == o["ship_by"] + MICRO for o in orders),
            "received at A - 30 d": any(i["received_at"] == a - 30 * DAY for i in inquiries),
            "received at A": any(i["received_at"] == a for i in inquiries),
            "answered in exactly 24 h": any(
                i["first_response_at"] is not None
                and i["first_response_at"] - i["received_at"] == 24 * HOUR
                and i["first_response_at"] < a
                for i in inquiries
            ),
            "answered in 24 h and 1 µs": any(
                i["first_response_at"] is not None and i["first_response_at"] - i["received_at"] == 24 * HOUR + MICRO
                for i in inquiries
            ),
            "claim filed at A - 182 d - 1 µs": any(c["filed_at"] == a - 182 * DAY - MICRO for c in claims),
        }
        self.counts.update(name for name, reached in facts.items() if reached)

    def assert_reached(self) -> None:
        c = self.counts
        report = dict(sorted(c.items(), key=str))
        for label in ("default", "random", "lenient"):
            # Qualified suppliers are common under every policy checked.
            assert c[label, "qualified"] >= 0.30 * c[label, "suppliers"], (label, report)
        for rule in RULE_NAMES:
            # Under the default policy every rule fails for some suppliers and passes for others.
            assert c["default", rule, "fails"] >= 1 and c["default", rule, "passes"] >= 5, (rule, report)
            assert sum(c[label, rule, "fails"] for label in ("default", "random", "lenient")) >= 5, (rule, report)
        for branch in ("floor", "cap"):
            assert c[branch] >= 20 and c[branch, "awkward"] >= 10, (branch, report)
        for fact in (
            "completed at A - 365 d",
            "completed at A - 182 d",
            "completed at A",
            "ship_by at A - 182 d",
            "shipped_at == ship_by",
            "shipped 1 µs late",
            "received at A - 30 d",
            "received at A",
            "answered in exactly 24 h",
            "answered in 24 h and 1 µs",
            "claim filed at A - 182 d - 1 µs",
        ):
            assert c[fact] >= 3, (fact, report)


def assert_matches_reference(engine, as_of: date, tables: dict, policy: Policy, coverage: Coverage | None = None):
    replace_rows(engine, tables)
    with engine.connect() as conn:
        features = fetch_features(conn, as_of)
    if coverage is not None:
        coverage.tables(as_of, tables)
    for label, each in (("default", DEFAULT_POLICY), ("random", policy), ("lenient", lenient(policy))):
        actual = build_scorecard(features, each).rows(named=True)
        expected = reference.scorecard(tables, as_of, each)
        if coverage is not None:
            coverage.policy(label, each, expected)
        assert len(actual) == len(expected)
        for got, want in zip(actual, expected, strict=True):
            where = f"supplier {want['supplier_id']} at {as_of} under {each}"
            assert list(got) == list(SCORECARD_COLUMNS)
            for name in COUNT_COLUMNS:
                assert got[name] == want[name], f"{name} of {where}"
            for name in MONEY_COLUMNS:
                # The double nearest the exact decimal, and the same text to the cent.
                assert got[name] == float(want[name]), f"{name} of {where}: {got[name]!r} != {want[name]}"
                assert f"{got[name]:.2f}" == f"{want[name]:.2f}", f"{name} of {where}"
            for name in RATE_COLUMNS:
                if want[name] is None:
                    assert got[name] is None, f"{name} of {where}"
                else:
                    assert got[name] is not None, f"{name} of {where}"
                    assert abs(Fraction(got[name]) - want[name]) <= Fraction(1, 10**9), f"{name} of {where}"
            assert (got["badge"], got["failed_rules"]) == (want["badge"], want["failed_rules"]), where


# Seeded (derandomize) so every run checks the same warehouses; HYPOTHESIS_SEEDLESS=1 explores new ones.
EXAMPLES = settings(
    deadline=None,
    derandomize=not os.environ.get("HYPOTHESIS_SEEDLESS"),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SCALE = int(os.environ.get("DIFFERENTIAL_SCALE", "1"))  # more examples when hunting


@pytest.fixture(scope="module")
def duckdb_engine():
    engine = duckdb_memory_engine()
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def postgresql_engine(pg_server):
    engine = create_engine(pg_server.create_database("differential"))
    create_schema(engine)
    yield engine
    engine.dispose()


def seeded_examples(strategy, count: int, drawn: list, check) -> None:
    """`check(case)` on `count` seeded examples of `strategy`, the same for every engine of a file.

    The first call in a process draws them with Hypothesis (derandomised, so always the same ones) and, when
    every example passed, keeps them in `drawn`; a later call (the next engine) replays that list. Drawing
    costs about 0.3 s an example here, as much as a DuckDB check. A failing example on replay fails as is,
    unshrunk: run that engine's test alone to shrink it."""
    if drawn:
        for case in drawn:
            check(case)
        return
    seen = []

    @settings(EXAMPLES, max_examples=count)
    @given(strategy)
    def run(case):
        kept = copy.deepcopy(case)  # the case as drawn, whatever the check does with it
        check(case)
        seen.append(kept)

    run()
    drawn[:] = seen


_DRAWN: list = []  # the cases of check_examples, as the first engine's run drew them


def check_examples(engine) -> None:
    """The scorecard on `engine` against the reference over the seeded examples, and their coverage asserted.

    Both engines check the same warehouses: drawn once (derandomised by its source), replayed for the other.
    """
    coverage = Coverage()
    seeded_examples(
        cases(), 100 * SCALE, _DRAWN, lambda case: assert_matches_reference(engine, *case, coverage=coverage)
    )
    coverage.assert_reached()


def test_duckdb_matches_the_reference(duckdb_engine):
    check_examples(duckdb_engine)


def test_postgresql_matches_the_reference(postgresql_engine):
    # Before, 30 examples of its own and no coverage asserted: account_age never failed among them and
    # only 20 % of the suppliers qualified under the random policies.
    check_examples(postgresql_engine)


# The reference itself, on numbers worked out by hand.


def test_reference_median_interpolates():
    assert reference.median([Fraction(4), Fraction(1), Fraction(10), Fraction(2)]) == 3
    assert reference.median([Fraction(5), Fraction(1), Fraction(9)]) == 5
    assert reference.median([]) is None


def test_reference_amount_is_exact():
    def amount(multiplier, gmv, floor=5_000.0, cap=1_000_000.0):
        policy = Policy(amount_multiplier=multiplier, amount_floor_usd=floor, amount_cap_usd=cap)
        return reference.ta_amount(Decimal(gmv), policy)

    assert amount(0.8, "12500.00") == 10_000  # not 9,900
    assert amount(0.5, "10199.99") == 5_000  # 5,099.995 → floor 5,000
    assert amount(0.29, "10000.00", floor=0.0) == 2_900
    assert amount(0.5, "3000000.00") == 1_000_000
