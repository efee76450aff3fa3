"""Which warehouse to talk to, and how to open it.

The warehouse is named by a SQLAlchemy URL: the caller's, else TRUST_WAREHOUSE_URL, else the
embedded DuckDB file under data/. The dashboard opens it read-only, with a statement timeout on
PostgreSQL (TRUST_STATEMENT_TIMEOUT_S, see queries.guard). For a warehouse shared with other writers, also
connect as a role that may only SELECT: docs/readonly_role.sql creates one.
"""

import os
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url

REPO = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE_PATH = REPO / "data" / "warehouse.duckdb"
DEFAULT_URL = f"duckdb:///{DEFAULT_WAREHOUSE_PATH}"
SUPPORTED_BACKENDS = ("duckdb", "postgresql", "hive")


class WarehouseError(RuntimeError):
    """A warehouse problem worth telling a person about (never carries SQL or a password)."""


def resolve_url(url: str | None = None) -> str:
    """The warehouse URL: `url`, else $TRUST_WAREHOUSE_URL, else the embedded DuckDB file."""
    return url or os.environ.get("TRUST_WAREHOUSE_URL") or DEFAULT_URL


def backend(url: str) -> str:
    """The backend name of a warehouse URL (duckdb, postgresql or hive), checked against the allow-list."""
    try:
        name = make_url(url).get_backend_name()
    except Exception as exc:  # sqlalchemy raises ArgumentError with the URL in it
        raise WarehouseError("The warehouse URL is not a valid SQLAlchemy URL.") from exc
    if name not in SUPPORTED_BACKENDS:
        raise WarehouseError(
            f"Unsupported warehouse backend {name!r}: expected one of {', '.join(SUPPORTED_BACKENDS)}."
        )
    return name


def describe(url: str) -> str:
    """A label for a warehouse that is safe to show: backend and database, no host or password."""
    parsed = make_url(url)
    name = backend(url)
    if name == "duckdb":
        return f"DuckDB · {Path(parsed.database or ':memory:').name}"
    if name == "postgresql":
        return f"PostgreSQL · {parsed.database or ''}"
    return f"Spark SQL · {parsed.database or 'default'}"


def warehouse_engine(url: str | None = None, *, read_only: bool = True) -> Engine:
    """An Engine for the warehouse; read-only unless the caller loads data."""
    url = resolve_url(url)
    name = backend(url)
    connect_args: dict = {}
    if name == "duckdb":
        if read_only:
            database = make_url(url).database
            if database and database != ":memory:" and not Path(database).exists():
                raise WarehouseError(
                    f"No DuckDB warehouse at {Path(database).name}: run `python -m data.generate` "
                    "or `python -m data.load DIR` first."
                )
            connect_args["read_only"] = True
    elif name == "postgresql":
        if read_only:  # the dashboard's statements: read-only, and ended server-side when they run too long
            from queries.guard import statement_timeout_s

            timeout_ms = max(1, round(statement_timeout_s() * 1000))
            connect_args["options"] = f"-c default_transaction_read_only=on -c statement_timeout={timeout_ms}"
        connect_args["connect_timeout"] = 10
    elif name == "hive":
        from queries.dialect import SPARK_SESSION_CONF

        connect_args["configuration"] = dict(SPARK_SESSION_CONF)
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True)
