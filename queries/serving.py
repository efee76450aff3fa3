"""The serving layer: scorecard features and uptake history computed once per warehouse refresh, on disk.

Every supplier's features at an as-of date (`queries.scorecard.fetch_features`) and the uptake history's
rows at each as-of date (`queries.uptake.fetch_history_features`) are kept as Parquet files in
`snapshot_dir(url)` (TRUST_SERVING_DIR, else serving/ beside the SQLite app database, else data/serving;
one sub-folder per warehouse, named by a hash of `warehouse.connection.warehouse_key`). A server restart,
a second server process, the command line and every session read these files instead of aggregating the
fact tables again.

A refresh is detected from the data itself: `fetch_data_version` hashes, for a DuckDB file, its tables'
row counts and the size and modification time of the file and its write-ahead log (every write changes
them); for PostgreSQL tables, the inserted/updated/deleted row counters of its statistics (no scan);
otherwise (Spark, views) every table's row count and latest timestamps; with SNAPSHOT_VERSION and the
scorecard statement's text. The version is part of
each file's name and of its Parquet metadata, so a file of another refresh is never picked up; a file that
cannot be read, is truncated or has other columns or types than today's code produces is rebuilt, never
served. Files are written to a temporary name and renamed into place (os.replace), so a reader never sees
half a file; files of other versions are removed when a new one is written.

Money stays as the code has it: Float64 columns holding cent-exact values (Parquet stores the doubles
bit for bit). Reads are memory-mapped (polars read_parquet, memory_map=True): the page cache, not each
process, holds the file.
"""

import hashlib
import json
import logging
import os
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path

import polars as pl
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection, make_url

from data.schema import claims, inquiries, orders, suppliers
from queries.scorecard import RAW_SCHEMA, derive_features, fetch_features, scorecard_statement
from queries.uptake import HISTORY_COLUMNS, fetch_history_features
from warehouse import settings
from warehouse.connection import warehouse_key

# Bump when what a snapshot holds changes meaning without changing its columns (a metric's definition).
SNAPSHOT_VERSION = 1
# Snapshots of as-of dates kept per kind and warehouse; the oldest-read beyond this are removed.
MAX_FILES_PER_KIND = 64
METADATA_KEY = "trust.serving"

_log = logging.getLogger(__name__)

# The timestamp columns whose maximum marks a refresh, per table.
FRESHNESS_COLUMNS = {
    suppliers: ("registered_at", "ta_enrolled_at"),
    orders: ("placed_at", "ship_by", "shipped_at", "delivered_at", "completed_at"),
    inquiries: ("received_at", "first_response_at"),
    claims: ("filed_at", "resolved_at"),
}


def freshness_statement(latest: bool = True):
    """SELECT one row: each table's row count (<table>_rows) and, when `latest`, the latest timestamp of
    each column (<table>_<column>_max; null for an empty table)."""
    columns = []
    for table, names in FRESHNESS_COLUMNS.items():
        columns.append(select(func.count()).select_from(table).scalar_subquery().label(f"{table.name}_rows"))
        for name in names if latest else ():
            newest = select(func.max(table.c[name])).scalar_subquery()
            columns.append(newest.label(f"{table.name}_{name}_max"))
    return select(*columns)


# PostgreSQL counts every inserted, updated and deleted row per table: an in-place update shows there.
_PG_CHANGES = text(
    "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables "
    "WHERE relname IN ('suppliers', 'orders', 'inquiries', 'claims') AND schemaname = current_schema() "
    "ORDER BY relname"
)


def fetch_data_version(conn: Connection) -> str:
    """A short hash naming the warehouse's current data: it changes when a refresh adds, removes or
    (where the engine can tell) updates rows, and with SNAPSHOT_VERSION and the scorecard's statement."""
    dialect = conn.engine.dialect.name
    database = make_url(str(conn.engine.url)).database if dialect == "duckdb" else None
    parts: dict = {"version": SNAPSHOT_VERSION}
    if database and database != ":memory:":
        # A DuckDB file is rewritten (or its write-ahead log grows) by every change: its size and time tell
        # a refresh without scanning 50 million timestamps; the row counts come from its metadata.
        parts["files"] = [_stat(Path(database)), _stat(Path(f"{database}.wal"))]
        parts["fresh"] = _freshness(conn, latest=False)
    elif dialect == "postgresql" and (changes := _pg_changes(conn)):
        parts["changes"] = changes  # every inserted, updated and deleted row counted: no scan needed
    else:
        parts["fresh"] = _freshness(conn, latest=True)
    statement = str(scorecard_statement().compile(dialect=conn.dialect))
    parts["statement"] = hashlib.sha256(statement.encode()).hexdigest()
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _freshness(conn: Connection, latest: bool) -> dict:
    row = conn.execute(freshness_statement(latest=latest)).mappings().one()
    return {name: str(value) for name, value in row.items()}


def _pg_changes(conn: Connection) -> list | None:
    """PostgreSQL's row counters of the four fact tables, or None when they cannot tell a refresh (the
    statistics are off, or some of the tables are views)."""
    if conn.execute(text("SELECT current_setting('track_counts')")).scalar() != "on":
        return None
    changes = [list(r) for r in conn.execute(_PG_CHANGES)]
    return changes if len(changes) == len(FRESHNESS_COLUMNS) else None


def _stat(path: Path) -> list:
    try:
        info = path.stat()
    except OSError:
        return []
    return [info.st_size, info.st_mtime_ns]


def snapshot_dir(url: str) -> Path:
    """The folder of one warehouse's snapshots: <serving dir>/<hash of warehouse_key(url)>."""
    return settings.serving_dir() / hashlib.sha256(warehouse_key(url).encode()).hexdigest()[:16]


def persistent(url: str) -> bool:
    """False for an in-memory DuckDB warehouse: nothing outlives the process, so nothing is kept."""
    if make_url(url).get_backend_name() != "duckdb":
        return True
    database = make_url(url).database
    return bool(database) and database != ":memory:"


FEATURES_SCHEMA = dict(derive_features(pl.DataFrame(schema=RAW_SCHEMA), date(2000, 1, 1)).schema)
HISTORY_SCHEMA = {"as_of": pl.Date, **{name: FEATURES_SCHEMA[name] for name in HISTORY_COLUMNS[1:]}}

Connect = Callable[[], AbstractContextManager[Connection]]


def snapshot_path(url: str, kind: str, as_of: date, version: str) -> Path:
    """Where the `kind` ("features" or "history") snapshot of `as_of` at data `version` lives."""
    return snapshot_dir(url) / f"{kind}_{as_of.isoformat()}_{version}.parquet"


def read_snapshot(path: Path, schema: dict, version: str) -> pl.DataFrame | None:
    """The frame in `path`, or None when it is missing, unreadable, truncated, of another data version or
    not exactly `schema` (a bad file is removed, so it is rebuilt)."""
    if not path.exists():
        return None
    try:
        meta = pl.read_parquet_metadata(path)
        frame = pl.read_parquet(path, memory_map=True)
        stamp = json.loads(meta.get(METADATA_KEY, "{}"))
    except Exception:  # a truncated or foreign file: polars raises ComputeError, OSError, …
        _log.warning("serving snapshot %s is unreadable; rebuilding it", path.name)
        _remove(path)
        return None
    if stamp.get("version") != version or dict(frame.schema) != schema or stamp.get("rows") != frame.height:
        _log.warning("serving snapshot %s does not match the data or the code; rebuilding it", path.name)
        _remove(path)
        return None
    return frame


def write_snapshot(path: Path, frame: pl.DataFrame, version: str) -> None:
    """Write `frame` to `path` atomically (temporary file, then os.replace); remove files of other data
    versions and the oldest beyond MAX_FILES_PER_KIND. A folder that cannot be written is logged, not raised."""
    kind = path.name.split("_", 1)[0]
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        stamp = json.dumps({"version": version, "rows": frame.height})
        frame.write_parquet(temporary, compression="lz4", statistics=False, metadata={METADATA_KEY: stamp})
        os.replace(temporary, path)
    except OSError:
        _log.warning("serving snapshot %s could not be written", path.name, exc_info=True)
        _remove(temporary)
        return
    siblings = sorted(path.parent.glob(f"{kind}_*.parquet"), key=_mtime, reverse=True)
    for index, other in enumerate(siblings):
        if not other.name.endswith(f"_{version}.parquet") or index >= MAX_FILES_PER_KIND:
            _remove(other)


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def features(url: str, as_of: date, version: str, connect: Connect) -> pl.DataFrame:
    """Every supplier's scorecard features at `as_of` (exactly `fetch_features`), from the snapshot of data
    `version` when there is a good one, else computed on a `connect()` connection and kept."""
    if not persistent(url):
        with connect() as conn:
            return fetch_features(conn, as_of)
    path = snapshot_path(url, "features", as_of, version)
    frame = read_snapshot(path, FEATURES_SCHEMA, version)
    if frame is None:
        with connect() as conn:
            frame = fetch_features(conn, as_of)
        write_snapshot(path, frame, version)
    return frame


def history_features(url: str, as_ofs: Sequence[date], version: str, connect: Connect) -> pl.DataFrame:
    """`fetch_history_features(conn, as_ofs)`, each as-of date's rows read from its snapshot; only the
    dates without a good snapshot are computed (in one statement) and kept."""
    points = sorted(set(as_ofs))
    if not persistent(url) or not points:
        with connect() as conn:
            return fetch_history_features(conn, tuple(points))
    paths = {point: snapshot_path(url, "history", point, version) for point in points}
    frames = {point: read_snapshot(path, HISTORY_SCHEMA, version) for point, path in paths.items()}
    missing = tuple(point for point, frame in frames.items() if frame is None)
    if missing:
        with connect() as conn:
            computed = fetch_history_features(conn, missing)
        for point, part in computed.partition_by("as_of", as_dict=True, maintain_order=True).items():
            point = point[0]
            frames[point] = part
            write_snapshot(paths[point], part, version)
    for point in missing:  # a date with no supplier rows at all
        if frames[point] is None:
            frames[point] = pl.DataFrame(schema=HISTORY_SCHEMA)
    return pl.concat([frames[point] for point in points], rechunk=False)


def _year_before(as_of: date) -> date:
    try:
        return as_of.replace(year=as_of.year - 1)
    except ValueError:  # 29 February
        return as_of.replace(year=as_of.year - 1, day=28)


def warm(url: str | None = None, months: int = 24) -> list[Path]:
    """Compute what a first visit needs at the default as-of date into the snapshots: the features at it
    and at the next monthly assessment, and the uptake history's `months` monthly dates and the date a
    year before. Returns the snapshot files. `python -m queries.serving [URL]` runs it (scripts/serve.sh
    does at start)."""
    from policy.flip import next_assessment
    from queries.freshness import default_as_of, fetch_freshness
    from queries.uptake import month_starts
    from warehouse.connection import resolve_url, warehouse_engine

    url = resolve_url(url)
    engine = warehouse_engine(url)
    try:
        with engine.connect() as conn:
            version = fetch_data_version(conn)
            as_of = default_as_of(fetch_freshness(conn))
        for point in (as_of, next_assessment(as_of)):
            features(url, point, version, engine.connect)
        points = (*month_starts(as_of, months), _year_before(as_of))
        history_features(url, points, version, engine.connect)
    finally:
        engine.dispose()
    kept = [snapshot_path(url, "features", as_of, version)]
    return kept + [snapshot_path(url, "history", point, version) for point in sorted(set(points))]


if __name__ == "__main__":
    import sys

    for path in warm(sys.argv[1] if len(sys.argv) > 1 else None):
        print(path)
