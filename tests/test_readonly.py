"""The dashboard cannot change the warehouse: its engine is read-only on DuckDB and PostgreSQL, and the
read-only login of docs/readonly_role.sql is refused every write even when it asks for a writable session.
"""

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from tests.test_app_policy_lab import build_warehouse, lab_tables
from tests.warehouse import rows_to_frames
from warehouse.connection import warehouse_engine

REPO = Path(__file__).resolve().parent.parent
ROLE_SQL = REPO / "docs" / "readonly_role.sql"
INSERT = text("INSERT INTO buyers (buyer_id, country_code) VALUES (999, 'US')")


def _buyers(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM buyers")).scalar_one()
    engine.dispose()
    return count


@pytest.fixture(scope="module")
def pg_warehouse(pg_server) -> str:
    """A PostgreSQL warehouse with the tiny Policy lab data, loaded by its owner (the superuser)."""
    from data.bulk import bulk_insert
    from data.ddl import create_schema

    url = pg_server.create_database("readonly")
    engine = create_engine(url)
    create_schema(engine)
    with engine.begin() as conn:
        for name, frame in rows_to_frames(lab_tables()).items():
            bulk_insert(conn, name, frame)
    engine.dispose()
    return url


def test_duckdb_engine_refuses_an_insert(tmp_path):
    url = build_warehouse(tmp_path / "w.duckdb", lab_tables())
    engine = warehouse_engine(url)
    with pytest.raises(DBAPIError, match="read-only"), engine.begin() as conn:
        conn.execute(INSERT)
    engine.dispose()
    assert _buyers(url) == 1


def test_postgresql_engine_refuses_an_insert(pg_warehouse):
    engine = warehouse_engine(pg_warehouse)
    with pytest.raises(DBAPIError, match="read-only transaction"), engine.begin() as conn:
        conn.execute(INSERT)
    engine.dispose()
    assert _buyers(pg_warehouse) == 1


def test_the_read_only_role_reads_and_cannot_write_even_in_a_writable_session(pg_server, pg_warehouse):
    owner = create_engine(pg_warehouse, isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        script = "\n".join(line for line in ROLE_SQL.read_text().splitlines() if not line.startswith("--"))
        for statement in filter(str.strip, script.split(";")):
            conn.execute(text(statement))
    owner.dispose()

    reader_url = pg_server.url("readonly", user="trust_reader", password="change-me")
    engine = warehouse_engine(reader_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM suppliers")).scalar_one() == 11
    engine.dispose()
    # A plain engine, the session switched to read-write: the grants still refuse every write.
    plain = create_engine(reader_url)
    for statement in (
        INSERT,
        text("UPDATE suppliers SET name = 'x'"),
        text("DELETE FROM claims"),
        text("CREATE TABLE public.sneaky (x int)"),
        text("DROP TABLE orders"),
    ):
        with pytest.raises(DBAPIError, match="permission denied|must be owner"), plain.begin() as conn:
            conn.execute(text("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE"))
            conn.execute(text("SET transaction_read_only = off"))
            conn.execute(statement)
    plain.dispose()
    assert _buyers(pg_warehouse) == 1
