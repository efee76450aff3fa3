"""The Policy lab page through AppTest, on a tiny DuckDB file warehouse whose numbers are worked out by hand.

As of 2024-07-01: W182 = [2024-01-01, 2024-07-01), W30 = [2024-06-01, 2024-07-01). Every supplier is a
copy of BASE (CN, registered and enrolled 2020-01-01, four on-time covered deals of $5,000 in W182, no
claims, no inquiries) except for one feature, set exactly at a default threshold. So under the default
policy 8 suppliers qualify, and moving each slider one step stricter removes exactly its edge supplier:

| supplier | differs from BASE | qualified at default | amount (0.5 × GMV, floor 5,000) |
|---|---|---|---|
| 1 base | — | yes | 10,000 |
| 2 age | registered 2024-01-03 = A − 180 days: account age 180.0 | yes | 10,000 |
| 3 orders | 3 deals of $5,000: orders_6m 3, GMV 15,000 | yes | 7,500 |
| 4 gmv | 4 deals of $2,500: GMV 10,000 | yes | 5,000 |
| 5 on_time | 10 deals of $2,000, 9 shipped on time: rate 0.90 | yes | 10,000 |
| 6 claims | 20 deals of $1,000, 1 refunded claim: rate 1/20 = 0.05 | yes | 10,000 |
| 7 resp_rate | 10 inquiries in W30, 7 answered in 2 h: rate 0.70, median 2 h | yes | 10,000 |
| 8 resp_time | 1 inquiry answered in exactly 24 h: rate 1.0, median 24 h | yes | 10,000 |
| 9 two_orders | 2 deals of $6,000: fails min_orders only | no (not_qualified) | 0 |
| 10 vietnam | country VN | no (region_not_open) | 0 |
| 11 never | ta_enrolled_at null | no (not_enrolled) | 0 |

Total Trade Assurance Amount at default: 6 × 10,000 + 7,500 + 5,000 = 72,500.
"""

from datetime import datetime, timedelta

import duckdb  # noqa: F401  (the driver must be importable for the file warehouse)
import pytest
import streamlit as st

from policy import Policy
from store import policies as store
from tests.apptest import app_test, build_warehouse
from warehouse.connection import warehouse_key

A = datetime(2024, 7, 1)
FEB = datetime(2024, 2, 1)


def _deals(supplier_id: int, count: int, amount: float, late: int = 0) -> list[dict]:
    """`count` covered deals placed from February, completed in W182; the last `late` shipped late."""
    rows = []
    for k in range(count):
        placed = FEB + timedelta(days=3 * k)
        shipped = placed + timedelta(days=6 if k >= count - late else 2)
        rows.append(
            {
                "supplier_id": supplier_id,
                "placed_at": placed,
                "ship_by": placed + timedelta(days=5),
                "shipped_at": shipped,
                "delivered_at": shipped + timedelta(days=2),
                "completed_at": shipped + timedelta(days=3),
                "amount_usd": amount,
            }
        )
    return rows


def lab_tables() -> dict[str, list[dict]]:
    suppliers = [
        {"supplier_id": 1, "name": "Base Co"},
        {
            "supplier_id": 2,
            "name": "Age Co",
            "registered_at": A - timedelta(days=180),
            "ta_enrolled_at": A - timedelta(days=180),
        },
        {"supplier_id": 3, "name": "Orders Co"},
        {"supplier_id": 4, "name": "GMV Co"},
        {"supplier_id": 5, "name": "OnTime Co"},
        {"supplier_id": 6, "name": "Claims Co"},
        {"supplier_id": 7, "name": "RespRate Co"},
        {"supplier_id": 8, "name": "RespTime Co"},
        {"supplier_id": 9, "name": "TwoOrders Co"},
        {"supplier_id": 10, "name": "Vietnam Co", "country_code": "VN", "category": "Apparel"},
        {"supplier_id": 11, "name": "Never Co", "ta_enrolled_at": None},
    ]
    orders = [
        *_deals(1, 4, 5000),
        *_deals(2, 4, 5000),
        *_deals(3, 3, 5000),
        *_deals(4, 4, 2500),
        *_deals(5, 10, 2000, late=1),
        *_deals(6, 20, 1000),
        *_deals(7, 4, 5000),
        *_deals(8, 4, 5000),
        *_deals(9, 2, 6000),
        *_deals(10, 4, 5000),
        *_deals(11, 4, 5000),
    ]
    for i, row in enumerate(orders, start=1):
        row["order_id"] = i
    claim_order = next(row["order_id"] for row in orders if row["supplier_id"] == 6)
    june = datetime(2024, 6, 5)
    inquiries = [
        *(
            {
                "supplier_id": 7,
                "received_at": june + timedelta(days=k),
                "first_response_at": june + timedelta(days=k, hours=2),
            }
            for k in range(7)
        ),
        *({"supplier_id": 7, "received_at": june + timedelta(days=k)} for k in range(7, 10)),
        {"supplier_id": 8, "received_at": june, "first_response_at": june + timedelta(hours=24)},
    ]
    claims = [
        {
            "order_id": claim_order,
            "filed_at": datetime(2024, 6, 15),
            "reason": "late_shipment",
            "status": "refunded",
            "resolved_at": datetime(2024, 6, 20),
            "refund_usd": 500,
        }
    ]
    return {"suppliers": suppliers, "orders": orders, "inquiries": inquiries, "claims": claims}


@pytest.fixture(scope="module")
def lab_warehouse(tmp_path_factory):
    return build_warehouse(tmp_path_factory.mktemp("lab") / "warehouse.duckdb", lab_tables())


@pytest.fixture
def lab(lab_warehouse, tmp_path, monkeypatch):
    """The Policy lab at as-of 2024-07-01 on the tiny warehouse, with an empty app database."""
    at = app_test(lab_warehouse, tmp_path, monkeypatch)
    at.query_params["as_of"] = "2024-07-01"
    at.run()
    at.switch_page("app_pages/policy_lab.py").run()
    assert not at.exception, at.exception
    assert at.sidebar.date_input(key="as_of").value.isoformat() == "2024-07-01"
    yield at
    st.cache_resource.clear()
    st.cache_data.clear()


def metric(at, label: str):
    return next(m for m in at.metric if m.label == label)


def open_tab(at, label: str) -> None:
    """Open the what-if tab called `label`, as a click does (only the open tab is drawn)."""
    at.session_state["lab_tab"] = label
    at.run()


def table_in_tab(at, label: str):
    """The first table of the what-if tab called `label` (opened first), as a pandas frame."""
    open_tab(at, label)
    return next(t for t in at.tabs if t.label == label).dataframe[0].value


def table_with_column(at, column: str):
    """The first table on the page that has `column` (st.dataframe keys do not reach AppTest)."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def qualified(at) -> str:
    return metric(at, "Qualified suppliers").value


def test_starts_from_the_default_policy(lab):
    assert qualified(lab) == "8"
    assert metric(lab, "Qualified suppliers").delta == "0"
    assert metric(lab, "Trade Assurance Amount").value == "$72.5k"
    assert lab.slider(key="lab_min_orders_6m").value == 3
    assert lab.multiselect(key="lab_open_countries").value == ["CN"]
    assert any("move one to see" in i.value for i in lab.info)


# One step stricter than the default: exactly the edge supplier loses the badge.
@pytest.mark.parametrize(
    ("key", "value", "loser"),
    [
        ("lab_min_account_age_days", 181, "Age Co"),
        ("lab_min_orders_6m", 4, "Orders Co"),
        ("lab_min_on_time_rate", 91.0, "OnTime Co"),  # rate sliders in percent: 91 % is the policy's 0.91
        ("lab_max_claim_rate", 4.0, "Claims Co"),
        ("lab_min_response_rate", 71.0, "RespRate Co"),
        ("lab_max_median_response_hours", 23.5, "RespTime Co"),
    ],
)
def test_each_slider_one_step_stricter_removes_its_edge_supplier(lab, key, value, loser):
    lab.slider(key=key).set_value(value).run()
    assert not lab.exception, lab.exception
    assert qualified(lab) == "7"
    assert metric(lab, "Qualified suppliers").delta == "-1"
    assert metric(lab, "Lose the badge").value == "1"
    lost = table_in_tab(lab, "Lose")
    assert lost["name"].to_list() == [loser]


def test_gmv_threshold_edge(lab):
    lab.number_input(key="lab_min_gmv_6m_usd").set_value(10_000.01).run()
    assert qualified(lab) == "7"
    assert table_in_tab(lab, "Lose")["name"].to_list() == ["GMV Co"]
    lab.number_input(key="lab_min_gmv_6m_usd").set_value(10_000.0).run()
    assert qualified(lab) == "8"


def test_loosening_and_opening_countries_gain_the_badge(lab):
    lab.slider(key="lab_min_orders_6m").set_value(2).run()
    assert qualified(lab) == "9"
    assert metric(lab, "Qualified suppliers").delta == "+1"
    assert table_in_tab(lab, "Gain")["name"].to_list() == ["TwoOrders Co"]
    # TwoOrders: 0.5 × 12,000 = 6,000 more.
    assert metric(lab, "Trade Assurance Amount").delta == "+$6,000"
    lab.multiselect(key="lab_open_countries").set_value(["*"]).run()
    assert qualified(lab) == "10"
    lab.multiselect(key="lab_open_countries").set_value(["CN", "VN"]).run()
    assert qualified(lab) == "10"
    lab.multiselect(key="lab_open_countries").set_value([]).run()
    assert qualified(lab) == "0"


@pytest.mark.parametrize(
    ("key", "value", "total", "change"),
    [
        # 6 × 12,000 + 9,000 + 6,000
        ("lab_amount_multiplier", 0.6, "$87k", "+$14,500"),
        # GMV Co 5,000 → 8,000 and Orders Co 7,500 → 8,000
        ("lab_amount_floor_usd", 8000.0, "$76k", "+$3,500"),
        # six suppliers 10,000 → 9,000
        ("lab_amount_cap_usd", 9000.0, "$66.5k", "-$6,000"),
    ],
)
def test_amount_settings_change_the_amount_not_the_count(lab, key, value, total, change):
    lab.number_input(key=key).set_value(value).run()
    assert qualified(lab) == "8"
    assert metric(lab, "Trade Assurance Amount").value == total
    assert metric(lab, "Trade Assurance Amount").delta == change


def test_an_invalid_what_if_names_the_field(lab):
    lab.number_input(key="lab_amount_floor_usd").set_value(2_000_000.0).run()
    assert not lab.exception
    assert any("amount_floor_usd" in e.value for e in lab.error)
    assert not [m for m in lab.metric if m.label == "Qualified suppliers"]


def test_rules_blocking_the_most(lab):
    blockers = table_in_tab(lab, "Rules")
    by_rule = dict(zip(blockers["rule"], blockers["only_rule_failing"], strict=True))  # counts shown as text
    assert by_rule["Covered deals, 6 months"] == "1"  # TwoOrders Co
    assert [v for v in by_rule.values() if v != "0"] == ["1"]
    assert any("alone blocks the most suppliers: **Covered deals, 6 months** (1 would" in m.value for m in lab.markdown)
    assert any("failed most often: **Covered deals, 6 months** (1 of 1 not-qualified" in m.value for m in lab.markdown)


def test_save_load_compare_and_mark_current(lab):
    assert any("No saved policies yet" in i.value for i in lab.info)
    # Save a strict what-if.
    lab.slider(key="lab_min_orders_6m").set_value(4).run()
    lab.text_input(key="lab_save_name").input("Strict")
    lab.text_input(key="lab_save_author").input("ana")
    lab.text_area(key="lab_save_note").input("four deals")
    lab.button(key="FormSubmitter:lab_save_form-Save policy").click().run()
    assert not lab.exception, lab.exception
    assert any("Saved 'Strict' \\(version 1\\)" in s.value for s in lab.success)
    # A double click writes once.
    lab.button(key="FormSubmitter:lab_save_form-Save policy").click().run()
    assert any("nothing to save" in i.value for i in lab.info)
    assert store.list_policies(warehouse_key())["version"].to_list() == [1]
    # Another name without an author is refused, naming the field.
    lab.text_input(key="lab_save_name").input("Loose")
    lab.text_input(key="lab_save_author").input("")
    lab.slider(key="lab_min_orders_6m").set_value(2)
    lab.button(key="FormSubmitter:lab_save_form-Save policy").click().run()
    assert any("author" in e.value for e in lab.error)
    lab.text_input(key="lab_save_author").input("ben")
    lab.button(key="FormSubmitter:lab_save_form-Save policy").click().run()
    assert store.list_policies(warehouse_key())["name"].to_list() == ["Loose", "Strict"]

    # Load Strict back into the sliders.
    lab.selectbox(key="lab_pick").set_value("Strict")
    lab.button(key="lab_load").click().run()
    assert lab.slider(key="lab_min_orders_6m").value == 4
    assert qualified(lab) == "7"

    # Compare Loose (A) with Strict (B): only min_orders_6m differs; 9 → 7 holders.
    lab.selectbox(key="lab_compare_a").set_value("Loose")
    lab.selectbox(key="lab_compare_b").set_value("Strict").run()
    assert "From A to B:\n• Minimum covered deals, 6 months: 2 → 4 (stricter)" in texts(lab)
    assert effect(lab)["Badge holders"] == ("9", "7", "−2")

    # Mark Strict current: the sidebar and every page use it; the sliders' baseline is now Strict.
    lab.text_input(key="lab_actor").input("cy")
    lab.selectbox(key="lab_pick").set_value("Strict")
    lab.button(key="lab_mark_current").click().run()
    assert not lab.exception, lab.exception
    assert store.current_policy(warehouse_key())[0] == "Strict"
    assert any("Policy: Strict" in c.value for c in lab.sidebar.caption), [c.value for c in lab.caption]
    assert qualified(lab) == "7" and metric(lab, "Qualified suppliers").delta == "0"
    assert store.audit_log(warehouse_key())["action"].to_list() == ["save", "save", "mark_current"]


def texts(at) -> list[str]:
    return [t.value for t in at.text]


def effect(at) -> dict[str, tuple[str, str, str]]:
    """The comparison's effect table: measure → (A, B, change)."""
    table = table_with_column(at, "measure")
    a, b = (c for c in table.columns if c not in ("measure", "change"))
    return {r["measure"]: (r[a], r[b], r["change"]) for r in table.to_dict("records")}


def test_mark_current_moves_the_sliders_and_the_tiles_show_no_spurious_loss(lab):
    store.save_policy(warehouse_key(), "Strict", "ana", "", Policy(min_orders_6m=4))
    lab.run()
    lab.slider(key="lab_min_orders_6m").set_value(2).run()  # an unrelated what-if on the sliders
    assert qualified(lab) == "9"
    lab.selectbox(key="lab_pick").set_value("Strict").run()
    lab.text_input(key="lab_actor").input("cy")
    lab.button(key="lab_mark_current").click().run()
    assert not lab.exception, lab.exception
    # The caption, the sliders and the tiles all start from Strict: 7 holders (Orders Co has 3 deals), no change.
    assert "sliders start from the current policy: Strict" in lab.caption[0].value
    assert lab.slider(key="lab_min_orders_6m").value == 4
    assert qualified(lab) == "7"
    assert metric(lab, "Qualified suppliers").delta == "0"
    assert metric(lab, "Lose the badge").value == "0" and metric(lab, "Gain the badge").value == "0"
    assert any("the sliders start from it" in s.value for s in lab.success)


def test_the_comparison_offers_the_contract_default_and_every_saved_policy(lab):
    assert any("Save a policy to compare it" in c.value for c in lab.caption)
    store.save_policy(warehouse_key(), "Strict", "ana", "", Policy(min_orders_6m=4, max_median_response_hours=23.5))
    store.save_policy(warehouse_key(), "Open", "ana", "", Policy(open_countries=("CN", "VN")))
    lab.run()
    assert lab.selectbox(key="lab_compare_a").options == ["Contract default (PRODUCT.md)", "Open", "Strict"]
    assert lab.selectbox(key="lab_compare_a").value == "PRODUCT.md default"  # the current policy
    assert lab.selectbox(key="lab_compare_b").value != lab.selectbox(key="lab_compare_a").value
    lab.selectbox(key="lab_compare_b").set_value("Strict").run()
    assert (
        "From A to B:\n"
        "• Minimum covered deals, 6 months: 3 → 4 (stricter)\n"
        "• Maximum median reply time: 24.0 h → 23.5 h (stricter)"
    ) in texts(lab)
    # Strict drops Orders Co (7,500, 3 deals) and RespTime Co (10,000, median exactly 24 h): 8 → 6 holders,
    # 72,500 → 55,000. No open orders: no covered exposure. Claims Co (a holder under both) refunded 500 in
    # 12 months: expected 500 × 182 / 365 = 249.32 → "$249" under both.
    rows = effect(lab)
    assert rows["Badge holders"] == ("8", "6", "−2")
    assert rows["Trade Assurance Amount"] == ("$72,500", "$55,000", "−$17,500")
    assert rows["Covered exposure"] == ("$0", "$0", "±$0")
    assert rows["Expected refunds, 6 months"] == ("$249", "$249", "±$0")
    # Opening VN: Vietnam Co (4 deals of 5,000: Amount 10,000) gains the badge.
    lab.selectbox(key="lab_compare_b").set_value("Open").run()
    assert "From A to B:\n• Open countries: CN → CN, VN (opens VN)" in texts(lab)
    assert effect(lab)["Trade Assurance Amount"] == ("$72,500", "$82,500", "+$10,000")
    # Picking the same policy twice says so instead of a table.
    lab.selectbox(key="lab_compare_b").set_value("PRODUCT.md default").run()
    assert any("A and B are the same policy" in c.value for c in lab.caption)


def test_import_a_policy_file_into_the_sliders_and_export_it_back(lab, tmp_path):
    from app_pages.sections.policy_io import policy_file_text

    # The README's kind of file: a few keys, a byte-order mark as Windows editors write it.
    lab.file_uploader(key="lab_import").set_value(
        ("olist.json", b'\xef\xbb\xbf{"open_countries": ["*"], "min_orders_6m": 2}', "application/json")
    ).run()
    assert not lab.exception, lab.exception
    assert any("Imported olist.json into the sliders" in s.value.replace("\\", "") for s in lab.success)
    assert lab.slider(key="lab_min_orders_6m").value == 2
    assert lab.multiselect(key="lab_open_countries").value == ["*"]
    assert lab.slider(key="lab_min_on_time_rate").value == 90.0  # left out: the contract default 0.9, in percent
    assert qualified(lab) == "10"  # 8 + TwoOrders Co + Vietnam Co
    # What the download buttons write reads back through the command line's reader to the same policy.
    imported = Policy(open_countries=("*",), min_orders_6m=2)
    path = tmp_path / "exported.json"
    path.write_text(policy_file_text(imported), encoding="utf-8")
    assert Policy.from_file(path) == imported
    labels = [b.proto.label for b in lab.get("download_button")]
    assert "Download the what-if (JSON)" in labels
    assert "Download as a policy file (JSON)" in labels


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"min_orders": 4}', "min_orders: unknown key"),
        (b'{"min_on_time_rate": 1.5}', "min_on_time_rate: expected a rate between 0 and 1, got 1.5"),
        (b'{"min_orders_6m": 4, "min_orders_6m": 5}', "min_orders_6m: given twice in the policy"),
        (b'{"amount_floor_usd": 2000000}', "amount_floor_usd: the floor (2,000,000.00) must not exceed the cap"),
        (b"\xff\xfe{}", "bad.json: the policy file is not UTF-8 text"),
        (b"{", "bad.json: not valid JSON"),
    ],
)
def test_a_refused_policy_file_names_the_key_and_leaves_the_sliders(lab, content, message):
    lab.file_uploader(key="lab_import").set_value(("bad.json", content, "application/json")).run()
    assert not lab.exception, lab.exception
    errors = [e.value.replace("\\", "") for e in lab.error]
    assert any(e.startswith("Not imported — ") and message in e for e in errors), errors
    assert lab.slider(key="lab_min_orders_6m").value == 3
    assert qualified(lab) == "8"


def test_updating_a_loaded_policy_and_a_stale_version(lab):
    lab.text_input(key="lab_save_name").input("Team")
    lab.text_input(key="lab_save_author").input("ana")
    lab.button(key="FormSubmitter:lab_save_form-Save policy").click().run()
    # Someone else updates Team behind our back (version 2) while we hold version 1.
    store.save_policy(warehouse_key(), "Team", "ben", "theirs", Policy(min_orders_6m=6), expected_version=1)
    lab.slider(key="lab_min_orders_6m").set_value(5).run()
    lab.button(key="FormSubmitter:lab_save_form-Save policy").click().run()
    assert any("version 2, you edited version 1" in e.value for e in lab.error)
    assert store.load_policy(warehouse_key(), "Team").min_orders_6m == 6
    # Loading it again takes version 2; saving then updates to version 3.
    lab.selectbox(key="lab_pick").set_value("Team")
    lab.button(key="lab_load").click().run()
    lab.slider(key="lab_min_orders_6m").set_value(5).run()
    lab.button(key="FormSubmitter:lab_save_form-Save policy").click().run()
    assert store.policy_version(warehouse_key(), "Team") == 3
    assert store.load_policy(warehouse_key(), "Team").min_orders_6m == 5


def test_marking_current_needs_who_did_it(lab):
    store.save_policy(warehouse_key(), "Team", "ana", "", Policy(min_orders_6m=4))
    lab.run()
    lab.selectbox(key="lab_pick").set_value("Team").run()
    lab.button(key="lab_mark_current").click().run()
    assert not lab.exception, lab.exception
    assert any(e.value.startswith("Not marked current — actor") for e in lab.error)
    assert store.current_policy(warehouse_key())[0] == "PRODUCT.md default"
    assert store.audit_log(warehouse_key())["action"].to_list() == ["save"]
