"""The Policy lab's backtest and Supplier vetting's at-risk list through AppTest, on a hand-built DuckDB file.

The latest activity is 2024-07-10 18:00, so the default sidebar as-of date is 2024-07-11 and the default
A0 is 2024-01-01 (the latest month start with A0 + 182 days = 2024-07-01 ≤ the latest activity). The
backtest runs over 3 monthly A0s: 2023-11-01, 2023-12-01, 2024-01-01, whose 182-day windows start
2023-05-03, 2023-06-02 and 2023-07-03. Every supplier is CN, registered and enrolled 2020-01-01; a deal
ships 5 days after it is placed (ship by placed + 10, on time) and completes 20 days after it is placed.

| supplier | deals before A0 (completed) | Nov | Dec | Jan | after A0: deals / upheld / refunds |
|---|---|---|---|---|---|
| 1 Holder One | 4 × $5,000, Aug–Sep 2023 | Q | Q | Q (amount 10,000) | 10 / 1 refunded / $1,000 |
| 2 Holder Two | 4 × $5,000, Aug–Sep 2023 | Q | Q | Q (amount 10,000) | 5 / 1 partially refunded / $500 (+ 1 rejected) |
| 3 Other Three | 2 × $5,000: fails min_orders | N | N | N | 5 / 2 refunded / $2,000 |
| 4 Flip Four | $5,000 each: 2023-05-20, 08-01, 08-10, 12-10 | Q (3) | N (2) | Q (3, amount 7,500) | 2 / 0 / $0 |
| 5 Edge Co | none (its 20 deals complete in July 2024) | N | N | N | 0 / 0 / $0 |
| 6 Quiet Co | none (its 40 deals complete in July 2024) | N | N | N | 0 / 0 / $0 |

At A0 under the default policy the holders are 1, 2, 4: 17 covered deals after A0 and 2 upheld claims
(2/17 = 11.8 %), refunds $1,500 ($88.24 per deal); everyone else 5 deals, 2 upheld (40.0 %), $2,000
($400.00 per deal); the holders' share of the $3,500 refunded is 42.9 %; their amounts total $27,500 and
the refunds used 10 %, 5 % and 0 % of them (median 5.0 %, most 10.0 %).
With min_orders_6m = 4 supplier 4 no longer qualifies: holders 1, 2 with 15 deals, 2 upheld (13.3 %),
$100.00 per deal; everyone else 7 deals, 2 upheld (28.6 %), $285.71 per deal; median used 7.5 %.

Sweeping min_orders_6m over 0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20 at A0 qualifies 4, 4, 4, 3, 2, 0, … (supplier
3 qualifies up to 2; 5 and 6 have no shipments, so their on-time rate is empty and fails).

Flips over the three A0s: only supplier 4 (Q N Q): 2 without grace; with a grace period of 1 assessment
it keeps the badge in December: 0.

At the as-of date 2024-07-11 (W182 from 2024-01-11, W30 from 2024-06-11) only 5 and 6 hold the badge:
5 has 20 covered deals and 1 upheld claim (rate exactly 0.05), so 1 more upheld claim loses it; 6 has 40
deals and no inquiries, so only a first unanswered inquiry puts it at risk (the quiet group). At the next
assessment (2024-08-01) both still qualify and nobody else does: 0 projected gains, 0 losses.
"""

import json
from datetime import date, datetime, timedelta

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.apptest import app_test, build_warehouse

D = datetime


def _deal(supplier_id: int, placed: datetime, amount: float) -> dict:
    return {
        "supplier_id": supplier_id,
        "placed_at": placed,
        "ship_by": placed + timedelta(days=10),
        "shipped_at": placed + timedelta(days=5),
        "delivered_at": placed + timedelta(days=15),
        "completed_at": placed + timedelta(days=20),
        "amount_usd": amount,
    }


def _claim(order: dict, filed: datetime, status: str, refund: float) -> dict:
    return {
        "order_id": order["order_id"],
        "filed_at": filed,
        "reason": "not_as_described",
        "status": status,
        "resolved_at": filed + timedelta(days=3),
        "refund_usd": refund,
    }


def backtest_tables() -> dict[str, list[dict]]:
    august = [D(2023, 8, 1) + timedelta(days=10 * k) for k in range(4)]
    after = [D(2024, 2, 1) + timedelta(days=7 * k) for k in range(10)]
    july = D(2024, 6, 11, 6)  # + 20 days: completes on or after 2024-07-01 06:00, after the outcome window
    orders = [
        *(_deal(1, placed, 5000) for placed in august),
        *(_deal(1, placed, 2000) for placed in after),
        *(_deal(2, placed, 5000) for placed in august),
        *(_deal(2, placed, 2000) for placed in after[:5]),
        *(_deal(3, placed, 5000) for placed in august[:2]),
        *(_deal(3, placed, 2000) for placed in after[:5]),
        *(_deal(4, placed, 5000) for placed in (D(2023, 4, 30), D(2023, 7, 12), D(2023, 7, 21), D(2023, 11, 20))),
        *(_deal(4, placed, 3000) for placed in after[:2]),
        *(_deal(5, july + timedelta(hours=12 * k), 1000) for k in range(20)),
        *(_deal(6, july + timedelta(hours=5 * k), 500) for k in range(40)),
    ]
    for i, row in enumerate(orders, start=1):
        row["order_id"] = i
    by_supplier = {sid: [o for o in orders if o["supplier_id"] == sid] for sid in range(1, 7)}
    claims = [
        _claim(by_supplier[1][4], D(2024, 3, 1), "refunded", 1000),
        _claim(by_supplier[2][4], D(2024, 4, 1), "partially_refunded", 500),
        _claim(by_supplier[2][5], D(2024, 4, 2), "rejected", 0),
        _claim(by_supplier[3][2], D(2024, 3, 1), "refunded", 1000),
        _claim(by_supplier[3][3], D(2024, 3, 2), "refunded", 1000),
        _claim(by_supplier[5][0], D(2024, 7, 5), "refunded", 300),
    ]
    inquiries = [
        {
            "supplier_id": 5,
            "received_at": D(2024, 6, 20) + timedelta(hours=k),
            "first_response_at": D(2024, 6, 20, 1) + timedelta(hours=k),
        }
        for k in range(10)
    ]
    names = ("Holder One", "Holder Two", "Other Three", "Flip Four", "Edge Co", "Quiet Co")
    suppliers = [{"supplier_id": i, "name": name} for i, name in enumerate(names, start=1)]
    return {"suppliers": suppliers, "orders": orders, "claims": claims, "inquiries": inquiries}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    return build_warehouse(tmp_path_factory.mktemp("backtest") / "warehouse.duckdb", backtest_tables())


def open_page(warehouse, tmp_path, monkeypatch, page: str) -> AppTest:
    at = app_test(warehouse, tmp_path, monkeypatch, timeout=60)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert at.sidebar.date_input(key="as_of").value == date(2024, 7, 11)
    return at


@pytest.fixture
def lab(warehouse, tmp_path, monkeypatch):
    yield open_page(warehouse, tmp_path, monkeypatch, "app_pages/policy_lab.py")
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def vetting(warehouse, tmp_path, monkeypatch):
    yield open_page(warehouse, tmp_path, monkeypatch, "app_pages/suppliers.py")
    st.cache_resource.clear()
    st.cache_data.clear()


def run_backtest(at: AppTest) -> AppTest:
    at.slider(key="bt_months").set_value(3)
    at.selectbox(key="bt_threshold").set_value("min_orders_6m")
    at.button(key="bt_run").click().run()
    assert not at.exception, at.exception
    return at


def table_with_column(at: AppTest, column: str):
    return next(df.value for df in at.dataframe if column in df.value.columns)


def side_by_side(at: AppTest) -> dict[str, tuple[str, str]]:
    table = table_with_column(at, "measure")
    return {row["measure"]: (row["Current policy"], row["What-if"]) for _, row in table.iterrows()}


def chart(at: AppTest, title_start: str) -> dict:
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        if spec["layout"]["title"]["text"].startswith(title_start):
            return spec
    raise AssertionError(f"no chart titled {title_start!r}")


def test_nothing_runs_until_the_button(lab):
    assert lab.selectbox(key="bt_a0").value == date(2024, 1, 1)
    assert any("press Run backtest" in i.value for i in lab.info)
    assert not any("measure" in df.value.columns for df in lab.dataframe)


def test_backtest_of_both_policies_matches_the_hand_counts(lab):
    lab.slider(key="lab_min_orders_6m").set_value(4).run()
    got = side_by_side(run_backtest(lab))
    assert got["Badge holders at A0"] == ("3", "2")
    assert got["Everyone else at A0"] == ("3", "4")
    assert got["Covered deals after A0, holders"] == ("17", "15")
    assert got["Covered deals after A0, everyone else"] == ("5", "7")
    assert got["Upheld-claim rate per covered deal, holders"] == ("11.8%", "13.3%")
    assert got["Upheld-claim rate per covered deal, everyone else"] == ("40.0%", "28.6%")
    assert got["Refunds, holders"] == ("$1,500", "$1,500")
    assert got["Refunds, everyone else"] == ("$2,000", "$2,000")
    assert got["Refunds per covered deal, holders"] == ("$88.24", "$100.00")
    assert got["Refunds per covered deal, everyone else"] == ("$400.00", "$285.71")
    assert got["Share of all refunds on badge holders"] == ("42.9%", "42.9%")
    assert got["Holders' Trade Assurance Amount"] == ("$27,500", "$20,000")
    assert got["Amount used by refunds, median holder"] == ("5.0%", "7.5%")
    assert got["Amount used by refunds, most-used holder"] == ("10.0%", "10.0%")
    assert got["Holders whose refunds exceeded their amount"] == ("0", "0")

    # The series: one point per monthly A0 and policy on every line chart.
    claims = chart(lab, "Upheld-claim rate")
    assert [len(trace["x"]) for trace in claims["data"]] == [3, 3, 3, 3]

    # The trade-off: 11 swept values per policy, then each policy's own point.
    tradeoff = chart(lab, "Trade-off")
    curves, stars = tradeoff["data"][:2], tradeoff["data"][2:]
    assert [len(c["x"]) for c in curves] == [11, 11]
    assert curves[0]["x"] == [4, 4, 4, 3, 2, 0, 0, 0, 0, 0, 0]
    assert [s["x"] for s in stars] == [[3], [2]]
    assert [round(s["y"][0], 2) for s in stars] == [88.24, 100.0]
    assert [s["customdata"] for s in stars] == [["3"], ["4"]]  # the policies' own minimum deals, as counts
    used = chart(lab, "Trade Assurance Amount used")
    assert all("Above 100%: refunds paid exceeded" in t["hovertemplate"] for t in used["data"])
    assert any("above 100% when the refunds paid exceeded the Amount" in c.value for c in lab.caption)

    # A slider move afterwards does not recompute: the results stay, marked as stale.
    lab.slider(key="lab_min_orders_6m").set_value(3).run()
    assert side_by_side(lab)["Badge holders at A0"] == ("3", "2")
    assert any("changed since this backtest ran" in c.value for c in lab.caption)


def flips(at: AppTest) -> dict[str, tuple[str, str, str]]:
    table = table_with_column(at, "flips with grace")
    return {
        row["policy"]: (row["grace period (assessments)"], row["flips without grace"], row["flips with grace"])
        for _, row in table.iterrows()
    }


def test_the_grace_slider_changes_the_flip_counts(lab):
    hint = "Move the grace period slider"
    run_backtest(lab)
    assert flips(lab) == {"Current policy": ("0", "2", "2"), "What-if": ("0", "2", "2")}
    assert any(hint in c.value for c in lab.caption)
    lab.slider(key="lab_grace_assessments").set_value(1).run()
    run_backtest(lab)
    assert flips(lab) == {"Current policy": ("0", "2", "2"), "What-if": ("1", "2", "0")}
    # after a run with grace the hint to move the slider is gone; the caption says what grace did
    assert not any(hint in c.value for c in lab.caption)
    assert any("Current policy: 0; What-if: 1." in c.value for c in lab.caption)
    flip_chart = chart(lab, "Badge flips")
    what_if_with_grace = next(t for t in flip_chart["data"] if t["name"] == "What-if · with grace")
    assert what_if_with_grace["y"] == [0, 0, 0]


def test_at_risk_list_names_the_edge_supplier_and_keeps_the_quiet_one_apart(vetting):
    listed = table_with_column(vetting, "would_lose_badge_with")
    assert listed["name"].to_list() == ["Edge Co"]
    assert listed["would_lose_badge_with"].to_list() == ["1 more upheld claim"]
    assert listed["projected_badge"].to_list() == ["Qualified"]
    quiet = next(e for e in vetting.expander if "no inquiries in the last 30 days" in e.label)
    assert quiet.label.startswith("1 holders")
    assert quiet.dataframe[0].value["name"].to_list() == ["Quiet Co"]
    metrics = {m.label: m.value for m in vetting.metric}
    assert metrics["Badge holders"] == "2"
    assert metrics["One event from losing it"] == "2"
    assert metrics["Projected to gain it by 2024-08-01"] == "0"
    assert metrics["Projected to lose it by 2024-08-01"] == "0"
