"""The loader under concurrency and hostile files: loads take turns, a failed load never removes what
another wrote, links out of the folder, huge inflated files, NUL bytes, row numbers and offsets.

Row numbers count from 1 after the header (PRODUCT.md)."""

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from data.load import file_identity, holds_no_rows, load_lock, remove_failed_load_file
from tests.test_load import EXTRACT, write_extract

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


def test_extract_fixture_is_the_shared_one():
    assert EXTRACT["suppliers"][0][0] == "10"  # the ids the concurrency tests expect
