"""The sidebar's default as-of date (AppTest): the day after the data's last event, never pushed by a
far-future placeholder, with the caption and the default from the same source."""

from datetime import datetime

import pytest
import streamlit as st

from tests.apptest import app_test, build_warehouse

UNREACHABLE = "The warehouse could not be reached"


@pytest.mark.parametrize("placeholder", [datetime(9999, 12, 31, 23, 59, 59), datetime(2204, 3, 1)])
def test_a_far_future_claim_does_not_move_the_default_as_of(placeholder, tmp_path, monkeypatch):
    tables = {
        "suppliers": [
            {"supplier_id": 1, "registered_at": datetime(2023, 1, 1), "ta_enrolled_at": datetime(2023, 1, 2)}
        ],
        "orders": [
            {
                "order_id": 1,
                "supplier_id": 1,
                "placed_at": datetime(2024, 6, 5, 9),
                "ship_by": datetime(2024, 6, 9),
                "shipped_at": datetime(2024, 6, 6),
                "delivered_at": datetime(2024, 6, 8),
                "completed_at": datetime(2024, 6, 9, 12),
                "amount_usd": 100,
            }
        ],
        "claims": [
            {
                "claim_id": 1,
                "order_id": 1,
                "filed_at": datetime(2024, 6, 10),
                "reason": "late_shipment",
                "status": "rejected",
                "resolved_at": datetime(2024, 6, 14, 7, 30),
            },
            {
                "claim_id": 2,
                "order_id": 1,
                "filed_at": datetime(2024, 6, 11),
                "reason": "late_shipment",
                "status": "rejected",
                "resolved_at": placeholder,
            },
        ],
    }
    at = app_test(build_warehouse(tmp_path / "w.duckdb", tables), tmp_path, monkeypatch)
    at.run()
    st.cache_resource.clear()

    assert not at.exception, at.exception
    assert not any(UNREACHABLE in e.value for e in at.error), [e.value for e in at.error]
    # The last believable event is claim 1's resolution on 2024-06-14: the default is the day after.
    assert at.sidebar.date_input(key="as_of").value.isoformat() == "2024-06-15"
    captions = [c.value for c in at.sidebar.caption]
    assert "Latest order: 2024-06-05 09:00 UTC" in captions
    assert any(c.startswith("Data through: 2024-06-14 07:30 UTC") for c in captions), captions
    assert "Timestamps after 2025-06-05 are ignored as mistakes." in captions
