"""Saved policies: named, versioned, one marked current, every change written to an append-only audit.

Everything belongs to one warehouse: every function takes the warehouse's key
(warehouse.connection.warehouse_key: TRUST_WAREHOUSE_NAME or the URL without its password), so marking a
policy current while looking at one warehouse never changes another's. The app database is a SQLAlchemy
URL in TRUST_APP_DB_URL, else the SQLite file data/app.sqlite. Tables are created on first use (and an app
database from before warehouses had keys is migrated: its policies and audit go to the configured
warehouse's key); one Engine per URL for the process. Every statement binds its values. The audit is
append-only in the database itself: triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) for
every user, the app's own included. Any failure of the app database is raised as AppDatabaseError,
which says so (it is not the warehouse).
"""

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from sqlalchemy import (
    DDL,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    insert,
    inspect,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from policy import DEFAULT_POLICY, Policy, PolicyError
from warehouse import settings
from warehouse.connection import WarehouseError, warehouse_key

REPO = Path(__file__).resolve().parent.parent
DEFAULT_APP_DB_URL = f"sqlite:///{REPO / 'data' / 'app.sqlite'}"
DEFAULT_NAME = "PRODUCT.md default"
MAX_NAME = 80
MAX_AUTHOR = 80
MAX_NOTE = 2000

metadata = MetaData()

saved_policies = Table(
    "saved_policies",
    metadata,
    Column("policy_id", Integer, primary_key=True, autoincrement=True),
    Column("warehouse", Text, nullable=False),  # warehouse.connection.warehouse_key
    Column("name", Text, nullable=False),
    Column("author", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("body", Text, nullable=False),  # Policy.to_json()
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("version", Integer, nullable=False),  # optimistic concurrency: bumped on every update
    Column("is_current", Boolean, nullable=False, default=False),
    UniqueConstraint("warehouse", "name", name="saved_policies_warehouse_name"),
)
# At most one policy is current per warehouse.
Index(
    "saved_policies_one_current_per_warehouse",
    saved_policies.c.warehouse,
    unique=True,
    sqlite_where=saved_policies.c.is_current,
    postgresql_where=saved_policies.c.is_current,
)

policy_audit = Table(
    "policy_audit",
    metadata,
    Column("audit_id", Integer, primary_key=True, autoincrement=True),
    Column("warehouse", Text, nullable=False),
    Column("policy_id", Integer, nullable=False),
    Column("action", Text, nullable=False),  # save, update, mark_current
    Column("actor", Text, nullable=False),
    Column("at", DateTime, nullable=False),
    Column("before", Text, nullable=True),  # JSON
    Column("after", Text, nullable=False),  # JSON
)
# The audit is append-only: the database refuses to change or delete its rows (installed by _append_only).
_SQLITE_APPEND_ONLY = [
    DDL(
        f"CREATE TRIGGER IF NOT EXISTS policy_audit_no_{verb.lower()} BEFORE {verb} ON policy_audit "
        "BEGIN SELECT RAISE(ABORT, 'policy_audit is append-only'); END"
    )
    for verb in ("UPDATE", "DELETE")
]
_POSTGRESQL_APPEND_ONLY = [
    DDL(
        "CREATE OR REPLACE FUNCTION policy_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'policy_audit is append-only'; END $$"
    ),
    DDL(
        "CREATE OR REPLACE TRIGGER policy_audit_no_change BEFORE UPDATE OR DELETE ON policy_audit "
        "FOR EACH ROW EXECUTE FUNCTION policy_audit_append_only()"
    ),
    DDL(
        "CREATE OR REPLACE TRIGGER policy_audit_no_truncate BEFORE TRUNCATE ON policy_audit "
        "FOR EACH STATEMENT EXECUTE FUNCTION policy_audit_append_only()"
    ),
]
_log = logging.getLogger(__name__)


class AppDatabaseError(RuntimeError):
    """The app database (saved policies, audit) could not be opened, read or written; never the warehouse.

    The message names the app database by kind and file or database name, never its URL or password.
    """


class PolicyStoreError(ValueError):
    """A value a person typed that cannot be saved; names the field."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


class PolicyConflict(RuntimeError):
    """Someone else saved the policy since it was loaded (or the name is taken): reload, then save."""


class PolicyNotFound(KeyError):
    """No saved policy has that name."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "policy not found"


@dataclass(frozen=True)
class SavedPolicy:
    """What a save left in the store; `written` is False when nothing had changed (a double click)."""

    policy_id: int
    name: str
    version: int
    written: bool


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def app_db_url() -> str:
    """The app database URL: $TRUST_APP_DB_URL, else the SQLite file data/app.sqlite."""
    return settings.app_db_url()


def describe_app_db(url: str | None = None) -> str:
    """A label for the app database that is safe to show: its kind and file or database name."""
    url = url or app_db_url()
    try:
        parsed = make_url(url)
    except Exception:  # sqlalchemy's message holds the URL
        return "the app database (TRUST_APP_DB_URL is not a valid SQLAlchemy URL)"
    name = Path(parsed.database).name if parsed.database else "in memory"
    return f"the app database ({parsed.get_backend_name()} · {name})"


def _failed(url: str, exc: BaseException) -> AppDatabaseError:
    _log.warning("app database failure on %s", describe_app_db(url), exc_info=exc)
    return AppDatabaseError(
        f"Saved policies could not be read or written: {describe_app_db(url)} is not available. "
        "Check TRUST_APP_DB_URL and that the database is running and writable; the warehouse itself is fine."
    )


def app_engine(url: str | None = None) -> Engine:
    """One Engine per app database URL, with the tables created (or migrated) on first use.

    Raises AppDatabaseError when the app database cannot be opened.
    """
    url = url or app_db_url()
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            try:
                if url.startswith("sqlite:///"):
                    Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
                engine = create_engine(url)
                with engine.begin() as conn:
                    _migrate(conn)
                    metadata.create_all(conn)
                    _append_only(conn)
            except (SQLAlchemyError, OSError, ValueError) as exc:
                if engine is not None:
                    engine.dispose()
                raise _failed(url, exc) from None
            _engines[url] = engine
    return engine


def _append_only(conn: Connection) -> None:
    """Install the triggers that refuse UPDATE and DELETE on policy_audit (idempotent)."""
    statements = {"sqlite": _SQLITE_APPEND_ONLY, "postgresql": _POSTGRESQL_APPEND_ONLY}
    for statement in statements.get(conn.dialect.name, ()):
        conn.execute(statement)


def _migrate(conn: Connection) -> None:
    """An app database from before policies belonged to a warehouse: keep its rows, under the configured
    warehouse's key (the warehouse they were made for)."""
    present = inspect(conn)
    tables = set(present.get_table_names())
    if "saved_policies" in tables and "warehouse" not in {c["name"] for c in present.get_columns("saved_policies")}:
        key = _literal(conn, _default_key())
        old = [c.name for c in saved_policies.columns if c.name != "warehouse"]
        columns = ", ".join(old)  # names from the Table above, never from input
        conn.execute(text("ALTER TABLE saved_policies RENAME TO saved_policies_unkeyed"))
        conn.execute(text("DROP INDEX IF EXISTS saved_policies_one_current"))
        saved_policies.create(conn)
        conn.execute(
            text(
                f"INSERT INTO saved_policies (warehouse, {columns}) SELECT {key}, {columns} FROM saved_policies_unkeyed"
            )
        )
        conn.execute(text("DROP TABLE saved_policies_unkeyed"))
        if conn.dialect.name == "postgresql":  # the new id sequence continues after the kept ids
            conn.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('saved_policies', 'policy_id'), "
                    "COALESCE((SELECT max(policy_id) FROM saved_policies), 0) + 1, false)"
                )
            )
    if "policy_audit" in tables and "warehouse" not in {c["name"] for c in present.get_columns("policy_audit")}:
        # Adding a column with a default rewrites no row, so the append-only triggers are not involved.
        key = _literal(conn, _default_key())
        conn.execute(text(f"ALTER TABLE policy_audit ADD COLUMN warehouse TEXT NOT NULL DEFAULT {key}"))


def _default_key() -> str:
    try:
        return warehouse_key()
    except WarehouseError:
        return "default"


def _literal(conn: Connection, value: str) -> str:
    """`value` as a quoted SQL string literal of this dialect (DDL cannot bind parameters)."""
    return str(literal(value, Text).compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))


@contextmanager
def _connect(*, write: bool) -> Iterator[Connection]:
    """A connection (a transaction when `write`); database failures raised as AppDatabaseError."""
    url = app_db_url()
    engine = app_engine(url)
    try:
        with engine.begin() if write else engine.connect() as conn:
            yield conn
    except IntegrityError:
        raise
    except SQLAlchemyError as exc:
        raise _failed(url, exc) from None


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _text(field: str, value, *, low: int, high: int) -> str:
    if not isinstance(value, str):
        raise PolicyStoreError(field, "expected text")
    value = value.strip()
    if not low <= len(value) <= high:
        if low and not value:
            raise PolicyStoreError(field, "is required")
        raise PolicyStoreError(field, f"must be at most {high:,} characters (got {len(value):,})")
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in value) or (field != "note" and "\n" in value):
        raise PolicyStoreError(field, "must not contain line breaks or control characters")
    return value


def _snapshot(name: str, author: str, note: str, body: str, version: int) -> str:
    return json.dumps(
        {"name": name, "author": author, "note": note, "version": version, "policy": json.loads(body)},
        sort_keys=True,
    )


def _audit(
    conn: Connection, warehouse: str, policy_id: int, action: str, actor: str, before: str | None, after: str
) -> None:
    conn.execute(
        insert(policy_audit).values(
            warehouse=warehouse, policy_id=policy_id, action=action, actor=actor, at=_now(), before=before, after=after
        )
    )


def _key(warehouse: str) -> str:
    if not isinstance(warehouse, str) or not warehouse:
        raise PolicyStoreError("warehouse", "expected the warehouse's key (warehouse.connection.warehouse_key)")
    return warehouse


def save_policy(
    warehouse: str, name: str, author: str, note: str, policy: Policy, expected_version: int | None = None
) -> SavedPolicy:
    """Save `policy` under `name` for the warehouse keyed `warehouse`: a new name inserts version 1; an
    existing one needs its version.

    Updating an existing name requires `expected_version` to equal the stored version, else
    PolicyConflict. Saving the same policy and note again (a double click) writes nothing.
    Raises PolicyStoreError naming the field for an invalid name, author or note.
    """
    warehouse = _key(warehouse)
    name = _text("name", name, low=1, high=MAX_NAME)
    author = _text("author", author, low=1, high=MAX_AUTHOR)
    note = _text("note", note or "", low=0, high=MAX_NOTE)
    if not isinstance(policy, Policy):
        raise PolicyStoreError("policy", "expected a Policy")
    body = policy.to_json()
    sp = saved_policies.c
    try:
        with _connect(write=True) as conn:
            row = (
                conn.execute(select(saved_policies).where(sp.warehouse == warehouse, sp.name == name))
                .mappings()
                .first()
            )
            if row is None:
                now = _now()
                policy_id = conn.execute(
                    insert(saved_policies).values(
                        warehouse=warehouse,
                        name=name,
                        author=author,
                        note=note,
                        body=body,
                        created_at=now,
                        updated_at=now,
                        version=1,
                        is_current=False,
                    )
                ).inserted_primary_key[0]
                _audit(conn, warehouse, policy_id, "save", author, None, _snapshot(name, author, note, body, 1))
                return SavedPolicy(policy_id, name, 1, True)
            if row["body"] == body and row["note"] == note:
                return SavedPolicy(row["policy_id"], name, row["version"], False)
            if expected_version != row["version"]:
                raise PolicyConflict(_conflict_message(name, row, expected_version))
            version = row["version"] + 1
            done = conn.execute(
                update(saved_policies)
                .where(sp.policy_id == row["policy_id"], sp.version == row["version"])
                .values(author=author, note=note, body=body, updated_at=_now(), version=version)
            )
            if done.rowcount != 1:  # someone updated it between our read and our write
                raise PolicyConflict(_conflict_message(name, row, expected_version))
            _audit(
                conn,
                warehouse,
                row["policy_id"],
                "update",
                author,
                _snapshot(name, row["author"], row["note"], row["body"], row["version"]),
                _snapshot(name, author, note, body, version),
            )
            return SavedPolicy(row["policy_id"], name, version, True)
    except IntegrityError:  # another session inserted the same name first
        raise PolicyConflict(f"A policy named {name!r} was just saved by someone else. Load it, then save again.")


def _conflict_message(name: str, row, expected_version: int | None) -> str:
    if expected_version is None:
        return (
            f"A policy named {name!r} already exists (version {row['version']}, by {row['author']}). "
            "Load it first to update it, or choose another name."
        )
    return (
        f"Policy {name!r} was changed by {row['author']} since you loaded it: it is at version "
        f"{row['version']}, you edited version {expected_version}. Load it again, then save."
    )


def list_policies(warehouse: str) -> pl.DataFrame:
    """The warehouse's saved policies by name: policy_id, name, author, note, version, is_current,
    created_at, updated_at, body."""
    sp = saved_policies.c
    with _connect(write=False) as conn:
        rows = (
            conn.execute(
                select(
                    sp.policy_id,
                    sp.name,
                    sp.author,
                    sp.note,
                    sp.version,
                    sp.is_current,
                    sp.created_at,
                    sp.updated_at,
                    sp.body,
                )
                .where(sp.warehouse == _key(warehouse))
                .order_by(sp.name)
            )
            .mappings()
            .all()
        )
    schema = {
        "policy_id": pl.Int64,
        "name": pl.String,
        "author": pl.String,
        "note": pl.String,
        "version": pl.Int64,
        "is_current": pl.Boolean,
        "created_at": pl.Datetime("us"),
        "updated_at": pl.Datetime("us"),
        "body": pl.String,
    }
    return pl.DataFrame([dict(r) for r in rows], schema=schema, orient="row")


def load_policy(warehouse: str, name: str) -> Policy:
    """The warehouse's saved Policy called `name`; PolicyNotFound when there is none."""
    return Policy.from_json(_row(warehouse, name)["body"], source=name)


def policy_version(warehouse: str, name: str) -> int:
    """The stored version of the warehouse's saved policy `name` (what an update must expect)."""
    return int(_row(warehouse, name)["version"])


def _row(warehouse: str, name: str):
    sp = saved_policies.c
    with _connect(write=False) as conn:
        row = (
            conn.execute(select(saved_policies).where(sp.warehouse == _key(warehouse), sp.name == name.strip()))
            .mappings()
            .first()
        )
    if row is None:
        raise PolicyNotFound(f"No saved policy is called {name!r}.")
    return row


def mark_current(warehouse: str, name: str, actor: str) -> None:
    """Make the saved policy `name` the one every page uses for this warehouse (only this one); a no-op
    when it already is."""
    warehouse = _key(warehouse)
    actor = _text("actor", actor, low=1, high=MAX_AUTHOR)
    sp = saved_policies.c
    mine = sp.warehouse == warehouse
    with _connect(write=True) as conn:
        row = conn.execute(select(saved_policies).where(mine, sp.name == name.strip())).mappings().first()
        if row is None:
            raise PolicyNotFound(f"No saved policy is called {name!r}.")
        if row["is_current"]:
            return
        old = conn.execute(select(sp.name).where(mine, sp.is_current)).scalar()
        conn.execute(update(saved_policies).where(mine, sp.is_current).values(is_current=False))
        conn.execute(update(saved_policies).where(sp.policy_id == row["policy_id"]).values(is_current=True))
        _audit(
            conn,
            warehouse,
            row["policy_id"],
            "mark_current",
            actor,
            json.dumps({"current": old}),
            json.dumps({"current": row["name"], "version": row["version"]}),
        )


@dataclass(frozen=True)
class CurrentPolicy:
    """The policy every page uses: `name` and `policy`; `problem` says why a saved policy marked current
    was not used (today's rules refuse it) and the contract default is used instead, else None."""

    name: str
    policy: Policy
    problem: str | None = None


def current_policy_status(warehouse: str) -> CurrentPolicy:
    """The warehouse's current policy; the contract default when none is marked or the marked one is invalid."""
    sp = saved_policies.c
    with _connect(write=False) as conn:
        row = conn.execute(select(sp.name, sp.body).where(sp.warehouse == _key(warehouse), sp.is_current)).first()
    if row is None:
        return CurrentPolicy(DEFAULT_NAME, DEFAULT_POLICY)
    try:
        return CurrentPolicy(row.name, Policy.from_json(row.body, source=row.name))
    except PolicyError as exc:
        return CurrentPolicy(
            DEFAULT_NAME,
            DEFAULT_POLICY,
            f"The saved policy {row.name!r} is marked current but today's rules refuse it ({exc}), so every "
            f"page uses the {DEFAULT_NAME} until a valid policy is marked current in the Policy lab.",
        )


def current_policy(warehouse: str) -> tuple[str, Policy]:
    """(name, Policy) of the warehouse's policy marked current, else ("PRODUCT.md default", DEFAULT_POLICY)
    (also when the one marked current is invalid: current_policy_status says why)."""
    status = current_policy_status(warehouse)
    return status.name, status.policy


def audit_log(warehouse: str) -> pl.DataFrame:
    """The warehouse's audit rows in order: audit_id, policy_id, name, action, actor, at, before, after (JSON)."""
    pa, sp = policy_audit.c, saved_policies.c
    with _connect(write=False) as conn:
        rows = (
            conn.execute(
                select(pa.audit_id, pa.policy_id, sp.name, pa.action, pa.actor, pa.at, pa.before, pa.after)
                .select_from(policy_audit.outerjoin(saved_policies, sp.policy_id == pa.policy_id))
                .where(pa.warehouse == _key(warehouse))
                .order_by(pa.audit_id)
            )
            .mappings()
            .all()
        )
    schema = {
        "audit_id": pl.Int64,
        "policy_id": pl.Int64,
        "name": pl.String,
        "action": pl.String,
        "actor": pl.String,
        "at": pl.Datetime("us"),
        "before": pl.String,
        "after": pl.String,
    }
    return pl.DataFrame([dict(r) for r in rows], schema=schema, orient="row")
