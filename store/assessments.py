"""Recorded assessments and storefront publications: append-only tables in the app database.

Three tables, kept per warehouse (warehouse.connection.warehouse_key):
- assessment_runs: one row per run — run_id, warehouse_key, as_of, revision, supersedes, action (assess or
  supersede), the policy's name, version and full body (JSON), actor, recorded_at and the counts;
- assessment_rows: each supplier's badge, Trade Assurance Amount, kept_under_grace / grace_used, failed
  rules and the figures a storefront shows (money in whole cents, exact);
- assessment_publications: each time a run's storefront feed was written — run, actor, time, file name.

Nothing is ever changed or deleted: triggers refuse UPDATE and DELETE on SQLite and PostgreSQL (and
TRUNCATE on PostgreSQL). A supersede is a new run at the same as-of date with the next revision and
`supersedes` naming the run it replaces; the replaced run's `superseded_by` is read from that row, so even
the mark is an insert. A unique (warehouse_key, as_of, revision) makes two runs racing for one date fail.
"""

import csv
import functools
import io
import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
from sqlalchemy import (
    DDL,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from policy import Policy
from policy.assess import ASSESSMENT_SCHEMA, FEED_MONEY_COLUMNS, counts, feed
from store.policies import (
    DEFAULT_NAME,
    AppDatabaseError,
    PolicyNotFound,
    app_engine,
    current_policy_status,
    describe_app_db,
    policy_version,
)
from ui.export import neutralise

MAX_ACTOR = 200
_log = logging.getLogger(__name__)

metadata = MetaData()

assessment_runs = Table(
    "assessment_runs",
    metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=True),
    Column("warehouse_key", Text, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("revision", Integer, nullable=False),  # 1, then 2 for the first supersede, …
    Column("supersedes", Integer, ForeignKey("assessment_runs.run_id"), nullable=True, unique=True),
    Column("action", Text, nullable=False),  # assess, supersede
    Column("policy_name", Text, nullable=False),
    Column("policy_version", Integer, nullable=True),  # None: a policy file or the contract default
    Column("policy_body", Text, nullable=False),  # Policy.to_json()
    Column("actor", Text, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("suppliers", Integer, nullable=False),
    Column("holders", Integer, nullable=False),
    Column("kept_under_grace", Integer, nullable=False),
    Column("not_qualified", Integer, nullable=False),
    Column("region_not_open", Integer, nullable=False),
    Column("not_enrolled", Integer, nullable=False),
    Column("total_amount_cents", BigInteger, nullable=False),
    UniqueConstraint("warehouse_key", "as_of", "revision", name="assessment_runs_one_revision"),
)

assessment_rows = Table(
    "assessment_rows",
    metadata,
    Column("run_id", Integer, ForeignKey("assessment_runs.run_id"), primary_key=True),
    Column("supplier_id", BigInteger, primary_key=True),
    Column("badge", Text, nullable=False),
    Column("ta_amount_cents", BigInteger, nullable=False),
    Column("passes", Boolean, nullable=False),
    Column("kept_under_grace", Boolean, nullable=False),
    Column("grace_used", Integer, nullable=False),
    Column("failed_rules", Text, nullable=False),
    Column("deals_12m", BigInteger, nullable=False),
    Column("value_12m_cents", BigInteger, nullable=False),
    Column("response_rate_30d", Float, nullable=True),
    Column("median_response_hours_30d", Float, nullable=True),
)

assessment_publications = Table(
    "assessment_publications",
    metadata,
    Column("publication_id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("assessment_runs.run_id"), nullable=False),
    Column("actor", Text, nullable=False),
    Column("published_at", DateTime, nullable=False),
    Column("file_name", Text, nullable=False),
)

APPEND_ONLY = ("assessment_runs", "assessment_rows", "assessment_publications")
for _table in (assessment_runs, assessment_rows, assessment_publications):
    for _verb in ("UPDATE", "DELETE"):
        event.listen(
            _table,
            "after_create",
            DDL(
                f"CREATE TRIGGER {_table.name}_no_{_verb.lower()} BEFORE {_verb} ON {_table.name} "
                f"BEGIN SELECT RAISE(ABORT, '{_table.name} is append-only'); END"
            ).execute_if(dialect="sqlite"),
        )
    event.listen(
        _table,
        "after_create",
        DDL(
            f"CREATE TRIGGER {_table.name}_append_only BEFORE UPDATE OR DELETE ON {_table.name} "
            "FOR EACH ROW EXECUTE FUNCTION trust_append_only()"
        ).execute_if(dialect="postgresql"),
    )
    event.listen(
        _table,
        "after_create",
        DDL(
            f"CREATE TRIGGER {_table.name}_no_truncate BEFORE TRUNCATE ON {_table.name} "
            "FOR EACH STATEMENT EXECUTE FUNCTION trust_append_only()"
        ).execute_if(dialect="postgresql"),
    )
event.listen(
    metadata,
    "before_create",
    DDL(
        "CREATE OR REPLACE FUNCTION trust_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION '%% is append-only', TG_TABLE_NAME; END $$"
    ).execute_if(dialect="postgresql"),
)


class AssessmentRefused(ValueError):
    """An assessment or publication that the rules do not allow; the message says why and what to do."""


@dataclass(frozen=True)
class Run:
    """A recorded assessment run (what list_runs shows one row of)."""

    run_id: int
    warehouse_key: str
    as_of: date
    revision: int
    supersedes: int | None
    action: str
    policy_name: str
    policy_version: int | None
    policy: Policy
    actor: str
    recorded_at: datetime


def _app_db(function):
    """Driver errors of the app database become AppDatabaseError (store.policies' kind), naming no URL or SQL."""

    @functools.wraps(function)
    def guarded(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except SQLAlchemyError as exc:
            _log.warning("assessment store failure on %s", describe_app_db(), exc_info=exc)
            raise AppDatabaseError(
                f"Assessments could not be read or written: {describe_app_db()} is not available. Check "
                "TRUST_APP_DB_URL and that the database is running and writable; nothing was recorded."
            ) from None

    return guarded


_created: set[tuple[str, int]] = set()
_lock = threading.Lock()


@_app_db
def engine(url: str | None = None) -> Engine:
    """The app database Engine (store.policies.app_engine) with the assessment tables created."""
    eng = app_engine(url)
    key = (eng.url.render_as_string(hide_password=False), id(eng))
    with _lock:
        if key not in _created:
            metadata.create_all(eng)
            _created.add(key)
    return eng


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _cents(column: str) -> pl.Expr:
    return (pl.col(column) * 100).round().cast(pl.Int64)


def _actor(actor) -> str:
    if not isinstance(actor, str) or not actor.strip():
        raise AssessmentRefused("Who runs the assessment is required (the actor: --actor or $USER).")
    actor = actor.strip()
    if len(actor) > MAX_ACTOR or any(ord(ch) < 32 for ch in actor):
        raise AssessmentRefused(f"The actor must be one line of at most {MAX_ACTOR} characters.")
    return actor


def _active(conn: Connection, key: str, as_of: date | None = None):
    """The runs of `key` no later run supersedes (optionally only at `as_of`), newest as-of first."""
    r, later = assessment_runs.c, assessment_runs.alias("later")
    replaced = select(later.c.run_id).where(later.c.supersedes == r.run_id).exists()
    query = select(assessment_runs).where(r.warehouse_key == key, ~replaced)
    if as_of is not None:
        query = query.where(r.as_of == as_of)
    return conn.execute(query.order_by(r.as_of.desc())).mappings().all()


@_app_db
def check_assessment(key: str, as_of: date, *, supersede: bool) -> int | None:
    """The run a new assessment at `as_of` would supersede (None for a new date), or AssessmentRefused.

    Refused: a date already assessed without `supersede`; `supersede` with nothing to supersede; a new
    date before the latest assessed one (the later runs' grace was worked out without it). Superseding an
    earlier date is allowed: the later runs stay as recorded (a record, not a recomputation).
    """
    with engine().connect() as conn:
        return _check(conn, key, as_of, supersede)


def _check(conn: Connection, key: str, as_of: date, supersede: bool) -> int | None:
    active = _active(conn, key)
    same = [row for row in active if row["as_of"] == as_of]
    if same and not supersede:
        raise AssessmentRefused(
            f"{as_of:%Y-%m-%d} is already assessed (run {same[0]['run_id']} by {same[0]['actor']}). "
            "Nothing was recorded. To replace it, assess again with supersede (--supersede); the earlier run stays "
            "on record, marked superseded."
        )
    if supersede and not same:
        raise AssessmentRefused(
            f"There is no assessment at {as_of:%Y-%m-%d} to supersede. Nothing was recorded; assess without supersede."
        )
    if not same and active and active[0]["as_of"] > as_of:
        raise AssessmentRefused(
            f"{as_of:%Y-%m-%d} is before the latest assessment ({active[0]['as_of']:%Y-%m-%d}): later assessments "
            "applied grace without it. Nothing was recorded; assess dates in order."
        )
    return same[0]["run_id"] if same else None


@_app_db
def previous_assessment(key: str, as_of: date) -> pl.DataFrame | None:
    """The rows of the latest active run of `key` before `as_of` (what grace is applied over), or None."""
    with engine().connect() as conn:
        earlier = [row for row in _active(conn, key) if row["as_of"] < as_of]
        return _rows(conn, earlier[0]["run_id"]) if earlier else None


@_app_db
def record_assessment(
    key: str,
    as_of: date,
    assessment: pl.DataFrame,
    *,
    policy: Policy,
    policy_name: str,
    policy_version: int | None,
    actor: str,
    supersede: bool = False,
) -> Run:
    """Record `assessment` (policy.assess.assess output) as a run of warehouse `key` at `as_of`.

    The rules of check_assessment are checked again in the same transaction; a refusal
    (AssessmentRefused) records nothing. Returns the new Run.
    """
    actor = _actor(actor)
    summary = counts(assessment)
    total_cents = int(assessment.select(_cents("ta_amount_usd").sum()).item() or 0)
    rows = assessment.select(
        "supplier_id",
        "badge",
        _cents("ta_amount_usd").alias("ta_amount_cents"),
        "passes",
        "kept_under_grace",
        "grace_used",
        pl.col("failed_rules").fill_null(""),
        pl.col("deals_12m").fill_null(0),
        _cents("value_12m_usd").fill_null(0).alias("value_12m_cents"),
        "response_rate_30d",
        "median_response_hours_30d",
    ).to_dicts()
    now = _now()
    try:
        with engine().begin() as conn:
            replaced = _check(conn, key, as_of, supersede)
            revision = 1
            if replaced is not None:
                revision = (
                    conn.execute(
                        select(assessment_runs.c.revision).where(assessment_runs.c.run_id == replaced)
                    ).scalar_one()
                    + 1
                )
            run_id = conn.execute(
                insert(assessment_runs).values(
                    warehouse_key=key,
                    as_of=as_of,
                    revision=revision,
                    supersedes=replaced,
                    action="supersede" if replaced is not None else "assess",
                    policy_name=policy_name,
                    policy_version=policy_version,
                    policy_body=policy.to_json(),
                    actor=actor,
                    recorded_at=now,
                    total_amount_cents=total_cents,
                    **summary,
                )
            ).inserted_primary_key[0]
            if rows:
                conn.execute(insert(assessment_rows), [{**row, "run_id": run_id} for row in rows])
    except IntegrityError:  # another run for this date was recorded between our check and our insert
        raise AssessmentRefused(
            f"Someone else just recorded an assessment at {as_of:%Y-%m-%d}. Nothing was recorded; reload and check."
        ) from None
    return get_run(run_id)


@_app_db
def get_run(run_id: int) -> Run:
    """The recorded run `run_id`; AssessmentRefused when there is none."""
    with engine().connect() as conn:
        row = conn.execute(select(assessment_runs).where(assessment_runs.c.run_id == run_id)).mappings().first()
    if row is None:
        raise AssessmentRefused(f"There is no assessment run {run_id}.")
    return Run(
        run_id=row["run_id"],
        warehouse_key=row["warehouse_key"],
        as_of=row["as_of"],
        revision=row["revision"],
        supersedes=row["supersedes"],
        action=row["action"],
        policy_name=row["policy_name"],
        policy_version=row["policy_version"],
        policy=Policy.from_json(row["policy_body"], source=f"run {run_id}"),
        actor=row["actor"],
        recorded_at=row["recorded_at"],
    )


def _rows(conn: Connection, run_id: int) -> pl.DataFrame:
    r = assessment_rows.c
    # Read column-wise by polars (a run holds a row per supplier: 200,000 rows read as mappings took 2.6 times as long).
    query = select(assessment_rows).where(r.run_id == run_id).order_by(r.supplier_id)
    frame = pl.read_database(query, conn, infer_schema_length=None)
    if frame.is_empty():
        return pl.DataFrame(schema=ASSESSMENT_SCHEMA)
    return frame.with_columns(
        (pl.col("ta_amount_cents") / 100).alias("ta_amount_usd"),
        (pl.col("value_12m_cents") / 100).alias("value_12m_usd"),
    ).select(pl.col(name).cast(dtype) for name, dtype in ASSESSMENT_SCHEMA.items())


@_app_db
def run_rows(run_id: int) -> pl.DataFrame:
    """Every supplier's recorded assessment in run `run_id` (policy.assess.ASSESSMENT_SCHEMA)."""
    with engine().connect() as conn:
        return _rows(conn, run_id)


RUNS_SCHEMA = {
    "run_id": pl.Int64,
    "as_of": pl.Date,
    "action": pl.String,
    "revision": pl.Int64,
    "supersedes": pl.Int64,
    "superseded_by": pl.Int64,
    "policy_name": pl.String,
    "policy_version": pl.Int64,
    "grace_assessments": pl.Int64,
    "actor": pl.String,
    "recorded_at": pl.Datetime("us"),
    "suppliers": pl.Int64,
    "holders": pl.Int64,
    "kept_under_grace": pl.Int64,
    "not_qualified": pl.Int64,
    "region_not_open": pl.Int64,
    "not_enrolled": pl.Int64,
    "total_amount_usd": pl.Float64,
    "published_at": pl.Datetime("us"),
    "policy_body": pl.String,
}


@_app_db
def list_runs(key: str) -> pl.DataFrame:
    """Every run of warehouse `key`, newest first (RUNS_SCHEMA); published_at is its latest publication."""
    r, later, p = assessment_runs.c, assessment_runs.alias("later"), assessment_publications.c
    superseded_by = select(later.c.run_id).where(later.c.supersedes == r.run_id).scalar_subquery()
    published = select(func.max(p.published_at)).where(p.run_id == r.run_id).scalar_subquery()
    with engine().connect() as conn:
        found = (
            conn.execute(
                select(assessment_runs, superseded_by.label("superseded_by"), published.label("published_at")).where(
                    r.warehouse_key == key
                )
            )
            .mappings()
            .all()
        )
    records = []
    for row in found:
        record = dict(row)
        record["total_amount_usd"] = record.pop("total_amount_cents") / 100
        record["grace_assessments"] = json.loads(record["policy_body"]).get("grace_assessments", 0)
        records.append({name: record.get(name) for name in RUNS_SCHEMA})
    frame = pl.DataFrame(records, schema=RUNS_SCHEMA, orient="row")
    return frame.sort(["as_of", "run_id"], descending=True)


@_app_db
def supplier_history(key: str, supplier_id: int) -> pl.DataFrame:
    """One supplier's recorded assessments in the runs of `key` no later run supersedes, oldest first.

    Columns: run_id, as_of, policy_name, policy_version, badge, ta_amount_usd, passes, kept_under_grace,
    grace_used, failed_rules.
    """
    schema = {
        "run_id": pl.Int64,
        "as_of": pl.Date,
        "policy_name": pl.String,
        "policy_version": pl.Int64,
        "badge": pl.String,
        "ta_amount_usd": pl.Float64,
        "passes": pl.Boolean,
        "kept_under_grace": pl.Boolean,
        "grace_used": pl.Int64,
        "failed_rules": pl.String,
    }
    r, rows = assessment_runs.c, assessment_rows.c
    with engine().connect() as conn:
        active = {row["run_id"] for row in _active(conn, key)}
        found = (
            conn.execute(
                select(
                    r.run_id,
                    r.as_of,
                    r.policy_name,
                    r.policy_version,
                    rows.badge,
                    rows.ta_amount_cents,
                    rows.passes,
                    rows.kept_under_grace,
                    rows.grace_used,
                    rows.failed_rules,
                )
                .select_from(assessment_runs.join(assessment_rows, rows.run_id == r.run_id))
                .where(r.warehouse_key == key, rows.supplier_id == int(supplier_id))
                .order_by(r.as_of)
            )
            .mappings()
            .all()
        )
    records = []
    for row in found:
        if row["run_id"] in active:
            record = dict(row)
            record["ta_amount_usd"] = record.pop("ta_amount_cents") / 100
            records.append({name: record[name] for name in schema})
    return pl.DataFrame(records, schema=schema, orient="row")


@dataclass(frozen=True)
class Publication:
    """The latest storefront publication of a warehouse: which run, when, by whom."""

    run_id: int
    as_of: date
    policy_name: str
    policy_version: int | None
    published_at: datetime
    actor: str
    superseded_by: int | None


@_app_db
def latest_publication(key: str) -> Publication | None:
    """The most recent publication of warehouse `key` (None when nothing was ever published)."""
    p, r, later = assessment_publications.c, assessment_runs.c, assessment_runs.alias("later")
    superseded_by = select(later.c.run_id).where(later.c.supersedes == r.run_id).scalar_subquery()
    with engine().connect() as conn:
        row = (
            conn.execute(
                select(
                    p.run_id,
                    r.as_of,
                    r.policy_name,
                    r.policy_version,
                    p.published_at,
                    p.actor,
                    superseded_by.label("superseded_by"),
                )
                .select_from(assessment_publications.join(assessment_runs, r.run_id == p.run_id))
                .where(r.warehouse_key == key)
                .order_by(p.publication_id.desc())
                .limit(1)
            )
            .mappings()
            .first()
        )
    return Publication(**row) if row else None


def feed_file_name(as_of: date) -> str:
    """storefront-YYYY-MM-DD.csv (PRODUCT.md)."""
    return f"storefront-{as_of:%Y-%m-%d}.csv"


def _cell(name: str, value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if name in FEED_MONEY_COLUMNS:
        return f"{value:.2f}"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def feed_csv(assessment: pl.DataFrame) -> str:
    """The storefront feed as CSV text: the scorecard command's conventions (money with two decimals, nulls
    empty), text cells a spreadsheet would run as a formula prefixed with ' (ui.export.neutralise)."""
    frame = neutralise(feed(assessment))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(frame.columns)
    for row in frame.iter_rows():
        writer.writerow([_cell(name, value) for name, value in zip(frame.columns, row, strict=True)])
    return out.getvalue()


@_app_db
def publish(run_id: int, directory: str | Path, actor: str) -> Path:
    """Write run `run_id`'s storefront feed to DIRECTORY/storefront-YYYY-MM-DD.csv and record the publication.

    Only a run no later run supersedes may be published. The file is written next to its final name first
    and moved into place after the publication is recorded, so a failure leaves no half-written feed.
    Raises AssessmentRefused (nothing recorded) or OSError when the folder cannot be written.
    """
    actor = _actor(actor)
    run = get_run(run_id)
    if run_id not in {row["run_id"] for row in _active_of(run.warehouse_key)}:
        raise AssessmentRefused(f"Run {run_id} was superseded; publish the run that replaced it.")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / feed_file_name(run.as_of)
    temporary = directory / f".{target.name}.{os.getpid()}.tmp"
    temporary.write_text(feed_csv(run_rows(run_id)), encoding="utf-8")
    try:
        with engine().begin() as conn:
            conn.execute(
                insert(assessment_publications).values(
                    run_id=run_id, actor=actor, published_at=_now(), file_name=target.name
                )
            )
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


def _active_of(key: str):
    with engine().connect() as conn:
        return _active(conn, key)


@_app_db
def audit_entries(key: str) -> pl.DataFrame:
    """Every assessment, supersede and publication of warehouse `key` in order: at, action, actor, what (JSON)."""
    runs = list_runs(key)
    p, r = assessment_publications.c, assessment_runs.c
    with engine().connect() as conn:
        published = (
            conn.execute(
                select(p.publication_id, p.run_id, p.actor, p.published_at, p.file_name, r.as_of)
                .select_from(assessment_publications.join(assessment_runs, r.run_id == p.run_id))
                .where(r.warehouse_key == key)
            )
            .mappings()
            .all()
        )
    entries = [
        {
            "at": row["recorded_at"],
            "action": row["action"],
            "actor": row["actor"],
            "what": json.dumps(
                {
                    "run_id": row["run_id"],
                    "as_of": row["as_of"].isoformat(),
                    "supersedes": row["supersedes"],
                    "policy": row["policy_name"],
                    "version": row["policy_version"],
                    "holders": row["holders"],
                },
                sort_keys=True,
            ),
        }
        for row in runs.iter_rows(named=True)
    ] + [
        {
            "at": row["published_at"],
            "action": "publish",
            "actor": row["actor"],
            "what": json.dumps(
                {"run_id": row["run_id"], "as_of": row["as_of"].isoformat(), "file": row["file_name"]}, sort_keys=True
            ),
        }
        for row in published
    ]
    schema = {"at": pl.Datetime("us"), "action": pl.String, "actor": pl.String, "what": pl.String}
    return pl.DataFrame(entries, schema=schema, orient="row").sort("at")


@_app_db
def policy_for(key: str) -> tuple[str, int | None, Policy]:
    """(name, version, Policy) of the policy warehouse `key` assesses under by default: its current saved
    policy, else the contract default (version None). AssessmentRefused when the policy marked current is
    one today's rules refuse: storefronts must not silently fall back to the default."""
    status = current_policy_status(key)
    if status.problem:
        raise AssessmentRefused(
            f"{status.problem} Nothing was recorded; mark a valid policy current or give a policy file."
        )
    if status.name == DEFAULT_NAME:
        return status.name, None, status.policy
    try:
        return status.name, policy_version(key, status.name), status.policy
    except PolicyNotFound:  # renamed or removed since: record it without a version
        return status.name, None, status.policy


@_app_db
def published_row(key: str, supplier_id: int) -> tuple[Publication, dict | None] | None:
    """The latest publication of warehouse `key` and that supplier's row in it (None when it was not in the
    run); None when nothing was ever published. The row has the ASSESSMENT_SCHEMA fields."""
    publication = latest_publication(key)
    if publication is None:
        return None
    rows = run_rows(publication.run_id).filter(pl.col("supplier_id") == int(supplier_id))
    return publication, (rows.row(0, named=True) if rows.height else None)
