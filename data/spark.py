"""Warehouse tables on Spark SQL (through its Thrift server): Parquet files behind Parquet tables.

Spark has no bulk INSERT from a client worth the name, so rows never travel as SQL: each frame is
written as a Parquet file straight into the table's directory and the table is refreshed. That needs
the table's location to be a directory this process can write (a local or shared filesystem path).

    create_tables_spark(url, frames, warehouse_dir)  # fresh tables, one Parquet file each
    create_schema_spark(conn)                        # empty tables (managed by Spark), if missing
    append_parquet(conn, table_name, frame)          # what data.bulk.bulk_insert does on Spark
    undo_appends(conn)                               # delete the files appended through `conn`
"""

import re
import uuid
from pathlib import Path
from urllib.parse import unquote, urlparse

import polars as pl
from sqlalchemy import Table, create_engine, text
from sqlalchemy.engine import Connection, Engine, make_url

from data.schema import TABLE_NAMES, metadata, table_schema

APPENDED = "spark_appended_files"  # conn.info key: the (table, file) pairs append_parquet wrote

# Spark column types of the contract: timestamps without time zone, money exact to the cent.
_SPARK_TYPES = {
    "INTEGER": "INT",
    "TEXT": "STRING",
    "VARCHAR": "STRING",
    "STRING": "STRING",
    "DATETIME": "TIMESTAMP_NTZ",
    "NUMERIC": "DECIMAL(14,2)",
    "BOOLEAN": "BOOLEAN",
}


def _kind(column) -> str:
    return type(column.type).__visit_name__.upper()


def parquet_frame(table: Table, frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with exactly the table's columns in the Parquet types its Spark table declares.

    INT columns must be 32-bit in the file (Spark will not narrow a 64-bit Parquet column), money
    stays Decimal(14, 2) and timestamps are microseconds without a time zone.
    """
    schema = table_schema(table)
    return frame.select(
        pl.col(name).cast(pl.Int32 if _kind(table.c[name]) == "INTEGER" else dtype) for name, dtype in schema.items()
    )


def table_ddl(table: Table, location: Path | None = None) -> str:
    """CREATE TABLE for a warehouse table on Spark (names from data.schema, never from input)."""
    columns = ", ".join(f"`{c.name}` {_SPARK_TYPES[_kind(c)]}" for c in table.columns)
    ddl = f"CREATE TABLE IF NOT EXISTS `{table.name}` ({columns}) USING parquet"
    if location is not None:
        ddl += " LOCATION '" + str(location).replace("\\", "\\\\").replace("'", "\\'") + "'"
    return ddl


def create_schema_spark(bind: Engine | Connection, locations: dict[str, Path] | None = None) -> None:
    """Create every warehouse table that does not exist yet, at `locations[name]` if given, else
    as tables Spark manages under its warehouse directory."""
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            create_schema_spark(conn, locations)
        return
    for name in TABLE_NAMES:
        location = (locations or {}).get(name)
        bind.execute(text(table_ddl(metadata.tables[name], location)))


def table_location(conn: Connection, table_name: str) -> Path:
    """The local directory behind a Spark table (a `file:` location), from DESCRIBE TABLE EXTENDED."""
    if table_name not in TABLE_NAMES:
        raise ValueError(f"{table_name!r} is not a warehouse table")
    rows = conn.execute(text(f"DESCRIBE TABLE EXTENDED `{table_name}`")).fetchall()
    for row in rows:
        if (row[0] or "").strip() == "Location":
            parsed = urlparse(row[1].strip())
            if parsed.scheme not in ("", "file"):
                raise NotImplementedError(
                    f"table {table_name} lives at {parsed.scheme}:…; loading rows into Spark needs a local "
                    "or shared filesystem location"
                )
            return Path(unquote(parsed.path))
    raise RuntimeError(f"Spark did not report a location for table {table_name}")


def append_parquet(conn: Connection, table_name: str, frame: pl.DataFrame) -> Path | None:
    """Append `frame` to a Spark table as one new Parquet file in its directory; return the file.

    Not transactional: each file written is remembered on the connection, and a caller that must
    undo a failed load calls `undo_appends(conn)`.
    """
    table = metadata.tables[table_name]
    frame = parquet_frame(table, frame)
    if frame.height == 0:
        return None
    directory = table_location(conn, table_name)
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"part-{uuid.uuid4().hex}.parquet"
    # Written under a name Spark skips (leading underscore), then renamed: readers never see half a file.
    partial = directory / f"_{final.name}.tmp"
    frame.write_parquet(partial, compression="zstd", statistics=True, row_group_size=1_000_000)
    partial.rename(final)
    conn.info.setdefault(APPENDED, []).append((table_name, final))
    conn.execute(text(f"REFRESH TABLE `{table_name}`"))
    return final


def undo_appends(conn: Connection) -> None:
    """Delete every Parquet file `append_parquet` wrote through this connection, and refresh."""
    appended = conn.info.pop(APPENDED, [])
    for _, path in appended:
        path.unlink(missing_ok=True)
    for table_name in sorted({name for name, _ in appended}):
        conn.execute(text(f"REFRESH TABLE `{table_name}`"))


def create_tables_spark(url: str, frames: dict[str, pl.DataFrame], warehouse_dir: str | Path) -> None:
    """Replace the warehouse tables of the Spark database named by `url` with `frames`.

    Each table becomes an external Parquet table at warehouse_dir/<database>/<table>/, holding one
    Parquet file of its frame (a table missing from `frames` is created empty). The database is
    created if it does not exist. Rows go in as files, never as INSERTs.
    """
    root = Path(warehouse_dir) / (make_url(url).database or "default")
    directories = {}
    for name in TABLE_NAMES:
        directory = directories[name] = root / name
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.parquet"):
            stale.unlink()
        if name in frames:
            frame = parquet_frame(metadata.tables[name], frames[name])
            frame.write_parquet(directory / "part-00000.parquet", compression="zstd", row_group_size=1_000_000)
    attach_parquet_tables(url, directories)


def attach_parquet_tables(url: str, directories: dict[str, Path]) -> None:
    """(Re)create each warehouse table of the Spark database named by `url` over a directory of
    Parquet files already written in its declared types (see `parquet_frame`). The database is
    created if it does not exist."""
    database = make_url(url).database or "default"
    if not re.fullmatch(r"\w+", database):
        raise ValueError(f"Spark database names are letters, digits and underscores; got {database!r}")
    admin = create_engine(make_url(url).set(database="default"))  # PyHive cannot open a missing database
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE IF NOT EXISTS `{database}`"))
    finally:
        admin.dispose()
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            for name in TABLE_NAMES:
                conn.execute(text(f"DROP TABLE IF EXISTS `{name}`"))
                conn.execute(text(table_ddl(metadata.tables[name], Path(directories[name]))))
    finally:
        engine.dispose()
