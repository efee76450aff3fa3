"""Small hand-built warehouses for tests: rows given as dicts, every unspecified column defaulted."""

import itertools
from datetime import datetime
from decimal import Decimal

import polars as pl
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from data.bulk import bulk_insert
from data.ddl import create_schema
from data.schema import TABLES

T0 = datetime(2020, 1, 1)

DEFAULTS = {
    "suppliers": {
        "name": "Supplier",
        "country_code": "CN",
        "category": "Machinery",
        "registered_at": T0,
        "ta_enrolled_at": T0,
    },
    "buyers": {"country_code": "US"},
    "orders": {
        "buyer_id": 1,
        "shipped_at": None,
        "delivered_at": None,
        "completed_at": None,
        "status": "completed",
        "ta_covered": True,
    },
    "inquiries": {"buyer_id": 1, "first_response_at": None},
    "claims": {"resolved_at": None, "refund_usd": Decimal("0")},
}
KEYS = {
    "suppliers": "supplier_id",
    "buyers": "buyer_id",
    "orders": "order_id",
    "inquiries": "inquiry_id",
    "claims": "claim_id",
}


def rows_to_frames(tables: dict[str, list[dict]]) -> dict[str, pl.DataFrame]:
    """Fill defaults and sequential ids, and return one frame per table (buyer 1 always exists)."""
    tables = {name: list(tables.get(name, [])) for name in KEYS}
    if not tables["buyers"]:
        tables["buyers"] = [{"buyer_id": 1}]
    frames = {}
    for table in TABLES:
        ids = itertools.count(1)
        filled = []
        for row in tables[table.name]:
            full = {**DEFAULTS[table.name], **row}
            full.setdefault(KEYS[table.name], next(ids))
            if table.name == "orders":
                full.setdefault("ship_by", full["placed_at"])
            if isinstance(full.get("amount_usd"), (int, float, str)):
                full["amount_usd"] = Decimal(str(full["amount_usd"]))
            if isinstance(full.get("refund_usd"), (int, float, str)):
                full["refund_usd"] = Decimal(str(full["refund_usd"]))
            filled.append({c.name: full.get(c.name) for c in table.columns})
        from data.bulk import table_schema

        frames[table.name] = pl.DataFrame(filled, schema=table_schema(table), orient="row")
    return frames


def load_rows(engine, tables: dict[str, list[dict]]) -> None:
    """Create the schema on `engine` and insert the given rows."""
    create_schema(engine)
    frames = rows_to_frames(tables)
    with engine.begin() as conn:
        for name, frame in frames.items():
            bulk_insert(conn, name, frame)


def duckdb_memory_engine():
    """A fresh in-memory DuckDB shared by every thread of the test."""
    return create_engine("duckdb:///:memory:", poolclass=StaticPool)
