"""Create the warehouse tables on any engine (Spark through data.spark, the others from the MetaData)."""

from data.schema import metadata
from data.spark import create_schema_spark


def create_schema(engine) -> None:
    """Create every warehouse table that does not exist yet (DuckDB, PostgreSQL or Spark SQL)."""
    if engine.dialect.name == "hive":
        create_schema_spark(engine)
        return
    metadata.create_all(engine)
