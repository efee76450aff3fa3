"""Links to a backtest and to an uptake tab, through AppTest on the hand-counted warehouse of
tests/test_app_backtest.py (default A0 2024-01-01; with min_orders_6m = 4 the what-if holds 2 suppliers).

A link holds the backtest's settings where they differ from the defaults and bt_run=true while the results
shown are those settings' own; opened in a new session it runs that backtest once, so the numbers are the
hand counts again. A bad value is named and dropped, the rest used.
"""

from datetime import date

import pytest
import streamlit as st

from tests.apptest import app_test, build_warehouse
from tests.test_app_backtest import backtest_tables, side_by_side


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    return build_warehouse(tmp_path_factory.mktemp("url_backtest") / "warehouse.duckdb", backtest_tables())


@pytest.fixture
def open_link(warehouse, tmp_path, monkeypatch):
    def open_page(page: str, **params):
        at = app_test(warehouse, tmp_path, monkeypatch, timeout=60)
        for key, value in params.items():
            at.query_params[key] = value
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    yield open_page
    st.cache_resource.clear()
    st.cache_data.clear()


def ignored(at) -> list[str]:
    return [w.value.replace("\\", "") for w in at.warning if w.value.startswith("Ignored")]


def test_a_run_writes_its_settings_and_a_fresh_session_shows_the_same_numbers(open_link):
    lab = open_link("app_pages/policy_lab.py")
    assert "bt_run" not in lab.query_params and "bt_months" not in lab.query_params  # nothing run, all defaults
    lab.slider(key="lab_min_orders_6m").set_value(4).run()
    lab.slider(key="bt_months").set_value(3)
    lab.selectbox(key="bt_threshold").set_value("min_orders_6m")
    lab.button(key="bt_run").click().run()
    assert not lab.exception, lab.exception
    url = {key: lab.query_params[key] for key in lab.query_params}
    assert url["bt_months"] == "3" and url["bt_threshold"] == "min_orders_6m" and url["bt_run"] == "true"
    assert "bt_a0" not in url  # the default A0
    assert url["min_orders_6m"] == "4"
    numbers = side_by_side(lab)
    assert numbers["Badge holders at A0"] == ("3", "2")  # the hand counts
    assert numbers["Refunds per covered deal, holders"] == ("$88.24", "$100.00")

    reopened = open_link("app_pages/policy_lab.py", **url)
    assert reopened.slider(key="bt_months").value == 3
    assert reopened.selectbox(key="bt_threshold").value == "min_orders_6m"
    assert reopened.selectbox(key="bt_a0").value == date(2024, 1, 1)
    assert reopened.slider(key="lab_min_orders_6m").value == 4
    assert side_by_side(reopened) == numbers
    assert not ignored(reopened)


def test_settings_without_bt_run_restore_the_form_and_run_nothing(open_link):
    lab = open_link("app_pages/policy_lab.py", bt_a0="2023-12-01", bt_months="5", bt_threshold="max_claim_rate")
    assert lab.selectbox(key="bt_a0").value == date(2023, 12, 1)
    assert lab.slider(key="bt_months").value == 5
    assert lab.selectbox(key="bt_threshold").value == "max_claim_rate"
    assert any("press Run backtest" in i.value for i in lab.info)
    assert not any("measure" in df.value.columns for df in lab.dataframe)


def test_a_stale_result_takes_bt_run_out_of_the_link(open_link):
    lab = open_link("app_pages/policy_lab.py", bt_months="3", bt_run="true")
    assert lab.query_params["bt_run"] == "true" and side_by_side(lab)["Badge holders at A0"] == ("3", "3")
    lab.slider(key="bt_months").set_value(4)
    lab.button(key="bt_run").click().run()
    assert lab.query_params["bt_months"] == "4" and lab.query_params["bt_run"] == "true"
    lab.slider(key="lab_min_account_age_days").set_value(200).run()  # the what-if moved: results are stale
    lab.run()  # a full run (the what-if fragment does not redraw the backtest)
    assert any("changed since this backtest ran" in c.value for c in lab.caption)
    assert "bt_run" not in lab.query_params


def test_bad_backtest_values_are_named_and_dropped(open_link):
    lab = open_link(
        "app_pages/policy_lab.py", bt_a0="2020-01-01", bt_months="99", bt_threshold="amount_cap_usd", bt_run="yes"
    )
    shown = ignored(lab)
    assert len(shown) == 4, shown
    assert any(s.startswith("Ignored bt_a0=2020-01-01 in the link: expected the 1st of a month from") for s in shown)
    assert "Ignored bt_months=99 in the link: expected a whole number 2–24." in shown
    assert any(s.startswith("Ignored bt_threshold=amount_cap_usd in the link: expected one of") for s in shown)
    assert "Ignored bt_run=yes in the link: expected true or false." in shown
    assert lab.slider(key="bt_months").value == 12 and lab.selectbox(key="bt_a0").value == date(2024, 1, 1)
    assert not any(key.startswith("bt_") for key in lab.query_params)
    assert not any("measure" in df.value.columns for df in lab.dataframe)


def test_a_tab_the_uptake_page_has_not_is_named_and_dropped(open_link):
    uptake = open_link("app_pages/uptake.py", tab="By planet")
    assert ignored(uptake) == [
        "Ignored tab=By planet in the link: expected one of: By country (the rollout), By category."
    ]
    assert "tab" not in uptake.query_params
    assert not ignored(open_link("app_pages/uptake.py", tab="By category"))
