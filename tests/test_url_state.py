"""Views as links: the query string read and written as data (app_pages/sections/url_state.py), then the pages.

The pure part is checked as strings; the AppTest part opens pages with a URL as a pasted link would, on the
hand-built warehouses of tests/test_app_suppliers.py (5 suppliers, as of 2024-07-01) and
tests/test_app_policy_lab.py (11 suppliers, 8 qualified under the default policy).
"""

from datetime import date

import pytest
import streamlit as st
from hypothesis import given
from hypothesis import strategies as hs

from app_pages.sections import url_state
from app_pages.sections.url_state import check_as_of, check_supplier, decode, decode_policy, encode, encode_policy
from policy import Policy
from tests.apptest import app_test, build_warehouse
from tests.test_app_policy_lab import lab_tables
from tests.test_app_suppliers import ROWS

EARLIEST, LATEST = date(2000, 1, 1), date(2026, 7, 1)  # 2026-W01-1 (= 2025-12-29) is in range
PARAMS = (
    url_state.Param("search", url_state.text(100), str, "", "expected a search."),
    url_state.Param("min_deals", url_state.whole(0, 100), str, 0, "expected 0 to 100."),
    url_state.Param("badge", url_state.choices(["qualified", "not_qualified"]), url_state.joined, [], "a badge."),
    url_state.Param("reverse", url_state.flag, url_state.lowered, False, "true or false."),
    url_state.Param("compare", url_state.ids(4), url_state.joined, [], "up to four ids."),
)


# ---- pure: the shared parameters ---------------------------------------------------------------------------


def test_one_good_as_of_and_supplier_pass():
    assert check_as_of(["2024-06-01"], EARLIEST, LATEST) is None
    assert check_as_of([], EARLIEST, LATEST) is None
    assert check_supplier(["42"]) is None and check_supplier([]) is None
    assert check_supplier([str(2**53 - 1)]) is None


@pytest.mark.parametrize(
    "given",
    [
        ["2026-W01-1"],  # an ISO week date: Python reads it, a date input does not; refused by name
        ["2024-02-30"],
        ["24-06-01"],
        ["1999-12-31"],
        ["2026-07-02"],
        ["2024-06-01", "2024-06-02"],
    ],
)
def test_a_bad_as_of_is_named(given):
    bad = check_as_of(given, EARLIEST, LATEST)
    assert bad is not None and bad.key == "as_of" and bad.given == ", ".join(given)
    assert bad.message.startswith(f"Ignored as_of={', '.join(given)} in the link: ")


@pytest.mark.parametrize("given", [["1.5"], ["999999999999999999"], ["-1"], ["1e3"], [" 4"], ["4", "5"], [""]])
def test_a_bad_supplier_is_named(given):
    bad = check_supplier(given)
    assert bad is not None and bad.key == "supplier"
    assert "whole number from 0 to 9,007,199,254,740,991" in bad.expected


def test_a_repeated_key_uses_none_and_says_so():
    bad = check_supplier(["4", "5"])
    assert bad.message == (
        "Ignored supplier=4, 5 in the link: supplier is given 2 times, so none is used; expected one supplier id, "
        "a whole number from 0 to 9,007,199,254,740,991 such as 42."
    )
    values, problems = decode({"min_deals": ["3", "4"], "search": ["beta"]}, PARAMS)
    assert values == {"search": "beta"}
    assert [p.key for p in problems] == ["min_deals"] and "given 2 times, so none is used" in problems[0].expected


def test_a_long_value_is_shortened_in_the_message():
    bad = check_supplier(["9" * 100])
    assert bad.given == "9" * 40 + "…"


# ---- pure: a page's own parameters ----------------------------------------------------------------------


def test_decode_reads_good_values_and_names_each_bad_one():
    raw = {
        "search": ["a\x00b"],
        "min_deals": ["101"],
        "badge": ["qualified,nobody"],
        "reverse": ["yes"],
        "compare": ["1,2,3,4,5"],
    }
    values, problems = decode(raw, PARAMS)
    assert values == {}
    assert [(p.key, p.given) for p in problems] == [
        ("search", "a\x00b"),
        ("min_deals", "101"),
        ("badge", "qualified,nobody"),
        ("reverse", "yes"),
        ("compare", "1,2,3,4,5"),
    ]
    good = {"search": ["Alpha"], "min_deals": ["3"], "badge": ["not_qualified,qualified"], "compare": ["3,1"]}
    assert decode(good, PARAMS) == (
        {"search": "Alpha", "min_deals": 3, "badge": ["not_qualified", "qualified"], "compare": [3, 1]},
        [],
    )
    assert decode({"compare": ["1,1"]}, PARAMS)[1][0].key == "compare"  # the same supplier twice


def test_encode_writes_only_what_differs_from_the_defaults():
    assert encode({"search": "", "min_deals": 0, "badge": [], "reverse": False, "compare": []}, PARAMS) == {}
    assert encode({"min_deals": 3, "reverse": True, "compare": [4, 2]}, PARAMS) == {
        "min_deals": "3",
        "reverse": "true",
        "compare": "4,2",
    }


@given(
    search=hs.text(alphabet=hs.characters(min_codepoint=32, max_codepoint=0x2FFF), max_size=100),
    min_deals=hs.integers(0, 100),
    badge=hs.lists(hs.sampled_from(["qualified", "not_qualified"]), unique=True),
    reverse=hs.booleans(),
    compare=hs.lists(hs.integers(0, 2**53 - 1), unique=True, max_size=4),
)
def test_what_encode_writes_decode_reads_back(search, min_deals, badge, reverse, compare):
    values = {"search": search, "min_deals": min_deals, "badge": badge, "reverse": reverse, "compare": compare}
    written = encode(values, PARAMS)
    read, problems = decode({k: [v] for k, v in written.items()}, PARAMS)
    assert problems == []
    assert {p.key: read.get(p.key, p.default) for p in PARAMS} == values


# ---- pure: a what-if as its differences from the current policy ---------------------------------------------


def test_a_policy_is_written_as_its_differences_from_the_current_one():
    current = Policy(min_orders_6m=4)
    assert encode_policy(current, current) == {}
    whatif = Policy(min_orders_6m=3, open_countries=("CN", "VN"), min_on_time_rate=0.91, min_gmv_6m_usd=10_000.5)
    assert encode_policy(whatif, current) == {
        "open_countries": "CN,VN",
        "min_orders_6m": "3",
        "min_gmv_6m_usd": "10000.5",
        "min_on_time_rate": "0.91",
    }
    assert encode_policy(Policy(open_countries=()), Policy()) == {"open_countries": ""}


@given(
    orders=hs.integers(0, 50),
    on_time=hs.integers(0, 100).map(lambda n: n / 100),
    hours=hs.integers(0, 336).map(lambda n: n / 2),
    floor=hs.integers(0, 10**6).map(lambda n: n * 5 / 100),
    countries=hs.lists(hs.sampled_from(["CN", "VN", "IN", "*"]), unique=True),
)
def test_a_written_what_if_reads_back_to_the_same_policy(orders, on_time, hours, floor, countries):
    current = Policy(min_orders_6m=4)
    whatif = Policy(
        min_orders_6m=orders,
        min_on_time_rate=on_time,
        max_median_response_hours=hours,
        amount_floor_usd=floor,
        open_countries=tuple(sorted(countries)),
    )
    written = encode_policy(whatif, current)
    assert decode_policy({k: [v] for k, v in written.items()}, current) == (whatif, [])


def test_a_bad_policy_value_is_named_by_its_key_and_the_rest_is_used():
    raw = {
        "min_orders_6m": ["4"],
        "min_on_time_rate": ["1.5"],
        "open_countries": ["cn"],
        "max_claim_rate": ["0.1", "0.2"],
        "amount_multiplier": ["lots"],
        "amount_floor_usd": ["2000000"],  # above the current cap of 1,000,000
        "unrelated": ["x"],
    }
    policy, problems = decode_policy(raw, Policy())
    assert policy == Policy(min_orders_6m=4)
    why = {p.key: p.expected for p in problems}
    assert set(why) == {"min_on_time_rate", "open_countries", "max_claim_rate", "amount_multiplier", "amount_floor_usd"}
    assert why["min_on_time_rate"] == "expected a rate between 0 and 1, got 1.5."
    assert why["amount_floor_usd"] == "the floor (2,000,000.00) must not exceed the cap (1,000,000.00)."
    assert "given 2 times, so none is used" in why["max_claim_rate"]
    # With the cap raised in the same link, the same floor is fine: keys are judged together.
    both = {"amount_floor_usd": ["2000000"], "amount_cap_usd": ["3000000"]}
    assert decode_policy(both, Policy()) == (Policy(amount_floor_usd=2e6, amount_cap_usd=3e6), [])


# ---- AppTest: links open the same view ------------------------------------------------------------------


@pytest.fixture(scope="module")
def vetting_warehouse(tmp_path_factory):
    return build_warehouse(tmp_path_factory.mktemp("url") / "tiny.duckdb", ROWS)


@pytest.fixture(scope="module")
def lab_warehouse(tmp_path_factory):
    return build_warehouse(tmp_path_factory.mktemp("url_lab") / "lab.duckdb", lab_tables())


@pytest.fixture
def open_link(vetting_warehouse, lab_warehouse, tmp_path, monkeypatch):
    """open_link(page, warehouse="vetting"|"lab", **params): a fresh session on `page` with `params` in the URL."""

    def open_page(page: str, warehouse: str = "vetting", **params):
        at = app_test(vetting_warehouse if warehouse == "vetting" else lab_warehouse, tmp_path, monkeypatch)
        for key, value in params.items():
            at.query_params[key] = value
        at.switch_page(page).run()  # the first run is on `page`, as when a link is opened
        assert not at.exception, [e.value for e in at.exception]
        assert at.title[0].value != "Trade Assurance trust" or page.endswith("overview.py")
        return at

    yield open_page
    st.cache_resource.clear()
    st.cache_data.clear()


def table_ids(at) -> list[int]:
    return [int(i) for i in next(df for df in at.dataframe if df.key == "supplier_table").value["supplier_id"]]


def warnings(at) -> list[str]:
    return [w.value.replace("\\", "") for w in at.warning if w.value.startswith("Ignored")]


def test_a_vetting_link_restores_search_filters_sort_and_compare_picks(open_link):
    at = open_link(
        "app_pages/suppliers.py",
        search="a",
        badge_filter="qualified,not_qualified",
        min_deals="1",
        sort="name",
        reverse="true",
        compare="1,3",
    )
    assert warnings(at) == []
    assert at.text_input(key="search").value == "a"
    assert at.multiselect(key="badge_filter").value == ["qualified", "not_qualified"]
    assert at.number_input(key="min_deals").value == 1
    assert at.selectbox(key="sort").value == "name" and at.toggle(key="reverse").value is True
    assert at.multiselect(key="compare").value == [1, 3]
    # Names with an "a", qualified or not (Delta is region_not_open, Epsilon not enrolled), by name Z→A.
    assert table_ids(at) == [3, 2, 1]
    assert any("3 of 5 suppliers" in c.value for c in at.caption)
    compared = next(df.value for df in at.dataframe if "metric" in df.value.columns)
    assert compared.columns.tolist() == ["metric", "Alpha Tools (#1)", "Gamma Young (#3)"]


def test_the_vetting_url_follows_the_widgets_and_keeps_only_non_defaults(open_link):
    at = open_link("app_pages/suppliers.py")
    assert {k: v for k, v in at.query_params.items() if k != "as_of"} == {}
    at.number_input(key="min_deals").set_value(3).run()
    at.selectbox(key="sort").set_value("deals_12m").run()
    at.multiselect(key="compare").set_value([3]).run()
    assert at.query_params["min_deals"] == "3"
    assert at.query_params["sort"] == "deals_12m"
    assert at.query_params["compare"] == "3"
    assert table_ids(at) == [1, 3]  # 4 and 3 covered deals
    at.number_input(key="min_deals").set_value(0).run()
    assert "min_deals" not in at.query_params


def test_bad_vetting_values_are_dropped_and_named_and_the_good_ones_used(open_link):
    at = open_link("app_pages/suppliers.py", min_deals="-1", sort="drop table", search="beta", compare="1,999")
    assert warnings(at) == [
        "Ignored min_deals=-1 in the link: expected a whole number of deals from 0 to 1,000,000,000.",
        "Ignored sort=drop table in the link: expected one of value_12m_usd, deals_12m, ta_amount_usd, "
        "amount_left_usd, open_exposure_usd, on_time_rate_6m, response_rate_30d, median_response_hours_30d, "
        "claims_12m, refunds_12m_usd, supplier_id, name.",
        "Ignored compare=1,999 in the link: no supplier has id 999.",
    ]
    assert table_ids(at) == [2]
    assert at.number_input(key="min_deals").value == 0 and at.selectbox(key="sort").value == "value_12m_usd"
    assert at.multiselect(key="compare").value == []
    assert "min_deals" not in at.query_params and "compare" not in at.query_params


@pytest.mark.parametrize("value", ["1.5", "999999999999999999", "-3"])
def test_a_bad_supplier_id_opens_no_profile_and_says_so(open_link, value):
    at = open_link("app_pages/supplier.py", supplier=value)
    assert len(warnings(at)) == 1 and warnings(at)[0].startswith(f"Ignored supplier={value} in the link: ")
    assert at.number_input(key="supplier").value is None
    assert not at.text  # no trust card: #1 is not opened for 1.5
    assert "supplier" not in at.query_params


def test_a_repeated_supplier_opens_neither(open_link):
    at = open_link("app_pages/supplier.py", supplier=["1", "2"])
    assert warnings(at)[0].startswith("Ignored supplier=1, 2 in the link: supplier is given 2 times, so none is used")
    assert at.number_input(key="supplier").value is None and not at.text


def test_an_iso_week_as_of_is_dropped_by_name_and_the_default_used(open_link):
    at = open_link("app_pages/supplier.py", as_of="2026-W01-1", supplier="1")
    assert warnings(at)[0].startswith("Ignored as_of=2026-W01-1 in the link: expected one date written YYYY-MM-DD")
    assert at.sidebar.date_input(key="as_of").value == date(2024, 7, 1)
    assert at.text[0].value == "Alpha Tools"


def test_an_old_vetting_link_with_a_supplier_opens_the_profile_page(open_link):
    at = open_link("app_pages/suppliers.py", supplier="3", as_of="2024-07-01")
    assert at.title[0].value == "Supplier profile"
    assert at.text[0].value == "Gamma Young"
    assert at.query_params["supplier"] == "3"
    back = next(link for link in at.page_link if link.proto.label == "Back to Supplier vetting")
    assert back.proto.page == "suppliers"


def test_a_what_if_link_restores_the_sliders_and_the_numbers(open_link):
    at = open_link(
        "app_pages/policy_lab.py", warehouse="lab", as_of="2024-07-01", min_orders_6m="4", open_countries="CN,VN"
    )
    assert warnings(at) == []
    assert at.slider(key="lab_min_orders_6m").value == 4
    assert at.multiselect(key="lab_open_countries").value == ["CN", "VN"]
    # 8 qualified by default; 4 deals drops Orders Co (3); VN opens Vietnam Co (4 deals of 5,000): 8 → 8,
    # Amount 72,500 − 7,500 + 10,000 = 75,000.
    tiles = {m.label: (m.value, m.delta) for m in at.metric}
    assert tiles["Qualified suppliers"] == ("8", "0")
    assert tiles["Trade Assurance Amount"] == ("$75k", "+$2,500")
    assert tiles["Gain the badge"][0] == "1" and tiles["Lose the badge"][0] == "1"


def test_the_lab_url_holds_only_the_what_ifs_differences_from_the_current_policy(open_link):
    at = open_link("app_pages/policy_lab.py", warehouse="lab", as_of="2024-07-01")
    assert not set(at.query_params) & set(url_state.POLICY_KEYS)
    at.slider(key="lab_min_on_time_rate").set_value(91.0).run()  # the slider is in percent, the URL 0..1
    at.number_input(key="lab_amount_cap_usd").set_value(9000.0).run()
    assert {k: at.query_params[k] for k in url_state.POLICY_KEYS if k in at.query_params} == {
        "min_on_time_rate": "0.91",
        "amount_cap_usd": "9000",
    }
    at.button(key="lab_reset").click().run()
    assert not set(at.query_params) & set(url_state.POLICY_KEYS)


def test_a_bad_what_if_value_is_named_and_the_rest_restored(open_link):
    at = open_link(
        "app_pages/policy_lab.py", warehouse="lab", as_of="2024-07-01", min_orders_6m="4", max_claim_rate="2"
    )
    assert warnings(at) == ["Ignored max_claim_rate=2 in the link: expected a rate between 0 and 1, got 2.0."]
    assert at.slider(key="lab_min_orders_6m").value == 4 and at.slider(key="lab_max_claim_rate").value == 5.0
    assert "max_claim_rate" not in at.query_params


# ---- access edges -------------------------------------------------------------------------------------------


def test_a_page_outside_the_role_says_so_and_names_who_may_see_it(open_link, monkeypatch):
    monkeypatch.setenv("TRUST_DEMO_ROLE", "category_manager")
    at = open_link("app_pages/suppliers.py")
    at.switch_page("app_pages/overview.py").run()
    # The URL /policy_lab is registered for every role; for this one it opens a page that explains.
    from streamlit.navigation.page import calc_hash

    at._page_hash = calc_hash("policy_lab")  # as a browser asks for /policy_lab (AppTest opens files only)
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Policy lab"
    assert at.warning[-1].value.startswith(
        "Policy lab is open to the policy owner and admin roles; your role, category manager, does not include it."
    )
    assert not at.metric and not at.slider


def test_an_invalid_demo_role_is_an_error_naming_the_allowed_roles(vetting_warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("TRUST_DEMO_ROLE", "root")
    at = app_test(vetting_warehouse, tmp_path, monkeypatch).run()
    assert not at.exception and not at.metric and not at.sidebar.date_input
    assert at.error[0].value == (
        "Access is not configured correctly — TRUST_DEMO_ROLE: unknown role 'root'; expected one of "
        "category_manager, executive, policy_owner, admin."
    )


def test_a_four_decimal_rate_in_a_link_shows_in_percent_and_goes_back_unchanged(open_link):
    # 0.9125 in the link is 91.25 % on the slider; an untouched slider writes nothing back (no drift to
    # 0.9125000000000001), and a nudge to 91.3 % writes 0.913.
    at = open_link("app_pages/policy_lab.py", warehouse="lab", as_of="2024-07-01", min_on_time_rate="0.9125")
    slider = at.slider(key="lab_min_on_time_rate")
    assert slider.value == 91.25 and slider.label == "Minimum on-time shipping"  # the value shows the unit
    assert at.query_params["min_on_time_rate"] == "0.9125"
    at.slider(key="lab_min_on_time_rate").set_value(91.3).run()
    assert at.query_params["min_on_time_rate"] == "0.913"


def test_every_rate_round_trips_between_the_policy_and_its_percent_slider():
    from app_pages.sections.lab_state import PERCENT, from_widget, to_widget

    assert set(PERCENT) == {"min_on_time_rate", "max_claim_rate", "min_response_rate"}
    for field in PERCENT:
        for k in range(10_001):  # every rate a policy file holds at 4 decimals
            rate = round(k / 10_000, 4)
            assert to_widget(field, rate) == k / 100, (field, rate)  # 0.07 shows as 7.0, not 7.000000000000001
            assert from_widget(field, to_widget(field, rate)) == rate, (field, rate)
    assert to_widget("min_on_time_rate", 0.9) == 90.0 and from_widget("min_on_time_rate", 90.0) == 0.9
    assert to_widget("min_orders_6m", 3) == 3 and from_widget("min_orders_6m", 3) == 3
