"""The Audit page shows actions by their labels and each change in words, never raw JSON or codes."""

from datetime import datetime

from policy.policy import Policy
from store import policies as store
from tests.apptest import app_test, build_warehouse
from warehouse.connection import warehouse_key


def test_audit_rows_read_as_words(tmp_path, monkeypatch):
    url = build_warehouse(tmp_path / "w.duckdb", {"suppliers": [{"supplier_id": 1, "name": "S"}], "orders": []})
    at = app_test(url, tmp_path, monkeypatch)
    key = warehouse_key()
    store.save_policy(key, "Strict", "ana", "v1", Policy(min_orders_6m=5))
    store.save_policy(key, "Strict", "ben", "v2", Policy(min_orders_6m=9), expected_version=1)
    store.mark_current(key, "Strict", "cy")
    at.query_params["as_of"] = datetime(2024, 7, 1).date().isoformat()
    at.run()
    at.switch_page("app_pages/audit.py").run()
    assert not at.exception, at.exception
    table = next(df.value for df in at.dataframe if "change" in df.value.columns)
    assert list(table.columns) == ["audit_id", "name", "action", "actor", "at", "change"]
    assert table["action"].tolist() == ["Marked as current", "Updated", "Saved as new"]  # newest first
    assert table["change"].tolist() == [
        "Current policy: Strict (version 2); before: the contract default.",
        "Version 1 → 2: Minimum covered deals, 6 months 5 → 9; note changed.",
        "Version 1, against the contract default: Minimum covered deals, 6 months 3 → 5.",
    ]
    assert not any("{" in text for text in table["change"])
