"""The Policy lab reads once: each slider names its unit once, and the Trade Assurance Amount is one tile.

On the hand-worked warehouse of tests/test_app_policy_lab.py (8 qualified, Amount $72,500 at default).
"""

import pytest
import streamlit as st

from tests.apptest import app_test, build_warehouse
from tests.test_app_policy_lab import lab_tables


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    return build_warehouse(tmp_path_factory.mktemp("lab_screen") / "warehouse.duckdb", lab_tables())


@pytest.fixture
def lab(warehouse, tmp_path, monkeypatch):
    at = app_test(warehouse, tmp_path, monkeypatch)
    at.query_params["as_of"] = "2024-07-01"
    at.run()
    at.switch_page("app_pages/policy_lab.py").run()
    assert not at.exception, at.exception
    yield at
    st.cache_resource.clear()
    st.cache_data.clear()


def test_a_slider_shows_its_unit_in_its_value_only(lab):
    age = lab.slider(key="lab_min_account_age_days")
    assert age.label == "Minimum account age" and age.proto.format == "%d days"  # "180 days", not "(days)" too
    for slider in lab.slider:
        if slider.key.startswith("lab_"):
            assert "(" not in slider.label, f"{slider.label!r} names a unit its value ({slider.proto.format}) shows"
    # number boxes show a bare number: their label names the unit
    assert lab.number_input(key="lab_min_gmv_6m_usd").label.endswith("(USD)")
    assert lab.number_input(key="lab_amount_cap_usd").label.endswith("(USD)")


def test_the_trade_assurance_amount_is_one_tile(lab):
    labels = [m.label for m in lab.metric]
    assert labels.count("Trade Assurance Amount") == 1
    amount = next(m for m in lab.metric if m.label == "Trade Assurance Amount")
    assert amount.value == "$72.5k"  # 6 × 10,000 + 7,500 + 5,000
    assert labels[:6] == [
        "Qualified suppliers",
        "Gain the badge",
        "Lose the badge",
        "Trade Assurance Amount",
        "Covered exposure",
        "Expected refunds, 6 months",
    ]
