"""The Overview and Supplier vetting pages in AppTest, on a hand-built DuckDB file warehouse.

Five suppliers; the as-of date is 2024-07-01 (the day after the latest activity, 2024-06-30 09:00), so
W365 = [2023-07-02, 2024-07-01), W182 = [2023-12-31, 2024-07-01), W30 = [2024-06-01, 2024-07-01).

1 Alpha Tools (CN, Machinery): 4 covered deals of $3,000 completed Feb–May 2024, all shipped on time;
  one covered order of $1,000 still open; a $50,000 order NOT covered (counts nowhere); two inquiries in
  June answered in 2 h and 4 h → qualified, amount max(5,000, 0.5 × 12,000) = $6,000, left 6,000 − 1,000.
2 Beta <script>… [link](…) (CN, Electronics): 1 covered deal of $8,750, shipped 5 days late, refunded
  claim of $500; one inquiry answered after 30 h → fails min_orders (needs 2 more), min_gmv (needs
  $1,250 more), on_time (0%), claims (100%), response_rate (0%), response_time (30.0 h).
3 Gamma Young (CN, Machinery): registered 2024-01-23 (160 days before the as-of date), 3 covered
  deals of $4,000 on time, no inquiries → fails only account_age (20 days too young); at the next
  assessment (2024-08-01) it is 191 days old with the same deals in W182 → projected qualified.
4 Delta Textiles (VN): 1 covered deal of $5,000 and $2,000 open → region_not_open.
5 Epsilon Crafts (CN): never enrolled; one unanswered inquiry on 2024-06-30 09:00 → not_enrolled.

Tiles: 5 suppliers, 4 enrolled, 1 qualified, amount $6,000 → "$6k", open exposure 1,000 + 2,000 → "$3k".
"""

import json
import re
from datetime import datetime, timedelta

import pandas as pd
import pyarrow as pa
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Caption, Markdown

from tests.apptest import app_test, build_warehouse

BETA = "Beta <script>alert(1)</script> [link](http://evil.example)"
D = datetime


def _deal(order_id, supplier_id, placed, amount, *, late_days=0, covered=True):
    """A completed order: ship by placed + 10 days, shipped at placed + 5 (+ late_days), completed + 20."""
    assert late_days < 12
    return {
        "order_id": order_id,
        "supplier_id": supplier_id,
        "placed_at": placed,
        "ship_by": placed + timedelta(days=10),
        "shipped_at": placed + timedelta(days=5 + late_days),
        "delivered_at": placed + timedelta(days=17),
        "completed_at": placed + timedelta(days=20),
        "status": "completed",
        "amount_usd": amount,
        "ta_covered": covered,
    }


def _open(order_id, supplier_id, placed, amount):
    return {
        "order_id": order_id,
        "supplier_id": supplier_id,
        "placed_at": placed,
        "ship_by": placed + timedelta(days=20),
        "status": "open",
        "amount_usd": amount,
    }


ROWS = {
    "suppliers": [
        {"supplier_id": 1, "name": "Alpha Tools", "category": "Machinery"},
        {"supplier_id": 2, "name": BETA, "category": "Electronics"},
        {
            "supplier_id": 3,
            "name": "Gamma Young",
            "category": "Machinery",
            "registered_at": D(2024, 1, 23),
            "ta_enrolled_at": D(2024, 2, 1),
        },
        {"supplier_id": 4, "name": "Delta Textiles", "country_code": "VN", "category": "Textiles"},
        {"supplier_id": 5, "name": "Epsilon Crafts", "category": "Textiles", "ta_enrolled_at": None},
    ],
    "orders": [
        *(_deal(n, 1, D(2024, n + 1, 1), 3000) for n in range(1, 5)),
        _open(5, 1, D(2024, 6, 20), 1000),
        _deal(6, 2, D(2024, 2, 1), 8750, late_days=10),  # shipped 5 days after ship_by
        *(_deal(n, 3, D(2024, n - 4, 1), 4000) for n in range(7, 10)),
        _deal(10, 4, D(2024, 4, 1), 5000),
        _open(11, 4, D(2024, 6, 25), 2000),
        _deal(12, 1, D(2024, 5, 10), 50000, covered=False),
    ],
    "inquiries": [
        {"supplier_id": 1, "received_at": D(2024, 6, 5), "first_response_at": D(2024, 6, 5, 2)},
        {"supplier_id": 1, "received_at": D(2024, 6, 6), "first_response_at": D(2024, 6, 6, 4)},
        {"supplier_id": 2, "received_at": D(2024, 6, 10), "first_response_at": D(2024, 6, 11, 6)},
        {"supplier_id": 5, "received_at": D(2024, 6, 30, 9)},
    ],
    "claims": [
        {
            "order_id": 6,
            "filed_at": D(2024, 4, 1),
            "reason": "late_shipment",
            "status": "refunded",
            "resolved_at": D(2024, 4, 10),
            "refund_usd": 500,
        }
    ],
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    return build_warehouse(tmp_path_factory.mktemp("warehouse") / "tiny.duckdb", ROWS)


@pytest.fixture
def app(warehouse, tmp_path, monkeypatch):
    yield app_test(warehouse, tmp_path, monkeypatch)
    st.cache_resource.clear()
    st.cache_data.clear()


def _suppliers_page(at: AppTest, **params) -> AppTest:
    """Open the Supplier vetting page in a fresh session whose URL holds `params` (like a pasted link)."""
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page("app_pages/suppliers.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


TRENDS = ("Covered deals completed per month", "On-time shipping per month", "Median time to first reply per month")


def charts(at: AppTest) -> list[tuple[dict, list[dict]]]:
    """The profile's trend charts in page order: (Vega-Lite spec, its rows) as the browser receives them (Streamlit
    sends the rows as an Arrow table)."""
    found = []
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        if spec["title"]["text"] in TRENDS:
            found.append((spec, pa.ipc.open_stream(element.proto.data.data).read_all().to_pylist()))
    return found


def by_month(chart: tuple[dict, list[dict]], series: str, zero_is_a_value: bool = False) -> dict[str, float]:
    """{YYYY-MM: value} of one series of a chart, for the months with a value other than null (or 0, unless
    `zero_is_a_value`: a rate of 0 is a value too)."""
    _, rows = chart
    values = {r["month"][:7]: r["value"] for r in rows if r["series"] == series}
    assert len(values) == 24, "24 months, one row each"
    return {m: v for m, v in values.items() if v is not None and v == v and (v != 0 or zero_is_a_value)}


def _printf(spec: str, value) -> str:
    """What the grid draws for a number column's printf format ("$%,d", "%,.1f h": sprintf-js, where "," is
    the thousands separator), written with Python's format mini-language."""
    python = re.sub(r"%(,?)(\.\d+)?([df])", lambda m: "{:" + m[1] + (m[2] or "") + m[3] + "}", spec)
    return python.format(int(value) if spec.endswith("d") else float(value))


def _table(at: AppTest):
    """The vetting table as the grid draws it: text columns as they are, number columns in their column
    config's format, missing numbers as the table's placeholder; ids as numbers for comparisons."""
    element = next(df for df in at.dataframe if df.key == "supplier_table")
    table = element.value
    for name, setting in json.loads(element.proto.columns).items():
        kind = setting.get("type_config", {})
        spec = kind.get("format")
        if kind.get("type") == "number":
            assert spec, f"{name}: a number column without a format would be drawn as 1234.5678"
            drawn = [element.proto.placeholder if pd.isna(v) else _printf(spec, v) for v in table[name]]
            table = table.assign(**{name: drawn})
    return table.assign(supplier_id=table["supplier_id"].astype(int))


def _frame(at: AppTest, column: str):
    """The first table with `column` (AppTest gives a key only to tables that take selections)."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _flat(node) -> list:
    out = []
    for child in getattr(node, "children", {}).values():
        out.append(child)
        out.extend(_flat(child))
    return out


def _tiles(at: AppTest) -> dict[str, str]:
    """The profile's label → value pairs: a caption followed by a bold value (plain text, never cut)."""
    nodes = _flat(at.main)
    return {
        label.value: value.value.strip("*").replace("\\", "")
        for label, value in zip(nodes, nodes[1:], strict=False)
        if type(label) is Caption and type(value) is Markdown and value.value.startswith("**")
    }


def test_overview_tiles_are_the_hand_worked_numbers(app):
    at = app.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.sidebar.date_input(key="as_of").value.isoformat() == "2024-07-01"
    assert _metrics(at) == {
        "Suppliers": "5",
        "Enrolled": "4",
        "Qualified": "1",
        "Trade Assurance Amount": "$6k",
        "Open exposure": "$3k",
    }
    assert [(link.proto.page, link.proto.label) for link in at.page_link] == [
        ("suppliers", "Supplier vetting"),
        ("uptake", "Program uptake"),
        ("policy_lab", "Policy lab"),
    ]
    # The badge mix: Alpha qualified; Beta and Gamma not qualified; Delta (VN) region not open; Epsilon
    # not enrolled.
    (badge_mix,) = at.get("vega_lite_chart")  # Streamlit sends the spec's rows as an Arrow table
    rows = pa.ipc.open_stream(badge_mix.proto.data.data).read_all().to_pylist()
    assert json.loads(badge_mix.proto.spec)["title"]["text"] == "Badge mix"
    assert [(row["badge"], row["suppliers"]) for row in rows] == [
        ("Qualified", 1),
        ("Not qualified", 2),
        ("Region not open", 1),
        ("Not enrolled", 1),
    ]


def test_holders_exposure_against_their_amounts_and_the_over_amount_list(app):
    # Alpha, the one holder: exposure $1,000 against its Amount of $6,000, all of it covered, not over;
    # Delta (VN, no badge) holds the other $2,000 of open covered orders.
    at = app.run()
    captions = [c.value.replace("\\", "") for c in at.caption]
    assert (
        "Badge holders' open exposure: $1,000 against their Amounts of $6,000; the program covers $1,000 of it. "
        "0 holders are over their Amount, by $0 in all. Suppliers without the badge today have another $2,000 "
        "of open covered orders, with no Amount behind them."
    ) in captions
    at = _suppliers_page(app)
    captions = [c.value.replace("\\", "") for c in at.caption]
    assert "No badge holder in this view (1) has more open covered orders than its Amount." in captions
    assert not [w for w in at.warning if "Over the Amount" in w.value]  # Alpha is within its Amount


def test_overview_follows_the_sidebar_filters_and_the_as_of_date(app):
    at = app.run()
    at.sidebar.multiselect(key="country").set_value(["VN"]).run()
    assert _metrics(at) == {
        "Suppliers": "1",
        "Enrolled": "1",
        "Qualified": "0",
        "Trade Assurance Amount": "$0",
        "Open exposure": "$2k",
    }
    at.sidebar.multiselect(key="country").set_value([]).run()
    at.sidebar.multiselect(key="category").set_value(["Machinery"]).run()
    assert _metrics(at)["Suppliers"] == "2"
    assert _metrics(at)["Open exposure"] == "$1k"
    # On 2024-06-01 neither open order had been placed yet, and Alpha still qualifies.
    at.sidebar.multiselect(key="category").set_value([]).run()
    at.sidebar.date_input(key="as_of").set_value(datetime(2024, 6, 1).date()).run()
    assert _metrics(at)["Open exposure"] == "$0"
    assert _metrics(at)["Qualified"] == "1"


def test_the_table_lists_every_supplier_with_its_numbers(app):
    at = _suppliers_page(app)
    table = _table(at)
    # Sorted by 12-month value, ties by id: Alpha 12,000 (the uncovered $50,000 order does not count), Gamma 12,000.
    assert table["supplier_id"].tolist() == [1, 3, 2, 4, 5]
    rows = {r["supplier_id"]: r for r in table.to_dict("records")}
    assert rows[1]["badge"] == "Qualified"
    assert rows[1]["deals_12m"] == "4" and rows[1]["value_12m_usd"] == "$12,000"
    assert rows[1]["response_rate_30d"] == "100.0%" and rows[1]["median_response_hours_30d"] == "3.0 h"
    assert rows[1]["ta_amount_usd"] == "$6,000" and rows[1]["open_exposure_usd"] == "$1,000"
    assert rows[1]["amount_left_usd"] == "$5,000"
    assert rows[2]["name"] == BETA
    assert (
        rows[2]["on_time_rate_6m"] == "0.0%" and rows[2]["claims_12m"] == "1" and rows[2]["refunds_12m_usd"] == "$500"
    )
    # Not qualified: no Amount left at all ("—"), never 0 minus its $2,000 exposure (PRODUCT.md, derived figures).
    assert rows[4]["badge"] == "Region not open" and rows[4]["amount_left_usd"] == "—"
    assert rows[5]["badge"] == "Not enrolled"
    assert rows[5]["on_time_rate_6m"] == "—"  # no covered shipments due: missing, not "None"
    csv = at.get("download_button")[0]
    assert csv.proto.label == "Download this table (CSV)"


def test_search_is_plain_text_on_name_or_id(app):
    at = _suppliers_page(app)
    at.text_input(key="search").set_value("beta").run()
    assert _table(at)["supplier_id"].tolist() == [2]
    at.text_input(key="search").set_value("[link](").run()  # a regex would not match this literally
    assert _table(at)["supplier_id"].tolist() == [2]
    at.text_input(key="search").set_value("#4").run()
    assert _table(at)["supplier_id"].tolist() == [4]
    at.text_input(key="search").set_value(".*").run()
    assert not any(df.key == "supplier_table" for df in at.dataframe)
    assert "No supplier matches" in at.info[0].value
    assert "clear the search or widen the filters" in at.info[0].value


def test_badge_and_minimum_deals_filters(app):
    at = _suppliers_page(app)
    at.multiselect(key="badge_filter").set_value(["not_qualified", "qualified"]).run()
    assert sorted(_table(at)["supplier_id"].tolist()) == [1, 2, 3]
    at.number_input(key="min_deals").set_value(3).run()
    assert _table(at)["supplier_id"].tolist() == [1, 3]  # Beta has 1 deal
    at.number_input(key="min_deals").set_value(4).run()
    assert _table(at)["supplier_id"].tolist() == [1]


def test_profile_explains_every_rule_in_plain_words(app):
    at = _suppliers_page(app, supplier="2")
    texts = [t.value for t in at.text]
    assert BETA in texts  # shown as plain text, never parsed
    assert not any("<script>" in m.value for m in at.markdown)
    assert _tiles(at)["Badge"] == "Not qualified"
    assert _tiles(at)["Covered deals, 12 months"] == "1"
    assert _tiles(at)["Deal value, 12 months"] == "$8,750"
    assert _tiles(at)["Replies within 24 h"] == "0.0%"
    assert _tiles(at)["Median reply time"] == "30.0 h"
    words = _frame(at, "in_plain_words")["in_plain_words"].tolist()
    assert words == [
        "account is 1,643 days old against 180 days needed",
        "needs 2 more covered deals in 6 months",
        "needs $1,250 more covered deal value in 6 months",
        "on-time 0.0% against 90.0%",
        "upheld claims on 100.0% of covered deals against at most 5.0%",
        "replied within 24 h to 0.0% of inquiries against 70.0%",
        "median reply 30.0 h against 24 h",
    ]
    claims = _frame(at, "reason")
    assert claims["order_id"].tolist() == ["6"]
    assert claims["reason"].tolist() == ["Late shipment"]
    assert claims["status"].tolist() == ["Refunded"]
    assert claims["refund_usd"].tolist() == ["$500"]
    assert claims["resolved_at"].tolist() == ["2024-04-10"]
    assert "Download claim history (CSV)" in [b.proto.label for b in at.get("download_button")]
    # Beta's trends, by month: one covered deal of $8,750 completed 2024-02-21; its one shipment, due
    # 2024-02-11, 5 days late (on time 0 of 1); its one inquiry, in June, answered after 30 h.
    deals_value, on_time, response_time = charts(at)
    assert [spec["title"]["text"] for spec, _ in (deals_value, on_time, response_time)] == list(TRENDS)
    assert by_month(deals_value, "Covered deal value") == {"2024-02": 8750}
    assert by_month(deals_value, "Covered deals") == {"2024-02": 1}
    assert by_month(on_time, "On-time rate", zero_is_a_value=True) == {"2024-02": 0}
    assert by_month(response_time, "Median reply") == {"2024-06": 30}


def test_profile_projects_the_next_assessment(app):
    at = _suppliers_page(app, supplier="3")
    assert [t.value for t in at.text][0] == "Gamma Young"
    table = _frame(at, "in_plain_words")
    assert table["result"].tolist() == ["fails"] + ["passes"] * 6
    words = table["in_plain_words"].tolist()
    assert words[0] == "account is 20 days too young"
    assert words[5:] == ["no inquiries to answer: passes", "no answered inquiries in 30 days: passes"]
    assert _tiles(at)["Badge"] == "Not qualified"
    # The next assessment (2024-08-01) is after the data's end T = 2024-07-01: the scorecard at T, with the
    # account's age counted at 2024-08-01 (191 days), labelled with the last day of data.
    # Shown once, among the badge tiles: the tile says the badge, its caption when and on which data.
    assert [m.value for m in at.metric if m.label.startswith("Projected badge")] == ["Qualified"]
    when = "At the 2024-08-01 assessment, if assessed on the data through 2024-06-30"
    assert any(c.value.replace("\\", "").startswith(when) for c in at.caption)
    assert any(info.value.startswith("No claims were filed") for info in at.info)


def test_a_copied_url_reopens_the_profile_at_its_as_of_date(app):
    # The browser writes widget values into the URL (tests/browser checks that); here the URL is read back.
    at = _suppliers_page(app, supplier="1", as_of="2024-06-01")
    assert at.number_input(key="supplier").value == 1
    assert at.sidebar.date_input(key="as_of").value.isoformat() == "2024-06-01"
    assert [t.value for t in at.text][0] == "Alpha Tools"
    # On 2024-06-01 the $1,000 order was not yet placed and June's inquiries not yet received.
    assert _tiles(at)["Open exposure"] == "$0"
    assert _tiles(at)["Amount left"] == "$6,000"
    assert _tiles(at)["Median reply time"] == "—"
    # The next assessment, 2024-07-01, is inside the data (T = 2024-07-01): the projection is the badge then,
    # from known data — Alpha qualifies at 2024-07-01 (the module docstring's numbers).
    assert _metrics(at)["Projected badge"] == "Qualified"
    assert any(c.value.replace("\\", "").startswith("At the 2024-07-01 assessment ·") for c in at.caption)
    # The deals chart: one covered deal completed in each of Feb–May 2024 ($3,000 each), nothing else in 24 months.
    deals_chart, on_time = charts(at)  # no inquiry answered before 2024-06-01: a sentence, not an empty chart
    assert on_time[0]["title"]["text"] == "On-time shipping per month"
    assert "No reply times to chart: no inquiry was answered in the last 24 months." in [i.value for i in at.info]
    deals = [(r["month"], r["value"]) for r in deals_chart[1] if r["series"] == "Covered deals"]
    assert len(deals) == 24 and deals[-1][0] == "2024-05-01"
    assert [v for _, v in deals[-4:]] == [1, 1, 1, 1] and sum(v for _, v in deals) == 4
    assert by_month(deals_chart, "Covered deal value") == dict.fromkeys(
        ("2024-02", "2024-03", "2024-04", "2024-05"), 3000
    )
    at.switch_page("app_pages/supplier.py")  # AppTest reruns the page it was told, not where the app went
    at.number_input(key="supplier").set_value(3).run()
    assert [t.value for t in at.text][0] == "Gamma Young"
    at.number_input(key="supplier").set_value(99).run()
    assert any(info.value.startswith("No supplier has id 99") for info in at.info)


def test_compare_up_to_four_suppliers(app):
    at = _suppliers_page(app)
    assert at.multiselect(key="compare").proto.max_selections == 4
    at.multiselect(key="compare").set_value([1, 2]).run()
    table = _frame(at, "metric")
    assert table.columns.tolist() == ["metric", "Alpha Tools (#1)", f"{BETA} (#2)"]
    rows = {r["metric"]: (r["Alpha Tools (#1)"], r[f"{BETA} (#2)"]) for r in table.to_dict("records")}
    assert rows["Badge"] == ("Qualified", "Not qualified")
    assert rows["Covered deals, 12 months"] == ("4", "1")
    assert rows["Trade Assurance Amount"] == ("$6,000", "$0")
    assert rows["Refunds, 12 months"] == ("$0", "$500")
    assert "Download comparison (CSV)" in [b.proto.label for b in at.get("download_button")]
