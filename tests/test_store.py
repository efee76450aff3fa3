"""The saved-policy store on a throwaway SQLite file: save, list, load, mark current, conflicts, audit."""

import itertools
import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from policy import DEFAULT_POLICY, Policy
from store import policies as store


@pytest.fixture(autouse=True)
def app_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    monkeypatch.setenv("TRUST_APP_DB_URL", url)
    yield url
    engine = store._engines.pop(url, None)
    if engine is not None:
        engine.dispose()


STRICT = Policy(min_orders_6m=5, open_countries=("CN", "VN"))
WH = "duckdb:///demo.duckdb"  # a warehouse key (warehouse.connection.warehouse_key)


def test_empty_store_falls_back_to_the_default_policy():
    assert store.current_policy(WH) == ("PRODUCT.md default", DEFAULT_POLICY)
    assert store.list_policies(WH).height == 0
    assert store.audit_log(WH).height == 0


def test_save_list_load_and_mark_current():
    saved = store.save_policy(WH, "  Strict  ", "ana", "more orders", STRICT)
    assert (saved.name, saved.version, saved.written) == ("Strict", 1, True)
    store.save_policy(WH, "Loose", "ben", "", Policy(min_orders_6m=1))

    listed = store.list_policies(WH)
    assert listed["name"].to_list() == ["Loose", "Strict"]
    assert listed["author"].to_list() == ["ben", "ana"]
    assert listed["version"].to_list() == [1, 1]
    assert listed["is_current"].to_list() == [False, False]
    assert store.load_policy(WH, "Strict") == STRICT

    store.mark_current(WH, "Strict", "ana")
    assert store.current_policy(WH) == ("Strict", STRICT)
    store.mark_current(WH, "Loose", "ben")
    assert store.current_policy(WH) == ("Loose", Policy(min_orders_6m=1))
    assert store.list_policies(WH)["is_current"].to_list() == [True, False]


def test_double_save_writes_once():
    first = store.save_policy(WH, "Strict", "ana", "n", STRICT)
    second = store.save_policy(WH, "Strict", "ana", "n", STRICT)
    assert second.written is False and second.version == first.version == 1
    assert store.audit_log(WH)["action"].to_list() == ["save"]


def test_update_needs_the_stored_version():
    store.save_policy(WH, "Strict", "ana", "v1", STRICT)
    stricter = Policy(min_orders_6m=9)
    with pytest.raises(store.PolicyConflict, match="already exists"):
        store.save_policy(WH, "Strict", "ben", "v2", stricter)  # no version: did not load it
    with pytest.raises(store.PolicyConflict, match="version 1, you edited version 7"):
        store.save_policy(WH, "Strict", "ben", "v2", stricter, expected_version=7)
    assert store.load_policy(WH, "Strict") == STRICT

    updated = store.save_policy(WH, "Strict", "ben", "v2", stricter, expected_version=1)
    assert (updated.version, updated.written) == (2, True)
    assert store.load_policy(WH, "Strict") == stricter
    # A second editor still holding version 1 is refused.
    with pytest.raises(store.PolicyConflict, match="at version 2, you edited version 1"):
        store.save_policy(WH, "Strict", "cy", "v2b", Policy(min_orders_6m=4), expected_version=1)
    assert store.policy_version(WH, "Strict") == 2


def test_audit_is_append_only_with_before_and_after():
    store.save_policy(WH, "Strict", "ana", "v1", STRICT)
    store.save_policy(WH, "Strict", "ben", "v2", Policy(min_orders_6m=9), expected_version=1)
    store.mark_current(WH, "Strict", "cy")
    store.mark_current(WH, "Strict", "cy")  # already current: nothing to write
    log = store.audit_log(WH)
    assert log["action"].to_list() == ["save", "update", "mark_current"]
    assert log["actor"].to_list() == ["ana", "ben", "cy"]
    assert log["audit_id"].to_list() == [1, 2, 3]
    save, upd, mark = (dict(zip(log.columns, row, strict=True)) for row in log.rows())
    assert save["before"] is None
    assert json.loads(save["after"])["policy"]["min_orders_6m"] == 5
    assert json.loads(upd["before"])["policy"]["min_orders_6m"] == 5
    assert json.loads(upd["before"])["version"] == 1
    assert json.loads(upd["after"])["policy"]["min_orders_6m"] == 9
    assert json.loads(upd["after"])["version"] == 2
    assert json.loads(mark["before"]) == {"current": None}
    assert json.loads(mark["after"]) == {"current": "Strict", "version": 2}

    with store.app_engine().connect() as conn:
        for statement in ("UPDATE policy_audit SET actor = 'x'", "DELETE FROM policy_audit"):
            with pytest.raises(DatabaseError, match="append-only"):
                conn.execute(text(statement))
    assert store.audit_log(WH).height == 3


@pytest.mark.parametrize(
    ("name", "author", "note", "field"),
    [
        ("   ", "ana", "", "name"),
        ("x" * 81, "ana", "", "name"),
        ("a\nb", "ana", "", "name"),
        ("ok", "", "", "author"),
        ("ok", "a" * 81, "", "author"),
        ("ok", "ana", "n" * 2001, "note"),
    ],
)
def test_invalid_values_name_the_field(name, author, note, field):
    with pytest.raises(store.PolicyStoreError) as caught:
        store.save_policy(WH, name, author, note, STRICT)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}:")
    assert store.list_policies(WH).height == 0


def test_limits_are_inclusive():
    store.save_policy(WH, "x" * 80, "a" * 80, "n" * 2000, STRICT)
    assert store.list_policies(WH)["name"].to_list() == ["x" * 80]


def test_unknown_policy():
    with pytest.raises(store.PolicyNotFound, match="No saved policy is called 'nope'"):
        store.load_policy(WH, "nope")
    with pytest.raises(store.PolicyNotFound):
        store.mark_current(WH, "nope", "ana")


def test_names_are_data_not_sql():
    name = "x'); DROP TABLE saved_policies; --"
    store.save_policy(WH, name, "ana", "", STRICT)
    assert store.load_policy(WH, name) == STRICT
    assert store.list_policies(WH)["name"].to_list() == [name]


# ------------------------------------------------------------------------------ one store per warehouse

OLIST = "duckdb:///data/olist.duckdb"


def test_each_warehouse_has_its_own_policies_current_mark_and_audit():
    store.save_policy(WH, "Strict", "ana", "demo", STRICT)
    store.save_policy(OLIST, "Strict", "ben", "olist", Policy(open_countries=("BR",)))  # same name, no conflict
    store.save_policy(OLIST, "Open BR", "ben", "", Policy(open_countries=("BR",), min_orders_6m=1))
    store.mark_current(WH, "Strict", "ana")

    store.mark_current(OLIST, "Open BR", "ben")  # marking on Olist leaves the demo warehouse's mark alone

    assert store.current_policy(WH) == ("Strict", STRICT)
    assert store.current_policy(OLIST) == ("Open BR", Policy(open_countries=("BR",), min_orders_6m=1))
    assert store.load_policy(OLIST, "Strict") == Policy(open_countries=("BR",))
    assert store.list_policies(WH)["name"].to_list() == ["Strict"]
    assert store.list_policies(OLIST)["is_current"].to_list() == [True, False]  # Open BR, Strict
    assert store.audit_log(WH)["action"].to_list() == ["save", "mark_current"]
    assert store.audit_log(OLIST)["actor"].to_list() == ["ben", "ben", "ben"]
    assert store.current_policy("postgresql+psycopg://trust@db/third") == ("PRODUCT.md default", DEFAULT_POLICY)


OLD_SCHEMA = [  # the app database as it was before policies belonged to a warehouse
    "CREATE TABLE saved_policies (policy_id INTEGER NOT NULL, name TEXT NOT NULL, author TEXT NOT NULL, "
    "note TEXT NOT NULL, body TEXT NOT NULL, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, "
    "version INTEGER NOT NULL, is_current BOOLEAN NOT NULL, PRIMARY KEY (policy_id), UNIQUE (name))",
    "CREATE UNIQUE INDEX saved_policies_one_current ON saved_policies (is_current) WHERE is_current",
    "CREATE TABLE policy_audit (audit_id INTEGER NOT NULL, policy_id INTEGER NOT NULL, action TEXT NOT NULL, "
    "actor TEXT NOT NULL, at DATETIME NOT NULL, before TEXT, after TEXT NOT NULL, PRIMARY KEY (audit_id))",
    "CREATE TRIGGER policy_audit_no_update BEFORE UPDATE ON policy_audit "
    "BEGIN SELECT RAISE(ABORT, 'policy_audit is append-only'); END",
    "INSERT INTO saved_policies VALUES (7, 'Strict', 'ana', 'old', '{\"min_orders_6m\": 5}', "
    "'2026-01-02 00:00:00.000000', '2026-01-02 00:00:00.000000', 1, 1)",
    "INSERT INTO saved_policies VALUES (9, 'Loose', 'ben', '', '{\"min_orders_6m\": 1}', "
    "'2026-01-03 00:00:00.000000', '2026-01-03 00:00:00.000000', 2, 0)",
    "INSERT INTO policy_audit VALUES (1, 7, 'save', 'ana', '2026-01-02 00:00:00.000000', NULL, '{}')",
    "INSERT INTO policy_audit VALUES (2, 7, 'mark_current', 'ana', '2026-01-02 00:00:00.000000', NULL, '{}')",
]


def _old_app_db(url: str) -> None:
    from sqlalchemy import create_engine

    old = create_engine(url)
    with old.begin() as conn:
        for statement in OLD_SCHEMA:
            conn.execute(text(statement))
    old.dispose()


def test_an_app_database_from_before_keeps_its_policies_under_the_configured_warehouse(app_db, monkeypatch):
    monkeypatch.delenv("TRUST_WAREHOUSE_URL", raising=False)
    monkeypatch.setenv("TRUST_WAREHOUSE_NAME", "demo")  # the configured warehouse's key
    _old_app_db(app_db)

    listed = store.list_policies("demo")

    assert listed["name"].to_list() == ["Loose", "Strict"]
    assert listed["policy_id"].to_list() == [9, 7]  # ids kept: the audit still points at them
    assert listed["version"].to_list() == [2, 1]
    assert store.current_policy("demo") == ("Strict", Policy(min_orders_6m=5))
    assert store.audit_log("demo")["name"].to_list() == ["Strict", "Strict"]
    assert store.list_policies(OLIST).height == 0 and store.current_policy(OLIST)[0] == "PRODUCT.md default"
    # The other warehouse may now use the same name and have its own current policy.
    olist = store.save_policy(OLIST, "Strict", "cy", "", Policy(open_countries=("BR",)))
    store.mark_current(OLIST, "Strict", "cy")
    assert store.current_policy("demo") == ("Strict", Policy(min_orders_6m=5))
    assert olist.policy_id == 10  # after the kept ids 7 and 9
    with store.app_engine().connect() as conn:  # still append-only, the delete trigger added too
        for statement in ("UPDATE policy_audit SET actor = 'x'", "DELETE FROM policy_audit"):
            with pytest.raises(DatabaseError, match="append-only"):
                conn.execute(text(statement))


# ---------------------------------------------------------------------- app-database problems named


def test_an_unreachable_app_database_is_named_as_such(monkeypatch):
    url = "postgresql+psycopg://trust:s3cret@127.0.0.1:9/appdb?connect_timeout=2"  # nothing listens on port 9
    monkeypatch.setenv("TRUST_APP_DB_URL", url)
    for call in (lambda: store.current_policy(WH), lambda: store.save_policy(WH, "x", "ana", "", STRICT)):
        with pytest.raises(store.AppDatabaseError) as caught:
            call()
        message = str(caught.value)
        assert "the app database (postgresql · appdb) is not available" in message
        assert "TRUST_APP_DB_URL" in message and "warehouse itself is fine" in message
        assert "s3cret" not in message and "127.0.0.1" not in message
    assert url not in store._engines  # not cached: the next call tries again


def test_an_app_database_file_that_cannot_be_opened_is_named(tmp_path, monkeypatch):
    (tmp_path / "afile").write_text("not a folder")
    monkeypatch.setenv("TRUST_APP_DB_URL", f"sqlite:///{tmp_path / 'afile' / 'app.sqlite'}")
    with pytest.raises(store.AppDatabaseError, match=r"the app database \(sqlite · app\.sqlite\)"):
        store.list_policies(WH)


def test_an_invalid_current_policy_falls_back_to_the_default_and_says_which_and_why():
    store.save_policy(WH, "Strict", "ana", "", STRICT)
    store.mark_current(WH, "Strict", "ana")
    with store.app_engine().begin() as conn:  # a rule of today refuses what an older version saved
        conn.execute(text("UPDATE saved_policies SET body = '{\"min_on_time_rate\": 1.5}' WHERE name = 'Strict'"))

    status = store.current_policy_status(WH)

    assert (status.name, status.policy) == ("PRODUCT.md default", DEFAULT_POLICY)
    assert "'Strict' is marked current but today's rules refuse it" in status.problem
    assert "min_on_time_rate" in status.problem
    assert store.current_policy(WH) == ("PRODUCT.md default", DEFAULT_POLICY)
    assert store.current_policy_status(OLIST).problem is None


# ------------------------------------------------------------------------------ PostgreSQL as app db


_app_dbs = itertools.count(1)


@pytest.fixture
def pg_app_db(pg_server, monkeypatch):
    url = pg_server.create_database(f"app{next(_app_dbs)}")
    monkeypatch.setenv("TRUST_APP_DB_URL", url)
    yield url
    engine = store._engines.pop(url, None)
    if engine is not None:
        engine.dispose()


def test_postgresql_audit_is_append_only_for_the_apps_own_engine(pg_app_db):
    store.save_policy(WH, "Strict", "ana", "v1", STRICT)
    store.mark_current(WH, "Strict", "ana")
    for statement in (
        "UPDATE policy_audit SET actor = 'mallory'",
        "DELETE FROM policy_audit",
        "TRUNCATE policy_audit",
    ):
        with store.app_engine().connect() as conn:  # the engine the app itself writes with
            with pytest.raises(DatabaseError, match="append-only"):
                conn.execute(text(statement))
    assert store.audit_log(WH)["actor"].to_list() == ["ana", "ana"]


def test_postgresql_keeps_policies_per_warehouse(pg_app_db):
    store.save_policy(WH, "Strict", "ana", "", STRICT)
    store.save_policy(OLIST, "Strict", "ben", "", Policy(open_countries=("BR",)))
    store.mark_current(WH, "Strict", "ana")
    store.mark_current(OLIST, "Strict", "ben")
    assert store.current_policy(WH) == ("Strict", STRICT)
    assert store.current_policy(OLIST) == ("Strict", Policy(open_countries=("BR",)))
    assert store.audit_log(OLIST)["actor"].to_list() == ["ben", "ben"]


OLD_POSTGRESQL_SCHEMA = [
    "CREATE TABLE saved_policies (policy_id SERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE, author TEXT NOT NULL, "
    "note TEXT NOT NULL, body TEXT NOT NULL, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, "
    "version INTEGER NOT NULL, is_current BOOLEAN NOT NULL)",
    "CREATE UNIQUE INDEX saved_policies_one_current ON saved_policies (is_current) WHERE is_current",
    "CREATE TABLE policy_audit (audit_id SERIAL PRIMARY KEY, policy_id INTEGER NOT NULL, action TEXT NOT NULL, "
    "actor TEXT NOT NULL, at TIMESTAMP NOT NULL, before TEXT, after TEXT NOT NULL)",
    "INSERT INTO saved_policies VALUES (7, 'Strict', 'ana', '', '{\"min_orders_6m\": 5}', now(), now(), 1, true)",
    "SELECT setval('saved_policies_policy_id_seq', 7)",
    "INSERT INTO policy_audit (policy_id, action, actor, at, after) VALUES (7, 'save', 'ana', now(), '{}')",
]


def test_postgresql_app_database_from_before_is_migrated(pg_app_db, monkeypatch):
    monkeypatch.delenv("TRUST_WAREHOUSE_URL", raising=False)
    monkeypatch.setenv("TRUST_WAREHOUSE_NAME", "demo")
    from sqlalchemy import create_engine

    old = create_engine(pg_app_db)
    with old.begin() as conn:
        for statement in OLD_POSTGRESQL_SCHEMA:
            conn.execute(text(statement))
    old.dispose()

    assert store.current_policy("demo") == ("Strict", Policy(min_orders_6m=5))
    assert store.audit_log("demo")["name"].to_list() == ["Strict"]
    assert store.save_policy(OLIST, "Strict", "ben", "", STRICT).policy_id == 8  # the ids go on after 7
    with store.app_engine().connect() as conn:
        with pytest.raises(DatabaseError, match="append-only"):
            conn.execute(text("DELETE FROM policy_audit"))
