"""Shared fixtures: a throwaway PostgreSQL server and one seeded demo warehouse for the session, and an engine
per backend."""

import itertools
import os
import tempfile

import pytest
from hypothesis.internal.conjecture import providers as hypothesis_providers
from hypothesis.internal.constants_ast import Constants
from sqlalchemy import create_engine

from data.generate import generate
from devtools.pgserver import PgServer
from tests.warehouse import duckdb_memory_engine

_db_numbers = itertools.count(1)
DEMO_SUPPLIERS = 300  # enough for every page and table to have content; generated in about a second

# The serving layer's snapshots of every test's warehouses go to a throwaway folder, never into data/, and so
# does the app database of a test that names none: one of each per test process (pytest -n runs several).
os.environ.setdefault("TRUST_SERVING_DIR", tempfile.mkdtemp(prefix="trust-serving-"))
os.environ.setdefault("TRUST_APP_DB_URL", f"sqlite:///{tempfile.mkdtemp(prefix='trust-appdb-')}/app.sqlite")


@pytest.fixture(autouse=True)
def same_examples_whatever_ran_before(monkeypatch):
    """Every derandomised Hypothesis test draws the same examples, whichever tests ran before it in the process.

    Hypothesis mixes into its draws "local constants" read from the source of every project module imported
    so far (and from each page script AppTest has run), so a seeded test's examples, and the branch coverage
    the differential tests assert, depended on the test order and on how pytest -n split the files: CI's
    serial run once reached min_gmv failures 4 times where a lone run reached them 18 times. The pool is
    pinned empty here (Hypothesis has no setting for it; these are its internal names, checked on 6.155) and
    its cache of allowed constants cleared, before and after each test.
    """
    monkeypatch.setattr(hypothesis_providers, "_get_local_constants", Constants)
    hypothesis_providers.CONSTANTS_CACHE.cache.clear()
    yield
    hypothesis_providers.CONSTANTS_CACHE.cache.clear()


@pytest.fixture(scope="session")
def pg_server():
    server = PgServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory) -> str:
    """The URL of a seeded demo warehouse (data.generate's defaults, DEMO_SUPPLIERS suppliers) in a DuckDB file,
    generated once per test process for every test that reads a realistic warehouse. Nothing may write to it."""
    url = f"duckdb:///{tmp_path_factory.mktemp('demo') / 'demo.duckdb'}"
    engine = create_engine(url)
    generate(engine, DEMO_SUPPLIERS)
    engine.dispose()  # readers open it read-only: no writer may stay open
    return url


@pytest.fixture(params=["duckdb", "postgresql"])
def engine(request):
    """An empty warehouse engine on each backend (no schema yet)."""
    if request.param == "duckdb":
        eng = duckdb_memory_engine()
    else:
        server = request.getfixturevalue("pg_server")
        eng = create_engine(server.create_database(f"t{next(_db_numbers)}"))
    yield eng
    eng.dispose()


def pytest_collection_modifyitems(config, items):
    """Markers for a fast loop (`pytest -m "not spark and not browser"`); the README's command runs all."""
    for item in items:
        path = str(item.fspath)
        fixtures = set(getattr(item, "fixturenames", ()))
        if "/tests/browser/" in path:
            item.add_marker(pytest.mark.browser)
        if "spark_cluster" in fixtures or "spark" in item.nodeid.lower():
            item.add_marker(pytest.mark.spark)
        if "pg_server" in fixtures or "postgresql" in item.nodeid:
            item.add_marker(pytest.mark.pg)
