"""Which warehouse to talk to, how to open it, and the guard every dashboard query runs under.

The warehouse is named by a SQLAlchemy URL: the caller's, else TRUST_WAREHOUSE_URL, else the
embedded DuckDB file under data/. The dashboard opens it read-only, with a statement timeout
(TRUST_STATEMENT_TIMEOUT_S): PostgreSQL ends a runaway statement itself (statement_timeout); DuckDB has
no such setting, so a timer thread interrupts the connection. Driver errors become WarehouseUnavailable
or QueryTimeout, whose messages never hold SQL, a stack trace or a URL; the original goes to the server
log. For a warehouse shared with other writers, also connect as a role that may only SELECT:
docs/readonly_role.sql creates one.
"""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError

from warehouse import settings

DEFAULT_WAREHOUSE_PATH = settings.DEFAULT_WAREHOUSE_PATH
DEFAULT_URL = settings.DEFAULT_WAREHOUSE_URL
SUPPORTED_BACKENDS = ("duckdb", "postgresql", "hive")
DEFAULT_TIMEOUT_S = 60.0
QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement ended by statement_timeout

# Settings for every Spark session (PyHive passes them when it opens one): timestamps are UTC and
# without a time zone, as in the contract, whatever the server's defaults; CAST(... AS TIMESTAMP)
# of a bound as-of date then compares with the TIMESTAMP_NTZ columns without any zone arithmetic.
SPARK_SESSION_CONF = {
    "set:hiveconf:spark.sql.session.timeZone": "UTC",
    "set:hiveconf:spark.sql.timestampType": "TIMESTAMP_NTZ",
}
_log = logging.getLogger(__name__)


class WarehouseError(RuntimeError):
    """A warehouse problem worth telling a person about (never carries SQL or a password)."""


def resolve_url(url: str | None = None) -> str:
    """The warehouse URL: `url`, else $TRUST_WAREHOUSE_URL, else the embedded DuckDB file."""
    return url or settings.warehouse_url() or DEFAULT_URL


def warehouse_key(url: str | None = None) -> str:
    """The name a warehouse's saved policies, assessments and audit entries are kept under.

    $TRUST_WAREHOUSE_NAME when the operator gives one for the configured warehouse, else the resolved
    URL with its password left out (a key must never carry a secret), e.g. ``postgresql+psycopg://trust@db/wh``.
    """
    resolved = resolve_url(url)
    if settings.warehouse_name() and resolved == resolve_url(None):
        return settings.warehouse_name()
    try:
        return make_url(resolved)._replace(password=None).render_as_string(hide_password=False)
    except Exception as exc:  # sqlalchemy raises ArgumentError with the URL in it
        raise WarehouseError("The warehouse URL is not a valid SQLAlchemy URL.") from exc


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
            timeout_ms = max(1, round(statement_timeout_s() * 1000))
            connect_args["options"] = f"-c default_transaction_read_only=on -c statement_timeout={timeout_ms}"
        connect_args["connect_timeout"] = 10
    elif name == "hive":
        connect_args["configuration"] = dict(SPARK_SESSION_CONF)
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True)


class WarehouseUnavailable(WarehouseError):
    """The warehouse refused the connection, went away or failed a statement."""


class QueryTimeout(WarehouseError):
    """A statement ran longer than the statement timeout and was stopped."""


def statement_timeout_s() -> float:
    """Seconds a dashboard statement may run: $TRUST_STATEMENT_TIMEOUT_S (a number > 0), default 60."""
    raw = settings.statement_timeout_raw()
    if not raw:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 0 < value < 86_400:  # also refuses nan and inf
        raise WarehouseError(f"TRUST_STATEMENT_TIMEOUT_S must be a number of seconds above 0, not {raw!r}.")
    return value


def _timed_out(exc: DBAPIError, interrupted: threading.Event) -> bool:
    return interrupted.is_set() or getattr(exc.orig, "sqlstate", None) == QUERY_CANCELED


@contextmanager
def connection(engine: Engine, url: str) -> Iterator[Connection]:
    """A connection whose statements are stopped after statement_timeout_s(); driver errors translated.

    Raises QueryTimeout when a statement ran too long, WarehouseUnavailable for any other driver error.
    """
    timeout = statement_timeout_s()
    interrupted = threading.Event()
    timer = None
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "duckdb":
                raw = conn.connection.dbapi_connection

                def interrupt() -> None:
                    interrupted.set()
                    raw.interrupt()

                timer = threading.Timer(timeout, interrupt)
                timer.daemon = True
                timer.start()
            yield conn
    except DBAPIError as exc:
        _log.warning("warehouse query failed on %s", describe(url), exc_info=True)
        if _timed_out(exc, interrupted):
            raise QueryTimeout(
                f"A warehouse query ran longer than {timeout:g} s and was stopped. Try an earlier as-of date or "
                "narrower filters, or ask whoever runs the dashboard to raise TRUST_STATEMENT_TIMEOUT_S."
            ) from None
        raise WarehouseUnavailable(
            f"The warehouse ({describe(url)}) is not answering. Check that it is running; "
            "the dashboard tries again on your next click."
        ) from None
    finally:
        if timer is not None:
            timer.cancel()
