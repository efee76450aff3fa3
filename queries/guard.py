"""Every dashboard query runs under a guard: a time limit, and failures turned into messages for people.

PostgreSQL ends a runaway statement itself (statement_timeout, set by queries.engine on read-only
connections); DuckDB has no such setting, so a timer thread interrupts the connection. Driver errors
become WarehouseUnavailable or QueryTimeout, whose messages never hold SQL, a stack trace or a URL;
the original goes to the server log. Nothing failed is cached: st.cache_* keeps only returned values.
"""

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from queries.engine import WarehouseError, describe

DEFAULT_TIMEOUT_S = 60.0
QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement ended by statement_timeout
_log = logging.getLogger(__name__)


class WarehouseUnavailable(WarehouseError):
    """The warehouse refused the connection, went away or failed a statement."""


class QueryTimeout(WarehouseError):
    """A statement ran longer than the statement timeout and was stopped."""


def statement_timeout_s() -> float:
    """Seconds a dashboard statement may run: $TRUST_STATEMENT_TIMEOUT_S (a number > 0), default 60."""
    raw = os.environ.get("TRUST_STATEMENT_TIMEOUT_S")
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
