"""Cases of the warehouse queries that, in mutation testing (docs/mutation.md), only a slow differential
test caught: here each on a small hand-built DuckDB warehouse, expected numbers worked by hand.
"""

from datetime import date, datetime

from queries.uptake import fetch_program_monthly
from tests.warehouse import duckdb_memory_engine, load_rows


def test_program_gmv_counts_completed_orders_only_whatever_their_timestamps():
    # gmv_usd is "every completed order, covered or not", by completed_at; covered_deals are covered deals
    # (ta_covered and status completed, PRODUCT.md). An open or cancelled order that carries a
    # completed_at in the month counts in neither (queries.facts.completed_order without the status:
    # 100 + 20 + 7 = 127 instead of 100).
    engine = duckdb_memory_engine()
    load_rows(
        engine,
        {
            "suppliers": [{"supplier_id": 1}],
            "orders": [
                {
                    "supplier_id": 1,
                    "placed_at": datetime(2026, 1, 2),
                    "completed_at": datetime(2026, 1, 15),
                    "amount_usd": "100.00",
                },
                {
                    "supplier_id": 1,
                    "placed_at": datetime(2026, 1, 2),
                    "completed_at": datetime(2026, 1, 16),
                    "amount_usd": "20.00",
                    "status": "open",
                },
                {
                    "supplier_id": 1,
                    "placed_at": datetime(2026, 1, 2),
                    "completed_at": datetime(2026, 1, 17),
                    "amount_usd": "7.00",
                    "status": "cancelled",
                    "ta_covered": False,
                },
            ],
        },
    )
    with engine.connect() as conn:
        rows = fetch_program_monthly(conn, date(2026, 1, 1), date(2026, 2, 1)).rows(named=True)
    engine.dispose()
    assert [(r["month"], r["covered_deals"], r["covered_gmv_usd"], r["gmv_usd"]) for r in rows] == [
        (date(2026, 1, 1), 1, 100.0, 100.0)
    ]
