"""How recent the warehouse is, defined once: the data's last event, its end T and the default as-of date.

Every timestamp column of every table is an event except NOT_EVENTS (ship_by is a due date, not something
that happened). The last event counts only timestamps up to queries.windows.activity_bound (a year after the
latest order, never after 2100), so one placeholder such as 9999-12-31 moves nothing. From that one value:
T of PRODUCT.md's projection is midnight UTC after it (`data_end`), and the dashboard's default as-of date is
the same day (`default_as_of`).
"""

from datetime import UTC, date, datetime

from sqlalchemy import DateTime, case, func, select, true
from sqlalchemy.engine import Connection

from data.schema import TABLE_NAMES, metadata
from queries.windows import activity_bound, midnight_after, ts_param
from queries.windows import default_as_of as day_after_last_event

# ship_by is a date in the contract, not an event: an open order's may lie weeks after the data's end.
NOT_EVENTS = frozenset({("orders", "ship_by")})
# (table, column) of every event timestamp: registered_at, ta_enrolled_at, placed_at, shipped_at,
# delivered_at, completed_at, received_at, first_response_at, filed_at, resolved_at.
EVENT_COLUMNS = tuple(
    (name, column.name)
    for name in TABLE_NAMES
    for column in metadata.tables[name].columns
    if isinstance(column.type, DateTime) and (name, column.name) not in NOT_EVENTS
)


def freshness_statement(bound: bool = False):
    """SELECT one row: the latest value of every event column, labelled by the column's name (null when its
    table is empty); with `bound`, only timestamps at or before the bound parameter `activity_bound`.

    One aggregate per table, the tables' one-row results joined: DuckDB plans ten scalar subqueries in about
    90 ms even on empty tables, this in about 5 ms, and each table is read once however many columns it has."""
    limit = ts_param("activity_bound")
    parts = []
    for table in dict.fromkeys(name for name, _ in EVENT_COLUMNS):
        columns = [metadata.tables[table].c[name] for owner, name in EVENT_COLUMNS if owner == table]
        latest = [func.max(case((col <= limit, col)) if bound else col).label(col.name) for col in columns]
        parts.append(select(*latest).subquery(f"latest_{table}"))
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.join(part, true())  # one row each: the join is that row beside the others
    # One column per maximum, combined in Python: greatest() skips nulls on some engines only.
    return select(*(col for part in parts for col in part.c)).select_from(joined)


def fetch_freshness(conn: Connection) -> dict:
    """{"latest_order_at": max placed_at, "latest_activity_at": the latest event up to
    queries.windows.activity_bound, "ignored_after": that bound when some timestamp lies beyond it, else
    None}; each a datetime, or None when there is nothing."""
    row = conn.execute(freshness_statement()).mappings().one()
    limit = activity_bound(row["placed_at"])
    ignored = any(value is not None and value > limit for value in row.values())
    if ignored:  # a far-future placeholder somewhere: read the latest believable values instead
        row = conn.execute(freshness_statement(bound=True), {"activity_bound": limit}).mappings().one()
    latest = [value for value in row.values() if value is not None]
    return {
        "latest_order_at": row["placed_at"],
        "latest_activity_at": max(latest) if latest else None,
        "ignored_after": limit if ignored else None,
    }


def data_end(freshness: dict) -> date | None:
    """T of PRODUCT.md's projection: midnight UTC after the data's last event (None without any)."""
    return midnight_after(freshness["latest_activity_at"])


def fetch_data_end(conn: Connection) -> date | None:
    """data_end of this warehouse."""
    return data_end(fetch_freshness(conn))


def default_as_of(freshness: dict) -> date:
    """The as-of date that covers all data: T (the day after latest_activity_at), or today (UTC) if none."""
    return day_after_last_event(freshness.get("latest_activity_at"), datetime.now(UTC).date())
