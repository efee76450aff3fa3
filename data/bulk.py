"""Bulk-insert polars frames into warehouse tables: Arrow into DuckDB, COPY into PostgreSQL.

Rows go in through the caller's Connection, so a load that spans tables commits or rolls back
as one transaction. Never row-by-row INSERTs.
"""

import io

import polars as pl
from sqlalchemy.engine import Connection

from data.schema import metadata, table_schema

__all__ = ["bulk_insert", "table_schema"]


def bulk_insert(conn: Connection, table_name: str, frame: pl.DataFrame) -> None:
    """Append `frame` (exactly the table's columns) to `table_name` inside the caller's transaction."""
    table = metadata.tables[table_name]
    frame = frame.select(pl.col(name).cast(dtype) for name, dtype in table_schema(table).items())
    if frame.height == 0:
        return
    dialect = conn.dialect.name
    if dialect == "duckdb":
        raw = conn.connection.driver_connection
        view = f"_bulk_{table_name}"
        raw.register(view, frame.to_arrow())
        try:
            columns = ", ".join(frame.columns)
            # table_name comes from the schema's allow-list above, never from input.
            raw.execute(f"INSERT INTO {table_name} ({columns}) SELECT {columns} FROM {view}")
        finally:
            try:
                raw.unregister(view)
            except Exception:  # an aborted transaction refuses this too; keep the insert's own error
                pass
    elif dialect == "postgresql":
        raw = conn.connection.driver_connection
        columns = ", ".join(frame.columns)
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {table_name} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')") as copy:
                for chunk in frame.iter_slices(200_000):
                    buffer = io.BytesIO()
                    chunk.write_csv(
                        buffer, include_header=False, null_value="\\N", datetime_format="%Y-%m-%d %H:%M:%S%.f"
                    )
                    copy.write(buffer.getvalue())
    elif dialect == "hive":
        from data.spark import append_parquet

        # Spark SQL: a Parquet file into the table's directory (not transactional; see data.spark).
        append_parquet(conn, table_name, frame)
    else:
        raise NotImplementedError(f"bulk loading into {dialect} is not supported")
