"""The Program uptake page through AppTest, on a tiny DuckDB file warehouse with hand-worked numbers.

As of 2024-07-01 (W365 = [2023-07-02, 2024-07-01), W182 = [2024-01-01, 2024-07-01)), compared with
2023-07-01 (W365 = [2022-07-01, 2023-07-01), W182 = [2022-12-31, 2023-07-01)):

| supplier | country, category | enrolled | covered deals | other facts |
|---|---|---|---|---|
| 1 A | CN Machinery | 2020-01-01 | 4 × $5,000 completed Feb 2024; 2 × $3,000 Jan 2023 | uncovered $10,000 Apr 2024 |
| 2 B | CN Apparel | 2023-09-01 | 3 × $4,000 May 2024 | claims (a), (b) |
| 3 C | VN Machinery | 2022-01-01 | 4 × $5,000 Mar 2024; 1 × $2,000 Mar 2023 | |
| 4 D | CN Machinery | never | — | uncovered $6,000 Jun 2024 |

(a) rejected, quality_on_arrival, filed 2024-05-20; (b) partially refunded $800, late_shipment, 2024-06-10.

Now: enrolled A, B, C = 3; qualified A only (B's upheld claim rate 1/3 > 0.05, C is in VN) = 1;
covered GMV 20,000 + 12,000 + 20,000 = 52,000 of all GMV 52,000 + 10,000 + 6,000 = 68,000 (76.47%);
refunds 800; loss ratio 800 / 52,000 = 1.54%.
A year earlier: enrolled A, C = 2; qualified 0 (A has 2 deals in W182); covered GMV 6,000 + 2,000 = 8,000
of all GMV 8,000 (100%); refunds 0; loss ratio 0.
"""

import json
from datetime import datetime, timedelta

import pyarrow as pa
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from policy import Policy
from store import policies as store
from tests.apptest import app_test, build_warehouse
from tests.test_ui_charts import vega_label
from warehouse.connection import warehouse_key


def _deals(supplier_id: int, count: int, amount: float, start: datetime, covered: bool = True) -> list[dict]:
    """`count` on-time completed orders placed every 3 days from `start`, each completed 5 days after placing."""
    return [
        {
            "supplier_id": supplier_id,
            "placed_at": start + timedelta(days=3 * k),
            "ship_by": start + timedelta(days=3 * k + 5),
            "shipped_at": start + timedelta(days=3 * k + 2),
            "delivered_at": start + timedelta(days=3 * k + 4),
            "completed_at": start + timedelta(days=3 * k + 5),
            "amount_usd": amount,
            "ta_covered": covered,
        }
        for k in range(count)
    ]


def uptake_tables() -> dict[str, list[dict]]:
    suppliers = [
        {"supplier_id": 1, "name": "A", "ta_enrolled_at": datetime(2020, 1, 1)},
        {"supplier_id": 2, "name": "B", "category": "Apparel", "ta_enrolled_at": datetime(2023, 9, 1)},
        {"supplier_id": 3, "name": "C", "country_code": "VN", "ta_enrolled_at": datetime(2022, 1, 1)},
        {"supplier_id": 4, "name": "D", "ta_enrolled_at": None},
    ]
    orders = [
        *_deals(1, 4, 5000, datetime(2024, 2, 1)),
        *_deals(1, 2, 3000, datetime(2023, 1, 10)),
        *_deals(1, 1, 10000, datetime(2024, 4, 1), covered=False),
        *_deals(2, 3, 4000, datetime(2024, 5, 1)),
        *_deals(3, 4, 5000, datetime(2024, 3, 1)),
        *_deals(3, 1, 2000, datetime(2023, 3, 1)),
        *_deals(4, 1, 6000, datetime(2024, 6, 1), covered=False),
    ]
    for i, row in enumerate(orders, start=1):
        row["order_id"] = i
    b_order = next(row["order_id"] for row in orders if row["supplier_id"] == 2)
    claims = [
        {"order_id": b_order, "filed_at": datetime(2024, 5, 20), "reason": "quality_on_arrival", "status": "rejected"},
        {
            "order_id": b_order,
            "filed_at": datetime(2024, 6, 10),
            "reason": "late_shipment",
            "status": "partially_refunded",
            "resolved_at": datetime(2024, 6, 20),
            "refund_usd": 800,
        },
    ]
    return {"suppliers": suppliers, "orders": orders, "claims": claims}


@pytest.fixture(scope="module")
def uptake_warehouse(tmp_path_factory):
    return build_warehouse(tmp_path_factory.mktemp("uptake") / "warehouse.duckdb", uptake_tables())


@pytest.fixture
def app(uptake_warehouse, tmp_path, monkeypatch):
    yield app_test(uptake_warehouse, tmp_path, monkeypatch)
    st.cache_resource.clear()
    st.cache_data.clear()


def open_uptake(at: AppTest) -> AppTest:
    at.query_params["as_of"] = "2024-07-01"
    at.run()
    at.switch_page("app_pages/uptake.py").run()
    assert not at.exception, at.exception
    return at


def tiles(at) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def figure(at, title: str) -> tuple[dict, list[dict]]:
    """(the Vega-Lite spec, its rows) of the chart titled `title` (Streamlit sends the rows as Arrow)."""
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        if spec["title"]["text"] == title:
            return spec, pa.ipc.open_stream(chart.proto.data.data).read_all().to_pylist()
    raise KeyError(title)


def series(rows: list[dict], name: str) -> list:
    """The values of one series of a chart's rows, in order."""
    return [row["value"] for row in rows if row["series"] == name]


def labels(axis: dict) -> list[str]:
    """The text Vega shows at each tick of an axis built by ui.charts.vega_axis."""
    return [vega_label(axis["labelExpr"], value) for value in axis["values"]]


def test_tiles_are_the_hand_worked_numbers(app):
    at = open_uptake(app)
    assert tiles(at) == {
        "Enrolled suppliers": ("3", "+1"),
        "Qualified suppliers": ("1", "+1"),
        "Covered deal value, 12 months": ("$52k", "+$44k"),
        "Covered share of deals": ("76.5%", "-23.5 pp"),
        "Refunds, 12 months": ("$800", "+$800"),
        "Loss ratio": ("1.5%", "+1.5 pp"),
    }


def test_24_monthly_points_funnel_and_breakdowns(app):
    at = open_uptake(app)
    _, suppliers = figure(at, "Enrolled and qualified suppliers")
    enrolled = [row for row in suppliers if row["series"] == "Enrolled suppliers"]
    # B is enrolled from the 2023-10-01 point on: 14 points with A and C, then 10 with all three.
    assert [row["value"] for row in enrolled] == [2] * 14 + [3] * 10
    assert enrolled[0]["month"] == "2022-08-01" and enrolled[-1]["month"] == "2024-07-01"
    _, claims = figure(at, "Claims by reason and refunds per month")
    months = [row["month"] for row in claims if row["series"] == "Refunds"]
    assert len(months) == 24 and months[0] == "2022-07-01" and months[-1] == "2024-06-01"
    assert series(claims, "Quality on arrival")[-3:] == [0, 1, 0]  # May 2024
    assert series(claims, "Late shipment")[-3:] == [0, 0, 1]  # June 2024
    assert series(claims, "Refunds")[-3:] == [0, 0, 800]
    assert [row["text"] for row in claims if row["series"] == "Refunds"][-1] == "$800.00"  # the exact tooltip
    _, gmv = figure(at, "Covered GMV per month and its share of all GMV")
    # Feb 2024: A's 4 × 5,000 (all covered); Apr 2024: A's uncovered 10,000 only; Mar 2024: C's 4 × 5,000.
    assert series(gmv, "Covered GMV")[-5:] == [20_000, 20_000, 0, 12_000, 0]
    assert series(gmv, "Share of all GMV")[-5:] == [1.0, 1.0, 0.0, 1.0, 0.0]

    _, funnel = figure(at, "From all suppliers to qualified")
    assert [row["suppliers"] for row in funnel] == [4, 3, 2, 1]
    assert [row["text"] for row in funnel] == ["4 (100.0%)", "3 (75.0%)", "2 (50.0%)", "1 (25.0%)"]

    # The tables show text in the catalogue's formats under catalogue codes (labels in the column settings).
    by_country = next(df.value for df in at.dataframe if "country_code" in df.value.columns)
    cells = by_country.set_index("country_code")[["enrolled_suppliers", "qualified_suppliers", "qualified_share"]]
    assert cells.to_dict("index") == {
        "CN": {"enrolled_suppliers": "2", "qualified_suppliers": "1", "qualified_share": "50.0%"},
        "VN": {"enrolled_suppliers": "1", "qualified_suppliers": "0", "qualified_share": "0.0%"},
    }
    rollout = next(df.value for df in at.dataframe if "market" in df.value.columns)
    assert rollout["market"].to_list() == ["CN", "Rest of the world"]
    assert rollout["value_12m_usd"].to_list() == ["$32,000", "$20,000"]
    # Only the open tab is drawn: the category breakdown appears when its tab is chosen (as a click does).
    assert not any("category" in df.value.columns for df in at.dataframe)
    at.session_state["tab"] = "By category"
    at.run()
    assert not at.exception, at.exception
    by_category = next(df.value for df in at.dataframe if "category" in df.value.columns)
    assert by_category.set_index("category")["value_12m_usd"].to_dict() == {
        "Apparel": "$12,000",
        "Machinery": "$40,000",
    }
    assert not any("market" in df.value.columns for df in at.dataframe)  # the country tab is not drawn now
    assert "Download by category (CSV)" in {b.proto.label for b in at.get("download_button")}
    at.session_state["tab"] = "By country (the rollout)"
    at.run()
    # money axes: round ticks with at most 3 significant digits; the legend below the plot
    covered, _ = figure(at, "Covered GMV per month and its share of all GMV")
    money, share = (layer["encoding"]["y"]["axis"] for layer in covered["layer"])
    assert labels(money) == ["$0", "$5k", "$10k", "$15k", "$20k"]
    assert share["format"] == ".0%" and share["values"][:3] == [0.0, 0.1, 0.2] and share["orient"] == "right"
    assert covered["encoding"]["color"]["legend"]["orient"] == "bottom"
    bars, _ = figure(at, "By country")
    assert bars["encoding"]["y"]["sort"] == ["CN", "VN"] and bars["encoding"]["y"]["axis"]["labelOverlap"] is False
    downloads = {b.proto.label for b in at.get("download_button")}
    assert "Download by country (CSV)" in downloads


def test_follows_the_sidebar_filter(app):
    at = open_uptake(app)
    at.sidebar.multiselect(key="country").set_value(["VN"]).run()
    assert not at.exception, at.exception
    got = tiles(at)
    assert got["Enrolled suppliers"] == ("1", "0")
    assert got["Qualified suppliers"] == ("0", "0")
    assert got["Covered deal value, 12 months"] == ("$20k", "+$18k")


def test_uses_the_current_policy(app):
    store.save_policy(warehouse_key(), "Open everywhere", "ana", "", Policy(open_countries=("*",)))
    store.mark_current(warehouse_key(), "Open everywhere", "ana")
    at = open_uptake(app)
    assert tiles(at)["Qualified suppliers"] == ("2", "+2")  # A and C
    assert [row["suppliers"] for row in figure(at, "From all suppliers to qualified")[1]] == [4, 3, 3, 2]


def test_empty_filter_says_what_to_do(app):
    at = open_uptake(app)
    at.sidebar.multiselect(key="category").set_value(["Apparel"])
    at.sidebar.multiselect(key="country").set_value(["VN"]).run()
    assert not at.exception, at.exception
    assert not at.metric
    assert any("widen the filters" in i.value for i in at.info)
