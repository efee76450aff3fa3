"""Load a marketplace's own extract into the warehouse: every row of every file, or none.

    python -m data.load DIR [--url URL]

DIR holds one file per table of ../shared/PRODUCT.md, named after it: suppliers.csv, suppliers.csv.gz or
suppliers.parquet, and so on for buyers, orders, inquiries and claims; other files are ignored. Every value
is checked before anything is written (types, allowed words, amounts, unique ids, known foreign keys,
timestamps in order, also against rows already in the warehouse); then all tables go in through one
transaction, so a load that fails part way leaves the warehouse exactly as it was.

Loads into one warehouse take turns: into a DuckDB file, each holds an exclusive lock on the file
`<name>.duckdb.load-lock` beside it for the whole load; on PostgreSQL, a transaction-level advisory lock.
A failed load removes a DuckDB file only when it created it (the file did not exist once the lock was
held) and the file is still the one it created, holding no rows.
"""

import argparse
import csv
import fcntl
import functools
import gzip
import io
import os
import sys
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
from polars.exceptions import PanicException
from sqlalchemy import Boolean, DateTime, Integer, Numeric, String, Table, func, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from data.bulk import bulk_insert, table_schema
from data.ddl import create_schema
from data.schema import (
    CLAIM_REASONS,
    CLAIM_STATUSES,
    ORDER_STATUSES,
    TABLES,
    UPHELD_CLAIM_STATUSES,
    metadata,
)
from warehouse.connection import WarehouseError, backend, resolve_url, warehouse_engine

try:  # only present where PostgreSQL is used; its errors escape SQLAlchemy inside bulk_insert's COPY
    import psycopg

    _DRIVER_ERRORS: tuple[type[BaseException], ...] = (duckdb.Error, psycopg.Error)
except ImportError:  # pragma: no cover
    _DRIVER_ERRORS = (duckdb.Error,)

MAX_REPORTED = 20
MAX_FILE_BYTES = 2 * 10**9  # a file over 2 GB uncompressed is refused (PRODUCT.md)
MAX_FIELD_CHARS = 100_000  # one field longer than this is a mistake (a whole file in one cell)
SHOWN_CHARS = 60  # text from a file (a header name) is echoed at most this long
READ_CHUNK = 1 << 20
# A line longer than this cannot hold a row of at most 11 fields of MAX_FIELD_CHARS (4 bytes a character,
# quotes and commas): refused while inflating, so one endless line is never held whole.
MAX_LINE_BYTES = 11 * (4 * MAX_FIELD_CHARS + 3)
csv.field_size_limit(2**31 - 1)  # long fields are refused by MAX_FIELD_CHARS, with their row and column
# PostgreSQL advisory lock key serialising loads into one warehouse database ("TrustLod" in ASCII).
LOAD_LOCK_KEY = 0x54727573744C6F64
SUFFIXES = (".csv", ".csv.gz", ".parquet")
KEYS = {
    "suppliers": "supplier_id",
    "buyers": "buyer_id",
    "orders": "order_id",
    "inquiries": "inquiry_id",
    "claims": "claim_id",
}
# (table, column) -> the table its ids must exist in.
FOREIGN_KEYS = {
    ("orders", "supplier_id"): "suppliers",
    ("orders", "buyer_id"): "buyers",
    ("inquiries", "supplier_id"): "suppliers",
    ("inquiries", "buyer_id"): "buyers",
    ("claims", "order_id"): "orders",
}
WORDS = {
    ("orders", "status"): ORDER_STATUSES,
    ("claims", "reason"): CLAIM_REASONS,
    ("claims", "status"): CLAIM_STATUSES,
}

INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # INTEGER on DuckDB and PostgreSQL
INTEGER_RE = r"^[+-]?0*\d{1,10}$"
# numeric(14,2): up to 12 digits before the point, 2 after (further trailing zeros are harmless).
MONEY_RE = r"^[+-]?0*\d{1,12}(\.\d{1,2}0*)?$"
TIMESTAMP_RE = r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?)?$"
ZONE_RE = r"(Z|[+-]\d{2}:\d{2})$"
MAX_OFFSET_MINUTES = 14 * 60  # real offsets run from -12:00 to +14:00; +25:99 is a typo
# Timestamps outside these years are mistakes (a 9999-12-31 placeholder), and overflow date arithmetic.
EARLIEST_YEAR, LATEST_YEAR = 1970, 2099
COUNTRY_RE = r"^[A-Z]{2}$"

EXPECTED = {
    "integer": f"a whole number between {INT_MIN} and {INT_MAX}",
    "money": "an amount with at most 2 decimals, like 25.88",
    "timestamp": (
        "a timestamp from 1970 to 2099 like 2024-01-02 03:04:05 (a T instead of the space, fractions of a second, "
        "Z or an offset from -14:00 to +14:00 such as +02:00 are fine)"
    ),
    "boolean": "true or false",
    "country": "a two-letter country code in capitals, like CN",
    "text": "some text",
}


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an extract: the file, the row (1-based after the header) and column when known."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}"


class LoadError(Exception):
    """The extract was not loaded; `problems` are the first problems found, `total` counts them all."""

    def __init__(self, problems: list[Problem], total: int | None = None):
        self.problems = list(problems)
        self.total = max(total or 0, len(self.problems))
        first = str(self.problems[0]) if self.problems else "no details"
        super().__init__(f"{self.total} problem(s) in the extract; first: {first}")


class _Report:
    """Collects problems: every one is counted, at most MAX_REPORTED of each check are kept."""

    def __init__(self):
        self.problems: list[Problem] = []
        self.total = 0
        self._order = {}
        for t, table in enumerate(TABLES):
            self._order[table.name] = (t, {c.name: i for i, c in enumerate(table.columns)})

    def add(self, file: str, row: int | None, column: str | None, message: str) -> None:
        self.total += 1
        self.problems.append(Problem(file, row, column, message))

    def rows(self, file: str, column: str | None, mask: pl.Series, message: Callable[[int], str]) -> None:
        """Report each row where `mask` is true; `message(i)` describes row index i (0-based)."""
        if not mask.any():  # the usual case, in one step (null is not a hit)
            return
        hits = mask.fill_null(False).arg_true()
        self.total += len(hits)
        for i in hits.head(MAX_REPORTED).to_list():
            self.problems.append(Problem(file, i + 1, column, message(i)))

    def sorted(self) -> list[Problem]:
        def key(p: Problem):
            table = p.file.split(".", 1)[0]
            t, columns = self._order.get(table, (len(TABLES), {}))
            return (t, p.file, p.row or 0, columns.get(p.column or "", -1), p.message)

        return sorted(self.problems, key=key)


@dataclass
class _Extract:
    """One table's file: its display name, and its columns typed (None when the file could not be read)."""

    table: Table
    file: str
    frame: pl.DataFrame | None = None


def _show(value) -> str:
    """A value as found in the file, quoted and cut short so odd bytes and huge fields stay readable."""
    if value is None:
        return "an empty field"
    text = str(value)
    if len(text) > 40:
        text = text[:40] + "…"
    return repr(text)


def _cut(text: str) -> str:
    """Text read from a file (a header name), at most SHOWN_CHARS characters, so nothing long is echoed."""
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else type(exc).__name__


# ---------------------------------------------------------------------------------------------- files


def _find_files(directory: Path, report: _Report) -> dict[str, _Extract]:
    """The file of each table in `directory`; a missing or doubled file is a problem."""
    found = {}
    for table in TABLES:
        names = [table.name + suffix for suffix in SUFFIXES]
        present = [name for name in names if (directory / name).is_file()]
        if not present:
            report.add(
                f"{table.name}.csv",
                None,
                None,
                f"missing file: the extract needs one file for the {table.name} table, named "
                f"{', '.join(names[:-1])} or {names[-1]} (a header row alone is fine for no rows)",
            )
        elif len(present) > 1:
            report.add(present[0], None, None, f"found {' and '.join(present)}: keep exactly one file per table")
        elif _outside(directory, directory / present[0]):
            report.add(
                present[0],
                None,
                None,
                "is a link to a file outside the folder: copy the file itself into the folder (links out are refused)",
            )
        else:
            found[table.name] = _Extract(table, present[0])
    return found


def _outside(directory: Path, path: Path) -> bool:
    """Whether `path` (a file of the extract) is a link that resolves outside `directory`."""
    try:
        return not path.resolve(strict=True).is_relative_to(directory.resolve(strict=True))
    except (OSError, RuntimeError):  # a broken or looping link
        return True


def _check_header(file: str, table: Table, header: list[str], report: _Report) -> bool:
    """True when `header` names exactly the table's columns (in any order)."""
    wanted = [c.name for c in table.columns]
    ok = True
    seen = set()
    for name in header:
        if "\x00" in name:
            report.add(file, None, None, "the header row holds a NUL byte: this is not a CSV export")
            return False
        if name in seen:
            report.add(file, None, _cut(name), "the column appears twice in the header")
            ok = False
        elif name not in wanted:
            report.add(file, None, _cut(name), f"unexpected column: the {table.name} columns are {', '.join(wanted)}")
            ok = False
        seen.add(name)
    for name in wanted:
        if name not in seen:
            report.add(file, None, name, f"missing column: the header must name every column: {', '.join(wanted)}")
            ok = False
    return ok


def _too_big(file: str, max_bytes: int, report: _Report) -> None:
    report.add(
        file, None, None, f"is over {max_bytes:,} bytes uncompressed: split the extract or load fewer rows at a time"
    )


def _read_bytes(path: Path, file: str, max_bytes: int, report: _Report) -> bytes | None:
    """The file's bytes, inflated when gzipped, read in chunks and refused as soon as they pass `max_bytes`
    (so a small gzip that inflates to gigabytes never takes more than `max_bytes` of memory)."""
    data = bytearray()
    line = 0  # bytes since the last line break
    try:
        with gzip.open(path, "rb") if file.endswith(".gz") else path.open("rb") as handle:
            while chunk := handle.read(READ_CHUNK):
                data += chunk
                if len(data) > max_bytes:
                    _too_big(file, max_bytes, report)
                    return None
                pieces = chunk.split(b"\n")
                longest = max([line + len(pieces[0]), *(len(p) for p in pieces[1:])])
                line = len(pieces[-1]) if len(pieces) > 1 else line + len(chunk)
                if longest > MAX_LINE_BYTES:
                    row = data.count(b"\n")  # the line being read: its data row, when no field spans lines
                    report.add(
                        file,
                        row or None,
                        None,
                        f"has a line of more than {MAX_LINE_BYTES:,} bytes: no row of this table is that long",
                    )
                    return None
    except (EOFError, zlib.error, gzip.BadGzipFile):
        report.add(file, None, None, "is not a complete gzip file (truncated or corrupt?): compress it again")
        return None
    except OSError as exc:
        report.add(file, None, None, f"could not be read: {exc.strerror or type(exc).__name__}")
        return None
    return bytes(data)


def _read_csv(path: Path, extract: _Extract, report: _Report, max_bytes: int) -> pl.DataFrame | None:
    """All columns of a CSV (optionally gzipped) file as text, or None after reporting why not."""
    file, table = extract.file, extract.table
    data = _read_bytes(path, file, max_bytes, report)
    if data is None:
        return None
    if data.startswith(b"\xef\xbb\xbf"):  # a byte-order mark, as spreadsheet programs write
        data = data[3:]
    # Blank lines at the end are no rows (exports often end with one); a quoted field always ends in a quote.
    data = data.rstrip(b"\r\n") + b"\n"
    # The csv module checks the shape row by row (polars would pad short rows with nulls silently); it reads
    # through an incremental decoder, so the file is never held twice as text.
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline=""))
    rows = ragged = 0  # rows: data rows read so far (1 = the first after the header)
    try:
        header = next(reader, None)
        if not header:
            report.add(file, None, None, "is empty: expected a header row naming the columns")
            return None
        if not _check_header(file, table, header, report):
            return None
        for rows, fields in enumerate(reader, start=1):  # noqa: B007 (rows is the count afterwards)
            problem = None
            if len(fields) != len(header):
                found = "a blank line" if not fields else f"{len(fields)}"
                problem = Problem(file, rows, None, f"expected {len(header)} fields, found {found}")
            else:
                for name, field in zip(header, fields, strict=True):
                    if len(field) > MAX_FIELD_CHARS:
                        problem = Problem(
                            file, rows, name, f"expected at most {MAX_FIELD_CHARS:,} characters, found {len(field):,}"
                        )
                        break
            if problem is not None:
                ragged += 1
                report.total += 1
                if ragged <= MAX_REPORTED:
                    report.problems.append(problem)
    except csv.Error as exc:  # the row being read when the reader gave up
        report.add(file, rows + 1, None, f"is not valid CSV: {_first_line(exc)}")
        return None
    except UnicodeDecodeError:
        _report_undecodable(file, data, _first_bad_byte(data), report)
        return None
    if ragged:
        return None

    try:
        frame = pl.read_csv(io.BytesIO(data), infer_schema=False, raise_if_empty=True)
    except (Exception, PanicException) as exc:
        report.add(file, None, None, f"could not be read as CSV: {_first_line(exc)}")
        return None
    if frame.height != rows or frame.columns != header:
        report.add(file, None, None, "could not be read as CSV consistently (stray quotes?): check the quoting")
        return None
    return frame


def _first_bad_byte(data: bytes) -> int:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return 0


def _report_undecodable(file: str, data: bytes, position: int, report: _Report) -> None:
    """Name the row and column holding the first byte that is not UTF-8 (by lines: a best guess when a
    quoted field spans lines)."""
    line = data.count(b"\n", 0, position)
    start = data.rfind(b"\n", 0, position) + 1
    message = f"byte 0x{data[position]:02x} is not UTF-8 text: save the file as UTF-8"
    if line == 0:
        report.add(file, None, None, f"the header row has a {message}")
        return
    header = data[: data.find(b"\n")].rstrip(b"\r").split(b",")
    field = _commas_outside_quotes(data[start:position])
    column = _cut(header[field].decode("utf-8", errors="replace")) if field < len(header) else None
    report.add(file, line, column, message)


def _commas_outside_quotes(text: bytes) -> int:
    quoted = False
    commas = 0
    for byte in text:
        if byte == ord('"'):
            quoted = not quoted
        elif byte == ord(",") and not quoted:
            commas += 1
    return commas


def _parquet_as_text(series: pl.Series) -> pl.Series | None:
    """A Parquet column of a native type as the text the CSV reader would have seen; None if unusable."""
    dtype = series.dtype
    if dtype == pl.String:
        return series
    if dtype.is_integer() or dtype.is_float() or dtype.is_decimal() or dtype in (pl.Boolean, pl.Null):
        return series.cast(pl.String)
    if isinstance(dtype, (pl.Categorical, pl.Enum)):
        return series.cast(pl.String)
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:  # the warehouse keeps UTC without a zone
            series = series.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        return series.cast(pl.Datetime("us")).dt.strftime("%Y-%m-%d %H:%M:%S%.6f")
    if dtype == pl.Date:
        return series.dt.strftime("%Y-%m-%d")
    return None


def _parquet_bytes(path: Path) -> int:
    """The uncompressed size of a Parquet file's data, from its footer (nothing is inflated)."""
    import pyarrow.parquet as pq

    metadata = pq.ParquetFile(path).metadata
    return sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))


def _read_parquet(path: Path, extract: _Extract, report: _Report, max_bytes: int) -> pl.DataFrame | None:
    """All columns of a Parquet file as text (native types converted), or None after reporting why not."""
    file, table = extract.file, extract.table
    try:
        if path.stat().st_size > max_bytes or _parquet_bytes(path) > max_bytes:
            _too_big(file, max_bytes, report)
            return None
        frame = pl.read_parquet(path)
    except (Exception, PanicException) as exc:
        report.add(file, None, None, f"is not a readable Parquet file: {_first_line(exc)}")
        return None
    if not _check_header(file, table, frame.columns, report):
        return None
    columns = []
    for name in frame.columns:
        try:
            text = _parquet_as_text(frame[name])
        except (Exception, PanicException):
            text = None
        if text is None:
            report.add(
                file,
                None,
                name,
                f"holds Parquet type {frame[name].dtype}: expected text, numbers, booleans or timestamps",
            )
        else:
            columns.append(text.alias(name))
    if len(columns) != frame.width:
        return None
    return pl.DataFrame(columns)


# --------------------------------------------------------------------------------------------- values


def _kind(table: Table, name: str) -> str:
    column_type = table.c[name].type
    if isinstance(column_type, Integer):
        return "integer"
    if isinstance(column_type, DateTime):
        return "timestamp"
    if isinstance(column_type, Numeric):
        return "money"
    if isinstance(column_type, Boolean):
        return "boolean"
    if isinstance(column_type, String) and column_type.length == 2:
        return "country"
    return "text"


@functools.lru_cache(maxsize=256)  # a few dozen (kind, column) pairs; an expression is never changed
def _parse_expr(kind: str, name: str, words: tuple[str, ...] | None) -> pl.Expr:
    """The typed value of a text column, null where the text does not parse."""
    c = pl.col(name)
    if words is not None:
        return pl.when(c.is_in(list(words))).then(c)
    if kind == "integer":
        value = c.str.to_integer(strict=False)
        return pl.when(c.str.contains(INTEGER_RE) & value.is_between(INT_MIN, INT_MAX)).then(value)
    if kind == "money":
        return pl.when(c.str.contains(MONEY_RE)).then(c.cast(pl.Decimal(14, 2), strict=False))
    if kind == "timestamp":
        zone = c.str.extract(ZONE_RE, 1)
        text = c.str.replace(ZONE_RE, "").str.replace("T", " ", literal=True)
        text = pl.when(text.str.len_bytes() == 10).then(text + " 00:00:00").otherwise(text)
        local = text.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S%.f", strict=False)
        zone_hours = zone.str.slice(1, 2).cast(pl.Int64, strict=False)
        zone_minutes = zone.str.slice(4, 2).cast(pl.Int64, strict=False)
        size = zone_hours * 60 + zone_minutes
        offset_minutes = (
            pl.when(zone.is_null() | (zone == "Z"))
            .then(0)
            .otherwise(size * pl.when(zone.str.starts_with("-")).then(-1).otherwise(1))
        )
        offset_ok = zone.is_null() | (zone == "Z") | ((zone_minutes < 60) & (size <= MAX_OFFSET_MINUTES))
        value = local - pl.duration(minutes=offset_minutes)  # other offsets are converted to UTC
        in_range = value.dt.year().is_between(EARLIEST_YEAR, LATEST_YEAR) & local.dt.year().is_between(1, 9998)
        return pl.when(c.str.contains(TIMESTAMP_RE) & offset_ok & in_range).then(value)
    if kind == "boolean":
        lower = c.str.to_lowercase()
        return pl.when(lower.is_in(["true", "false"])).then(lower == "true")
    if kind == "country":
        return pl.when(c.str.contains(COUNTRY_RE)).then(c)
    return c


def _parse(extract: _Extract, raw: pl.DataFrame, report: _Report) -> pl.DataFrame:
    """Typed columns of one file; every value that does not parse, and every missing value, is reported."""
    table, file = extract.table, extract.file
    names = [c.name for c in table.columns]
    # An empty field and a quoted empty string both mean null.
    raw = raw.select(pl.when(pl.col(n) != "").then(pl.col(n)).alias(n) for n in names)
    exprs = [_parse_expr(_kind(table, n), n, WORDS.get((table.name, n))).alias(n) for n in names]
    parsed = raw.select(exprs).select(pl.col(n).cast(dtype) for n, dtype in table_schema(table).items())
    # Every check is a row mask; all of them are computed in one pass, and only a mask with a hit is read.
    checks: list[tuple[str, pl.Expr, Callable[[int], str]]] = []
    for name in names:  # DuckDB would store a NUL, PostgreSQL refuses it: refused here, on every engine
        checks.append(
            (
                name,
                pl.col(f"text {name}").str.contains("\x00", literal=True),
                lambda _i: "expected text without NUL bytes (\\0), found one: export the file again as plain text",
            )
        )
    for column in table.columns:
        name = column.name
        words = WORDS.get((table.name, name))
        expected = f"one of {', '.join(words)}" if words else EXPECTED[_kind(table, name)]
        text = pl.col(f"text {name}")
        shown = raw[name]
        checks.append(
            (
                name,
                text.is_not_null() & pl.col(name).is_null(),
                lambda i, t=shown, e=expected: f"expected {e}, found {_show(t[i])}",
            )
        )
        if not column.nullable:
            checks.append((name, text.is_null(), lambda _i, e=expected: f"expected {e}, found an empty field"))
    both = pl.concat([raw.rename({n: f"text {n}" for n in names}), parsed], how="horizontal")
    masks = both.select(mask.fill_null(False).alias(str(i)) for i, (_, mask, _) in enumerate(checks))
    for (name, _, message), hits, mask in zip(checks, masks.sum().row(0), masks.iter_columns(), strict=True):
        if hits:
            report.rows(file, name, mask, message)
    return parsed


def _stamp(value) -> str:
    return str(value)


def _not_before(
    report: _Report, file: str, column: str, later: pl.Series, earlier: pl.Series, earlier_name: pl.Series | str
) -> None:
    """Report rows where `later` is before `earlier` (rows missing either value are not compared)."""

    def message(i: int) -> str:
        name = earlier_name if isinstance(earlier_name, str) else earlier_name[i]
        return f"expected a time at or after {name} {_stamp(earlier[i])}, found {_stamp(later[i])}"

    report.rows(file, column, later < earlier, message)


def _check_rows(extract: _Extract, report: _Report) -> None:
    """Checks within one file: amounts, timestamps in order, consistent statuses, unique ids."""
    p, file, name = extract.frame, extract.file, extract.table.name
    if name == "suppliers":
        _not_before(report, file, "ta_enrolled_at", p["ta_enrolled_at"], p["registered_at"], "registered_at")
    elif name == "orders":
        amount = p["amount_usd"]
        report.rows(file, "amount_usd", amount <= 0, lambda i: f"expected an amount greater than 0, found {amount[i]}")
        _not_before(report, file, "ship_by", p["ship_by"], p["placed_at"], "placed_at")
        # Each present time in the chain is compared with the previous present one.
        previous, previous_name = p["placed_at"], pl.Series(["placed_at"] * p.height, dtype=pl.String)
        for column in ("shipped_at", "delivered_at", "completed_at"):
            _not_before(report, file, column, p[column], previous, previous_name)
            present = p[column].is_not_null()
            previous = p[column].zip_with(present, previous)
            previous_name = pl.Series([column] * p.height, dtype=pl.String).zip_with(present, previous_name)
        # A completed order without completed_at would never count as a covered deal.
        report.rows(
            file,
            "completed_at",
            (p["status"] == "completed") & p["completed_at"].is_null(),
            lambda _i: "expected the time the order was completed (its status is completed), found an empty field",
        )
    elif name == "inquiries":
        _not_before(report, file, "first_response_at", p["first_response_at"], p["received_at"], "received_at")
    elif name == "claims":
        refund, status = p["refund_usd"], p["status"]
        report.rows(file, "refund_usd", refund < 0, lambda i: f"expected an amount of 0 or more, found {refund[i]}")
        report.rows(
            file,
            "refund_usd",
            (refund != 0) & status.is_not_null() & ~status.is_in(list(UPHELD_CLAIM_STATUSES)),
            lambda i: (
                f"expected 0 for a claim with status {status[i]} (only "
                f"{' and '.join(UPHELD_CLAIM_STATUSES)} claims pay out), found {refund[i]}"
            ),
        )
        _not_before(report, file, "resolved_at", p["resolved_at"], p["filed_at"], "filed_at")

    key = KEYS[name]
    ids = p[key]
    repeated = ids.is_not_null() & ids.is_duplicated() & ~ids.is_first_distinct()

    def duplicate(i: int) -> str:
        first = (ids == ids[i]).arg_true()[0] + 1
        return f"expected a {key} not used before, found {ids[i]} again (first on row {first})"

    report.rows(file, key, repeated, duplicate)


# ------------------------------------------------------------------------------------------ warehouse


def _existing(conn, table_name: str, columns: tuple[str, ...]) -> pl.DataFrame:
    """Some columns of the rows already in a warehouse table."""
    table = metadata.tables[table_name]
    schema = {c: table_schema(table)[c] for c in columns}
    rows = conn.execute(select(*(table.c[c] for c in columns))).fetchall()
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def _check_against_warehouse(conn, extracts: dict[str, _Extract], report: _Report) -> None:
    """Ids new to the warehouse; foreign keys known in the extract or the warehouse; claims after their order."""
    loaded = {}
    for name, key in KEYS.items():
        columns = (key, "placed_at") if name == "orders" else (key,)
        loaded[name] = _existing(conn, name, columns)

    for name, extract in extracts.items():
        if extract.frame is None:
            continue
        key = KEYS[name]
        ids = extract.frame[key]
        report.rows(
            extract.file,
            key,
            ids.is_in(loaded[name][key].implode()),
            lambda i, k=key, v=ids: f"expected a {k} not already in the warehouse, found {v[i]} (it was loaded before)",
        )

    for (name, column), target in FOREIGN_KEYS.items():
        extract, parent = extracts.get(name), extracts.get(target)
        if extract is None or extract.frame is None or parent is None or parent.frame is None:
            continue  # the missing or unreadable file is reported already; every key would look unknown
        key = KEYS[target]
        known = pl.concat([parent.frame[key].drop_nulls(), loaded[target][key]])
        values = extract.frame[column]
        report.rows(
            extract.file,
            column,
            values.is_not_null() & ~values.is_in(known.implode()),
            lambda i, v=values, t=target, f=parent.file, k=column: (
                f"expected a {k} of the {t} in {f} or already in the warehouse, found {v[i]}, which is in neither"
            ),
        )

    claims, orders = extracts.get("claims"), extracts.get("orders")
    if claims is None or claims.frame is None or orders is None or orders.frame is None:
        return
    placed = (
        pl.concat([orders.frame.select("order_id", "placed_at"), loaded["orders"]])
        .drop_nulls("order_id")
        .unique("order_id", keep="first", maintain_order=True)
    )
    order_placed = claims.frame.select("order_id").join(placed, on="order_id", how="left", maintain_order="left")
    c = claims.frame
    report.rows(
        claims.file,
        "filed_at",
        c["filed_at"] < order_placed["placed_at"],
        lambda i: (
            f"expected a time at or after its order's placed_at {_stamp(order_placed['placed_at'][i])}, "
            f"found {_stamp(c['filed_at'][i])}"
        ),
    )


# ------------------------------------------------------------------------------------------------ load


def load_directory(directory: str | Path, engine: Engine, *, max_bytes: int = MAX_FILE_BYTES) -> dict[str, int]:
    """Check every file of the extract in `directory` and add all its rows to the warehouse at `engine`.

    Returns the rows added per table (in load order). Raises LoadError, with the problems found, when
    anything is wrong; then nothing is written (not even the schema, which is otherwise created if missing).
    A file over `max_bytes` uncompressed (default 2 GB) is refused without inflating more of it.
    """
    directory = Path(directory)
    report = _Report()
    if not directory.is_dir():
        raise LoadError([Problem(str(directory), None, None, "is not a folder: give the folder holding the extract")])

    extracts = _find_files(directory, report)
    for extract in extracts.values():
        path = directory / extract.file
        raw = (
            _read_parquet(path, extract, report, max_bytes)
            if extract.file.endswith(".parquet")
            else _read_csv(path, extract, report, max_bytes)
        )
        if raw is not None:
            extract.frame = _parse(extract, raw, report)
            _check_rows(extract, report)

    table = None
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # loads take turns; released when the transaction ends
                conn.execute(select(func.pg_advisory_xact_lock(LOAD_LOCK_KEY)))
            create_schema(conn)
            _check_against_warehouse(conn, extracts, report)
            if report.total:
                raise LoadError(report.sorted(), report.total)
            for table in TABLES:
                bulk_insert(conn, table.name, extracts[table.name].frame)
    except (SQLAlchemyError, *_DRIVER_ERRORS) as exc:
        if table is None:
            raise  # could not read the warehouse: not a problem of the extract
        file = extracts[table.name].file
        orig = getattr(exc, "orig", None) or exc
        raise LoadError([Problem(file, None, None, f"the warehouse refused the rows: {_first_line(orig)}")])
    return {t.name: extracts[t.name].frame.height for t in TABLES}


# ------------------------------------------------------------------------------------------------- CLI


def _duckdb_file(url: str) -> Path | None:
    """The DuckDB file a URL names, or None (another backend, or in memory)."""
    if backend(url) != "duckdb":
        return None
    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    return Path(database)


@contextmanager
def load_lock(url: str) -> Iterator[None]:
    """Hold the lock that makes loads into the DuckDB file at `url` take turns (nothing for other backends;
    PostgreSQL loads lock inside their transaction). Blocks while another load holds it."""
    path = _duckdb_file(url)
    if path is None:
        yield
        return
    lock_path = path.with_name(path.name + ".load-lock")
    try:
        handle = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise WarehouseError(f"Could not open the load lock {lock_path.name}: {exc.strerror}.") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"Waiting for another load into {path.name} to finish…", file=sys.stderr)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock; the lock file stays (removing it would race)


def file_identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def holds_no_rows(path: Path) -> bool:
    """Whether the DuckDB file at `path` can be opened and every table in it is empty."""
    try:
        with duckdb.connect(str(path), read_only=True) as conn:
            tables = [row[0] for row in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
            for name in tables:  # names from the file's own catalogue, quoted as identifiers
                quoted = '"' + name.replace('"', '""') + '"'
                if conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM {quoted} LIMIT 1)").fetchone()[0]:
                    return False
    except duckdb.Error:
        return False  # not sure what it is: keep it
    return True


def remove_failed_load_file(path: Path, identity: tuple[int, int] | None) -> None:
    """Remove the DuckDB file (and its WAL) a failed load created: only the same file, and only when empty."""
    if identity is None or file_identity(path) != identity or not holds_no_rows(path):
        return
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    """Run the loader as on the command line; returns the exit status (0 loaded, 1 bad extract, 2 warehouse)."""
    parser = argparse.ArgumentParser(prog="python -m data.load", description=__doc__.splitlines()[0])
    parser.add_argument("directory", help="folder with suppliers, buyers, orders, inquiries and claims files")
    parser.add_argument("--url", help="warehouse SQLAlchemy URL (default: $TRUST_WAREHOUSE_URL, else data/)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)

    try:
        url = resolve_url(args.url)
        with load_lock(url):
            return _load(args.directory, url)
    except WarehouseError as exc:
        print(f"Nothing was loaded: {exc}", file=sys.stderr)
        return 2


def _load(directory: str, url: str) -> int:
    """One load while holding load_lock(url): the exit status of main()."""
    engine = None
    status = 0
    path = _duckdb_file(url)
    created = path is not None and not path.exists()  # no other load can create it while the lock is held
    identity = None
    try:
        engine = warehouse_engine(url, read_only=False)
        if created:
            with engine.connect():  # opening creates the file: remember which file is ours
                identity = file_identity(path)
        counts = load_directory(directory, engine)
    except LoadError as exc:
        print(f"Nothing was loaded from {directory}: {exc.total:,} problem(s).", file=sys.stderr)
        for problem in exc.problems[:MAX_REPORTED]:
            print(f"  {problem}", file=sys.stderr)
        if exc.total > MAX_REPORTED:
            print(f"  … and {exc.total - MAX_REPORTED:,} more.", file=sys.stderr)
        print("Fix the files and load again; the warehouse is unchanged.", file=sys.stderr)
        status = 1
    except WarehouseError as exc:
        print(f"Nothing was loaded: {exc}", file=sys.stderr)
        status = 2
    except (SQLAlchemyError, *_DRIVER_ERRORS) as exc:
        orig = getattr(exc, "orig", None) or exc
        print(f"Nothing was loaded: the warehouse could not be used ({type(orig).__name__}).", file=sys.stderr)
        status = 2
    finally:
        if engine is not None:
            engine.dispose()
    if status:
        if created:  # leave no empty warehouse file behind, but never one another process wrote
            remove_failed_load_file(path, identity)
        return status
    summary = ", ".join(f"{n:,} {name}" for name, n in counts.items())
    print(f"Loaded {summary}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
