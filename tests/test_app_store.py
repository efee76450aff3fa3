"""The app database seen from the dashboard (AppTest): policies per warehouse, an invalid current policy,
an app database that is down — each named as what it is."""

import pytest
import streamlit as st
from sqlalchemy import text

from policy import Policy
from store import policies as store
from tests.apptest import app_test, build_warehouse
from tests.test_app_policy_lab import lab_tables
from warehouse.connection import warehouse_key

UNREACHABLE = "The warehouse could not be reached"


@pytest.fixture(scope="module")
def two_warehouses(tmp_path_factory):
    folder = tmp_path_factory.mktemp("two")
    return (
        build_warehouse(folder / "demo.duckdb", lab_tables()),
        build_warehouse(folder / "olist.duckdb", lab_tables()),
    )


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    monkeypatch.delenv("TRUST_WAREHOUSE_NAME", raising=False)
    monkeypatch.delenv("TRUST_DEMO_ROLE", raising=False)
    yield
    for engine in store._engines.values():
        engine.dispose()
    store._engines.clear()
    st.cache_resource.clear()


def _open(url, tmp_path, monkeypatch, page="app_pages/policy_lab.py"):
    at = app_test(url, tmp_path, monkeypatch)  # the same tmp_path: one app database for both warehouses
    at.query_params["as_of"] = "2024-07-01"
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _policy_caption(at) -> str:
    return next(c.value for c in at.sidebar.caption if c.value.startswith("Policy:"))


def test_marking_current_on_one_warehouse_leaves_the_other_alone(two_warehouses, tmp_path, monkeypatch):
    demo, olist = two_warehouses
    lab = _open(demo, tmp_path, monkeypatch)
    lab.slider(key="lab_min_orders_6m").set_value(5).run()
    lab.text_input(key="lab_save_name").input("Strict")
    lab.text_input(key="lab_save_author").input("ana")
    lab.button(key="FormSubmitter:lab_save_form-Save policy").click().run()
    lab.text_input(key="lab_actor").input("ana")
    lab.button(key="lab_mark_current").click().run()
    assert not lab.exception, lab.exception
    assert _policy_caption(lab) == "Policy: Strict"

    other = _open(olist, tmp_path, monkeypatch)

    assert _policy_caption(other) == "Policy: PRODUCT.md default"
    assert any("No saved policies yet" in i.value for i in other.info)
    assert store.list_policies(warehouse_key(olist)).height == 0
    assert store.current_policy(warehouse_key(demo)) == ("Strict", Policy(min_orders_6m=5))
    audit = _open(olist, tmp_path, monkeypatch, "app_pages/audit.py")
    assert any("No policy has been saved yet" in i.value for i in audit.info)  # the demo's audit is not shown


def _corrupt_current(url: str) -> None:
    key = warehouse_key(url)
    store.save_policy(key, "Strict", "ana", "", Policy(min_orders_6m=5))
    store.mark_current(key, "Strict", "ana")
    with store.app_engine().begin() as conn:  # what an older version saved, today's rules refuse
        conn.execute(text("UPDATE saved_policies SET body = '{\"max_claim_rate\": -1}'"))


def test_an_invalid_current_policy_falls_back_with_a_banner_for_the_policy_owner(two_warehouses, tmp_path, monkeypatch):
    demo, _ = two_warehouses
    monkeypatch.setenv("TRUST_APP_DB_URL", f"sqlite:///{tmp_path / 'app.sqlite'}")
    _corrupt_current(demo)

    monkeypatch.setenv("TRUST_DEMO_ROLE", "policy_owner")
    owner = _open(demo, tmp_path, monkeypatch, "app_pages/overview.py")

    warnings = [w.value.replace("\\", "") for w in owner.warning]
    assert any(
        "'Strict' is marked current but today's rules refuse it" in w and "max_claim_rate" in w for w in warnings
    )
    assert _policy_caption(owner) == "Policy: PRODUCT.md default"
    assert not any(UNREACHABLE in e.value for e in owner.error)

    monkeypatch.setenv("TRUST_DEMO_ROLE", "category_manager")
    manager = _open(demo, tmp_path, monkeypatch, "app_pages/overview.py")
    assert not any("refuse it" in w.value for w in manager.warning)  # not theirs to fix
    assert _policy_caption(manager) == "Policy: PRODUCT.md default"


def test_an_unreachable_app_database_is_named_not_blamed_on_the_warehouse(two_warehouses, tmp_path, monkeypatch):
    demo, _ = two_warehouses
    at = app_test(demo, tmp_path, monkeypatch)
    monkeypatch.setenv("TRUST_APP_DB_URL", "postgresql+psycopg://trust:s3cret@127.0.0.1:9/appdb?connect_timeout=2")
    at.query_params["as_of"] = "2024-07-01"
    at.run()

    errors = [e.value for e in at.error]
    assert any("the app database (postgresql · appdb) is not available" in e for e in errors), errors
    assert not any(UNREACHABLE in e for e in errors)
    assert not any("s3cret" in e or "127.0.0.1" in e for e in errors)


def test_the_policy_owner_can_replace_an_invalid_current_policy_from_the_policy_lab(
    two_warehouses, tmp_path, monkeypatch
):
    demo, _ = two_warehouses
    monkeypatch.setenv("TRUST_APP_DB_URL", f"sqlite:///{tmp_path / 'app.sqlite'}")
    _corrupt_current(demo)
    store.save_policy(warehouse_key(demo), "Valid", "ana", "", Policy(min_orders_6m=2))

    monkeypatch.setenv("TRUST_DEMO_ROLE", "policy_owner")
    lab = _open(demo, tmp_path, monkeypatch)  # asserts no exception: the invalid policy does not break the page
    assert any("refuse it" in w.value for w in lab.warning)
    lab.selectbox(key="lab_pick").set_value("Valid")
    lab.text_input(key="lab_actor").input("ana")
    lab.button(key="lab_mark_current").click().run()

    assert not lab.exception, lab.exception
    assert _policy_caption(lab) == "Policy: Valid"
    assert not any("refuse it" in w.value for w in lab.warning)
