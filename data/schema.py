"""The warehouse schema of ../shared/PRODUCT.md as SQLAlchemy MetaData.

Every id is supplied by the data (generator or extract), so no primary key autoincrements.
"""

import polars as pl
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
)

metadata = MetaData()

suppliers = Table(
    "suppliers",
    metadata,
    Column("supplier_id", Integer, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False),
    Column("country_code", String(2), nullable=False),
    Column("category", Text, nullable=False),
    Column("registered_at", DateTime, nullable=False),
    Column("ta_enrolled_at", DateTime, nullable=True),
)

buyers = Table(
    "buyers",
    metadata,
    Column("buyer_id", Integer, primary_key=True, autoincrement=False),
    Column("country_code", String(2), nullable=False),
)

orders = Table(
    "orders",
    metadata,
    Column("order_id", Integer, primary_key=True, autoincrement=False),
    Column("supplier_id", Integer, nullable=False),
    Column("buyer_id", Integer, nullable=False),
    Column("placed_at", DateTime, nullable=False),
    Column("ship_by", DateTime, nullable=False),
    Column("shipped_at", DateTime, nullable=True),
    Column("delivered_at", DateTime, nullable=True),
    Column("completed_at", DateTime, nullable=True),
    Column("status", Text, nullable=False),
    Column("amount_usd", Numeric(14, 2), nullable=False),
    Column("ta_covered", Boolean, nullable=False),
)

inquiries = Table(
    "inquiries",
    metadata,
    Column("inquiry_id", Integer, primary_key=True, autoincrement=False),
    Column("supplier_id", Integer, nullable=False),
    Column("buyer_id", Integer, nullable=False),
    Column("received_at", DateTime, nullable=False),
    Column("first_response_at", DateTime, nullable=True),
)

claims = Table(
    "claims",
    metadata,
    Column("claim_id", Integer, primary_key=True, autoincrement=False),
    Column("order_id", Integer, nullable=False),
    Column("filed_at", DateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("resolved_at", DateTime, nullable=True),
    Column("refund_usd", Numeric(14, 2), nullable=False),
)

# Load order: every table after the tables its foreign keys point to.
TABLES = (suppliers, buyers, orders, inquiries, claims)
TABLE_NAMES = tuple(t.name for t in TABLES)

ORDER_STATUSES = ("open", "completed", "cancelled")
CLAIM_REASONS = ("late_shipment", "quality_on_arrival", "quality_after_delivery", "not_delivered")
CLAIM_STATUSES = ("open", "refunded", "partially_refunded", "rejected", "withdrawn")
UPHELD_CLAIM_STATUSES = ("refunded", "partially_refunded")


def table_schema(table: Table) -> dict[str, pl.DataType]:
    """The polars dtype of each column of a warehouse table (money as Decimal(14, 2))."""
    kinds = {
        "INTEGER": pl.Int64,
        "TEXT": pl.String,
        "VARCHAR": pl.String,
        "DATETIME": pl.Datetime("us"),
        "NUMERIC": pl.Decimal(14, 2),
        "BOOLEAN": pl.Boolean,
    }
    out = {}
    for column in table.columns:
        name = type(column.type).__visit_name__.upper()
        name = {"STRING": "VARCHAR"}.get(name, name)
        out[column.name] = kinds[name]
    return out
