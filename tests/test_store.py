"""The saved-policy store on a throwaway SQLite file: save, list, load, mark current, conflicts, audit."""

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


def test_empty_store_falls_back_to_the_default_policy():
    assert store.current_policy() == ("PRODUCT.md default", DEFAULT_POLICY)
    assert store.list_policies().height == 0
    assert store.audit_log().height == 0


def test_save_list_load_and_mark_current():
    saved = store.save_policy("  Strict  ", "ana", "more orders", STRICT)
    assert (saved.name, saved.version, saved.written) == ("Strict", 1, True)
    store.save_policy("Loose", "ben", "", Policy(min_orders_6m=1))

    listed = store.list_policies()
    assert listed["name"].to_list() == ["Loose", "Strict"]
    assert listed["author"].to_list() == ["ben", "ana"]
    assert listed["version"].to_list() == [1, 1]
    assert listed["is_current"].to_list() == [False, False]
    assert store.load_policy("Strict") == STRICT

    store.mark_current("Strict", "ana")
    assert store.current_policy() == ("Strict", STRICT)
    store.mark_current("Loose", "ben")
    assert store.current_policy() == ("Loose", Policy(min_orders_6m=1))
    assert store.list_policies()["is_current"].to_list() == [True, False]


def test_double_save_writes_once():
    first = store.save_policy("Strict", "ana", "n", STRICT)
    second = store.save_policy("Strict", "ana", "n", STRICT)
    assert second.written is False and second.version == first.version == 1
    assert store.audit_log()["action"].to_list() == ["save"]


def test_update_needs_the_stored_version():
    store.save_policy("Strict", "ana", "v1", STRICT)
    stricter = Policy(min_orders_6m=9)
    with pytest.raises(store.PolicyConflict, match="already exists"):
        store.save_policy("Strict", "ben", "v2", stricter)  # no version: did not load it
    with pytest.raises(store.PolicyConflict, match="version 1, you edited version 7"):
        store.save_policy("Strict", "ben", "v2", stricter, expected_version=7)
    assert store.load_policy("Strict") == STRICT

    updated = store.save_policy("Strict", "ben", "v2", stricter, expected_version=1)
    assert (updated.version, updated.written) == (2, True)
    assert store.load_policy("Strict") == stricter
    # A second editor still holding version 1 is refused.
    with pytest.raises(store.PolicyConflict, match="at version 2, you edited version 1"):
        store.save_policy("Strict", "cy", "v2b", Policy(min_orders_6m=4), expected_version=1)
    assert store.policy_version("Strict") == 2


def test_audit_is_append_only_with_before_and_after():
    store.save_policy("Strict", "ana", "v1", STRICT)
    store.save_policy("Strict", "ben", "v2", Policy(min_orders_6m=9), expected_version=1)
    store.mark_current("Strict", "cy")
    store.mark_current("Strict", "cy")  # already current: nothing to write
    log = store.audit_log()
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
    assert store.audit_log().height == 3


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
        store.save_policy(name, author, note, STRICT)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}:")
    assert store.list_policies().height == 0


def test_limits_are_inclusive():
    store.save_policy("x" * 80, "a" * 80, "n" * 2000, STRICT)
    assert store.list_policies()["name"].to_list() == ["x" * 80]


def test_unknown_policy():
    with pytest.raises(store.PolicyNotFound, match="No saved policy is called 'nope'"):
        store.load_policy("nope")
    with pytest.raises(store.PolicyNotFound):
        store.mark_current("nope", "ana")


def test_names_are_data_not_sql():
    name = "x'); DROP TABLE saved_policies; --"
    store.save_policy(name, "ana", "", STRICT)
    assert store.load_policy(name) == STRICT
    assert store.list_policies()["name"].to_list() == [name]
