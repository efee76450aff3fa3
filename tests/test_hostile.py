"""Hostile input in AppTest: SQL metacharacters in the search, supplier names holding HTML and Markdown,
URL parameters of the wrong type or out of range, and policy files with wrong types, NaN, huge or negative
values. Each is refused or shown as plain text with a message; none raises.

The warehouse is the Policy lab's tiny one with two suppliers renamed to hostile text.
"""

import pytest
import streamlit as st
from sqlalchemy import create_engine, text
from streamlit.testing.v1 import AppTest

from policy import Policy, PolicyError
from tests.apptest import APP, build_warehouse
from tests.test_app_policy_lab import lab_tables

SCRIPT_NAME = '<script>window.__pwned=1</script> <img src=x onerror="window.__pwned=1"> [click](http://evil.example)'
SQL_NAME = "Robert'); DROP TABLE suppliers; --"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    tables = lab_tables()
    tables["suppliers"][8]["name"] = SCRIPT_NAME  # supplier 9
    tables["suppliers"][9]["name"] = SQL_NAME  # supplier 10
    return build_warehouse(tmp_path_factory.mktemp("hostile") / "warehouse.duckdb", tables)


@pytest.fixture
def app(warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("TRUST_WAREHOUSE_URL", warehouse)
    monkeypatch.setenv("TRUST_APP_DB_URL", f"sqlite:///{tmp_path / 'app.sqlite'}")
    monkeypatch.delenv("TRUST_DEMO_ROLE", raising=False)
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["as_of"] = "2024-07-01"
    yield at
    st.cache_resource.clear()


def suppliers_page(at):
    at.run()
    at.switch_page("app_pages/suppliers.py").run()
    assert not at.exception, at.exception
    return at


def supplier_names(at) -> list[str]:
    """Names in the search results table (the one with amount_left_usd), [] when it is not shown."""
    tables = [df.value for df in at.dataframe if "amount_left_usd" in df.value.columns]
    return tables[0]["name"].to_list() if tables else []


def suppliers_in_warehouse(url: str) -> int:
    engine = create_engine(url, connect_args={"read_only": True})
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM suppliers")).scalar_one()
    engine.dispose()
    return count


@pytest.mark.parametrize("query", ["' OR 1=1 --", "%", "%_%", ".*", "\\", "1; DROP TABLE suppliers", "\x00"])
def test_sql_and_pattern_metacharacters_search_literally_and_find_nothing(app, warehouse, query):
    at = suppliers_page(app)
    assert len(supplier_names(at)) == 11
    at.text_input(key="search").input(query).run()
    assert not at.exception, at.exception
    assert supplier_names(at) == []
    assert any(i.value.startswith("No supplier matches") for i in at.info)
    at.text_input(key="search").input("drop table").run()  # the name that holds it is found, literally
    assert supplier_names(at) == [SQL_NAME]
    assert suppliers_in_warehouse(warehouse) == 11


def test_a_hostile_name_is_plain_text_in_the_profile(app):
    at = suppliers_page(app)
    at.text_input(key="search").input("<script>").run()
    assert supplier_names(at) == [SCRIPT_NAME]
    at.number_input(key="supplier").set_value(9).run()
    assert not at.exception, at.exception
    assert SCRIPT_NAME in [t.value for t in at.text]  # st.text: never Markdown or HTML
    markdown = " ".join(m.value for m in [*at.markdown, *at.caption, *at.info, *at.warning])
    assert "<script>" not in markdown and "](http" not in markdown


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("as_of", "garbage"),
        ("as_of", "2024-02-30"),
        ("as_of", "9999-12-31"),
        ("as_of", "1999-12-31"),
        ("supplier", "-1"),
        ("supplier", "1e309"),
        ("supplier", "nan"),
        ("supplier", "99999999999999999999999"),
        ("supplier", "3.5"),
        ("country", "<script>alert(1)</script>"),
        ("country", "' OR 1=1 --"),
        ("category", "[click](http://evil.example)"),
    ],
)
def test_a_wrong_url_parameter_is_dropped_with_a_message(app, key, value):
    if key == "as_of":
        app.query_params["as_of"] = value
    else:
        app.query_params[key] = value
    at = app.run()
    assert not at.exception, at.exception
    notes = [w.value for w in at.warning if w.value.startswith("Ignored")]
    assert len(notes) == 1 and notes[0].startswith(f"Ignored {key}="), notes
    assert "<script>" not in notes[0] and "](http" not in notes[0]  # the value is echoed escaped
    assert key not in at.query_params
    assert any(m.label == "Suppliers" for m in at.metric)  # the page still shows the (unfiltered) view


def test_a_wrong_supplier_parameter_on_the_profile_page(app):
    at = suppliers_page(app)
    at.query_params["supplier"] = "1e309"
    at.run()
    assert not at.exception, at.exception
    assert any(w.value.startswith("Ignored supplier=1e309") for w in at.warning)
    assert at.number_input(key="supplier").value is None
    at.number_input(key="supplier").set_value(9).run()  # the profile still works afterwards
    assert SCRIPT_NAME in [t.value for t in at.text]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ('{"min_orders_6m": NaN}', "min_orders_6m"),
        ('{"min_on_time_rate": NaN}', "min_on_time_rate"),
        ('{"min_gmv_6m_usd": 1e309}', "min_gmv_6m_usd"),
        ('{"amount_cap_usd": 1e300}', "amount_cap_usd"),
        ('{"min_orders_6m": 99999999999999999999999999}', "min_orders_6m"),
        ('{"max_claim_rate": -1}', "max_claim_rate"),
        ('{"amount_floor_usd": -0.01}', "amount_floor_usd"),
        ('{"min_orders_6m": "3"}', "min_orders_6m"),
        ('{"min_orders_6m": true}', "min_orders_6m"),
        ('{"open_countries": ["<script>"]}', "open_countries"),
        ('{"open_countries": "CN"}', "open_countries"),
        ('{"max_claim_rate; DROP TABLE x": 0.1}', "DROP TABLE"),
        ("[1, 2]", "policy"),
    ],
)
def test_a_hostile_policy_file_is_refused_naming_the_key(body, named):
    with pytest.raises(PolicyError) as info:
        Policy.from_json(body, source="policy.json")
    assert named in str(info.value)
