"""Seeded, realistic demo data for an empty warehouse.

    python -m data.generate [--url URL] [--suppliers N] [--months M] [--seed S]

Activity runs for M months up to the fixed instant DATA_END (never "today"), so the same seed
gives the same rows on every machine and every day. Suppliers are generated in fixed-size chunks,
each from its own seeded stream, so memory stays bounded and the rows do not depend on the
machine; every chunk is vectorised numpy and goes in with `data.bulk.bulk_insert`, one
transaction per chunk. The default demo is a single chunk, so all of it or nothing; a larger run
that fails part-way empties the warehouse again (it was empty when the run began).

Each supplier has an archetype that shapes its activity (the archetype itself is not stored):
reliable, slow_responder, late_shipper, quality_problems, new_account (registered recently) and
never_enrolled (ta_enrolled_at null). Order volume is lognormal: a few large suppliers, a long tail.
At the default 24 months a supplier averages about 100 orders, 150 inquiries and 5 claims, so
200,000 suppliers give about 20M orders, 30M inquiries and 1M claims.

Every row passes the loader's checks of PRODUCT.md. Every event (registration, enrolment, order,
shipment, delivery, completion, inquiry, reply, claim, resolution) is before DATA_END; ship_by is a
contract date and may fall after it for orders still open.
"""

import argparse
import calendar
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import func, select
from sqlalchemy.engine import Engine, make_url

from data.bulk import bulk_insert
from data.ddl import create_schema
from data.schema import (
    CLAIM_REASONS,
    CLAIM_STATUSES,
    ORDER_STATUSES,
    TABLE_NAMES,
    TABLES,
    metadata,
)
from warehouse.connection import WarehouseError, backend, resolve_url, warehouse_engine

DATA_END = datetime(2026, 11, 1)
DEFAULT_SUPPLIERS = 3_000
DEFAULT_MONTHS = 24
DEFAULT_SEED = 42
MAX_MONTHS = 120

# Suppliers per chunk: fixed (not tuned to the machine) so a seed always gives the same rows.
CHUNK_SUPPLIERS = 5_000

DAY = 86_400
HOUR = 3_600

# Volumes, calibrated so the default 24 months give ~100 orders, ~150 inquiries and ~5 claims
# per supplier (see the module docstring).
ORDERS_PER_SUPPLIER_DAY = 0.147  # mean of the lognormal order rate
ORDER_RATE_SIGMA = 1.4  # spread of the order rate: a few large suppliers, a long tail
INQUIRIES_PER_ORDER = 1.5
BUYERS_PER_SUPPLIER = 5

ARCHETYPES = ("reliable", "slow_responder", "late_shipper", "quality_problems", "new_account", "never_enrolled")


@dataclass(frozen=True)
class Behaviour:
    """How one archetype trades: each field is a probability, a median or a multiplier."""

    share: float  # of all suppliers
    late_share: float  # orders shipped after ship_by
    covered_share: float  # orders paid through the program once enrolled
    claim_share: float  # covered orders with a claim, on top of late and lost orders
    quality_after_share: float  # of quality claims, found after delivery (rest: on arrival)
    no_reply_share: float  # inquiries never answered
    reply_median_hours: float
    volume: float  # multiplier on the order rate


BEHAVIOURS = {
    "reliable": Behaviour(0.42, 0.015, 0.92, 0.02, 0.40, 0.02, 2.5, 1.3),
    "slow_responder": Behaviour(0.12, 0.03, 0.85, 0.04, 0.40, 0.25, 36.0, 1.0),
    "late_shipper": Behaviour(0.12, 0.35, 0.85, 0.04, 0.40, 0.05, 4.0, 1.0),
    "quality_problems": Behaviour(0.10, 0.03, 0.85, 0.28, 0.65, 0.05, 4.0, 1.0),
    "new_account": Behaviour(0.10, 0.05, 0.85, 0.05, 0.40, 0.08, 6.0, 0.8),
    "never_enrolled": Behaviour(0.14, 0.06, 0.0, 0.0, 0.40, 0.10, 8.0, 0.8),
}


def _behaviour_column(field: str) -> np.ndarray:
    return np.array([getattr(BEHAVIOURS[name], field) for name in ARCHETYPES])


SUPPLIER_COUNTRIES = {
    "CN": 62.0,
    "VN": 6.0,
    "IN": 6.0,
    "US": 3.5,
    "TR": 3.0,
    "PK": 2.0,
    "BD": 2.0,
    "TH": 2.0,
    "MY": 1.5,
    "ID": 1.5,
    "MX": 1.5,
    "DE": 1.5,
    "IT": 1.5,
    "KR": 1.0,
    "JP": 0.8,
    "TW": 0.8,
    "BR": 0.6,
    "PL": 0.5,
    "ES": 0.5,
    "GB": 0.5,
    "EG": 0.3,
    "AE": 0.3,
}
BUYER_COUNTRIES = {
    "US": 22.0,
    "DE": 6.0,
    "GB": 6.0,
    "FR": 5.0,
    "CA": 4.0,
    "AU": 4.0,
    "BR": 4.0,
    "MX": 3.5,
    "IN": 3.5,
    "JP": 3.0,
    "KR": 3.0,
    "IT": 3.0,
    "ES": 3.0,
    "NL": 2.5,
    "AE": 2.5,
    "SA": 2.5,
    "NG": 2.0,
    "ZA": 2.0,
    "TR": 2.0,
    "PL": 2.0,
    "CL": 1.5,
    "CO": 1.5,
    "PH": 1.5,
    "ID": 1.5,
    "VN": 1.5,
    "CN": 1.5,
    "SE": 1.0,
    "KE": 1.0,
}
# Top-level categories with a typical order value in USD.
CATEGORIES = {
    "Machinery": 4_000,
    "Apparel": 900,
    "Electronics": 1_800,
    "Home & Garden": 800,
    "Beauty & Personal Care": 600,
    "Sports & Entertainment": 900,
    "Vehicles & Accessories": 2_500,
    "Packaging & Printing": 1_200,
    "Chemicals": 3_000,
    "Construction & Building": 3_500,
    "Lights & Lighting": 1_000,
    "Furniture": 2_000,
}
NAME_WORDS = (
    "Golden", "Bright", "Everest", "Pacific", "Sunrise", "Harbor", "Unity", "Crown", "Jade", "Summit",
    "Orient", "Silver", "Evergreen", "Prime", "Liberty", "Phoenix", "Lotus", "Atlas", "Nova", "Delta",
    "Star", "Royal", "Grand", "Union", "Eagle", "Dragon", "Blue Ocean", "Red Maple", "Greenfield", "Apex",
)  # fmt: skip
LEGAL_SUFFIX = {
    "CN": "Co., Ltd.",
    "IN": "Pvt. Ltd.",
    "US": "LLC",
    "DE": "GmbH",
    "IT": "S.r.l.",
    "ES": "S.L.",
    "MX": "S.A. de C.V.",
}
# Text that must stay inert wherever a supplier name is shown: HTML, Markdown, SQL, CSV formulas.
HOSTILE_NAMES = (
    "<script>alert(1)</script>",
    "[click](http://evil.example)",
    "'; DROP TABLE suppliers; --",
    "**bold** _italic_ `code`",
    '<img src=x onerror="alert(1)">',
    '=HYPERLINK("http://evil.example","open")',
    "{{7*7}} ${7*7}",
    "$(rm -rf /) | cat /etc/passwd",
    "</td></tr><h1>Injected</h1>",
    "Ünïcødé 供应商 \u202eRTL\u202c 🚀",
)

# How claims end (open claims aside), in CLAIM_STATUSES order after "open".
CLAIM_OUTCOMES = {"refunded": 0.35, "partially_refunded": 0.20, "rejected": 0.30, "withdrawn": 0.15}


class WarehouseNotEmpty(WarehouseError):
    """The warehouse already holds data; the generator only fills an empty one."""


def months_before(end: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months before `end` (day 1 stays day 1)."""
    index = end.year * 12 + end.month - 1 - months
    year, month = divmod(index, 12)
    day = min(end.day, calendar.monthrange(year, month + 1)[1])
    return end.replace(year=year, month=month + 1, day=day)


def _epoch(moment: datetime) -> int:
    return calendar.timegm(moment.timetuple())


def _weights(table: dict) -> tuple[pl.Series, np.ndarray]:
    p = np.array(list(table.values()), dtype=float)
    return pl.Series(list(table.keys()), dtype=pl.String), p / p.sum()


def _timestamps(seconds: np.ndarray, present: np.ndarray | None = None) -> pl.Series:
    """Whole-second epoch times → Datetime(us); null where `present` is False."""
    stamps = pl.Series(seconds.astype(np.int64) * 1_000_000).cast(pl.Datetime("us"))
    if present is None:
        return stamps
    return pl.select(pl.when(pl.Series(present)).then(stamps)).to_series()


def _usd(cents: np.ndarray) -> pl.Series:
    # cents / 100 is the double nearest the cent value, and the Decimal cast rounds it back exactly.
    return pl.Series(cents / 100).cast(pl.Decimal(14, 2))


def _pick(rng: np.random.Generator, words: pl.Series, p: np.ndarray, n: int) -> pl.Series:
    return words.gather(rng.choice(len(words), size=n, p=p))


def _uniform_seconds(rng: np.random.Generator, low: float, high: float, n: int) -> np.ndarray:
    return np.floor(rng.uniform(low, high, n)).astype(np.int64)


@dataclass(frozen=True)
class Plan:
    """Everything the chunks share: sizes, the data window (epoch seconds) and the seed."""

    suppliers: int
    months: int
    seed: int

    @property
    def end(self) -> int:
        return _epoch(DATA_END)

    @property
    def start(self) -> int:
        return _epoch(months_before(DATA_END, self.months))

    @property
    def buyers(self) -> int:
        return max(20, BUYERS_PER_SUPPLIER * self.suppliers)

    def rng(self, stream: int, chunk: int) -> np.random.Generator:
        """An independent stream per (table family, chunk): chunks never depend on each other."""
        return np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(stream, chunk)))


def buyer_frame(plan: Plan, chunk: int, first_id: int, n: int) -> pl.DataFrame:
    rng = plan.rng(0, chunk)
    codes, p = _weights(BUYER_COUNTRIES)
    return pl.DataFrame({"buyer_id": np.arange(first_id, first_id + n), "country_code": _pick(rng, codes, p, n)})


@dataclass
class SupplierChunk:
    """One chunk of suppliers with the columns their orders and inquiries are drawn from."""

    ids: np.ndarray
    archetype: np.ndarray  # index into ARCHETYPES
    registered: np.ndarray
    enrolled: np.ndarray  # epoch seconds; meaningless where ~is_enrolled
    is_enrolled: np.ndarray
    active_from: np.ndarray  # max(registered, data start)
    order_rate: np.ndarray  # expected orders per day
    typical_cents: np.ndarray  # typical order value
    frame: pl.DataFrame


def supplier_chunk(plan: Plan, chunk: int, first_id: int, n: int) -> SupplierChunk:
    rng = plan.rng(1, chunk)
    start, end = plan.start, plan.end
    shares = _behaviour_column("share")
    archetype = rng.choice(len(ARCHETYPES), size=n, p=shares / shares.sum())
    is_new = archetype == ARCHETYPES.index("new_account")

    # Most accounts predate the data window (by up to six years); some open during it; new accounts
    # opened in the last 170 days, so they are too young for the default 180-day rule.
    before = rng.random(n) < 0.8
    registered = np.where(
        before,
        start - _uniform_seconds(rng, 0, 6 * 365 * DAY, n),
        start + _uniform_seconds(rng, 0, 0.7 * (end - start), n),
    )
    registered = np.where(is_new, end - _uniform_seconds(rng, 5 * DAY, 170 * DAY, n), registered)

    # The program opened a year before the data window; suppliers opt in over the following years,
    # some during the window (and so after early as-of dates).
    is_enrolled = archetype != ARCHETYPES.index("never_enrolled")
    opt_in_from = np.maximum(registered, start - 365 * DAY)
    enrolled = opt_in_from + np.floor(rng.exponential(250 * DAY, n)).astype(np.int64)
    late = enrolled >= end
    enrolled = np.where(late, opt_in_from + np.floor(rng.random(n) * (end - opt_in_from)).astype(np.int64), enrolled)

    category_names = pl.Series(list(CATEGORIES), dtype=pl.String)
    category = rng.integers(0, len(CATEGORIES), n)
    typical_cents = np.array(list(CATEGORIES.values()), dtype=float)[category] * 100 * rng.lognormal(0.0, 0.6, n)
    # Lognormal with mean 1: the rate's mean is the calibrated ORDERS_PER_SUPPLIER_DAY.
    spread = rng.lognormal(-(ORDER_RATE_SIGMA**2) / 2, ORDER_RATE_SIGMA, n)
    order_rate = ORDERS_PER_SUPPLIER_DAY * _behaviour_column("volume")[archetype] * spread

    codes, p = _weights(SUPPLIER_COUNTRIES)
    country = _pick(rng, codes, p, n)
    frame = pl.DataFrame(
        {
            "supplier_id": np.arange(first_id, first_id + n),
            "name": supplier_names(rng, country),
            "country_code": country,
            "category": category_names.gather(category),
            "registered_at": _timestamps(registered),
            "ta_enrolled_at": _timestamps(enrolled, is_enrolled),
        }
    )
    if chunk == 0:  # a handful of hostile names, so the security tests always have some
        count = min(len(HOSTILE_NAMES), n)
        rows = np.sort(rng.choice(n, size=count, replace=False))
        hostile = frame["name"].to_numpy().astype(object)
        for row, text in zip(rows, HOSTILE_NAMES[:count], strict=True):
            hostile[row] = f"{hostile[row].split(' ')[0]} {text}"
        frame = frame.with_columns(pl.Series("name", hostile, dtype=pl.String))
    return SupplierChunk(
        ids=frame["supplier_id"].to_numpy(),
        archetype=archetype,
        registered=registered,
        enrolled=enrolled,
        is_enrolled=is_enrolled,
        active_from=np.maximum(registered, start),
        order_rate=order_rate,
        typical_cents=typical_cents,
        frame=frame,
    )


def supplier_names(rng: np.random.Generator, country: pl.Series) -> pl.Series:
    """'<Word> <Word> Trading <legal suffix>' — plausible, not unique."""
    n = len(country)
    words = pl.Series(NAME_WORDS)
    trades = pl.Series(["Trading", "Industrial", "Manufacturing", "Technology", "Import & Export", "Group"])
    first = words.gather(rng.integers(0, len(words), n))
    second = words.gather(rng.integers(0, len(words), n))
    trade = trades.gather(rng.integers(0, len(trades), n))
    suffix = country.replace_strict(LEGAL_SUFFIX, default="Ltd.", return_dtype=pl.String)
    return pl.select(pl.concat_str([first, second, trade, suffix], separator=" ")).to_series().alias("name")


@dataclass
class OrderChunk:
    frame: pl.DataFrame
    supplier_row: np.ndarray  # row in the SupplierChunk
    placed: np.ndarray
    ship_by: np.ndarray
    shipped: np.ndarray
    delivered: np.ndarray
    shipped_present: np.ndarray
    delivered_present: np.ndarray
    late: np.ndarray
    lost: np.ndarray
    cancelled: np.ndarray
    covered: np.ndarray
    cents: np.ndarray


def _spread_over_window(rng, sup: SupplierChunk, counts: np.ndarray, end: int, growth: float) -> tuple:
    """One event per unit of `counts`, placed in each supplier's active window (sorted by time)."""
    row = np.repeat(np.arange(len(counts)), counts)
    span = (end - sup.active_from)[row]
    # u ** growth with growth < 1 leans toward recent months: the marketplace grows.
    at = sup.active_from[row] + np.floor(rng.random(len(row)) ** growth * span).astype(np.int64)
    order = np.argsort(at, kind="stable")
    return row[order], at[order]


def order_chunk(plan: Plan, chunk: int, sup: SupplierChunk, first_id: int) -> OrderChunk:
    rng = plan.rng(2, chunk)
    end = plan.end
    counts = rng.poisson(sup.order_rate * (end - sup.active_from) / DAY)
    row, placed = _spread_over_window(rng, sup, counts, end, 0.85)
    n = len(row)
    arch = sup.archetype[row]

    lead = rng.integers(7, 46, n) * DAY
    ship_by = placed + lead
    cancelled = rng.random(n) < 0.04
    late = rng.random(n) < _behaviour_column("late_share")[arch]
    shipped = np.where(
        late,
        ship_by + _uniform_seconds(rng, HOUR, 25 * DAY, n),
        placed + np.floor(lead * rng.uniform(0.2, 1.0, n)).astype(np.int64),
    )
    lost = rng.random(n) < 0.01  # shipped, never arrives
    delivered = shipped + _uniform_seconds(rng, 3 * DAY, 35 * DAY, n)
    completed = delivered + _uniform_seconds(rng, DAY, 20 * DAY, n)
    shipped_present = ~cancelled & (shipped < end)
    delivered_present = shipped_present & ~lost & (delivered < end)
    completed_present = delivered_present & (completed < end)
    status = np.where(completed_present, 1, np.where(cancelled, 2, 0))  # index into ORDER_STATUSES

    covered = (
        sup.is_enrolled[row]
        & (placed >= sup.enrolled[row])
        & (rng.random(n) < _behaviour_column("covered_share")[arch])
    )
    cents = np.maximum(100, np.round(sup.typical_cents[row] * rng.lognormal(0.0, 0.8, n))).astype(np.int64)
    cents = np.minimum(cents, 10**12)  # well inside numeric(14, 2)
    buyer = 1 + np.floor(plan.buyers * rng.random(n) ** 2).astype(np.int64)  # a few busy buyers

    frame = pl.DataFrame(
        {
            "order_id": np.arange(first_id, first_id + n),
            "supplier_id": sup.ids[row],
            "buyer_id": buyer,
            "placed_at": _timestamps(placed),
            "ship_by": _timestamps(ship_by),
            "shipped_at": _timestamps(shipped, shipped_present),
            "delivered_at": _timestamps(delivered, delivered_present),
            "completed_at": _timestamps(completed, completed_present),
            "status": pl.Series(ORDER_STATUSES).gather(status),
            "amount_usd": _usd(cents),
            "ta_covered": covered,
        }
    )
    return OrderChunk(
        frame, row, placed, ship_by, shipped, delivered, shipped_present, delivered_present,
        late, lost, cancelled, covered, cents,
    )  # fmt: skip


def inquiry_frame(plan: Plan, chunk: int, sup: SupplierChunk, first_id: int) -> pl.DataFrame:
    rng = plan.rng(3, chunk)
    end = plan.end
    counts = rng.poisson(INQUIRIES_PER_ORDER * sup.order_rate * (end - sup.active_from) / DAY)
    row, received = _spread_over_window(rng, sup, counts, end, 0.85)
    n = len(row)
    arch = sup.archetype[row]
    median = _behaviour_column("reply_median_hours")[arch] * HOUR
    wait = np.maximum(60, np.floor(median * rng.lognormal(0.0, 1.0, n))).astype(np.int64)
    replied = (rng.random(n) >= _behaviour_column("no_reply_share")[arch]) & (received + wait < end)
    return pl.DataFrame(
        {
            "inquiry_id": np.arange(first_id, first_id + n),
            "supplier_id": sup.ids[row],
            "buyer_id": 1 + np.floor(plan.buyers * rng.random(n) ** 2).astype(np.int64),
            "received_at": _timestamps(received),
            "first_response_at": _timestamps(received + wait, replied),
        }
    )


def claim_frame(plan: Plan, chunk: int, sup: SupplierChunk, orders: OrderChunk, first_id: int) -> pl.DataFrame:
    """At most one claim per covered order: late, lost and poor-quality orders draw most of them."""
    rng = plan.rng(4, chunk)
    end = plan.end
    arch = sup.archetype[orders.supplier_row]
    n = len(arch)
    lost = orders.shipped_present & orders.lost
    # Whether an order will ship late is decided when it is drawn, so a late order draws its claim the same
    # way whether or not the shipment falls before the data's end; counting "late and not shipped yet"
    # again would double the late-shipment claims of the last weeks (519 in the demo's last month vs ~244).
    late = orders.late & ~orders.cancelled
    p = _behaviour_column("claim_share")[arch] + 0.40 * late + 0.80 * lost
    claimed = orders.covered & ~orders.cancelled & (rng.random(n) < p)

    # The reason follows what went wrong; quality claims need a delivery.
    quality_after = rng.random(n) < _behaviour_column("quality_after_share")[arch]
    quality = np.where(quality_after, 2, 1)
    reason = np.where(lost, 3, np.where(late, np.where(rng.random(n) < 0.85, 0, quality), quality))
    # A quality claim is filed after the delivery: for an order delivered after the data's end it is
    # filed after it too and cut below (turning it into a late-shipment claim piled them at the edge).
    filed = np.select(
        [reason == 0, reason == 1, reason == 2],
        [
            orders.ship_by + _uniform_seconds(rng, DAY, 12 * DAY, n),
            orders.delivered + _uniform_seconds(rng, HOUR, 7 * DAY, n),
            orders.delivered + _uniform_seconds(rng, 20 * DAY, 150 * DAY, n),
        ],
        orders.shipped + _uniform_seconds(rng, 35 * DAY, 70 * DAY, n),
    )
    keep = np.flatnonzero(claimed & (filed < end))
    filed, reason, cents = filed[keep], reason[keep], orders.cents[keep]
    k = len(keep)

    resolved = filed + _uniform_seconds(rng, 2 * DAY, 60 * DAY, k)
    is_open = (resolved >= end) | (rng.random(k) < 0.03)
    outcome_p = np.array(list(CLAIM_OUTCOMES.values()))
    outcome = 1 + rng.choice(len(CLAIM_OUTCOMES), size=k, p=outcome_p / outcome_p.sum())
    status = np.where(is_open, 0, outcome)  # index into CLAIM_STATUSES
    partial = np.maximum(1, np.floor(cents * rng.uniform(0.1, 0.9, k))).astype(np.int64)
    refund = np.select([status == 1, status == 2], [cents, partial], 0)

    order_ids = orders.frame["order_id"].to_numpy()[keep]
    by_time = np.argsort(filed, kind="stable")
    return pl.DataFrame(
        {
            "claim_id": np.arange(first_id, first_id + k),
            "order_id": order_ids[by_time],
            "filed_at": _timestamps(filed[by_time]),
            "reason": pl.Series(CLAIM_REASONS).gather(reason[by_time]),
            "status": pl.Series(CLAIM_STATUSES).gather(status[by_time]),
            "resolved_at": _timestamps(resolved[by_time], ~is_open[by_time]),
            "refund_usd": _usd(refund[by_time]),
        }
    )


class Progress:
    """A plain-text bar on stderr, e.g. `[#####     ]  50% 100,000/200,000 suppliers`."""

    def __init__(self, total: int, enabled: bool, width: int = 30):
        self.total, self.enabled, self.width = max(total, 1), enabled, width

    def show(self, done: int, label: str) -> None:
        if not self.enabled:
            return
        filled = self.width * done // self.total
        bar = "#" * filled + " " * (self.width - filled)
        sys.stderr.write(f"\r[{bar}] {100 * done // self.total:3d}% {done:,}/{self.total:,} {label:<12}")
        sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _refuse_unless_empty(conn) -> None:
    counts = {
        name: conn.execute(select(func.count()).select_from(metadata.tables[name])).scalar_one() for name in TABLE_NAMES
    }
    held = ", ".join(f"{count:,} {name}" for name, count in counts.items() if count)
    if held:
        raise WarehouseNotEmpty(
            f"The warehouse already holds data ({held}); the generator only fills an empty warehouse. "
            "Use a new URL, or empty the warehouse first."
        )


def _insert_buyers(conn, plan: Plan, counts: dict[str, int]) -> None:
    size = CHUNK_SUPPLIERS * BUYERS_PER_SUPPLIER
    for chunk, first in enumerate(range(0, plan.buyers, size)):
        frame = buyer_frame(plan, chunk, first + 1, min(size, plan.buyers - first))
        bulk_insert(conn, "buyers", frame)
        counts["buyers"] += frame.height


def _empty_again(engine: Engine) -> None:
    """Undo a generation that failed part-way, best effort (the connection may be what failed)."""
    try:
        with engine.begin() as conn:
            for table in reversed(TABLES):
                conn.execute(table.delete())
    except Exception:
        pass


def generate(
    engine: Engine,
    suppliers: int = DEFAULT_SUPPLIERS,
    months: int = DEFAULT_MONTHS,
    seed: int = DEFAULT_SEED,
    progress: bool = False,
) -> dict[str, int]:
    """Fill an empty warehouse with seeded demo data; return the rows written per table.

    Creates the schema if needed. Raises WarehouseNotEmpty, writing nothing, when any table
    already has rows. Commits once per CHUNK_SUPPLIERS suppliers; on a failure part-way the rows
    already committed are deleted again before the error propagates.
    """
    if suppliers < 1:
        raise ValueError("suppliers must be at least 1")
    if not 1 <= months <= MAX_MONTHS:
        raise ValueError(f"months must be between 1 and {MAX_MONTHS}")
    plan = Plan(suppliers, months, seed)
    create_schema(engine)
    counts = dict.fromkeys(TABLE_NAMES, 0)
    bar = Progress(plan.suppliers, progress)
    committed = False
    try:
        for chunk, first in enumerate(range(0, plan.suppliers, CHUNK_SUPPLIERS)):
            # One transaction per chunk keeps DuckDB's memory bounded (a single 20M-order transaction
            # held over 5 GB); the first one also checks the warehouse is empty and adds the buyers.
            with engine.begin() as conn:
                if chunk == 0:
                    _refuse_unless_empty(conn)
                    _insert_buyers(conn, plan, counts)
                bar.show(first, "generating")
                sup = supplier_chunk(plan, chunk, first + 1, min(CHUNK_SUPPLIERS, plan.suppliers - first))
                orders = order_chunk(plan, chunk, sup, counts["orders"] + 1)
                tables = {
                    "suppliers": sup.frame,
                    "orders": orders.frame,
                    "inquiries": inquiry_frame(plan, chunk, sup, counts["inquiries"] + 1),
                    "claims": claim_frame(plan, chunk, sup, orders, counts["claims"] + 1),
                }
                for name, frame in tables.items():
                    bar.show(first, name)
                    bulk_insert(conn, name, frame)
                    counts[name] += frame.height
            committed = True
            bar.show(first + len(sup.ids), "suppliers")
    except BaseException:
        bar.finish()
        if committed:  # the warehouse was empty when we began: leave it empty again
            _empty_again(engine)
        raise
    bar.finish()
    return counts


def ensure_demo_warehouse(url: str | None = None, *, suppliers: int = DEFAULT_SUPPLIERS) -> bool:
    """Generate the default demo into the DuckDB file `url` names (default: the embedded one) when
    that file does not exist yet; return True if it generated. Other backends are left alone.

    The demo is written to a temporary file beside the target and renamed into place, so an
    interrupted run never leaves a half-filled warehouse behind.
    """
    url = resolve_url(url)
    if backend(url) != "duckdb":
        return False
    database = make_url(url).database
    if not database or database == ":memory:" or Path(database).exists():
        return False
    target = Path(database)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    os.unlink(temp)  # DuckDB wants to create the file itself
    try:
        engine = warehouse_engine(f"duckdb:///{temp}", read_only=False)
        try:
            generate(engine, suppliers=suppliers)
        finally:
            engine.dispose()
        os.replace(temp, target)
    finally:
        for leftover in (temp, f"{temp}.wal"):
            if os.path.exists(leftover):
                os.unlink(leftover)
    return True


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m data.generate",
        description="Fill an empty warehouse with seeded, realistic Trade Assurance demo data.",
    )
    top.add_argument("--url", help="SQLAlchemy URL of the warehouse (default: $TRUST_WAREHOUSE_URL, else data/)")
    top.add_argument("--suppliers", type=int, default=DEFAULT_SUPPLIERS, help="number of suppliers (default 3000)")
    top.add_argument("--months", type=int, default=DEFAULT_MONTHS, help="months up to 2026-11-01 (default 24)")
    top.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default 42)")
    return top


def main(argv: list[str] | None = None) -> int:
    top = parser()
    args = top.parse_args(argv)
    if args.suppliers < 1:
        top.error("--suppliers must be at least 1")
    if not 1 <= args.months <= MAX_MONTHS:
        top.error(f"--months must be between 1 and {MAX_MONTHS}")
    if args.seed < 0:
        top.error("--seed must be 0 or more")
    started = time.perf_counter()
    try:
        engine = warehouse_engine(resolve_url(args.url), read_only=False)
        try:
            counts = generate(engine, args.suppliers, args.months, args.seed, progress=args.suppliers > CHUNK_SUPPLIERS)
        finally:
            engine.dispose()
    except WarehouseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a driver error carries SQL and URLs: name only its kind
        print(f"error: generating failed ({type(exc).__name__}); check the URL and the warehouse", file=sys.stderr)
        return 1
    rows = ", ".join(f"{count:,} {name}" for name, count in counts.items())
    print(f"generated {rows} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
