"""Faults: the warehouse down at start, stopped and restarted mid-session, its connections killed, a runaway
statement. The page shows a message without SQL, a stack trace or the URL, and the next run recovers.

A throwaway PostgreSQL server of its own (this module stops it) holds the Policy lab's tiny warehouse.
"""

import threading

import pytest
import streamlit as st
from sqlalchemy import create_engine, text
from streamlit.testing.v1 import AppTest

from data.bulk import bulk_insert
from data.ddl import create_schema
from devtools.pgserver import PG_BIN, PgServer
from queries import cached
from tests.apptest import APP, build_warehouse
from tests.test_app_policy_lab import lab_tables
from tests.warehouse import rows_to_frames
from warehouse import connection as guard
from warehouse.connection import WarehouseError

LEAKS = ("SELECT", "select ", "Traceback", "postgresql", "psycopg", "127.0.0.1", 'File "')


@pytest.fixture(scope="module")
def server():
    pg = PgServer().start()
    url = pg.create_database("faults")
    engine = create_engine(url)
    create_schema(engine)
    with engine.begin() as conn:
        for name, frame in rows_to_frames(lab_tables()).items():
            bulk_insert(conn, name, frame)
    engine.dispose()
    pg.warehouse_url = url
    yield pg
    pg.stop()


def stop(pg: PgServer) -> None:
    """Stop the server but keep its data (PgServer.stop() also deletes it)."""
    pg._run(PG_BIN / "pg_ctl", "-D", pg.data, "-m", "fast", "-w", "stop")


@pytest.fixture
def app(server, tmp_path, monkeypatch):
    monkeypatch.setenv("TRUST_WAREHOUSE_URL", server.warehouse_url)
    monkeypatch.setenv("TRUST_APP_DB_URL", f"sqlite:///{tmp_path / 'app.sqlite'}")
    monkeypatch.setenv("TRUST_SERVING_DIR", str(tmp_path / "serving"))  # no snapshot: each test queries
    monkeypatch.delenv("TRUST_DEMO_ROLE", raising=False)
    monkeypatch.delenv("TRUST_STATEMENT_TIMEOUT_S", raising=False)
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["as_of"] = "2024-07-01"
    yield at
    st.cache_resource.clear()


def forget_results() -> None:
    """Drop cached results but keep the pooled engine, as a fresh as-of date would."""
    cached.freshness.clear()
    cached.features.clear()


def shows_data(at) -> bool:
    return not at.exception and any(m.label == "Qualified" and m.value == "8" for m in at.metric)


def friendly_error(at, words: str) -> str:
    assert not at.exception, at.exception
    assert not at.metric
    shown = " ".join(e.value for e in [*at.error, *at.warning, *at.markdown, *at.caption])
    assert words in shown, shown
    for leak in LEAKS:
        assert leak not in shown, (leak, shown)
    return shown


def test_down_at_start_then_back(server, app):
    stop(server)
    try:
        friendly_error(app.run(), "is not answering")
        friendly_error(app.run(), "is not answering")  # the failure was not cached: it tried again
    finally:
        server.restart()
    assert shows_data(app.run())


def test_stopped_mid_session_and_restarted(server, app):
    assert shows_data(app.run())
    app.switch_page("app_pages/suppliers.py").run()
    stop(server)
    try:
        forget_results()
        app.run()
        friendly_error(app, "is not answering")
    finally:
        server.restart()
    app.run()
    assert not app.exception and app.title[0].value == "Supplier vetting" and app.dataframe


def test_killed_connections_are_replaced(server, app):
    assert shows_data(app.run())
    admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        killed = conn.execute(
            text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = 'faults'")
        ).scalar_one()
    admin.dispose()
    assert killed >= 1  # the app's pooled connection
    forget_results()
    assert shows_data(app.run())


def test_a_runaway_statement_is_stopped_with_a_message(server, app, monkeypatch):
    """Another session holds a lock on suppliers, so the scorecard waits until statement_timeout ends it."""
    monkeypatch.setenv("TRUST_STATEMENT_TIMEOUT_S", "1")
    locker = create_engine(server.warehouse_url).connect()
    transaction = locker.begin()
    locker.execute(text("LOCK TABLE suppliers IN ACCESS EXCLUSIVE MODE"))
    try:
        app.run()  # it returns only once the statement is stopped (bench/bench_timeouts.py times it)
        friendly_error(app, "ran longer than 1 s and was stopped")
    finally:
        transaction.rollback()
        locker.close()
    assert shows_data(app.run())


def test_postgresql_statement_timeout_through_the_guard(server, monkeypatch):
    monkeypatch.setenv("TRUST_STATEMENT_TIMEOUT_S", "0.3")
    from warehouse.connection import warehouse_engine

    engine = warehouse_engine(server.warehouse_url)
    with pytest.raises(guard.QueryTimeout, match="0.3 s"), guard.connection(engine, server.warehouse_url) as conn:
        conn.execute(text("SELECT pg_sleep(5)"))
    with guard.connection(engine, server.warehouse_url) as conn:  # the pool is still usable
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
    engine.dispose()


def test_duckdb_runaway_query_is_interrupted(tmp_path, monkeypatch):
    from warehouse.connection import warehouse_engine

    url = build_warehouse(tmp_path / "w.duckdb", lab_tables())
    engine = warehouse_engine(url)
    monkeypatch.setenv("TRUST_STATEMENT_TIMEOUT_S", "0.5")
    # 10^11 rows would take hours: the QueryTimeout is the interrupt (bench/bench_timeouts.py times it).
    with pytest.raises(guard.QueryTimeout), guard.connection(engine, url) as conn:
        conn.execute(text("SELECT sum(hash(i)) FROM range(100000000000) t(i)")).scalar_one()
    with guard.connection(engine, url) as conn:  # the interrupt does not stick to the pooled connection
        assert conn.execute(text("SELECT count(*) FROM suppliers")).scalar_one() == 11
    assert threading.active_count() < 50
    engine.dispose()


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_a_bad_statement_timeout_setting_is_named(monkeypatch, value):
    monkeypatch.setenv("TRUST_STATEMENT_TIMEOUT_S", value)
    with pytest.raises(WarehouseError, match="TRUST_STATEMENT_TIMEOUT_S"):
        guard.statement_timeout_s()
