"""A slow, obvious reference of PRODUCT.md: every scorecard metric, the badge, the failed rules and the
Trade Assurance Amount, computed supplier by supplier from plain lists of row dicts.

Money is Decimal, rates and hours are exact Fractions, windows are datetime arithmetic. Policy numbers
are read as the decimals they are written as (Decimal(repr(x))), so 0.8 × 12,500 is 10,000.
Nothing here is shared with queries/ or policy/ except the Policy value itself.
"""

from datetime import date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal, localcontext
from fractions import Fraction

MICROSECOND = timedelta(microseconds=1)
MICROS_PER_HOUR = 3_600_000_000
UPHELD = ("refunded", "partially_refunded")

COLUMNS = (
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


def windows(as_of: date) -> dict[str, tuple[datetime, datetime]]:
    """W365, W182 and W30 as (start, exclusive end); as_of is midnight UTC."""
    a = datetime.combine(as_of, time())
    return {
        "W365": (a - timedelta(days=365), a),
        "W182": (a - timedelta(days=182), a),
        "W30": (a - timedelta(days=30), a),
    }


def within(ts: datetime | None, window: tuple[datetime, datetime]) -> bool:
    start, end = window
    return ts is not None and start <= ts < end


def median(values: list[Fraction]) -> Fraction | None:
    """Interpolated median (percentile_cont 0.5): the middle value, or the mean of the two middle ones."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return None
    if n % 2 == 1:
        return ordered[n // 2]
    return (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def ratio(numerator: int, denominator: int) -> Fraction | None:
    return Fraction(numerator, denominator) if denominator else None


def metrics(supplier: dict, tables: dict[str, list[dict]], as_of: date) -> dict:
    """The metric table of PRODUCT.md for one supplier."""
    a = datetime.combine(as_of, time())
    w = windows(as_of)
    sid = supplier["supplier_id"]
    orders = [o for o in tables.get("orders", []) if o["supplier_id"] == sid]
    order_ids = {o["order_id"] for o in orders}
    inquiries = [i for i in tables.get("inquiries", []) if i["supplier_id"] == sid]
    claims = [c for c in tables.get("claims", []) if c["order_id"] in order_ids]

    def covered_deals(window):
        return [
            o for o in orders if o["ta_covered"] and o["status"] == "completed" and within(o["completed_at"], window)
        ]

    deals_12m = covered_deals(w["W365"])
    deals_6m = covered_deals(w["W182"])

    received = [i for i in inquiries if within(i["received_at"], w["W30"])]
    answered = [i for i in received if i["first_response_at"] is not None and i["first_response_at"] < a]
    waits = [(i["first_response_at"] - i["received_at"]) // MICROSECOND for i in answered]
    within_24h = [micros for micros in waits if micros <= 24 * MICROS_PER_HOUR]
    median_micros = median([Fraction(micros) for micros in waits])

    due = [o for o in orders if o["ta_covered"] and within(o["ship_by"], w["W182"]) and o["status"] != "cancelled"]
    on_time = [o for o in due if o["shipped_at"] is not None and o["shipped_at"] <= o["ship_by"]]

    claims_12m = [c for c in claims if within(c["filed_at"], w["W365"])]
    upheld_6m = [c for c in claims if within(c["filed_at"], w["W182"]) and c["status"] in UPHELD]

    open_covered = [o for o in orders if o["ta_covered"] and o["status"] == "open" and o["placed_at"] < a]

    return {
        "supplier_id": sid,
        "deals_12m": len(deals_12m),
        "value_12m_usd": sum((Decimal(o["amount_usd"]) for o in deals_12m), Decimal("0.00")),
        "orders_6m": len(deals_6m),
        "gmv_6m_usd": sum((Decimal(o["amount_usd"]) for o in deals_6m), Decimal("0.00")),
        "response_rate_30d": ratio(len(within_24h), len(received)),
        "median_response_hours_30d": None if median_micros is None else median_micros / MICROS_PER_HOUR,
        "on_time_rate_6m": ratio(len(on_time), len(due)),
        "claims_12m": len(claims_12m),
        "upheld_claims_6m": len(upheld_6m),
        "claim_rate_6m": ratio(len(upheld_6m), len(deals_6m)),
        "refunds_12m_usd": sum((Decimal(c["refund_usd"]) for c in claims_12m), Decimal("0.00")),
        "open_exposure_usd": sum((Decimal(o["amount_usd"]) for o in open_covered), Decimal("0.00")),
    }


def exact(number) -> Decimal:
    """A policy number as the decimal it is written as (0.1 is one tenth, not the nearest double)."""
    return Decimal(repr(number))


def failed_rules(supplier: dict, m: dict, as_of: date, policy) -> list[str]:
    """The names of the rules the supplier fails, in PRODUCT.md order."""
    a = datetime.combine(as_of, time())
    failed = []
    if not supplier["registered_at"] <= a - policy.min_account_age_days * timedelta(hours=24):
        failed.append("account_age")
    if not m["orders_6m"] >= policy.min_orders_6m:
        failed.append("min_orders")
    if not m["gmv_6m_usd"] >= exact(policy.min_gmv_6m_usd):
        failed.append("min_gmv")
    # A null on-time or claim rate fails; a null response rate or response time passes.
    if m["on_time_rate_6m"] is None or not m["on_time_rate_6m"] >= Fraction(exact(policy.min_on_time_rate)):
        failed.append("on_time")
    if m["claim_rate_6m"] is None or not m["claim_rate_6m"] <= Fraction(exact(policy.max_claim_rate)):
        failed.append("claims")
    rate = m["response_rate_30d"]
    if rate is not None and not rate >= Fraction(exact(policy.min_response_rate)):
        failed.append("response_rate")
    hours = m["median_response_hours_30d"]
    if hours is not None and not hours <= Fraction(exact(policy.max_median_response_hours)):
        failed.append("response_time")
    return failed


def ta_amount(gmv: Decimal, policy) -> Decimal:
    """min(cap, max(floor, multiplier × gmv)) rounded down to a whole 100 USD, in exact decimals."""
    with localcontext() as ctx:
        ctx.prec = 60
        raw = min(
            exact(policy.amount_cap_usd), max(exact(policy.amount_floor_usd), exact(policy.amount_multiplier) * gmv)
        )
        return (raw / 100).to_integral_value(rounding=ROUND_FLOOR) * 100


def verdict(supplier: dict, m: dict, as_of: date, policy) -> tuple[str, str, Decimal]:
    """(badge, failed rules joined with ';', Trade Assurance Amount)."""
    a = datetime.combine(as_of, time())
    if supplier["ta_enrolled_at"] is None or supplier["ta_enrolled_at"] >= a:
        return "not_enrolled", "", Decimal(0)
    if "*" not in policy.open_countries and supplier["country_code"] not in policy.open_countries:
        return "region_not_open", "", Decimal(0)
    failed = failed_rules(supplier, m, as_of, policy)
    if failed:
        return "not_qualified", ";".join(failed), Decimal(0)
    return "qualified", "", ta_amount(m["gmv_6m_usd"], policy)


def scorecard(tables: dict[str, list[dict]], as_of: date, policy) -> list[dict]:
    """One dict per supplier with COLUMNS, ordered by supplier_id; money Decimal, rates Fraction or None."""
    rows = []
    for supplier in sorted(tables["suppliers"], key=lambda s: s["supplier_id"]):
        m = metrics(supplier, tables, as_of)
        badge, failed, amount = verdict(supplier, m, as_of, policy)
        rows.append({**m, "badge": badge, "ta_amount_usd": amount, "failed_rules": failed})
    return [{name: row[name] for name in COLUMNS} for row in rows]


# ---------------------------------------------------------------------------------------------------------
# The other warehouse queries: backtest outcomes, program facts per month, one supplier's trends and claim
# history, data freshness. The same plain rows, Decimal money, Fraction hours and datetime windows.

CLAIM_REASONS = ("late_shipment", "quality_on_arrival", "quality_after_delivery", "not_delivered")
ZERO = Decimal("0.00")


def month_of(ts: datetime) -> date:
    """The 1st of the calendar month holding ts."""
    return date(ts.year, ts.month, 1)


def month_before(month: date) -> date:
    return date(month.year - 1, 12, 1) if month.month == 1 else date(month.year, month.month - 1, 1)


def orders_by_id(tables: dict[str, list[dict]]) -> dict[int, dict]:
    return {o["order_id"]: o for o in tables.get("orders", [])}


def outcomes(tables: dict[str, list[dict]], a0: date) -> list[dict]:
    """Per supplier (every one, by supplier_id), what happened in [A0, A0 + 182 days): covered deals
    completed (count, value), claims filed with status refunded or partially_refunded, refunds of every
    claim filed."""
    window = (datetime.combine(a0, time()), datetime.combine(a0, time()) + timedelta(days=182))
    order_of = orders_by_id(tables)
    rows = []
    for supplier in sorted(tables["suppliers"], key=lambda s: s["supplier_id"]):
        sid = supplier["supplier_id"]
        deals = [
            o
            for o in tables.get("orders", [])
            if o["supplier_id"] == sid and o["ta_covered"] and o["status"] == "completed"
            if within(o["completed_at"], window)
        ]
        filed = [
            c
            for c in tables.get("claims", [])
            if order_of[c["order_id"]]["supplier_id"] == sid and within(c["filed_at"], window)
        ]
        rows.append(
            {
                "supplier_id": sid,
                "deals_next_6m": len(deals),
                "value_next_6m_usd": sum((Decimal(o["amount_usd"]) for o in deals), ZERO),
                "upheld_claims_next_6m": len([c for c in filed if c["status"] in UPHELD]),
                "refunds_next_6m_usd": sum((Decimal(c["refund_usd"]) for c in filed), ZERO),
            }
        )
    return rows


def program_monthly(tables: dict[str, list[dict]], first_month: date, as_of: date) -> list[dict]:
    """Per (calendar month, country_code, category) with a completed order or a claim in
    [first_month, as_of): covered deals and their GMV, GMV of every completed order, claims filed (in
    total and per reason) and their refunds; ordered by month, country_code, category."""
    window = (datetime.combine(first_month, time()), datetime.combine(as_of, time()))
    supplier_of = {s["supplier_id"]: s for s in tables["suppliers"]}
    order_of = orders_by_id(tables)
    groups: dict[tuple, dict] = {}

    def group(ts: datetime, supplier_id: int) -> dict:
        supplier = supplier_of[supplier_id]
        key = (month_of(ts), supplier["country_code"], supplier["category"])
        if key not in groups:
            groups[key] = {
                "month": key[0],
                "country_code": key[1],
                "category": key[2],
                "covered_deals": 0,
                "covered_gmv_usd": ZERO,
                "gmv_usd": ZERO,
                "claims": 0,
                **{f"claims_{reason}": 0 for reason in CLAIM_REASONS},
                "refunds_usd": ZERO,
            }
        return groups[key]

    for o in tables.get("orders", []):
        if o["status"] == "completed" and within(o["completed_at"], window):
            g = group(o["completed_at"], o["supplier_id"])
            g["gmv_usd"] += Decimal(o["amount_usd"])
            if o["ta_covered"]:
                g["covered_deals"] += 1
                g["covered_gmv_usd"] += Decimal(o["amount_usd"])
    for c in tables.get("claims", []):
        if within(c["filed_at"], window):
            g = group(c["filed_at"], order_of[c["order_id"]]["supplier_id"])
            g["claims"] += 1
            g[f"claims_{c['reason']}"] += 1
            g["refunds_usd"] += Decimal(c["refund_usd"])
    return [groups[key] for key in sorted(groups)]


def supplier_trends(tables: dict[str, list[dict]], supplier_id: int, as_of: date, months: int) -> list[dict]:
    """One row per calendar month, oldest first, the last holding the day before as_of, `months` of them:
    covered deals completed (deals, value_usd), covered not-cancelled orders with ship_by in the month
    (shipments, on_time_shipments with shipped_at ≤ ship_by, on_time_rate or None), inquiries received
    and the median wait in hours of those answered before as_of (None when none). Only times before
    as_of and from the first month's 1st count."""
    a = datetime.combine(as_of, time())
    month_list = [month_of(a - timedelta(days=1))]
    while len(month_list) < months:
        month_list.insert(0, month_before(month_list[0]))
    start = datetime.combine(month_list[0], time())
    orders = [o for o in tables.get("orders", []) if o["supplier_id"] == supplier_id and o["ta_covered"]]
    asked = [i for i in tables.get("inquiries", []) if i["supplier_id"] == supplier_id]
    rows = []
    for month in month_list:

        def in_month(ts, month=month):
            return within(ts, (start, a)) and month_of(ts) == month

        deals = [o for o in orders if o["status"] == "completed" and in_month(o["completed_at"])]
        due = [o for o in orders if o["status"] != "cancelled" and in_month(o["ship_by"])]
        on_time = [o for o in due if o["shipped_at"] is not None and o["shipped_at"] <= o["ship_by"]]
        received = [i for i in asked if in_month(i["received_at"])]
        waits = [
            Fraction((i["first_response_at"] - i["received_at"]) // MICROSECOND)
            for i in received
            if i["first_response_at"] is not None and i["first_response_at"] < a
        ]
        median_micros = median(waits)
        rows.append(
            {
                "month": month,
                "deals": len(deals),
                "value_usd": sum((Decimal(o["amount_usd"]) for o in deals), ZERO),
                "shipments": len(due),
                "on_time_shipments": len(on_time),
                "on_time_rate": ratio(len(on_time), len(due)),
                "inquiries": len(received),
                "median_response_hours": None if median_micros is None else median_micros / MICROS_PER_HOUR,
            }
        )
    return rows


def claim_history(tables: dict[str, list[dict]], supplier_id: int, as_of: date) -> list[dict]:
    """The claims on the supplier's orders filed before as_of, newest first (ties: higher claim_id first),
    with the order's amount."""
    a = datetime.combine(as_of, time())
    order_of = orders_by_id(tables)
    mine = [
        c
        for c in tables.get("claims", [])
        if order_of[c["order_id"]]["supplier_id"] == supplier_id and c["filed_at"] < a
    ]
    mine.sort(key=lambda c: (c["filed_at"], c["claim_id"]), reverse=True)
    return [
        {
            "claim_id": c["claim_id"],
            "filed_at": c["filed_at"],
            "order_id": c["order_id"],
            "reason": c["reason"],
            "status": c["status"],
            "resolved_at": c["resolved_at"],
            "refund_usd": Decimal(c["refund_usd"]),
            "order_amount_usd": Decimal(order_of[c["order_id"]]["amount_usd"]),
        }
        for c in mine
    ]


FRESHNESS_COLUMNS = {  # every timestamp of PRODUCT.md's schema but ship_by (a due date, not an event)
    "suppliers": ("registered_at", "ta_enrolled_at"),
    "orders": ("placed_at", "shipped_at", "delivered_at", "completed_at"),
    "inquiries": ("received_at", "first_response_at"),
    "claims": ("filed_at", "resolved_at"),
}


def latest_timestamps(tables: dict[str, list[dict]]) -> dict:
    """The latest value of every supplier, order, inquiry and claim timestamp column (None when it has none)."""
    latest = {}
    for table, names in FRESHNESS_COLUMNS.items():
        for name in names:
            values = [row[name] for row in tables.get(table, []) if row[name] is not None]
            latest[name] = max(values) if values else None
    return latest


def freshness(tables: dict[str, list[dict]]) -> dict:
    """latest_order_at: the latest placed_at; latest_activity_at: the latest of every supplier, order,
    inquiry and claim timestamp; None when there is none."""
    every = [
        row[name]
        for table, names in FRESHNESS_COLUMNS.items()
        for row in tables.get(table, [])
        for name in names
        if row[name] is not None
    ]
    placed = [o["placed_at"] for o in tables.get("orders", [])]
    # A timestamp more than 365 days after the latest order (or after 2100) is not believed as activity.
    bound = datetime(2100, 1, 1)
    if placed and max(placed) + timedelta(days=365) < bound:
        bound = max(placed) + timedelta(days=365)
    believed = [t for t in every if t <= bound]
    placed_believed = [t for t in placed if t <= bound]
    return {
        "latest_order_at": max(placed_believed) if placed_believed else None,
        "latest_activity_at": max(believed) if believed else None,
        "ignored_after": bound if len(believed) < len(every) else None,
    }


# ---------------------------------------------------------------------------------------------------------
# A policy's what-if, from the scorecard's raw counts (queries.scorecard.RAW_SCHEMA rows), supplier by
# supplier: the badge, failed rules and Amount of PRODUCT.md under two policies, who gains and who loses,
# the change in badge holders and in total Amount, overall and by country and by category. Rates are
# exact Fractions of their counts, hours exact Fractions of the median's microseconds, GMV the Decimal of
# its cents: nothing is shared with policy/ but the Policy value.


def raw_verdict(row: dict, as_of: date, policy) -> tuple[str, str, Decimal]:
    """(badge, failed rules joined with ';', Trade Assurance Amount) of one raw scorecard row."""
    micros = row["median_response_micros"]
    m = {
        "orders_6m": row["orders_6m"],
        "gmv_6m_usd": Decimal(repr(round(row["gmv_6m_usd"], 2))).quantize(Decimal("0.01")),
        "on_time_rate_6m": ratio(row["on_time_shipments_6m"], row["shipments_6m"]),
        "claim_rate_6m": ratio(row["upheld_claims_6m"], row["orders_6m"]),
        "response_rate_30d": ratio(row["answered_24h_30d"], row["inquiries_30d"]),
        "median_response_hours_30d": None if micros is None else Fraction(micros) / MICROS_PER_HOUR,
    }
    return verdict(row, m, as_of, policy)


def what_if(rows: list[dict], as_of: date, base, candidate) -> dict:
    """The effect of replacing `base` by `candidate` on these suppliers (raw scorecard rows).

    qualified_before/after, amount_before/after_usd (Decimal), gained and lost (supplier ids, ascending),
    verdicts {supplier_id: (badge, failed, amount) under the candidate}, and by_country / by_category:
    [(value, qualified_before, qualified_after, change, amount_change_usd)] for the values with a supplier
    qualified under either policy, largest change (either way) first, then by value.
    """
    before = {row["supplier_id"]: raw_verdict(row, as_of, base) for row in rows}
    after = {row["supplier_id"]: raw_verdict(row, as_of, candidate) for row in rows}
    was = {sid for sid, v in before.items() if v[0] == "qualified"}
    now = {sid for sid, v in after.items() if v[0] == "qualified"}

    def by(column: str) -> list[tuple]:
        groups: dict = {}
        for row in rows:
            sid, key = row["supplier_id"], row[column]
            g = groups.setdefault(key, [0, 0, Decimal(0)])
            g[0] += sid in was
            g[1] += sid in now
            g[2] += after[sid][2] - before[sid][2]
        kept = [(key, b, a, a - b, amount) for key, (b, a, amount) in groups.items() if b or a]
        return sorted(kept, key=lambda g: (-abs(g[3]), g[0]))

    return {
        "qualified_before": len(was),
        "qualified_after": len(now),
        "amount_before_usd": sum((v[2] for v in before.values()), Decimal(0)),
        "amount_after_usd": sum((v[2] for v in after.values()), Decimal(0)),
        "gained": sorted(now - was),
        "lost": sorted(was - now),
        "verdicts": after,
        "by_country": by("country_code"),
        "by_category": by("category"),
    }
