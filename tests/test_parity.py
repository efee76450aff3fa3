"""Engine parity: the same warehouse on DuckDB, PostgreSQL and Spark SQL gives the same scorecard.

Two warehouses, each loaded into all three engines: one hand-built with rows on, and a microsecond
either side of, every window edge; one seeded random (50 suppliers, a tenth of its timestamps snapped
to window edges). Scorecards must agree exactly in counts, words and nulls, to the cent in money and
to 1e-9 in rates and hours, under the default policy and a tuned one. The uptake history and the
monthly program facts are compared the same way.

Spark runs as a real standalone cluster (devtools.sparkserver), started once for this module.
"""

import random
import shutil
from datetime import date, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest
from sqlalchemy import create_engine

from data.bulk import bulk_insert
from data.ddl import create_schema
from data.spark import create_tables_spark
from devtools.sparkserver import SparkCluster
from policy import DEFAULT_POLICY, Policy
from queries import freshness, uptake
from queries.scorecard import MONEY_COLUMNS, SCORECARD_COLUMNS, build_scorecard, fetch_features
from tests.warehouse import duckdb_memory_engine, rows_to_frames
from warehouse.connection import warehouse_engine

ENGINES = ("duckdb", "postgresql", "spark")
POLICIES = {
    "default": DEFAULT_POLICY,
    "tuned": Policy(open_countries=("*",), min_orders_6m=1, min_gmv_6m_usd=100.0),
}
AS_OF = date(2024, 7, 1)
AS_OFS = (AS_OF, date(2024, 3, 1))  # the second's windows cross 2024-02-29

A = datetime(2024, 7, 1)
A365 = datetime(2023, 7, 2)  # A − 365 days (2023-07-01 → 2024-07-01 spans 2024-02-29)
A182 = datetime(2024, 1, 1)  # A − 182 days
A30 = datetime(2024, 6, 1)  # A − 30 days
US = timedelta(microseconds=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
T0 = datetime(2020, 1, 1)


# -- warehouses ------------------------------------------------------------------------------------


def _deal(supplier_id, completed_at, amount, **extra):
    placed = completed_at - 10 * DAY
    return {
        "supplier_id": supplier_id,
        "placed_at": placed,
        "ship_by": placed + DAY,
        "shipped_at": placed + DAY,
        "completed_at": completed_at,
        "amount_usd": amount,
        **extra,
    }


def _order(placed_at, amount, **extra):
    """A covered order of supplier 1 (completed unless `status` says otherwise)."""
    return {"supplier_id": 1, "placed_at": placed_at, "amount_usd": amount, **extra}


def _inquiry(supplier_id, received_at, wait=None):
    first = None if wait is None else received_at + wait
    return {"supplier_id": supplier_id, "received_at": received_at, "first_response_at": first}


def _claim(order_id, filed_at, status, refund="0", reason="quality_after_delivery"):
    return {"order_id": order_id, "filed_at": filed_at, "status": status, "refund_usd": refund, "reason": reason}


def edge_frames() -> dict[str, pl.DataFrame]:
    """Rows on and a microsecond either side of each window edge at AS_OF, for suppliers 1-7."""
    orders = [
        _deal(1, A365, "100.00"),  # order 1: first instant of W365
        _deal(1, A365 - US, "200.00"),  # 2: just before it
        _deal(1, A182, "0.10"),  # 3: first instant of W182
        _deal(1, A182 - US, "0.20"),  # 4: just before it
        _deal(1, A - US, "12345.67"),  # 5: last instant of both
        _deal(1, A, "400.00"),  # 6: at A, outside
        _deal(1, A - DAY, "999.99", ta_covered=False),  # 7: not covered
        _order(A - US, "55.55", status="open"),  # 8: open exposure
        _order(A, "66.66", status="open"),  # 9: placed at A, outside
        _order(A182 - DAY, "1.00", ship_by=A182, shipped_at=A182, status="open"),  # 10: on time, first of W182
        _order(A - DAY, "2.00", ship_by=A - US, shipped_at=A, status="open"),  # 11: late by a microsecond
        _order(A - DAY, "4.00", ship_by=A - HOUR, status="cancelled"),  # 12: cancelled: no shipment
        _order(A - DAY, "8.00", ship_by=A, shipped_at=A),  # 13: ship_by at A, outside
        # Supplier 2 qualifies by default: three deals worth 12,500.00 → amount 6,200 (0.5 × 12,500 floored to 100).
        _deal(2, A - 5 * DAY, "2500.00"),
        _deal(2, A - 50 * DAY, "4999.99"),
        _deal(2, A - 100 * DAY, "5000.01"),
        # Supplier 3 the same but one microsecond too young; 5 in VN (open only under the tuned policy).
        *(_deal(3, A - k * 20 * DAY, "4000.00") for k in (1, 2, 3)),
        *(_deal(5, A - k * 20 * DAY, "4000.00") for k in (1, 2, 3)),
        _deal(4, A - 3 * DAY, "123.45"),
        _deal(6, A - 3 * DAY, "678.90"),
    ]
    inquiries = [
        _inquiry(1, A30, 24 * HOUR),  # answered exactly 24 h later: within
        _inquiry(1, A30 + DAY, 24 * HOUR + US),  # one microsecond too late
        _inquiry(1, A30 + 2 * DAY, US),
        _inquiry(1, A30 + 3 * DAY, 3 * HOUR),
        _inquiry(1, A30 - US, HOUR),  # received before W30
        _inquiry(1, A - HOUR, 2 * HOUR),  # answered after A: unanswered at A
        _inquiry(1, A - HOUR),  # never answered
        _inquiry(1, A, HOUR),  # received at A: outside
        _inquiry(3, A30 + DAY, 30 * HOUR),
        _inquiry(3, A30 + DAY, 30 * HOUR + US),
        _inquiry(3, A30 + DAY, 31 * HOUR),
    ]
    claims = [
        _claim(1, A365, "refunded", "100.00", "late_shipment"),
        _claim(1, A365 - US, "refunded", "50.00"),
        _claim(3, A182, "partially_refunded", "0.05", "quality_on_arrival"),
        _claim(3, A182 - US, "refunded", "0.07"),
        _claim(5, A - US, "rejected"),
        _claim(5, A, "refunded", "1.00"),
        _claim(5, A - DAY, "withdrawn", reason="not_delivered"),
        _claim(5, A - DAY, "open"),
    ]
    suppliers = [
        {"supplier_id": 1},
        {"supplier_id": 2, "registered_at": A - 180 * DAY, "ta_enrolled_at": A - US},
        {"supplier_id": 3, "registered_at": A - 180 * DAY + US, "ta_enrolled_at": A - 180 * DAY + US},
        {"supplier_id": 4, "ta_enrolled_at": A},  # enrolled at A: not yet
        {"supplier_id": 5, "country_code": "VN", "category": "Textiles"},
        {"supplier_id": 6, "ta_enrolled_at": None, "country_code": "IN"},
        {"supplier_id": 7, "name": 'O\'Brien \\ Sons, "Ltd"', "category": "Toys"},  # quoting in text
    ]
    return rows_to_frames({"suppliers": suppliers, "orders": orders, "inquiries": inquiries, "claims": claims})


def random_frames(seed: int = 42, n_suppliers: int = 50) -> dict[str, pl.DataFrame]:
    """A seeded random warehouse over 2022-2024 with microsecond timestamps and cent amounts."""
    rng = random.Random(seed)
    start, end = datetime(2022, 6, 1), datetime(2024, 8, 1)
    span = int((end - start).total_seconds() * 1_000_000)
    edges = [edge + offset for as_of in AS_OFS for edge in _edges(as_of) for offset in (-US, timedelta(0), US)]

    def moment(low=start, high=end):
        if rng.random() < 0.1:
            return rng.choice(edges)
        width = int((high - low).total_seconds() * 1_000_000)
        return low + timedelta(microseconds=rng.randrange(max(width, 1)))

    def later(t, max_days):
        return t + timedelta(microseconds=rng.randrange(int(max_days * 86_400_000_000)))

    def cents(low, high):
        return Decimal(rng.randrange(low * 100, high * 100 + 1)) / 100

    suppliers, orders, inquiries, claims = [], [], [], []
    for sid in range(1, n_suppliers + 1):
        registered = start - DAY * rng.randrange(0, 400) + timedelta(microseconds=rng.randrange(span))
        enrolled = None if rng.random() < 0.2 else later(registered, 300)
        suppliers.append(
            {
                "supplier_id": sid,
                "name": f"Supplier {sid}",
                "country_code": rng.choice(("CN", "CN", "VN", "IN", "US")),
                "category": rng.choice(("Machinery", "Textiles", "Electronics")),
                "registered_at": registered,
                "ta_enrolled_at": enrolled,
            }
        )
        for _ in range(rng.randrange(0, 30)):
            placed = moment()
            status = rng.choices(("completed", "open", "cancelled"), (0.7, 0.2, 0.1))[0]
            shipped = None if status != "completed" and rng.random() < 0.5 else later(placed, 25)
            delivered = later(shipped, 20) if shipped and status == "completed" else None
            completed = (rng.choice(edges) if rng.random() < 0.15 else later(delivered, 10)) if delivered else None
            orders.append(
                {
                    "order_id": len(orders) + 1,
                    "supplier_id": sid,
                    "placed_at": placed,
                    "ship_by": rng.choice(edges) if rng.random() < 0.1 else later(placed, 20),
                    "shipped_at": shipped,
                    "delivered_at": delivered,
                    "completed_at": completed,
                    "status": status,
                    "amount_usd": cents(1, 20_000),
                    "ta_covered": rng.random() < 0.8,
                }
            )
            if rng.random() < 0.15:
                status = rng.choice(("open", "refunded", "partially_refunded", "rejected", "withdrawn"))
                refund = cents(0, 500) if status in ("refunded", "partially_refunded") else Decimal("0")
                claims.append(
                    _claim(
                        len(orders),
                        later(placed, 200),
                        status,
                        refund,
                        rng.choice(("late_shipment", "quality_on_arrival", "quality_after_delivery", "not_delivered")),
                    )
                )
        for _ in range(rng.randrange(0, 20)):
            received = moment()
            wait = None if rng.random() < 0.1 else timedelta(microseconds=int(rng.expovariate(1 / 20) * 3.6e9))
            if rng.random() < 0.05:
                wait = 24 * HOUR + rng.choice((-US, timedelta(0), US))
            inquiries.append(_inquiry(sid, received, wait))
    return rows_to_frames({"suppliers": suppliers, "orders": orders, "inquiries": inquiries, "claims": claims})


def _edges(as_of: date) -> list[datetime]:
    a = datetime.combine(as_of, datetime.min.time())
    return [a, a - 365 * DAY, a - 182 * DAY, a - 30 * DAY, a - 180 * DAY]


WAREHOUSES = {"edges": edge_frames, "random": random_frames}


# -- engines ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spark_cluster():
    """A standalone Spark cluster with its Thrift server, for this module (20-60 s to start).

    It starts in the background; `warehouses` loads DuckDB and PostgreSQL meanwhile, then waits.
    """
    # Never skip: a machine without Java must fail here, not pass quietly (scripts/test.sh installs it).
    assert shutil.which("java"), "Spark needs Java 17 on PATH (apt-get install openjdk-17-jre-headless)"
    cluster = SparkCluster().start_in_background()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def warehouses(spark_cluster, pg_server):
    """{warehouse: {engine: Engine}}: each warehouse loaded into DuckDB, PostgreSQL and Spark."""
    frames = {name: build() for name, build in WAREHOUSES.items()}
    engines: dict[str, dict] = {}
    for name in WAREHOUSES:
        duck = duckdb_memory_engine()
        pg = create_engine(pg_server.create_database(f"parity_{name}"))
        for engine in (duck, pg):
            create_schema(engine)
            with engine.begin() as conn:
                for table, frame in frames[name].items():
                    bulk_insert(conn, table, frame)
        engines[name] = {"duckdb": duck, "postgresql": pg}
    spark_cluster.ready()
    for name in WAREHOUSES:
        spark_url = spark_cluster.url(f"parity_{name}")
        create_tables_spark(spark_url, frames[name], spark_cluster.data_dir)
        engines[name]["spark"] = warehouse_engine(spark_url)
    yield engines
    for by_engine in engines.values():
        for engine in by_engine.values():
            engine.dispose()


@pytest.fixture(scope="module")
def features(warehouses):
    """features(warehouse, as_of) → {engine: fetch_features frame}, each read once per module."""
    read = {}

    def at(warehouse: str, as_of: date) -> dict[str, pl.DataFrame]:
        if (warehouse, as_of) not in read:
            read[warehouse, as_of] = on_every_engine(warehouses[warehouse], lambda conn: fetch_features(conn, as_of))
        return read[warehouse, as_of]

    return at


def on_every_engine(engines: dict, fetch) -> dict[str, pl.DataFrame]:
    out = {}
    for name in ENGINES:
        with engines[name].connect() as conn:
            out[name] = fetch(conn)
    return out


# -- comparison ------------------------------------------------------------------------------------


def assert_same(frames: dict[str, pl.DataFrame], money: tuple[str, ...]) -> None:
    """Every engine's frame equals DuckDB's: same columns, types and nulls; money to the cent; other
    floats to 1e-9; everything else exactly."""
    reference = frames["duckdb"]
    assert reference.height > 0
    for name, frame in frames.items():
        assert frame.columns == reference.columns, name
        assert frame.schema == reference.schema, name
        assert frame.height == reference.height, name
        for column in reference.columns:
            left, right = reference[column], frame[column]
            assert left.is_null().to_list() == right.is_null().to_list(), f"{name}.{column}: nulls differ"
            if column in money:
                assert (left * 100).round().to_list() == (right * 100).round().to_list(), f"{name}.{column}"
            elif left.dtype.is_float():
                worst = (left - right).abs().max()
                assert worst is None or worst <= 1e-9, f"{name}.{column}: differs by {worst}"
            else:
                assert left.to_list() == right.to_list(), f"{name}.{column}"


@pytest.mark.parametrize("as_of", AS_OFS, ids=str)
@pytest.mark.parametrize("warehouse", WAREHOUSES)
def test_scorecard_is_the_same_on_every_engine(features, warehouse, as_of):
    read = features(warehouse, as_of)
    assert_same(read, MONEY_COLUMNS)
    for policy in POLICIES.values():
        cards = {name: build_scorecard(frame, policy) for name, frame in read.items()}
        assert cards["duckdb"].columns == list(SCORECARD_COLUMNS)
        assert_same(cards, MONEY_COLUMNS)


def test_edge_warehouse_scorecard_matches_hand_worked_values(features):
    """A few numbers worked out by hand, so three engines cannot agree on a wrong answer unnoticed."""
    for name, frame in features("edges", AS_OF).items():
        card = {row["supplier_id"]: row for row in build_scorecard(frame, DEFAULT_POLICY).iter_rows(named=True)}
        s1, s2 = card[1], card[2]
        # W365 holds orders 1, 3, 4, 5: 100.00 + 0.10 + 0.20 + 12345.67; W182 orders 3 and 5.
        assert (s1["deals_12m"], s1["value_12m_usd"]) == (4, 12445.97), name
        assert (s1["orders_6m"], s1["gmv_6m_usd"]) == (2, 12345.77), name
        # Open covered orders placed before A: 55.55 + 1.00 + 2.00.
        assert s1["open_exposure_usd"] == 58.55, name
        # W30 inquiries: 4 answered (24 h, 24 h + 1 µs, 1 µs, 3 h), 2 unanswered at A → 3 of 6 within 24 h;
        # median of the 4 waits is (3 h + 24 h) / 2.
        assert s1["response_rate_30d"] == 0.5, name
        assert s1["median_response_hours_30d"] == 13.5, name
        # Claims filed in W365 on supplier 1's orders: all but the one at A365 − 1 µs and the one at A.
        assert s1["claims_12m"] == 6, name
        assert (s1["upheld_claims_6m"], s1["refunds_12m_usd"]) == (1, 100.12), name
        assert (s2["badge"], s2["ta_amount_usd"]) == ("qualified", 6200.0), name
        assert card[3]["failed_rules"].startswith("account_age"), name
        assert card[4]["badge"] == card[6]["badge"] == "not_enrolled", name
        assert card[5]["badge"] == "region_not_open", name


@pytest.mark.parametrize("warehouse", WAREHOUSES)
def test_uptake_history_is_the_same_on_every_engine(warehouses, warehouse):
    as_ofs = uptake.month_starts(AS_OF, 8)
    history = on_every_engine(warehouses[warehouse], lambda conn: uptake.fetch_history_features(conn, as_ofs))
    assert_same(history, tuple(c for c in history["duckdb"].columns if c.endswith("_usd")))
    for policy in POLICIES.values():
        series = {name: uptake.uptake_series(frame, policy) for name, frame in history.items()}
        assert_same(series, tuple(c for c in series["duckdb"].columns if c.endswith("_usd")))


@pytest.mark.parametrize("warehouse", WAREHOUSES)
def test_program_monthly_is_the_same_on_every_engine(warehouses, warehouse):
    monthly = on_every_engine(
        warehouses[warehouse], lambda conn: uptake.fetch_program_monthly(conn, date(2022, 1, 1), AS_OF)
    )
    assert_same(monthly, ("covered_gmv_usd", "gmv_usd", "refunds_usd"))


# -- the other warehouse queries: run on every engine, not only compiled ---------------------------

A0 = date(2024, 1, 1)  # outcomes over [A0, A0 + 182 days), inside both warehouses' data


def reference_rows(frames: dict[str, pl.DataFrame]) -> dict[str, list[dict]]:
    """The warehouse's rows as tests/reference.py reads them: money as exact Decimals."""
    money = {"amount_usd", "refund_usd"}
    return {
        name: [
            {k: Decimal(str(v)).quantize(Decimal("0.01")) if k in money else v for k, v in row.items()}
            for row in frame.to_dicts()
        ]
        for name, frame in frames.items()
    }


@pytest.mark.parametrize("warehouse", WAREHOUSES)
def test_backtest_outcomes_are_the_same_on_every_engine_and_the_reference(warehouses, warehouse):
    from queries.backtest import fetch_outcomes
    from tests import reference

    read = on_every_engine(warehouses[warehouse], lambda conn: fetch_outcomes(conn, A0))
    assert_same(read, ("value_next_6m_usd", "refunds_next_6m_usd"))
    want = reference.outcomes(reference_rows(WAREHOUSES[warehouse]()), A0)
    got = {row["supplier_id"]: row for row in read["duckdb"].iter_rows(named=True)}
    reached = 0
    for row in want:
        have = got.get(row["supplier_id"], {})
        for column in ("deals_next_6m", "upheld_claims_next_6m"):
            assert have.get(column, 0) == row[column], (row["supplier_id"], column)
        for column in ("value_next_6m_usd", "refunds_next_6m_usd"):
            assert have.get(column, 0.0) == float(row[column]), (row["supplier_id"], column)
        reached += row["deals_next_6m"] > 0
    assert reached > 0  # the window holds deals: the comparison is not of zeros


@pytest.mark.parametrize("warehouse", WAREHOUSES)
def test_supplier_trends_and_claims_are_the_same_on_every_engine(warehouses, warehouse):
    from queries.supplier import fetch_claim_history, fetch_supplier_trends

    trends = on_every_engine(warehouses[warehouse], lambda conn: fetch_supplier_trends(conn, 1, AS_OF, 14))
    assert_same(trends, ("value_usd",))
    assert trends["duckdb"]["deals"].sum() > 0
    frames = WAREHOUSES[warehouse]()
    owners = frames["claims"].join(frames["orders"], on="order_id")["supplier_id"]
    claimed = owners.mode().sort()[0]  # the supplier with the most claims
    claims = on_every_engine(warehouses[warehouse], lambda conn: fetch_claim_history(conn, claimed, AS_OF))
    assert_same(claims, ("refund_usd", "order_amount_usd"))


@pytest.mark.parametrize("warehouse", WAREHOUSES)
def test_freshness_is_the_same_on_every_engine_and_the_reference(warehouses, warehouse):
    from tests import reference

    seen = {}
    for name in ENGINES:
        with warehouses[warehouse][name].connect() as conn:
            seen[name] = freshness.fetch_freshness(conn)
    want = reference.freshness(reference_rows(WAREHOUSES[warehouse]()))
    assert want["latest_activity_at"] is not None
    assert seen == {name: want for name in ENGINES}
