"""The serving layer (queries.serving): snapshots equal the direct queries; stale or bad ones are rebuilt.

Hand-built warehouse (as-of 2024-07-01; 12-month window from 2023-07-02, 6-month from 2024-01-01):
supplier 1 has two covered deals completed in March and May 2024 (100.10 and 0.20 USD) and one refunded
claim filed 2024-04-01 (12.34 USD); supplier 2 has nothing. So supplier 1: deals_12m 2, value_12m_usd
100.30, orders_6m 2, claims_12m 1, upheld_claims_6m 1, refunds_12m_usd 12.34; supplier 2: all zero.
"""

import os
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import create_engine, text

from queries import serving
from queries.scorecard import fetch_features
from queries.uptake import fetch_history_features, month_starts
from tests.apptest import build_warehouse
from tests.warehouse import load_rows
from warehouse.connection import warehouse_engine

AS_OF = date(2024, 7, 1)


def tables() -> dict:
    return {
        "suppliers": [{"supplier_id": 1}, {"supplier_id": 2}],
        "orders": [
            {
                "supplier_id": 1,
                "placed_at": datetime(2024, 3, 1),
                "completed_at": datetime(2024, 3, 10),
                "amount_usd": "100.10",
            },
            {
                "supplier_id": 1,
                "placed_at": datetime(2024, 5, 1),
                "completed_at": datetime(2024, 5, 5),
                "amount_usd": "0.20",
            },
        ],
        "claims": [
            {
                "order_id": 1,
                "filed_at": datetime(2024, 4, 1),
                "reason": "not_delivered",
                "status": "refunded",
                "refund_usd": "12.34",
            }
        ],
    }


class Warehouse:
    """A warehouse URL with a counting `connect` for the serving layer (read-only, as the dashboard)."""

    def __init__(self, url: str):
        self.url = url
        self.engine = warehouse_engine(url)
        self.connects = 0

    def connect(self):
        self.connects += 1
        return self.engine.connect()

    def version(self) -> str:
        with self.engine.connect() as conn:
            return serving.fetch_data_version(conn)

    def direct(self, as_of: date) -> pl.DataFrame:
        with self.engine.connect() as conn:
            return fetch_features(conn, as_of)

    def close(self) -> None:
        self.engine.dispose()  # DuckDB: a writer may open the file only once no reader holds it


def write(url: str, statement: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(statement))
    engine.dispose()


@pytest.fixture
def serving_dir(tmp_path, monkeypatch):
    folder = tmp_path / "serving"
    monkeypatch.setenv("TRUST_SERVING_DIR", str(folder))
    return folder


@pytest.fixture
def small(tmp_path, serving_dir):
    wh = Warehouse(build_warehouse(tmp_path / "warehouse.duckdb", tables()))
    yield wh
    wh.close()


def by_supplier(frame: pl.DataFrame) -> dict:
    columns = ("deals_12m", "value_12m_usd", "orders_6m", "claims_12m", "upheld_claims_6m", "refunds_12m_usd")
    return {row["supplier_id"]: tuple(row[c] for c in columns) for row in frame.iter_rows(named=True)}


HAND = {1: (2, 100.30, 2, 1, 1, 12.34), 2: (0, 0.0, 0, 0, 0, 0.0)}


def test_features_are_worked_by_hand_computed_once_then_read_from_disk(small, serving_dir):
    version = small.version()
    first = serving.features(small.url, AS_OF, version, small.connect)
    assert by_supplier(first) == HAND
    assert small.connects == 1
    files = list(serving_dir.rglob("features_2024-07-01_*.parquet"))
    assert len(files) == 1 and files[0].name.endswith(f"_{version}.parquet")

    again = serving.features(small.url, AS_OF, version, small.connect)
    assert small.connects == 1  # read from the snapshot: no warehouse connection
    assert_frame_equal(again, first, check_exact=True)
    assert_frame_equal(again, small.direct(AS_OF), check_exact=True)
    assert not list(serving_dir.rglob("*.tmp"))  # the temporary file was renamed into place


def test_a_refresh_changes_the_version_and_the_new_data_is_served(small, tmp_path):
    old = small.version()
    serving.features(small.url, AS_OF, old, small.connect)
    small.close()
    # An in-place update keeps every row count and timestamp: the file's size or time still changes.
    write(small.url, "UPDATE orders SET amount_usd = 200.10 WHERE order_id = 1")
    small.engine = warehouse_engine(small.url)
    new = small.version()
    assert new != old
    fresh = serving.features(small.url, AS_OF, new, small.connect)
    assert small.connects == 2
    assert by_supplier(fresh)[1] == (2, 200.30, 2, 1, 1, 12.34)
    # The old version's file is gone, so it can never be served.
    names = [p.name for p in (tmp_path / "serving").rglob("*.parquet")]
    assert names == [f"features_2024-07-01_{new}.parquet"]


def test_a_new_order_changes_the_version(small):
    old = small.version()
    small.close()
    write(
        small.url,
        (
            "INSERT INTO orders (order_id, supplier_id, buyer_id, placed_at, ship_by, completed_at, status, "
            "amount_usd, ta_covered) VALUES (3, 2, 1, '2024-06-01', '2024-06-01', '2024-06-02', 'completed', "
            "5.00, true)"
        ),
    )
    small.engine = warehouse_engine(small.url)
    new = small.version()
    assert new != old
    assert by_supplier(serving.features(small.url, AS_OF, new, small.connect))[2] == (1, 5.0, 1, 0, 0, 0.0)


def snapshot_file(small) -> Path:
    version = small.version()
    serving.features(small.url, AS_OF, version, small.connect)
    return serving.snapshot_path(small.url, "features", AS_OF, version)


def test_a_truncated_snapshot_is_rebuilt_not_served(small):
    path = snapshot_file(small)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert serving.read_snapshot(path, serving.FEATURES_SCHEMA, small.version()) is None
    assert not path.exists()  # removed, so the next reader rebuilds it
    rebuilt = serving.features(small.url, AS_OF, small.version(), small.connect)
    assert small.connects == 2
    assert by_supplier(rebuilt) == HAND
    assert path.exists()


def test_garbage_in_the_file_is_rebuilt(small):
    path = snapshot_file(small)
    path.write_bytes(b"not a parquet file at all")
    assert by_supplier(serving.features(small.url, AS_OF, small.version(), small.connect)) == HAND
    assert small.connects == 2


def test_a_snapshot_with_other_columns_or_types_is_rebuilt(small):
    path = snapshot_file(small)
    version = small.version()
    stamp = pl.read_parquet_metadata(path)[serving.METADATA_KEY]
    good = pl.read_parquet(path)
    # Same version stamp, but money as strings (an older layout): refused.
    bad = good.with_columns(pl.col("value_12m_usd").cast(pl.String))
    bad.write_parquet(path, metadata={serving.METADATA_KEY: stamp})
    assert serving.read_snapshot(path, serving.FEATURES_SCHEMA, version) is None
    # A column missing: refused.
    good.drop("claims_12m").write_parquet(path, metadata={serving.METADATA_KEY: stamp})
    assert serving.read_snapshot(path, serving.FEATURES_SCHEMA, version) is None
    assert by_supplier(serving.features(small.url, AS_OF, version, small.connect)) == HAND
    assert small.connects == 2


def test_a_file_stamped_with_another_version_is_not_served(small):
    path = snapshot_file(small)
    version = small.version()
    # A file copied (or renamed) under today's name but written for another refresh.
    frame = pl.read_parquet(path).with_columns(pl.lit(999, dtype=pl.Int64).alias("deals_12m"))
    frame.write_parquet(path, metadata={serving.METADATA_KEY: '{"version": "other", "rows": 2}'})
    assert by_supplier(serving.features(small.url, AS_OF, version, small.connect)) == HAND
    assert small.connects == 2


def test_an_unwritable_folder_still_serves_the_computed_features(small, serving_dir):
    serving_dir.parent.mkdir(parents=True, exist_ok=True)
    serving_dir.write_text("a file where the folder should be")
    assert by_supplier(serving.features(small.url, AS_OF, small.version(), small.connect)) == HAND


def test_an_in_memory_warehouse_is_never_kept(serving_dir):
    engine = create_engine("duckdb:///:memory:")
    load_rows(engine, tables())
    frame = serving.features("duckdb:///:memory:", AS_OF, "v", lambda: engine.connect())
    assert by_supplier(frame) == HAND
    assert not serving_dir.exists()


# ---- differential, on the session's demo warehouse (conftest.py) -------------------------------------------


def test_generated_features_equal_the_direct_scorecard(demo_warehouse, serving_dir):
    wh = Warehouse(demo_warehouse)
    try:
        version = wh.version()
        for as_of in (date(2025, 6, 1), date(2026, 1, 15)):
            direct = wh.direct(as_of)
            assert direct.height == 300
            assert_frame_equal(serving.features(wh.url, as_of, version, wh.connect), direct, check_exact=True)
            assert_frame_equal(serving.features(wh.url, as_of, version, wh.connect), direct, check_exact=True)
        assert wh.connects == 2
    finally:
        wh.close()


def test_generated_history_equals_the_direct_history_and_computes_only_new_dates(demo_warehouse, serving_dir):
    wh = Warehouse(demo_warehouse)
    try:
        version = wh.version()
        points = month_starts(date(2026, 1, 15), 6)
        first = serving.history_features(wh.url, points[:4], version, wh.connect)
        before = {p: serving.snapshot_path(wh.url, "history", p, version).stat().st_mtime_ns for p in points[:4]}
        everything = serving.history_features(wh.url, points, version, wh.connect)
        assert wh.connects == 2
        with wh.engine.connect() as conn:
            direct = fetch_history_features(conn, points)
        assert_frame_equal(everything, direct, check_exact=True)
        assert_frame_equal(first, direct.filter(pl.col("as_of").is_in(points[:4])), check_exact=True)
        # The first four dates were read, not rewritten; the two new ones were computed and kept.
        for p in points[:4]:
            assert serving.snapshot_path(wh.url, "history", p, version).stat().st_mtime_ns == before[p]
        assert all(serving.snapshot_path(wh.url, "history", p, version).exists() for p in points[4:])
        assert_frame_equal(serving.history_features(wh.url, points, version, wh.connect), direct, check_exact=True)
        assert wh.connects == 2
    finally:
        wh.close()


# ---- PostgreSQL as the warehouse -------------------------------------------------------------------


def test_postgresql_features_equal_the_direct_scorecard_and_an_update_is_seen(pg_server, serving_dir):
    url = pg_server.create_database("serving")
    writer = create_engine(url)
    load_rows(writer, tables())
    wh = Warehouse(url)
    try:
        old = wh.version()
        served = serving.features(url, AS_OF, old, wh.connect)
        assert by_supplier(served) == HAND
        assert_frame_equal(served, wh.direct(AS_OF), check_exact=True)
        with writer.begin() as conn:  # counts and timestamps unchanged: the table statistics tell
            conn.execute(text("UPDATE orders SET amount_usd = 200.10 WHERE order_id = 1"))
        with writer.connect() as conn:  # publish this backend's statistics now, not within a second
            conn.execute(text("SELECT pg_stat_force_next_flush()"))
        writer.dispose()
        new = wh.version()
        assert new != old
        assert by_supplier(serving.features(url, AS_OF, new, wh.connect))[1] == (2, 200.30, 2, 1, 1, 12.34)
    finally:
        wh.close()


def test_snapshot_folders_differ_per_warehouse(tmp_path, serving_dir):
    one = serving.snapshot_dir(f"duckdb:///{tmp_path / 'a.duckdb'}")
    two = serving.snapshot_dir(f"duckdb:///{tmp_path / 'b.duckdb'}")
    assert one != two and one.parent == two.parent == serving_dir
    assert os.fspath(serving_dir) in os.fspath(one)


def test_readers_never_see_half_a_file_while_others_write_it(tmp_path):
    import threading

    path = tmp_path / "features_2024-07-01_v.parquet"
    frame = pl.DataFrame({"supplier_id": range(200_000), "value_12m_usd": [0.1 * k for k in range(200_000)]})
    schema = dict(frame.schema)
    serving.write_snapshot(path, frame, "v")
    done = threading.Event()

    def writer() -> None:
        for _ in range(20):
            serving.write_snapshot(path, frame, "v")
        done.set()

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for thread in threads:
        thread.start()
    reads = 0
    while not done.is_set() or reads < 5:
        got = serving.read_snapshot(path, schema, "v")
        assert got is not None, "a reader saw a missing or partial file"
        assert got.height == 200_000
        reads += 1
    for thread in threads:
        thread.join()
    assert not list(tmp_path.glob("*.tmp"))
