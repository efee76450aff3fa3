"""Every SQL difference between DuckDB, PostgreSQL and Spark SQL, in one place.

Each construct compiles to the engine's own spelling; queries use these and nothing dialect-specific.
Spark SQL is reached through PyHive, whose dialect is named "hive".
"""

from sqlalchemy import BigInteger, Double
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class micros_between(FunctionElement):
    """Whole microseconds from the first timestamp to the second (exact, as BIGINT)."""

    type = BigInteger()
    name = "micros_between"
    inherit_cache = True


class median(FunctionElement):
    """Interpolated median of a numeric expression (percentile_cont 0.5); nulls ignored."""

    type = Double()
    name = "median"
    inherit_cache = True


class month_start(FunctionElement):
    """The timestamp truncated to midnight of the first day of its month."""

    name = "month_start"
    inherit_cache = True

    @property
    def type(self):
        return list(self.clauses)[0].type


def _args(element, compiler, **kw):
    return [compiler.process(arg, **kw) for arg in element.clauses]


@compiles(micros_between)
def _micros_between_default(element, compiler, **kw):
    raise NotImplementedError(f"micros_between has no spelling for {compiler.dialect.name}")


@compiles(micros_between, "duckdb")
def _micros_between_duckdb(element, compiler, **kw):
    start, end = _args(element, compiler, **kw)
    return f"(epoch_us({end}) - epoch_us({start}))"


@compiles(micros_between, "postgresql")
def _micros_between_postgresql(element, compiler, **kw):
    start, end = _args(element, compiler, **kw)
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) * 1000000 AS BIGINT)"


@compiles(micros_between, "hive")
def _micros_between_spark(element, compiler, **kw):
    start, end = _args(element, compiler, **kw)
    return f"(unix_micros({end}) - unix_micros({start}))"


@compiles(median)
def _median_default(element, compiler, **kw):
    raise NotImplementedError(f"median has no spelling for {compiler.dialect.name}")


@compiles(median, "duckdb")
def _median_duckdb(element, compiler, **kw):
    (value,) = _args(element, compiler, **kw)
    return f"quantile_cont({value}, 0.5)"


@compiles(median, "postgresql")
def _median_postgresql(element, compiler, **kw):
    (value,) = _args(element, compiler, **kw)
    return f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {value})"


@compiles(median, "hive")
def _median_spark(element, compiler, **kw):
    (value,) = _args(element, compiler, **kw)
    return f"percentile({value}, 0.5)"


@compiles(month_start)
def _month_start(element, compiler, **kw):
    # A literal unit, not a bound parameter: PostgreSQL would not match a GROUP BY on $1 to $2.
    (value,) = _args(element, compiler, **kw)
    return f"date_trunc('month', {value})"
