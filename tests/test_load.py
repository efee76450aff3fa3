"""The loader on real engines: a hand-made extract loads in every format; every bad extract is refused
with file, row and column, and leaves the warehouse exactly as it was; the real Olist extract loads."""

import csv
import gzip
import io
import re
import shutil
import tempfile
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, func, inspect, select

from data.bulk import table_schema
from data.load import LoadError, Problem, load_directory, main
from data.schema import TABLES, metadata
from tests.warehouse import T0, duckdb_memory_engine, load_rows

OLIST = Path(__file__).resolve().parents[1] / "data" / "olist"  # shipped in the repository

HEADERS = {table.name: [c.name for c in table.columns] for table in TABLES}

# A small extract, written out by hand. Row numbers in the tests below count from 1 after the header.
EXTRACT = {
    "suppliers": [
        ["10", "Acme Tools", "CN", "Machinery", "2024-01-01 00:00:00", "2024-02-01 00:00:00"],
        ["11", "Quoted, Name", "VN", "Textiles", "2024-01-05T08:30:00.250", ""],
    ],
    "buyers": [["20", "US"], ["21", "DE"]],
    "orders": [
        # placed, ship_by, shipped, delivered, completed, status, amount, covered
        [
            "30",
            "10",
            "20",
            "2024-03-01 10:00:00",
            "2024-03-10 00:00:00",
            "2024-03-05 00:00:00",
            "2024-03-09 00:00:00",
            "2024-03-12 00:00:00",
            "completed",
            "1250.50",
            "true",
        ],
        ["31", "11", "21", "2024-03-02 00:00:00", "2024-03-20 00:00:00", "", "", "", "open", "99.9", "false"],
        # delivered without a shipped time: compared with placed_at
        ["32", "10", "21", "2024-03-03", "2024-03-04", "", "2024-03-08 00:00:00", "", "cancelled", "7", "true"],
    ],  # fmt: skip
    "inquiries": [
        ["40", "10", "20", "2024-03-01 09:00:00", "2024-03-01 12:30:00"],
        ["41", "11", "21", "2024-03-02 09:00:00", ""],
    ],
    "claims": [
        ["50", "30", "2024-03-15 00:00:00", "quality_after_delivery", "refunded", "2024-03-20 00:00:00", "1250.50"],
        ["51", "31", "2024-03-25 00:00:00", "late_shipment", "open", "", "0"],
    ],
}

# Rows already in the warehouse before each load (ids 1, so the extract's ids never collide by accident).
PRELOADED = {
    "suppliers": [{"supplier_id": 1}],
    "buyers": [{"buyer_id": 1}],
    "orders": [{"order_id": 1, "supplier_id": 1, "placed_at": T0, "amount_usd": "10.00", "completed_at": T0}],
    "inquiries": [{"inquiry_id": 1, "supplier_id": 1, "received_at": T0}],
    "claims": [{"claim_id": 1, "order_id": 1, "filed_at": T0, "reason": "not_delivered", "status": "open"}],
}


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_extract(directory: Path, tables: dict[str, list[list[str]]] = EXTRACT, suffix: str = ".csv") -> Path:
    """Write every table (missing ones header-only) as CSV, CSV.GZ or string-typed Parquet."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, header in HEADERS.items():
        text = csv_text(header, tables.get(name, []))
        path = directory / f"{name}{suffix}"
        if suffix == ".csv":
            path.write_text(text, encoding="utf-8")
        elif suffix == ".csv.gz":
            path.write_bytes(gzip.compress(text.encode()))
        else:
            pl.read_csv(io.StringIO(text), infer_schema=False).write_parquet(path)
    return directory


def snapshot(engine) -> dict:
    """Every row of every warehouse table (and which tables exist), to compare before and after a load."""
    names = set(inspect(engine).get_table_names())
    out = {"tables": sorted(names & set(HEADERS))}
    with engine.connect() as conn:
        for table in TABLES:
            if table.name in names:
                key = table.c[HEADERS[table.name][0]]
                out[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(key))]
    return out


def rows(engine, table_name: str) -> dict[int, dict]:
    table = metadata.tables[table_name]
    with engine.connect() as conn:
        return {r[0]: dict(r._mapping) for r in conn.execute(select(table))}


@pytest.fixture
def preloaded(engine):
    load_rows(engine, PRELOADED)
    return engine


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def refusing(request):
    """One preloaded warehouse per backend shared by the refused loads (a fresh PostgreSQL database per
    test costs most of a second); each test checks that its load changed nothing, so they stay independent."""
    if request.param == "duckdb":
        engine = duckdb_memory_engine()
    else:
        engine = create_engine(request.getfixturevalue("pg_server").create_database("test_load_refusing"))
    load_rows(engine, PRELOADED)
    yield engine
    engine.dispose()


# ------------------------------------------------------------------------------------------ success


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet"])
def test_a_hand_made_extract_loads_in_every_format(preloaded, tmp_path, suffix):
    counts = load_directory(write_extract(tmp_path / "x", suffix=suffix), preloaded)

    assert counts == {"suppliers": 2, "buyers": 2, "orders": 3, "inquiries": 2, "claims": 2}
    suppliers = rows(preloaded, "suppliers")
    assert set(suppliers) == {1, 10, 11}
    assert suppliers[11]["name"] == "Quoted, Name"
    assert suppliers[11]["registered_at"] == datetime(2024, 1, 5, 8, 30, 0, 250000)
    assert suppliers[11]["ta_enrolled_at"] is None
    orders = rows(preloaded, "orders")
    assert orders[30]["amount_usd"] == Decimal("1250.50")
    assert orders[30]["completed_at"] == datetime(2024, 3, 12)
    assert orders[30]["ta_covered"] is True
    assert orders[31]["amount_usd"] == Decimal("99.90")
    assert orders[31]["ta_covered"] is False
    assert orders[31]["shipped_at"] is None
    assert orders[32]["placed_at"] == datetime(2024, 3, 3)  # a date alone is midnight
    assert orders[32]["status"] == "cancelled"
    assert rows(preloaded, "inquiries")[41]["first_response_at"] is None
    claims = rows(preloaded, "claims")
    assert claims[50]["refund_usd"] == Decimal("1250.50")
    assert claims[51]["refund_usd"] == Decimal("0.00")


def test_timestamps_with_z_or_an_offset_load_as_utc(engine, tmp_path):
    """PRODUCT.md: a `Z` or `+00:00` loads as it is; other offsets are converted to UTC (by hand below)."""
    tables = {name: [list(r) for r in table_rows] for name, table_rows in EXTRACT.items()}
    tables["suppliers"][0][4] = "2024-01-01T10:00:00Z"  # 10:00 UTC
    tables["suppliers"][0][5] = "2024-02-01T02:30:00+02:00"  # 00:30 UTC
    tables["suppliers"][1][4] = "2024-01-04T23:30:00.250-09:00"  # next day 08:30:00.250 UTC
    load_directory(write_extract(tmp_path / "z", tables), engine)
    suppliers = rows(engine, "suppliers")
    assert suppliers[10]["registered_at"] == datetime(2024, 1, 1, 10, 0)
    assert suppliers[10]["ta_enrolled_at"] == datetime(2024, 2, 1, 0, 30)
    assert suppliers[11]["registered_at"] == datetime(2024, 1, 5, 8, 30, 0, 250000)


def test_parquet_with_native_types_loads(engine, tmp_path):
    directory = tmp_path / "x"
    directory.mkdir()
    typed = {
        "suppliers": pl.DataFrame(
            {
                "supplier_id": [10],
                "name": ["Acme"],
                "country_code": ["CN"],
                "category": ["Machinery"],
                "registered_at": [datetime(2024, 1, 1)],
                "ta_enrolled_at": [None],
            },
            schema_overrides={"ta_enrolled_at": pl.Datetime("ns")},
        ),
        "buyers": pl.DataFrame(
            {"buyer_id": [20], "country_code": ["US"]}, schema={"buyer_id": pl.Int32, "country_code": pl.String}
        ),
        "orders": pl.DataFrame(
            [
                [
                    30,
                    10,
                    20,
                    datetime(2024, 3, 1, 10),
                    datetime(2024, 3, 10),
                    None,
                    None,
                    None,
                    "open",
                    Decimal("12.50"),
                    True,
                ]
            ],
            schema=table_schema(metadata.tables["orders"]),
            orient="row",
        ),
        "inquiries": pl.DataFrame(schema=table_schema(metadata.tables["inquiries"])),
        "claims": pl.DataFrame(
            # A money column as a float is fine when its value has at most 2 decimals.
            [[50, 30, datetime(2024, 3, 15), "late_shipment", "refunded", None, 12.5]],
            schema={**table_schema(metadata.tables["claims"]), "refund_usd": pl.Float64},
            orient="row",
        ),
    }
    for name, frame in typed.items():
        frame.write_parquet(directory / f"{name}.parquet")

    assert load_directory(directory, engine) == {"suppliers": 1, "buyers": 1, "orders": 1, "inquiries": 0, "claims": 1}
    assert rows(engine, "orders")[30]["amount_usd"] == Decimal("12.50")
    assert rows(engine, "claims")[50]["refund_usd"] == Decimal("12.50")
    assert rows(engine, "suppliers")[10]["ta_enrolled_at"] is None


def test_a_second_load_may_refer_to_rows_of_the_first(engine, tmp_path):
    first = {name: EXTRACT[name] for name in ("suppliers", "buyers", "orders")}
    assert load_directory(write_extract(tmp_path / "a", first), engine)["orders"] == 3
    second = {
        "orders": [
            ["33", "11", "20", "2024-04-01 00:00:00", "2024-04-05 00:00:00", "", "", "", "open", "5.00", "true"]
        ],
        "inquiries": [["42", "10", "21", "2024-04-01 00:00:00", "2024-04-01 01:00:00"]],
        # claim 52 is on order 30 of the first load, claim 53 on order 33 of this one
        "claims": [
            ["52", "30", "2024-04-02 00:00:00", "quality_after_delivery", "rejected", "2024-04-03 00:00:00", "0"],
            ["53", "33", "2024-04-02 00:00:00", "not_delivered", "open", "", "0.00"],
        ],
    }
    counts = load_directory(write_extract(tmp_path / "b", second, ".csv.gz"), engine)

    assert counts == {"suppliers": 0, "buyers": 0, "orders": 1, "inquiries": 1, "claims": 2}
    assert set(rows(engine, "orders")) == {30, 31, 32, 33}
    assert set(rows(engine, "claims")) == {52, 53}


def test_a_failed_load_into_a_new_warehouse_creates_no_tables(engine, tmp_path):
    tables = {**EXTRACT, "buyers": [["20", "usa"]]}
    with pytest.raises(LoadError):
        load_directory(write_extract(tmp_path / "x", tables), engine)
    assert inspect(engine).get_table_names() == []


# ------------------------------------------------------------------------------------------- errors


def change(table: str, row: int, column: str, value: str):
    """A mutation of EXTRACT: one field of one row (1-based) set to `value`."""

    def apply(headers, tables):
        tables[table][row - 1][headers[table].index(column)] = value

    return apply


def drop_column(table: str, column: str):
    """A mutation of EXTRACT: one column left out of a file, header and rows."""

    def apply(headers, tables):
        i = headers[table].index(column)
        headers[table] = headers[table][:i] + headers[table][i + 1 :]
        tables[table] = [r[:i] + r[i + 1 :] for r in tables[table]]

    return apply


# (mutation, the problem expected: file, row, column, words of the message)
BAD_EXTRACTS = {
    "wrong type of id": (
        change("orders", 2, "supplier_id", "eleven"),
        ("orders.csv", 2, "supplier_id", "whole number"),
    ),
    "too many decimals": (change("orders", 2, "amount_usd", "99.999"), ("orders.csv", 2, "amount_usd", "2 decimals")),
    "huge number": (change("buyers", 1, "buyer_id", "99999999999"), ("buyers.csv", 1, "buyer_id", "whole number")),
    "not a boolean": (change("orders", 3, "ta_covered", "yes"), ("orders.csv", 3, "ta_covered", "true or false")),
    "lower-case country": (change("buyers", 2, "country_code", "de"), ("buyers.csv", 2, "country_code", "capitals")),
    "unknown order status": (change("orders", 1, "status", "shipped"), ("orders.csv", 1, "status", "one of open")),
    "unknown claim reason": (change("claims", 2, "reason", "late"), ("claims.csv", 2, "reason", "late_shipment")),
    "amount zero": (change("orders", 2, "amount_usd", "0.00"), ("orders.csv", 2, "amount_usd", "greater than 0")),
    "amount negative": (change("orders", 3, "amount_usd", "-7"), ("orders.csv", 3, "amount_usd", "greater than 0")),
    "refund negative": (change("claims", 2, "refund_usd", "-1"), ("claims.csv", 2, "refund_usd", "0 or more")),
    "refund on a rejected claim": (
        change("claims", 1, "status", "rejected"),
        ("claims.csv", 1, "refund_usd", "expected 0 for a claim with status rejected"),
    ),
    "empty required field": (change("orders", 1, "placed_at", ""), ("orders.csv", 1, "placed_at", "empty field")),
    "unknown supplier": (change("orders", 2, "supplier_id", "99"), ("orders.csv", 2, "supplier_id", "in neither")),
    "unknown buyer of an inquiry": (
        change("inquiries", 1, "buyer_id", "7"),
        ("inquiries.csv", 1, "buyer_id", "neither"),
    ),
    "unknown order": (change("claims", 2, "order_id", "999"), ("claims.csv", 2, "order_id", "in neither")),
    # Every foreign key of PRODUCT.md is checked: orders → suppliers and buyers, inquiries → suppliers and
    # buyers, claims → orders.
    "unknown buyer of an order": (change("orders", 1, "buyer_id", "99"), ("orders.csv", 1, "buyer_id", "in neither")),
    "unknown supplier of an inquiry": (
        change("inquiries", 2, "supplier_id", "12"),
        ("inquiries.csv", 2, "supplier_id", "expected a supplier_id of the suppliers in suppliers.csv"),
    ),
    # INTEGER's range: 2,147,483,647 is the largest id (10 digits, so only the range check refuses it).
    "id just over the INTEGER range": (
        change("suppliers", 2, "supplier_id", "2147483648"),
        ("suppliers.csv", 2, "supplier_id", "a whole number between -2147483648 and 2147483647"),
    ),
    "id just under the INTEGER range": (
        change("claims", 2, "order_id", "-2147483649"),
        ("claims.csv", 2, "order_id", "a whole number between -2147483648 and 2147483647"),
    ),
    "duplicate id in the file": (
        change("buyers", 2, "buyer_id", "20"),
        ("buyers.csv", 2, "buyer_id", "first on row 1"),
    ),
    "id already loaded": (change("inquiries", 2, "inquiry_id", "1"), ("inquiries.csv", 2, "inquiry_id", "warehouse")),
    "claim id already loaded": (change("claims", 1, "claim_id", "1"), ("claims.csv", 1, "claim_id", "warehouse")),
    "shipped before placed": (
        change("orders", 1, "shipped_at", "2024-02-28 00:00:00"),
        ("orders.csv", 1, "shipped_at", "after placed_at 2024-03-01 10:00:00"),
    ),
    "delivered before shipped": (
        change("orders", 1, "delivered_at", "2024-03-04 23:59:59"),
        ("orders.csv", 1, "delivered_at", "after shipped_at 2024-03-05 00:00:00"),
    ),
    "delivered before placed, not shipped": (
        change("orders", 3, "delivered_at", "2024-03-02 00:00:00"),
        ("orders.csv", 3, "delivered_at", "after placed_at 2024-03-03 00:00:00"),
    ),
    "completed without a completed time": (
        change("orders", 1, "completed_at", ""),
        ("orders.csv", 1, "completed_at", "status is completed"),
    ),
    # completed_at closes the chain placed_at ≤ shipped_at ≤ delivered_at ≤ completed_at.
    "completed before delivered": (
        change("orders", 1, "completed_at", "2024-03-08 23:59:59"),
        ("orders.csv", 1, "completed_at", "after delivered_at 2024-03-09 00:00:00, found 2024-03-08 23:59:59"),
    ),
    "completed before placed, neither shipped nor delivered": (
        change("orders", 2, "completed_at", "2024-03-01 23:59:59"),
        ("orders.csv", 2, "completed_at", "after placed_at 2024-03-02 00:00:00, found 2024-03-01 23:59:59"),
    ),
    "ship_by before placed": (change("orders", 2, "ship_by", "2024-03-01"), ("orders.csv", 2, "ship_by", "placed_at")),
    "enrolled before registered": (
        change("suppliers", 1, "ta_enrolled_at", "2023-12-31 00:00:00"),
        ("suppliers.csv", 1, "ta_enrolled_at", "after registered_at"),
    ),
    "answered before received": (
        change("inquiries", 1, "first_response_at", "2024-03-01 08:00:00"),
        ("inquiries.csv", 1, "first_response_at", "after received_at"),
    ),
    "claim filed before its order": (
        change("claims", 1, "filed_at", "2024-03-01 09:00:00"),
        ("claims.csv", 1, "filed_at", "order's placed_at 2024-03-01 10:00:00"),
    ),
    "claim resolved before filed": (
        change("claims", 1, "resolved_at", "2024-03-14 00:00:00"),
        ("claims.csv", 1, "resolved_at", "after filed_at"),
    ),
    "impossible date": (
        change("orders", 2, "placed_at", "2024-02-30 00:00:00"),
        ("orders.csv", 2, "placed_at", "timestamp"),
    ),
    "not ISO": (change("claims", 2, "filed_at", "03/25/2024"), ("claims.csv", 2, "filed_at", "timestamp")),
    "far future placeholder": (
        change("claims", 1, "resolved_at", "9999-12-31 23:59:59"),
        ("claims.csv", 1, "resolved_at", "from 1970 to 2099"),
    ),
    "year 2204": (
        change("claims", 1, "resolved_at", "2204-03-01 00:00:00"),
        ("claims.csv", 1, "resolved_at", "from 1970 to 2099"),
    ),
    "before 1970": (
        change("suppliers", 1, "registered_at", "1969-12-31 23:59:59"),
        ("suppliers.csv", 1, "registered_at", "from 1970 to 2099"),
    ),
    "an offset that is no offset": (
        change("suppliers", 1, "registered_at", "2024-01-01T00:00:00+5"),
        ("suppliers.csv", 1, "registered_at", "timestamp"),
    ),
    "missing column": (drop_column("orders", "ship_by"), ("orders.csv", None, "ship_by", "missing column")),
}


def bad_extract(directory: Path, mutation) -> Path:
    headers = {name: list(header) for name, header in HEADERS.items()}
    tables = {name: [list(r) for r in table_rows] for name, table_rows in EXTRACT.items()}
    mutation(headers, tables)
    directory.mkdir(parents=True)
    for name, header in headers.items():
        text = csv_text(header, tables[name])
        (directory / f"{name}.csv").write_text(text, encoding="utf-8")
    return directory


def assert_problem(problems: list[Problem], expected: tuple) -> None:
    file, row, column, words = expected
    found = [p for p in problems if (p.file, p.row, p.column) == (file, row, column)]
    assert found, f"no problem at {file} row {row} column {column}; got {[str(p) for p in problems]}"
    assert any(words in p.message for p in found), [str(p) for p in found]


@pytest.mark.parametrize("case", list(BAD_EXTRACTS))
def test_a_bad_value_is_named_and_nothing_is_loaded(refusing, tmp_path, case):
    mutation, expected = BAD_EXTRACTS[case]
    directory = bad_extract(tmp_path / "x", mutation)
    before = snapshot(refusing)

    with pytest.raises(LoadError) as info:
        load_directory(directory, refusing)

    assert_problem(info.value.problems, expected)
    assert snapshot(refusing) == before


def test_the_valid_extract_loads_as_the_bad_ones_are_built(preloaded, tmp_path):
    """The bad extracts above differ from a good one by their mutation only."""
    directory = bad_extract(tmp_path / "x", lambda headers, tables: None)
    assert load_directory(directory, preloaded)["orders"] == 3


def test_ids_at_the_ends_of_the_integer_range_load(engine, tmp_path):
    """2,147,483,647 and −2,147,483,648 are INTEGERs: the range check refuses only what lies beyond them."""

    def edges(headers, tables):
        tables["suppliers"][1][0] = "2147483647"
        tables["orders"][1][1] = "2147483647"  # order 31 is supplier 11's
        tables["buyers"][1][0] = "-2147483648"
        tables["orders"][1][2] = "-2147483648"  # and buyer 21's
        tables["orders"][2][2] = "-2147483648"
        tables["inquiries"][1][1:3] = ["2147483647", "-2147483648"]

    counts = load_directory(bad_extract(tmp_path / "x", edges), engine)
    assert counts == {"suppliers": 2, "buyers": 2, "orders": 3, "inquiries": 2, "claims": 2}
    assert sorted(rows(engine, "suppliers")) == [10, 2_147_483_647]
    assert sorted(rows(engine, "buyers")) == [-2_147_483_648, 20]
    assert rows(engine, "orders")[31]["supplier_id"] == 2_147_483_647


def broken_files(directory: Path) -> dict[str, tuple]:
    """File-level breakage: name -> (how to break the written extract, the problem expected)."""

    def missing(d):
        (d / "claims.csv").unlink()

    def undecodable(d):
        text = (d / "suppliers.csv").read_bytes()
        (d / "suppliers.csv").write_bytes(text.replace(b"Quoted, Name", b"Quoted, N\xe9me"))

    def truncated_gzip(d):
        data = gzip.compress((d / "orders.csv").read_bytes())
        (d / "orders.csv").unlink()
        (d / "orders.csv.gz").write_bytes(data[: len(data) // 2])

    def not_parquet(d):
        (d / "buyers.csv").unlink()
        (d / "buyers.parquet").write_bytes(b"PAR1 this is not parquet")

    def two_files(d):
        shutil.copy(d / "buyers.csv", d / "buyers.parquet")

    def extra_column(d):
        lines = (d / "buyers.csv").read_text().splitlines()
        (d / "buyers.csv").write_text("\n".join([lines[0] + ",note"] + [line + ",x" for line in lines[1:]]) + "\n")

    def short_row(d):
        lines = (d / "buyers.csv").read_text().splitlines()
        (d / "buyers.csv").write_text("\n".join(lines[:2] + ["21"]) + "\n")

    def empty_file(d):
        (d / "inquiries.csv").write_bytes(b"")

    return {
        "missing file": (missing, ("claims.csv", None, None, "claims.csv, claims.csv.gz or claims.parquet")),
        "undecodable byte": (undecodable, ("suppliers.csv", 2, "name", "not UTF-8")),
        "truncated gzip": (truncated_gzip, ("orders.csv.gz", None, None, "gzip")),
        "not parquet": (not_parquet, ("buyers.parquet", None, None, "Parquet")),
        "two files for a table": (two_files, ("buyers.csv", None, None, "exactly one file")),
        "extra column": (extra_column, ("buyers.csv", None, "note", "unexpected column")),
        "short row": (short_row, ("buyers.csv", 2, None, "expected 2 fields, found 1")),
        "empty file": (empty_file, ("inquiries.csv", None, None, "header row")),
    }


@pytest.mark.parametrize("case", list(broken_files(Path())))
def test_a_broken_file_is_named_and_nothing_is_loaded(refusing, tmp_path, case):
    directory = write_extract(tmp_path / "x")
    breakage, expected = broken_files(directory)[case]
    breakage(directory)
    before = snapshot(refusing)

    with pytest.raises(LoadError) as info:
        load_directory(directory, refusing)

    assert_problem(info.value.problems, expected)
    assert snapshot(refusing) == before


def test_a_parquet_column_of_an_unusable_type_is_named(engine, tmp_path):
    directory = write_extract(tmp_path / "x")
    (directory / "buyers.csv").unlink()
    pl.DataFrame({"buyer_id": [[20]], "country_code": ["US"]}).write_parquet(directory / "buyers.parquet")
    with pytest.raises(LoadError) as info:
        load_directory(directory, engine)
    assert_problem(info.value.problems, ("buyers.parquet", None, "buyer_id", "Parquet type"))


def test_parquet_amounts_as_floats_with_more_decimals_are_refused(engine, tmp_path):
    directory = write_extract(tmp_path / "x")
    (directory / "claims.csv").unlink()
    frame = pl.read_csv(io.StringIO(csv_text(HEADERS["claims"], EXTRACT["claims"])), infer_schema=False)
    frame.with_columns(pl.Series("refund_usd", [float("nan"), 0.125])).write_parquet(directory / "claims.parquet")
    with pytest.raises(LoadError) as info:
        load_directory(directory, engine)
    assert_problem(info.value.problems, ("claims.parquet", 1, "refund_usd", "found 'NaN'"))
    assert_problem(info.value.problems, ("claims.parquet", 2, "refund_usd", "2 decimals"))


def test_many_problems_are_counted_and_the_first_ones_kept(engine, tmp_path):
    buyers = [[str(i), "usa"] for i in range(1, 501)]
    with pytest.raises(LoadError) as info:
        load_directory(write_extract(tmp_path / "x", {**EXTRACT, "buyers": buyers}), engine)
    assert info.value.total == 500  # buyers 20 and 21 are among them, so no order or inquiry is affected
    assert str(info.value.problems[0]) == (
        "buyers.csv, row 1, column country_code: expected a two-letter country code in capitals, like CN, found 'usa'"
    )


# ------------------------------------------------------------------------------------ command line


def duckdb_file_with_rows(path: Path) -> str:
    url = f"duckdb:///{path}"
    engine = create_engine(url)
    load_rows(engine, PRELOADED)
    engine.dispose()
    return url


def file_snapshot(url: str) -> dict:
    engine = create_engine(url)
    try:
        return snapshot(engine)
    finally:
        engine.dispose()


@pytest.mark.parametrize("case", ["shipped before placed", "unknown order", "missing column", "id already loaded"])
def test_main_reports_problems_on_stderr_and_exits_non_zero(tmp_path, capsys, case):
    mutation, (file, row, column, words) = BAD_EXTRACTS[case]
    directory = bad_extract(tmp_path / "x", mutation)
    url = duckdb_file_with_rows(tmp_path / "w.duckdb")
    before = file_snapshot(url)

    status = main([str(directory), "--url", url])

    err = capsys.readouterr().err
    assert status != 0
    where = ", ".join([file] + ([f"row {row}"] if row else []) + [f"column {column}"])
    assert f"{where}: " in err and words in err
    assert "Traceback" not in err
    assert file_snapshot(url) == before


def test_main_with_a_broken_file_exits_non_zero_and_names_it(tmp_path, capsys):
    directory = write_extract(tmp_path / "x")
    (directory / "suppliers.csv").write_bytes(b"supplier_id,name\n\xff\xfe,x\n")
    url = duckdb_file_with_rows(tmp_path / "w.duckdb")
    before = file_snapshot(url)

    assert main([str(directory), "--url", url]) == 1
    err = capsys.readouterr().err
    assert "suppliers.csv: the header" not in err
    assert "suppliers.csv, row 1, column supplier_id: byte 0xff is not UTF-8" in err
    assert file_snapshot(url) == before


def test_main_loads_and_a_failed_load_leaves_no_new_warehouse_file(tmp_path, capsys):
    bad = bad_extract(tmp_path / "bad", change("orders", 1, "status", "done"))
    assert main([str(bad), "--url", f"duckdb:///{tmp_path / 'new.duckdb'}"]) == 1
    assert not (tmp_path / "new.duckdb").exists()

    good = write_extract(tmp_path / "good")
    assert main([str(good), "--url", f"duckdb:///{tmp_path / 'new.duckdb'}"]) == 0
    assert "Loaded 2 suppliers, 2 buyers, 3 orders, 2 inquiries, 2 claims." in capsys.readouterr().out


def test_main_refuses_a_folder_that_does_not_exist(tmp_path, capsys):
    assert main([str(tmp_path / "nowhere"), "--url", f"duckdb:///{tmp_path / 'w.duckdb'}"]) == 1
    assert "is not a folder" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------- real data


def test_the_olist_extract_loads_as_its_readme_says(tmp_path):
    for path in OLIST.glob("*.csv.gz"):  # seller_map.csv.gz comes along and is ignored
        shutil.copy(path, tmp_path / path.name)
    engine = duckdb_memory_engine()

    counts = load_directory(tmp_path, engine)

    assert counts == {"suppliers": 2723, "buyers": 49239, "orders": 50835, "inquiries": 0, "claims": 5516}
    with engine.connect() as conn:
        orders = metadata.tables["orders"]
        first = conn.execute(select(orders).where(orders.c.order_id == 1)).one()._mapping
        counted = conn.execute(select(orders.c.status, func.count()).group_by(orders.c.status)).all()
    by_status = {status: n for status, n in counted}
    assert first["amount_usd"] == Decimal("25.88")
    assert first["status"] == "open"
    assert (first["supplier_id"], first["buyer_id"]) == (215, 35383)
    assert first["placed_at"] == datetime(2016, 9, 4, 21, 15, 19)
    assert first["shipped_at"] == datetime(2016, 10, 18, 13, 14, 51)
    assert first["delivered_at"] is None
    assert by_status == {"cancelled": 468, "completed": 48646, "open": 1721}
    assert rows(engine, "claims")[1]["refund_usd"] == Decimal("27.26")
    engine.dispose()


# -------------------------------------------------------------------------------------------- fuzzing

ODD_VALUES = [
    "", " ", "NaN", "inf", "-0", "1e309", "99999999999999999999999", "2147483648", "-2147483649", "0.001",
    "2024-13-01 00:00:00", "0000-01-01 00:00:00", "9999-12-31 23:59:59.999999", "2024-01-01 00:00:00.1234567",
    "true", "FALSE", "null", '"', "\n", "\x00", "é", "🙂", "12,5", "1_000",
]  # fmt: skip


@st.composite
def mutated_extract(draw):
    """The valid extract with a few fields replaced, then possibly its bytes damaged and its format changed.

    Also returns the replaced cells, {(table, row (1-based), column): new text}."""
    tables = {name: [list(r) for r in table_rows] for name, table_rows in EXTRACT.items()}
    replaced = {}
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from([n for n in tables if tables[n]]))
        index = draw(st.integers(0, len(tables[name]) - 1))
        row = tables[name][index]
        column = draw(st.integers(0, len(row) - 1))
        text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=12)  # no lone surrogates
        kind = KINDS[name][HEADERS[name][column]]
        edges = st.sampled_from(EDGE_VALUES.get(kind.rstrip("?") if isinstance(kind, str) else "words", ("",)))
        row[column] = draw(st.one_of(st.sampled_from(ODD_VALUES), text, st.sampled_from(row), edges, edges))
        replaced[name, index + 1, HEADERS[name][column]] = row[column]
    files = {name: csv_text(HEADERS[name], table_rows).encode("utf-8") for name, table_rows in tables.items()}
    damaged = draw(st.sampled_from([None, None, None, *HEADERS]))
    if damaged:
        data = files[damaged]
        at = draw(st.integers(0, len(data)))
        files[damaged] = data[:at] + draw(st.binary(max_size=4)) + data[at + draw(st.integers(0, 3)) :]
    suffix = draw(st.sampled_from([".csv", ".csv.gz", ".parquet"]))
    truncate_gzip = suffix == ".csv.gz" and draw(st.booleans())
    # A Parquet column may come with a native type, right or wrong for it.
    retype = None
    if suffix == ".parquet" and draw(st.booleans()):
        name = draw(st.sampled_from(list(HEADERS)))
        retype = (name, draw(st.sampled_from(HEADERS[name])), draw(st.sampled_from(list(PARQUET_TYPES))))
    return files, suffix, truncate_gzip, retype, replaced, damaged


# The oracle: PRODUCT.md's column types, written out again (not read from data/), and what each accepts.
KINDS = {
    "suppliers": {"supplier_id": "integer", "name": "text", "country_code": "country", "category": "text"}
    | {"registered_at": "timestamp", "ta_enrolled_at": "timestamp?"},
    "buyers": {"buyer_id": "integer", "country_code": "country"},
    "orders": {"order_id": "integer", "supplier_id": "integer", "buyer_id": "integer", "placed_at": "timestamp"}
    | {"ship_by": "timestamp", "shipped_at": "timestamp?", "delivered_at": "timestamp?", "completed_at": "timestamp?"}
    | {"status": ("open", "completed", "cancelled"), "amount_usd": "money", "ta_covered": "boolean"},
    "inquiries": {"inquiry_id": "integer", "supplier_id": "integer", "buyer_id": "integer"}
    | {"received_at": "timestamp", "first_response_at": "timestamp?"},
    "claims": {"claim_id": "integer", "order_id": "integer", "filed_at": "timestamp", "resolved_at": "timestamp?"}
    | {"reason": ("late_shipment", "quality_on_arrival", "quality_after_delivery", "not_delivered")}
    | {"status": ("open", "refunded", "partially_refunded", "rejected", "withdrawn"), "refund_usd": "money"},
}
# Values on either side of what each kind accepts.
EDGE_VALUES = {
    "integer": ("2147483647", "2147483648", "-2147483648", "-2147483649", "+7", "007", "1.0", "١٢"),
    "money": ("0.01", "0.001", "1e3", "999999999999.99", "1000000000000.00", "12.", ".5", "-0.00", "25.880"),
    "timestamp": (
        "2099-12-31 23:59:59.999999", "2100-01-01 00:00:00", "1970-01-01 00:00:00", "1969-12-31 23:59:59",
        "2024-02-29", "2023-02-29", "2024-01-01T00:00:00+14:00", "2024-01-01 24:00:00", "2024-01-01T00:00:00.1234567",
    ),
    "boolean": ("TRUE", "False", "yes", "1", "t"),
    "country": ("DE", "de", "DEU", "D"),
    "words": ("open", "Open", "completed ", "refunded", "late_shipment"),
}  # fmt: skip
# The tables whose rows name rows of another (foreign keys; a claim is also compared with its order's time).
CHILDREN = {"suppliers": {"orders", "inquiries"}, "buyers": {"orders", "inquiries"}, "orders": {"claims"}}
ISO = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})?)?"
)


def acceptable(kind, text: str) -> bool:
    """Whether PRODUCT.md's loader must accept `text` in a column of this kind (an empty field is null)."""
    if text == "":
        return isinstance(kind, str) and kind.endswith("?")
    kind = kind.rstrip("?") if isinstance(kind, str) else kind
    if isinstance(kind, tuple):
        return text in kind
    if kind == "integer":
        return re.fullmatch(r"[+-]?[0-9]+", text) is not None and -(2**31) <= int(text) <= 2**31 - 1
    if kind == "money":
        if re.fullmatch(r"[+-]?[0-9]+(\.[0-9]+)?", text) is None:
            return False
        value = Decimal(text)
        return value == value.quantize(Decimal("0.01")) and abs(value) < 10**12
    if kind == "timestamp":
        if ISO.fullmatch(text) is None:
            return False
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return False
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return 1970 <= value.year <= 2099
    if kind == "boolean":
        return text.lower() in ("true", "false")
    if kind == "country":
        return re.fullmatch(r"[A-Z]{2}", text) is not None
    return True  # text


def test_the_oracle_by_hand():
    assert acceptable("integer", "2147483647") and not acceptable("integer", "2147483648")
    assert acceptable("integer", "-0") and not acceptable("integer", "1_000") and not acceptable("integer", "")
    assert acceptable("money", "25.880") and not acceptable("money", "0.001") and not acceptable("money", "1e3")
    assert acceptable("timestamp", "2024-01-01T00:00:00.5Z") and not acceptable("timestamp", "2024-13-01 00:00:00")
    assert not acceptable("timestamp", "9999-12-31 23:59:59.999999") and acceptable("timestamp?", "")
    assert acceptable("timestamp", "2099-12-31 23:59:59+00:00") and not acceptable("timestamp", "2100-01-01")
    assert acceptable("boolean", "FALSE") and not acceptable("boolean", "yes")
    assert acceptable(("open",), "open") and not acceptable(("open",), "Open")
    assert acceptable("country", "DE") and not acceptable("country", "de")


PARQUET_TYPES = {
    "int8": lambda s: s.cast(pl.Int8, strict=False),
    "uint64": lambda s: s.cast(pl.UInt64, strict=False),
    "float": lambda s: s.cast(pl.Float64, strict=False).fill_null(float("nan")),
    "huge float": lambda s: s.cast(pl.Float64, strict=False) * 1e300,
    "decimal": lambda s: s.cast(pl.Decimal(38, 10), strict=False),
    "boolean": lambda s: s.cast(pl.Boolean, strict=False),
    "datetime ms in a zone": lambda s: s.str.to_datetime(strict=False, time_unit="ms").dt.replace_time_zone(
        "Asia/Shanghai"
    ),
    "date": lambda s: s.str.to_date(strict=False, format="%Y-%m-%d %H:%M:%S"),
    "binary": lambda s: s.cast(pl.Binary),
    "list": lambda s: s.str.split(","),
}


def preloaded_duckdb():
    engine = duckdb_memory_engine()
    load_rows(engine, PRELOADED)
    return engine


_fuzz_warehouse = {}


def test_any_mutation_is_refused_where_it_is_wrong_or_loads_whole():
    reached = Counter()

    @settings(
        max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(mutated_extract())
    def check(case):
        reached["examples"] += 1
        reached["refused", "by cell"] += refuse_or_load_whole(*case)

    check()
    # The oracle was put to work: many examples had cells the loader had to name.
    assert reached["refused", "by cell"] >= 15, reached


def refuse_or_load_whole(files, suffix, truncate_gzip, retype, replaced, damaged) -> bool:
    """Load one mutated extract and check it against the oracle; True when cells had to be named."""
    # The cells the loader must refuse, by file, row and column: a value the column's type does not accept.
    # (Only when the bytes were neither damaged nor retyped, and no NUL byte is in play, which issue 12 handles.)
    exact = not damaged and not retype and not truncate_gzip and not any("\x00" in v for v in replaced.values())
    must_refuse = {
        (f"{table}{suffix}", row, column)
        for (table, row, column), text in replaced.items()
        if not acceptable(KINDS[table][column], text)
    }
    # Problems may only be where something changed: a replaced cell's file, the damaged file, or a file whose
    # rows refer to rows of those.
    changed = {table for table, _, _ in replaced} | ({damaged} if damaged else set())
    allowed = {f"{table}{suffix}" for table in changed | set().union(*(CHILDREN.get(t, set()) for t in changed))}
    # One warehouse serves every example until a mutated extract happens to load (refused loads change nothing).
    engine = _fuzz_warehouse.get("engine") or _fuzz_warehouse.setdefault("engine", preloaded_duckdb())
    before = snapshot(engine)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for name, data in files.items():
            path = directory / f"{name}{suffix}"
            if suffix == ".csv":
                path.write_bytes(data)
            elif suffix == ".csv.gz":
                packed = gzip.compress(data)
                path.write_bytes(packed[: len(packed) - 5] if truncate_gzip else packed)
            else:
                try:  # bytes polars cannot read as CSV have no Parquet form: write them raw, as garbage
                    frame = pl.read_csv(io.BytesIO(data), infer_schema=False)
                    if retype and retype[0] == name and retype[1] in frame.columns:
                        frame = frame.with_columns(PARQUET_TYPES[retype[2]](frame[retype[1]]).alias(retype[1]))
                    frame.write_parquet(path)
                except Exception:
                    path.write_bytes(data)
        try:
            counts = load_directory(directory, engine)
        except LoadError as exc:
            problems = exc.problems
            assert problems and all(isinstance(p, Problem) for p in problems)
            assert snapshot(engine) == before
            if truncate_gzip:  # every file is cut short: each is named, as a file
                assert {(p.file, p.row) for p in problems} == {(f"{name}.csv.gz", None) for name in HEADERS}
                return False
            if exact:
                assert must_refuse <= {(p.file, p.row, p.column) for p in problems}, (replaced, problems)
            if not retype:
                assert {p.file for p in problems} <= allowed, (replaced, damaged, problems)
            return exact and bool(must_refuse)
    assert not truncate_gzip
    assert not (exact and must_refuse), f"loaded {replaced}, which it must refuse at {must_refuse}"
    after = snapshot(engine)
    for table in TABLES:
        assert len(after[table.name]) == len(before[table.name]) + counts[table.name]
    _fuzz_warehouse.pop("engine").dispose()
    return False
