"""The loader under concurrency and hostile files: loads take turns, a failed load never removes what
another wrote, links out of the folder, huge inflated files, NUL bytes, row numbers and offsets.

Row numbers count from 1 after the header (PRODUCT.md)."""

import gzip
import os
import subprocess
import sys
import tracemalloc
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import inspect, select, text

from data.load import LoadError, file_identity, holds_no_rows, load_directory, load_lock, remove_failed_load_file
from data.schema import metadata
from tests.test_load import EXTRACT, HEADERS, write_extract
from tests.warehouse import duckdb_memory_engine

REPO = Path(__file__).resolve().parent.parent

# A second extract with ids of its own, so it loads beside EXTRACT.
OTHER = {
    "suppliers": [["110", "Other Co", "CN", "Machinery", "2024-01-01 00:00:00", "2024-02-01 00:00:00"]],
    "buyers": [["120", "US"]],
    "orders": [
        ["130", "110", "120", "2024-03-01 10:00:00", "2024-03-10 00:00:00", "", "", "", "open", "10.00", "true"]
    ],
}
BAD = {**OTHER, "orders": [[*OTHER["orders"][0][:9], "-5", "true"]]}  # amount_usd must be > 0


def _start_load(directory: Path, url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "data.load", str(directory), "--url", url],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )


def _suppliers(path: Path) -> list[int]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return [row[0] for row in conn.execute("SELECT supplier_id FROM suppliers ORDER BY 1").fetchall()]


# ------------------------------------------------------------------------------------------ concurrency


@pytest.mark.parametrize("attempt", range(2))
def test_two_loads_into_a_new_duckdb_file_both_land(tmp_path, attempt):
    base, other = write_extract(tmp_path / "base"), write_extract(tmp_path / "other", OTHER)
    path = tmp_path / "w.duckdb"
    url = f"duckdb:///{path}"

    first, second = _start_load(base, url), _start_load(other, url)
    results = [(p.wait(timeout=120), *p.communicate()) for p in (first, second)]

    assert [r[0] for r in results] == [0, 0], results
    assert _suppliers(path) == [10, 11, 110]  # EXTRACT's two suppliers and OTHER's one


@pytest.mark.parametrize("attempt", range(2))
def test_a_failing_load_never_removes_the_file_another_load_wrote(tmp_path, attempt):
    good, bad = write_extract(tmp_path / "good"), write_extract(tmp_path / "bad", BAD)
    path = tmp_path / "w.duckdb"
    url = f"duckdb:///{path}"

    loads = [_start_load(bad, url), _start_load(good, url)]
    (bad_status, _, bad_err), (good_status, _, good_err) = [(p.wait(timeout=120), *p.communicate()) for p in loads]

    assert good_status == 0, good_err
    assert bad_status == 1, bad_err
    assert "orders.csv, row 1, column amount_usd: expected an amount greater than 0" in bad_err
    assert path.exists() and _suppliers(path) == [10, 11]


def test_a_load_waits_for_the_lock_then_sees_the_file_another_wrote(tmp_path):
    """While a load holds the lock, another waits; it then finds the file written and, failing, keeps it."""
    path = tmp_path / "w.duckdb"
    url = f"duckdb:///{path}"
    bad = write_extract(tmp_path / "bad", BAD)
    with load_lock(url):
        waiting = _start_load(bad, url)
        with duckdb.connect(str(path)) as conn:  # what the lock holder writes meanwhile
            conn.execute("CREATE TABLE suppliers (supplier_id INTEGER)")
            conn.execute("INSERT INTO suppliers VALUES (7)")
    status, _, err = waiting.wait(timeout=120), *waiting.communicate()
    assert status != 0, err
    assert path.exists() and _suppliers(path) == [7]


def test_a_failed_load_removes_only_its_own_empty_file(tmp_path):
    path = tmp_path / "w.duckdb"
    duckdb.connect(str(path)).close()
    mine = file_identity(path)
    assert holds_no_rows(path)
    remove_failed_load_file(path, mine)
    assert not path.exists()  # ours and empty: removed

    with duckdb.connect(str(path)) as conn:  # another file under the same name, with a row
        conn.execute("CREATE TABLE t (x INTEGER)")
        conn.execute("INSERT INTO t VALUES (1)")
    remove_failed_load_file(path, file_identity(path))
    assert path.exists()  # holds rows: kept
    remove_failed_load_file(path, (mine[0], mine[1] + 1) if mine else None)
    assert path.exists()  # not the file this load created: kept


def test_a_bad_extract_into_a_new_file_leaves_no_file(tmp_path):
    path = tmp_path / "w.duckdb"
    result = subprocess.run(
        [sys.executable, "-m", "data.load", str(write_extract(tmp_path / "bad", BAD)), "--url", f"duckdb:///{path}"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1, result.stderr
    assert not path.exists() and not path.with_name("w.duckdb.wal").exists()


# ------------------------------------------------------------------------------------------ hostile files


def _tables(**changes) -> dict[str, list[list[str]]]:
    """EXTRACT with some rows replaced: changes maps table -> {row index: {column index: value}}."""
    tables = {name: [list(row) for row in rows] for name, rows in EXTRACT.items()}
    for table, rows in changes.items():
        for i, columns in rows.items():
            for j, value in columns.items():
                tables[table][i][j] = value
    return tables


def _problems(directory: Path, engine=None, **options) -> list[str]:
    with pytest.raises(LoadError) as caught:
        load_directory(directory, engine or duckdb_memory_engine(), **options)
    return [str(p) for p in caught.value.problems]


def test_a_link_out_of_the_folder_is_refused_and_nothing_of_it_is_echoed(tmp_path):
    secret = tmp_path / "environ"
    secret.write_bytes(b"PGPASSWORD=hunter2\x00HOME=/root\x00")
    extract = write_extract(tmp_path / "x")
    (extract / "suppliers.csv").unlink()
    (extract / "suppliers.csv").symlink_to(secret)
    (extract / "buyers.csv").unlink()
    (extract / "buyers.csv").symlink_to("/etc/passwd")

    problems = _problems(extract)

    assert "suppliers.csv: is a link to a file outside the folder" in problems[0]
    assert "buyers.csv: is a link to a file outside the folder" in problems[1]
    assert not any("hunter2" in p or "root" in p for p in problems)


def test_a_link_inside_the_folder_loads(tmp_path):
    extract = write_extract(tmp_path / "x")
    (extract / "real").mkdir()
    (extract / "suppliers.csv").rename(extract / "real" / "suppliers-export.csv")
    (extract / "suppliers.csv").symlink_to(extract / "real" / "suppliers-export.csv")
    assert load_directory(extract, duckdb_memory_engine())["suppliers"] == 2


def test_a_long_header_name_is_cut_to_60_characters(tmp_path):
    extract = write_extract(tmp_path / "x")
    path = extract / "buyers.csv"
    path.write_text("buyer_id,country_code," + "k" * 5000 + "\n20,US,x\n")

    problems = _problems(extract)

    assert (
        problems[0]
        == "buyers.csv, column " + "k" * 60 + "…: unexpected column: the buyers columns are buyer_id, country_code"
    )
    assert all(len(p) < 300 for p in problems)


def test_a_gzip_that_inflates_past_the_cap_is_refused_in_bounded_memory(tmp_path):
    extract = write_extract(tmp_path / "x")
    (extract / "orders.csv").unlink()
    header = ",".join(HEADERS["orders"]).encode() + b"\n"
    with gzip.open(extract / "orders.csv.gz", "wb", compresslevel=1) as out:  # 64 MB of one long line
        out.write(header)
        for _ in range(64):
            out.write(b"9" * 1_000_000)
    assert (extract / "orders.csv.gz").stat().st_size < 1_000_000

    tracemalloc.start()
    try:
        problems = _problems(extract, max_bytes=2_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert problems == [
        "orders.csv.gz: is over 2,000,000 bytes uncompressed: split the extract or load fewer rows at a time"
    ]
    assert peak < 12_000_000  # about the cap and a chunk, never the 64 MB the file inflates to


def test_plain_csv_and_parquet_over_the_cap_are_refused(tmp_path):
    csv_dir = write_extract(tmp_path / "c")
    assert _problems(csv_dir, max_bytes=300) == [
        "orders.csv: is over 300 bytes uncompressed: split the extract or load fewer rows at a time"
    ]  # orders.csv is the one file over 300 bytes
    parquet_dir = write_extract(tmp_path / "p", suffix=".parquet")
    problems = _problems(parquet_dir, max_bytes=100)
    assert "suppliers.parquet: is over 100 bytes uncompressed" in problems[0]
    assert load_directory(csv_dir, duckdb_memory_engine(), max_bytes=10_000)["orders"] == 3  # under the cap


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_nul_bytes_are_refused_with_file_row_and_column_on_every_engine(engine, tmp_path, suffix):
    tables = _tables(suppliers={1: {1: "Quoted\x00Name"}}, claims={0: {3: "refunded\x00"}})
    extract = write_extract(tmp_path / "x", tables, suffix=suffix)

    problems = _problems(extract, engine)

    nul = "expected text without NUL bytes (\\0), found one: export the file again as plain text"
    assert f"suppliers{suffix}, row 2, column name: {nul}" in problems
    assert any(p.startswith(f"claims{suffix}, row 1, column reason: {nul}") for p in problems), problems
    with engine.connect() as conn:
        assert not inspect(conn).has_table("suppliers")  # nothing written, not even the schema


def test_a_long_field_is_reported_on_its_data_row_with_its_column(tmp_path):
    tables = _tables(suppliers={1: {1: "x" * 200_000}})  # data row 2, column name
    problems = _problems(write_extract(tmp_path / "x", tables))
    assert problems == ["suppliers.csv, row 2, column name: expected at most 100,000 characters, found 200,000"]


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\n\n", "\r\n\r\n"])
def test_trailing_blank_lines_load(tmp_path, ending):
    extract = write_extract(tmp_path / "x")
    path = extract / "suppliers.csv"
    path.write_bytes(
        path.read_bytes().rstrip(b"\n").replace(b"\n", b"\r\n" if "\r" in ending else b"\n") + ending.encode()
    )
    assert load_directory(extract, duckdb_memory_engine())["suppliers"] == 2


def test_a_blank_line_between_rows_is_named(tmp_path):
    extract = write_extract(tmp_path / "x")
    path = extract / "buyers.csv"
    path.write_text("buyer_id,country_code\n20,US\n\n21,DE\n")
    assert _problems(extract) == ["buyers.csv, row 2: expected 2 fields, found a blank line"]


@pytest.mark.parametrize(
    ("offset", "utc"),
    [
        ("+14:00", datetime(2024, 1, 1, 20)),
        ("-12:00", datetime(2024, 1, 2, 22)),
        ("+05:30", datetime(2024, 1, 2, 4, 30)),
    ],
)
def test_real_offsets_convert_to_utc(engine, tmp_path, offset, utc):
    tables = _tables(suppliers={0: {4: f"2024-01-02T10:00:00{offset}"}})
    load_directory(write_extract(tmp_path / "x", tables), engine)
    with engine.connect() as conn:
        registered = conn.execute(select(metadata.tables["suppliers"].c.registered_at).order_by(text("1"))).scalars()
        assert utc in list(registered)


@pytest.mark.parametrize("offset", ["+25:99", "+14:30", "-15:00", "+02:60"])
def test_impossible_offsets_are_refused(tmp_path, offset):
    tables = _tables(suppliers={1: {4: f"2024-01-05T08:30:00{offset}"}})
    problems = _problems(write_extract(tmp_path / "x", tables))
    assert problems[0].startswith("suppliers.csv, row 2, column registered_at: expected a timestamp from 1970 to 2099")
    assert problems[0].endswith(f"found '2024-01-05T08:30:00{offset}'")


@pytest.mark.parametrize("attempt", range(2))
def test_two_loads_of_one_extract_into_postgresql_take_turns(pg_server, tmp_path, attempt):
    url = pg_server.create_database(f"lock{attempt}_{os.getpid()}")
    extract = write_extract(tmp_path / "x")

    loads = [_start_load(extract, url), _start_load(extract, url)]
    results = sorted((p.wait(timeout=120), *p.communicate()) for p in loads)

    (won, _, _), (lost, _, err) = results
    assert (won, lost) == (0, 1), results
    # The second load waited for the first and then saw its rows: the ids are named, not a driver error.
    assert "suppliers.csv, row 1, column supplier_id: expected a supplier_id not already in the warehouse" in err


def test_an_endless_line_is_refused_while_inflating_under_the_default_cap(tmp_path):
    extract = write_extract(tmp_path / "x")
    (extract / "orders.csv").unlink()
    header = ",".join(HEADERS["orders"]).encode() + b"\n"
    with gzip.open(extract / "orders.csv.gz", "wb", compresslevel=1) as out:  # 64 MB on data row 1
        out.write(header)
        for _ in range(64):
            out.write(b"9" * 1_000_000)

    tracemalloc.start()
    try:
        problems = _problems(extract)  # the 2 GB default cap
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # 11 columns of at most 100,000 characters of 4 bytes, with quotes and a comma: 4,400,033 bytes a line.
    assert problems == [
        "orders.csv.gz, row 1: has a line of more than 4,400,033 bytes: no row of this table is that long"
    ]
    assert peak < 16_000_000  # a few MB read, never the 64 MB the line would inflate to
