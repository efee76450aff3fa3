"""Shared set-up for AppTest: a DuckDB file warehouse from hand-written rows, and app.py on every run."""

import functools
from pathlib import Path

import streamlit as st
from sqlalchemy import create_engine
from streamlit.components.v2 import manifest_scanner
from streamlit.testing.v1 import AppTest

from data.bulk import bulk_insert
from data.ddl import create_schema
from tests.warehouse import rows_to_frames

APP = str(Path(__file__).resolve().parent.parent / "app.py")

# Each new AppTest scans every installed distribution for Streamlit components (half a second of reading
# package metadata) before its first run; the installed packages do not change during a test session.
manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)


def build_warehouse(path, tables) -> str:
    """Write `tables` (rows as dicts, see tests.warehouse) into a new DuckDB file; return its URL."""
    url = f"duckdb:///{path}"
    engine = create_engine(url)
    create_schema(engine)
    with engine.begin() as conn:
        for name, frame in rows_to_frames(tables).items():
            bulk_insert(conn, name, frame)
    engine.dispose()  # the app opens the file read-only: no writer may stay open
    return url


def app_test(warehouse_url: str, tmp_path, monkeypatch, timeout: float = 30) -> AppTest:
    """An AppTest of app.py on `warehouse_url` with an empty app database and empty caches."""
    monkeypatch.setenv("TRUST_WAREHOUSE_URL", warehouse_url)
    monkeypatch.setenv("TRUST_APP_DB_URL", f"sqlite:///{tmp_path / 'app.sqlite'}")
    clear_caches()
    return AppTest.from_file(APP, default_timeout=timeout)


def clear_caches() -> None:
    """Streamlit's caches outlive an AppTest run in one process: start and end each test empty."""
    st.cache_resource.clear()
    st.cache_data.clear()
