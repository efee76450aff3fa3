"""The loader's checks, each problem reported whole: "The first problems are reported with file, row
(1-based, after the header) and column" (PRODUCT.md), and the message says what was expected and what was
found. Mutation testing (docs/mutation.md) showed that matching a few words let a wrong column, a wrong
comparison time or a lost second problem through; here every problem of a bad extract is listed, by hand.

Each case changes one field of tests.test_load's hand-made extract and loads it into a DuckDB warehouse
holding tests.test_load.PRELOADED (ids 1).
"""

import pytest

from data.load import LoadError, load_directory
from tests.test_load import PRELOADED, bad_extract, change
from tests.warehouse import duckdb_memory_engine, load_rows

REFUND_RULE = "(only refunded and partially_refunded claims pay out)"


def nul_in_header(headers, tables):
    """suppliers.csv's header names the column "na\\0me" (a binary file saved as .csv)."""
    headers["suppliers"][1] = "na\x00me"


def supplier_id_twice(headers, tables):
    """suppliers.csv's header names supplier_id twice and name not at all."""
    headers["suppliers"][1] = headers["suppliers"][0]


# (the change, every problem it causes, in the order reported: by file, row, column, then message)
CASES = {
    # The file is refused whole, in words, and no other problem of it is listed.
    "a NUL byte in a header": (
        nul_in_header,
        ["suppliers.csv: the header row holds a NUL byte: this is not a CSV export"],
    ),
    "a column twice in a header": (
        supplier_id_twice,
        [
            "suppliers.csv, column supplier_id: the column appears twice in the header",
            "suppliers.csv, column name: missing column: the header must name every column: supplier_id, name, "
            "country_code, category, registered_at, ta_enrolled_at",
        ],
    ),
    "shipped before placed": (
        change("orders", 1, "shipped_at", "2024-02-28 00:00:00"),
        [
            "orders.csv, row 1, column shipped_at: expected a time at or after placed_at 2024-03-01 10:00:00, "
            "found 2024-02-28 00:00:00"
        ],
    ),
    # Order 32 was delivered on 2024-03-08 without a shipped time: completed_at follows delivered_at.
    "completed before delivered, not shipped": (
        change("orders", 3, "completed_at", "2024-03-07 00:00:00"),
        [
            "orders.csv, row 3, column completed_at: expected a time at or after delivered_at 2024-03-08 00:00:00, "
            "found 2024-03-07 00:00:00"
        ],
    ),
    "ship_by before placed": (
        change("orders", 2, "ship_by", "2024-03-01 23:59:59"),
        [
            "orders.csv, row 2, column ship_by: expected a time at or after placed_at 2024-03-02 00:00:00, "
            "found 2024-03-01 23:59:59"
        ],
    ),
    "completed without a completed time": (
        change("orders", 1, "completed_at", ""),
        [
            "orders.csv, row 1, column completed_at: expected the time the order was completed "
            "(its status is completed), found an empty field"
        ],
    ),
    "amount zero": (
        change("orders", 2, "amount_usd", "0"),
        ["orders.csv, row 2, column amount_usd: expected an amount greater than 0, found 0.00"],
    ),
    "enrolled before registered": (
        change("suppliers", 1, "ta_enrolled_at", "2023-12-31 00:00:00"),
        [
            "suppliers.csv, row 1, column ta_enrolled_at: expected a time at or after registered_at "
            "2024-01-01 00:00:00, found 2023-12-31 00:00:00"
        ],
    ),
    "answered before received": (
        change("inquiries", 1, "first_response_at", "2024-03-01 08:59:59"),
        [
            "inquiries.csv, row 1, column first_response_at: expected a time at or after received_at "
            "2024-03-01 09:00:00, found 2024-03-01 08:59:59"
        ],
    ),
    # A negative refund on an open claim breaks two rules: no amount below 0, and 0 unless upheld.
    "refund negative on an open claim": (
        change("claims", 2, "refund_usd", "-1"),
        [
            f"claims.csv, row 2, column refund_usd: expected 0 for a claim with status open {REFUND_RULE}, found -1.00",
            "claims.csv, row 2, column refund_usd: expected an amount of 0 or more, found -1.00",
        ],
    ),
    "refund on a rejected claim": (
        change("claims", 1, "status", "rejected"),
        [
            "claims.csv, row 1, column refund_usd: expected 0 for a claim with status rejected "
            f"{REFUND_RULE}, found 1250.50"
        ],
    ),
    "claim resolved before filed": (
        change("claims", 1, "resolved_at", "2024-03-14 23:59:59"),
        [
            "claims.csv, row 1, column resolved_at: expected a time at or after filed_at 2024-03-15 00:00:00, "
            "found 2024-03-14 23:59:59"
        ],
    ),
    "claim filed before its order": (
        change("claims", 1, "filed_at", "2024-03-01 09:59:59"),
        [
            "claims.csv, row 1, column filed_at: expected a time at or after its order's placed_at "
            "2024-03-01 10:00:00, found 2024-03-01 09:59:59"
        ],
    ),
    # Buyer 21 written as 20 again: the second row repeats an id, and every row that named buyer 21
    # (orders 31 and 32, inquiry 41) now names a buyer in neither the file nor the warehouse.
    "a repeated buyer id": (
        change("buyers", 2, "buyer_id", "20"),
        [
            "buyers.csv, row 2, column buyer_id: expected a buyer_id not used before, found 20 again (first on row 1)",
            "orders.csv, row 2, column buyer_id: expected a buyer_id of the buyers in buyers.csv or already in "
            "the warehouse, found 21, which is in neither",
            "orders.csv, row 3, column buyer_id: expected a buyer_id of the buyers in buyers.csv or already in "
            "the warehouse, found 21, which is in neither",
            "inquiries.csv, row 2, column buyer_id: expected a buyer_id of the buyers in buyers.csv or already "
            "in the warehouse, found 21, which is in neither",
        ],
    ),
    "a claim id already loaded": (
        change("claims", 2, "claim_id", "1"),
        [
            "claims.csv, row 2, column claim_id: expected a claim_id not already in the warehouse, found 1 "
            "(it was loaded before)"
        ],
    ),
    "an order of an unknown supplier": (
        change("orders", 3, "supplier_id", "12"),
        [
            "orders.csv, row 3, column supplier_id: expected a supplier_id of the suppliers in suppliers.csv or "
            "already in the warehouse, found 12, which is in neither"
        ],
    ),
    # A claim on an order that is nowhere: the order is unknown, and no placed_at to compare filed_at with.
    "a claim on an unknown order": (
        change("claims", 2, "order_id", "39"),
        [
            "claims.csv, row 2, column order_id: expected a order_id of the orders in orders.csv or already in "
            "the warehouse, found 39, which is in neither"
        ],
    ),
}


@pytest.fixture(scope="module")
def warehouse():
    engine = duckdb_memory_engine()
    load_rows(engine, PRELOADED)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("case", list(CASES))
def test_every_problem_is_reported_with_its_file_row_column_and_words(warehouse, tmp_path, case):
    mutation, expected = CASES[case]
    with pytest.raises(LoadError) as info:
        load_directory(bad_extract(tmp_path / "x", mutation), warehouse)
    assert [str(problem) for problem in info.value.problems] == expected
    assert info.value.total == len(expected)
