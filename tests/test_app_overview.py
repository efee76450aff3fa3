"""The Overview with no badge holder says why and links to the Policy lab (issue 11, item 7).

Warehouses built by hand; as-of 2024-07-01. Every supplier is enrolled (tests.warehouse: registered and
enrolled 2020-01-01, so account_age passes).
"""

from datetime import datetime, timedelta

import pytest

from tests.apptest import app_test, build_warehouse

D = datetime


def _deal(order_id, supplier_id, placed, amount):
    return {
        "order_id": order_id,
        "supplier_id": supplier_id,
        "placed_at": placed,
        "ship_by": placed + timedelta(days=10),
        "shipped_at": placed + timedelta(days=5),
        "delivered_at": placed + timedelta(days=17),
        "completed_at": placed + timedelta(days=20),
        "status": "completed",
        "amount_usd": amount,
        "ta_covered": True,
    }


def _open_overview(url, tmp_path, monkeypatch):
    at = app_test(url, tmp_path, monkeypatch)
    at.query_params["as_of"] = "2024-07-01"
    at.run()
    assert not at.exception, at.exception
    return at


def _tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _links(at) -> list[tuple[str, str]]:
    return [(link.proto.label, link.proto.page) for link in at.get("page_link")]


@pytest.fixture
def all_br(tmp_path):
    # Three enrolled suppliers, all in BR (like Olist), each with 4 covered deals of $3,000 on time:
    # they would qualify if BR were open, but the default policy opens CN only.
    rows = {
        "suppliers": [
            {"supplier_id": i, "name": f"Loja {i}", "country_code": "BR", "category": "Toys"} for i in (1, 2, 3)
        ],
        "orders": [_deal(10 * s + n, s, D(2024, n + 1, 1), 3000) for s in (1, 2, 3) for n in range(1, 5)],
    }
    return build_warehouse(tmp_path / "br.duckdb", rows)


def test_no_open_country_says_so_and_links_to_the_policy_lab(all_br, tmp_path, monkeypatch):
    at = _open_overview(all_br, tmp_path, monkeypatch)
    assert _tiles(at)["Qualified"] == "0"
    (info,) = [i.value for i in at.info]
    # escaped for Markdown: the words with backslashes before punctuation
    plain = info.replace("\\", "")
    assert plain == (
        "No enrolled supplier is in an open country: the policy opens CN, and the 3 enrolled suppliers here are "
        "in BR. Open their countries in the Policy lab to see who would qualify."
    )
    assert ("Open the Policy lab", "policy_lab") in _links(at)


def test_rules_no_one_passes_are_named(tmp_path, monkeypatch):
    # Two enrolled CN suppliers with one covered deal each ($3,000): both fail min_orders (1 < 3) and
    # min_gmv ($3,000 < $10,000); on_time passes (shipped early), claims pass (0 upheld / 1 = 0%).
    # Ties go in the policy's rule order: min_orders is named.
    rows = {
        "suppliers": [{"supplier_id": i, "name": f"S{i}", "category": "Toys"} for i in (1, 2)],
        "orders": [_deal(s, s, D(2024, 3, 1), 3000) for s in (1, 2)],
    }
    url = build_warehouse(tmp_path / "cn.duckdb", rows)
    at = _open_overview(url, tmp_path, monkeypatch)
    (info,) = [i.value.replace("\\", "") for i in at.info]
    assert info == (
        "All 2 enrolled suppliers in an open country (CN) fail at least one rule of the policy. "
        "The rule failed most often: Covered deals, 6 months (2 suppliers). Try other thresholds in the Policy lab."
    )


def test_holders_mean_no_hint(tmp_path, monkeypatch):
    rows = {
        "suppliers": [{"supplier_id": 1, "name": "S1", "category": "Toys"}],
        "orders": [_deal(n, 1, D(2024, n + 1, 1), 3000) for n in range(1, 5)],
    }
    at = _open_overview(build_warehouse(tmp_path / "ok.duckdb", rows), tmp_path, monkeypatch)
    assert _tiles(at)["Qualified"] == "1"
    assert _tiles(at)["Trade Assurance Amount"] == "$6k"  # max(5,000, 0.5 × 12,000)
    assert not at.info
    assert ("Open the Policy lab", "policy_lab") not in _links(at)
