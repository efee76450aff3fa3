"""Saved policies: named, versioned, one marked current, every change written to an append-only audit.

The app database is a SQLAlchemy URL in TRUST_APP_DB_URL, else the SQLite file data/app.sqlite.
Tables are created on first use; one Engine per URL for the process. Every statement binds its values.
"""

import json
import threading
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
    create_engine,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from policy import DEFAULT_POLICY, Policy
from warehouse import settings

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
    Column("name", Text, nullable=False, unique=True),
    Column("author", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("body", Text, nullable=False),  # Policy.to_json()
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("version", Integer, nullable=False),  # optimistic concurrency: bumped on every update
    Column("is_current", Boolean, nullable=False, default=False),
)
# At most one policy is current.
Index(
    "saved_policies_one_current",
    saved_policies.c.is_current,
    unique=True,
    sqlite_where=saved_policies.c.is_current,
    postgresql_where=saved_policies.c.is_current,
)

policy_audit = Table(
    "policy_audit",
    metadata,
    Column("audit_id", Integer, primary_key=True, autoincrement=True),
    Column("policy_id", Integer, nullable=False),
    Column("action", Text, nullable=False),  # save, update, mark_current
    Column("actor", Text, nullable=False),
    Column("at", DateTime, nullable=False),
    Column("before", Text, nullable=True),  # JSON
    Column("after", Text, nullable=False),  # JSON
)
# The audit is append-only: SQLite refuses to change or delete its rows.
for _verb in ("UPDATE", "DELETE"):
    event.listen(
        policy_audit,
        "after_create",
        DDL(
            f"CREATE TRIGGER policy_audit_no_{_verb.lower()} BEFORE {_verb} ON policy_audit "
            "BEGIN SELECT RAISE(ABORT, 'policy_audit is append-only'); END"
        ).execute_if(dialect="sqlite"),
    )


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


def app_engine(url: str | None = None) -> Engine:
    """One Engine per app database URL, with the tables created on first use."""
    url = url or app_db_url()
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            if url.startswith("sqlite:///"):
                Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url)
            metadata.create_all(engine)
            _engines[url] = engine
    return engine


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


def _audit(conn: Connection, policy_id: int, action: str, actor: str, before: str | None, after: str) -> None:
    conn.execute(
        insert(policy_audit).values(
            policy_id=policy_id, action=action, actor=actor, at=_now(), before=before, after=after
        )
    )


def save_policy(name: str, author: str, note: str, policy: Policy, expected_version: int | None = None) -> SavedPolicy:
    """Save `policy` under `name`: a new name inserts version 1; an existing one needs its version.

    Updating an existing name requires `expected_version` to equal the stored version, else
    PolicyConflict. Saving the same policy and note again (a double click) writes nothing.
    Raises PolicyStoreError naming the field for an invalid name, author or note.
    """
    name = _text("name", name, low=1, high=MAX_NAME)
    author = _text("author", author, low=1, high=MAX_AUTHOR)
    note = _text("note", note or "", low=0, high=MAX_NOTE)
    if not isinstance(policy, Policy):
        raise PolicyStoreError("policy", "expected a Policy")
    body = policy.to_json()
    sp = saved_policies.c
    try:
        with app_engine().begin() as conn:
            row = conn.execute(select(saved_policies).where(sp.name == name)).mappings().first()
            if row is None:
                now = _now()
                policy_id = conn.execute(
                    insert(saved_policies).values(
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
                _audit(conn, policy_id, "save", author, None, _snapshot(name, author, note, body, 1))
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


def list_policies() -> pl.DataFrame:
    """Saved policies by name: policy_id, name, author, note, version, is_current, created_at, updated_at, body."""
    sp = saved_policies.c
    with app_engine().connect() as conn:
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
                ).order_by(sp.name)
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


def load_policy(name: str) -> Policy:
    """The saved Policy called `name`; PolicyNotFound when there is none."""
    return Policy.from_json(_row(name)["body"], source=name)


def policy_version(name: str) -> int:
    """The stored version of the saved policy `name` (what an update must expect)."""
    return int(_row(name)["version"])


def _row(name: str):
    sp = saved_policies.c
    with app_engine().connect() as conn:
        row = conn.execute(select(saved_policies).where(sp.name == name.strip())).mappings().first()
    if row is None:
        raise PolicyNotFound(f"No saved policy is called {name!r}.")
    return row


def mark_current(name: str, actor: str) -> None:
    """Make the saved policy `name` the one every page uses; a no-op when it already is."""
    actor = _text("actor", actor, low=1, high=MAX_AUTHOR)
    sp = saved_policies.c
    with app_engine().begin() as conn:
        row = conn.execute(select(saved_policies).where(sp.name == name.strip())).mappings().first()
        if row is None:
            raise PolicyNotFound(f"No saved policy is called {name!r}.")
        if row["is_current"]:
            return
        old = conn.execute(select(sp.name).where(sp.is_current)).scalar()
        conn.execute(update(saved_policies).where(sp.is_current).values(is_current=False))
        conn.execute(update(saved_policies).where(sp.policy_id == row["policy_id"]).values(is_current=True))
        _audit(
            conn,
            row["policy_id"],
            "mark_current",
            actor,
            json.dumps({"current": old}),
            json.dumps({"current": row["name"], "version": row["version"]}),
        )


def current_policy() -> tuple[str, Policy]:
    """(name, Policy) of the policy marked current, else ("PRODUCT.md default", DEFAULT_POLICY)."""
    sp = saved_policies.c
    with app_engine().connect() as conn:
        row = conn.execute(select(sp.name, sp.body).where(sp.is_current)).first()
    if row is None:
        return DEFAULT_NAME, DEFAULT_POLICY
    return row.name, Policy.from_json(row.body, source=row.name)


def audit_log() -> pl.DataFrame:
    """Every audit row in order: audit_id, policy_id, name, action, actor, at, before, after (JSON text)."""
    pa, sp = policy_audit.c, saved_policies.c
    with app_engine().connect() as conn:
        rows = (
            conn.execute(
                select(pa.audit_id, pa.policy_id, sp.name, pa.action, pa.actor, pa.at, pa.before, pa.after)
                .select_from(policy_audit.outerjoin(saved_policies, sp.policy_id == pa.policy_id))
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
