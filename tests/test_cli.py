"""`python -m queries scorecard` run as a subprocess on a small DuckDB file warehouse (and once on
PostgreSQL): the contract's columns and order, nulls, money with two decimals, policy files, errors.
"""

import contextlib
import csv
import io
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from tests.warehouse import load_rows

REPO = Path(__file__).resolve().parent.parent
AS_OF = "2024-07-01"
A = datetime(2024, 7, 1)
MID_6M = datetime(2024, 3, 15)  # inside W182 = [2024-01-01, 2024-07-01)
MID_30D = datetime(2024, 6, 10)  # inside W30 = [2024-06-01, 2024-07-01)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)

COLUMNS = [
    "supplier_id",
    "badge",
    "deals_12m",
    "value_12m_usd",
    "orders_6m",
    "gmv_6m_usd",
    "response_rate_30d",
    "median_response_hours_30d",
    "on_time_rate_6m",
    "claims_12m",
    "upheld_claims_6m",
    "claim_rate_6m",
    "refunds_12m_usd",
    "open_exposure_usd",
    "ta_amount_usd",
    "failed_rules",
]
RATES = ("response_rate_30d", "median_response_hours_30d", "on_time_rate_6m", "claim_rate_6m")


def deal(supplier_id, amount, order_id):
    """A covered deal completed in W182, shipped on its ship_by date."""
    placed = MID_6M - 10 * DAY
    return {
        "order_id": order_id,
        "supplier_id": supplier_id,
        "placed_at": placed,
        "ship_by": placed + DAY,
        "shipped_at": placed + DAY,
        "completed_at": MID_6M,
        "amount_usd": amount,
    }


def open_order(supplier_id, amount, order_id):
    """Covered, open, placed before A and due after A (so it is not yet late)."""
    return {
        "order_id": order_id,
        "supplier_id": supplier_id,
        "placed_at": MID_30D,
        "ship_by": A + 10 * DAY,
        "status": "open",
        "amount_usd": amount,
    }


# Suppliers inserted out of id order: the output must still be ordered by supplier_id.
WAREHOUSE = {
    "suppliers": [
        {"supplier_id": 4, "ta_enrolled_at": None},
        {"supplier_id": 3, "country_code": "VN"},
        {"supplier_id": 1},
        {"supplier_id": 2},
    ],
    "orders": [
        deal(1, "4000.00", 1),
        deal(1, "4000.00", 2),
        deal(1, "4199.99", 3),
        open_order(1, "0.10", 4),
        open_order(1, "0.20", 5),
        deal(2, "0.10", 6),
        deal(2, "0.20", 7),
    ],
    "inquiries": [
        {"supplier_id": 1, "received_at": MID_30D, "first_response_at": MID_30D + HOUR},
        {"supplier_id": 1, "received_at": MID_30D, "first_response_at": MID_30D + 3 * HOUR},
    ],
    "claims": [
        {
            "order_id": 6,
            "filed_at": MID_6M + DAY,
            "reason": "quality_on_arrival",
            "status": "refunded",
            "refund_usd": "0.10",
        },
    ],
}

# Worked out by hand, default policy. Money as the exact two-decimal text; rates as numbers.
EXPECTED_DEFAULT = [
    {
        # 3 deals: 4000.00 + 4000.00 + 4199.99 = 12,199.99; replies in 1 h and 3 h → rate 1, median 2 h;
        # 3 of 3 shipped on time; 0 claims / 3 orders = 0; open 0.10 + 0.20 = 0.30;
        # amount 0.5 × 12,199.99 = 6,099.995 → 6,000.
        "supplier_id": "1",
        "badge": "qualified",
        "deals_12m": "3",
        "value_12m_usd": "12199.99",
        "orders_6m": "3",
        "gmv_6m_usd": "12199.99",
        "response_rate_30d": 1.0,
        "median_response_hours_30d": 2.0,
        "on_time_rate_6m": 1.0,
        "claims_12m": "0",
        "upheld_claims_6m": "0",
        "claim_rate_6m": 0.0,
        "refunds_12m_usd": "0.00",
        "open_exposure_usd": "0.30",
        "ta_amount_usd": "6000.00",
        "failed_rules": "",
    },
    {
        # 2 deals: 0.10 + 0.20 = 0.30; 1 refunded claim of 0.10 → claim rate 1 / 2 = 0.5; no inquiries.
        # Fails min_orders (2 < 3), min_gmv (0.30 < 10,000), claims (0.5 > 0.05).
        "supplier_id": "2",
        "badge": "not_qualified",
        "deals_12m": "2",
        "value_12m_usd": "0.30",
        "orders_6m": "2",
        "gmv_6m_usd": "0.30",
        "response_rate_30d": None,
        "median_response_hours_30d": None,
        "on_time_rate_6m": 1.0,
        "claims_12m": "1",
        "upheld_claims_6m": "1",
        "claim_rate_6m": 0.5,
        "refunds_12m_usd": "0.10",
        "open_exposure_usd": "0.00",
        "ta_amount_usd": "0.00",
        "failed_rules": "min_orders;min_gmv;claims",
    },
    {
        "supplier_id": "3",
        "badge": "region_not_open",
        "deals_12m": "0",
        "value_12m_usd": "0.00",
        "orders_6m": "0",
        "gmv_6m_usd": "0.00",
        "response_rate_30d": None,
        "median_response_hours_30d": None,
        "on_time_rate_6m": None,
        "claims_12m": "0",
        "upheld_claims_6m": "0",
        "claim_rate_6m": None,
        "refunds_12m_usd": "0.00",
        "open_exposure_usd": "0.00",
        "ta_amount_usd": "0.00",
        "failed_rules": "",
    },
]
EXPECTED_DEFAULT.append({**EXPECTED_DEFAULT[2], "supplier_id": "4", "badge": "not_enrolled"})

TUNED_POLICY = {
    "open_countries": ["*"],
    "min_orders_6m": 2,
    "min_gmv_6m_usd": 0,
    "max_claim_rate": 0.5,
    "amount_multiplier": 0.8,
    "amount_floor_usd": 100,
}
# Supplier 1: 0.8 × 12,199.99 = 9,759.992 → 9,700.
# Supplier 2: 2 ≥ 2 orders, 0.30 ≥ 0, claim rate 0.5 ≤ 0.5 → qualified; max(100, 0.8 × 0.30 = 0.24) = 100.
# Supplier 3: VN is now open; 0 < 2 orders, no on-time rate, no claim rate.
TUNED_CHANGES = {
    "1": {"ta_amount_usd": "9700.00"},
    "2": {"badge": "qualified", "ta_amount_usd": "100.00", "failed_rules": ""},
    "3": {"badge": "not_qualified", "failed_rules": "min_orders;on_time;claims"},
    "4": {},
}


def run(*args: str, env_url: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TRUST_WAREHOUSE_URL"}
    if env_url:
        env["TRUST_WAREHOUSE_URL"] = env_url
    return subprocess.run(
        [sys.executable, "-m", "queries", "scorecard", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_here(*args: str) -> subprocess.CompletedProcess:
    """`python -m queries scorecard ARGS` as `run` gives it, but in this process: the CLI's own `main`, its
    standard output and error captured and argparse's exit taken as the status. For refusals, which the
    command decides before any output; `run` (a real process) covers the entry point and a refusal too."""
    from queries.__main__ import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(["scorecard", *args])
        except SystemExit as exc:  # argparse's usage errors
            status = exc.code
    return subprocess.CompletedProcess(["queries", "scorecard", *args], status, out.getvalue(), err.getvalue())


def parse_csv(text: str) -> tuple[list[str], list[dict]]:
    """The header, and each row with rates as floats (None when empty) and every other field as text."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    rows = []
    for fields in reader:
        row = dict(zip(header, fields, strict=True))
        for name in RATES:
            row[name] = float(row[name]) if row[name] != "" else None
        rows.append(row)
    return header, rows


def assert_rows(actual: list[dict], expected: list[dict]) -> None:
    assert [r["supplier_id"] for r in actual] == [e["supplier_id"] for e in expected]
    for got, want in zip(actual, expected, strict=True):
        for name in COLUMNS:
            if name in RATES and want[name] is not None:
                assert got[name] == pytest.approx(want[name], abs=1e-12), (want["supplier_id"], name)
            else:
                assert got[name] == want[name], (want["supplier_id"], name)


def assert_clean_failure(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode != 0
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr


@pytest.fixture(scope="module")
def duckdb_url(tmp_path_factory) -> str:
    url = f"duckdb:///{tmp_path_factory.mktemp('cli') / 'warehouse.duckdb'}"
    engine = create_engine(url)
    load_rows(engine, WAREHOUSE)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def default_csv(duckdb_url) -> str:
    result = run("--as-of", AS_OF, "--url", duckdb_url)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_csv_has_the_contract_columns_rows_and_values(default_csv):
    header, rows = parse_csv(default_csv)
    assert header == COLUMNS
    assert_rows(rows, EXPECTED_DEFAULT)


def test_csv_nulls_are_empty_fields(default_csv):
    lines = default_csv.splitlines()
    assert len(lines) == 5
    # Supplier 3: no rates at all, money 0.00, no failed rules.
    assert lines[3] == "3,region_not_open,0,0.00,0,0.00,,,,0,0,,0.00,0.00,0.00,"


def test_json_format(duckdb_url):
    result = run("--as-of", AS_OF, "--url", duckdb_url, "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [list(row) for row in rows] == [COLUMNS] * 4
    # Counts are numbers, money numbers equal to the cent, nulls null.
    counts = ("supplier_id", "deals_12m", "orders_6m", "claims_12m", "upheld_claims_6m")
    expected = [
        {k: int(v) if k in counts else float(v) if k.endswith("_usd") else v for k, v in row.items()}
        for row in EXPECTED_DEFAULT
    ]
    assert_rows(rows, expected)
    assert rows[1]["response_rate_30d"] is None
    assert rows[1]["value_12m_usd"] == 0.30


def test_tuned_policy_changes_badges(duckdb_url, tmp_path):
    path = tmp_path / "tuned.json"
    path.write_text(json.dumps(TUNED_POLICY))
    result = run("--as-of", AS_OF, "--url", duckdb_url, "--policy", str(path))
    assert result.returncode == 0, result.stderr
    header, rows = parse_csv(result.stdout)
    assert header == COLUMNS
    assert_rows(rows, [{**row, **TUNED_CHANGES[row["supplier_id"]]} for row in EXPECTED_DEFAULT])


def test_url_from_the_environment(duckdb_url, default_csv):
    result = run("--as-of", AS_OF, env_url=duckdb_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout == default_csv


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('{"max_claim_rate": 2}', ["max_claim_rate", "between 0 and 1"]),
        ('{"min_orders": 3}', ["min_orders", "unknown key"]),
        ('{"min_orders_6m": "three"}', ["min_orders_6m"]),
        ('{"amount_floor_usd": 10, "amount_cap_usd": 5}', ["floor"]),
        ("{min_orders_6m: 3", ["not valid JSON"]),
        ('{"min_gmv_6m_usd": 1' + "0" * 400 + "}", ["min_gmv_6m_usd"]),
        ('{"min_orders_6m": 3, "min_orders_6m": 5}', ["min_orders_6m: given twice"]),
        ("[" * 40_000 + "]" * 40_000, ["nested too deeply"]),
        ('{"' + "k" * 200_000 + '": 1}', ["over 100 kB"]),
        ('{"' + "k" * 90_000 + '": 1}', ["k" * 60 + "…: unknown key"]),
    ],
    ids=[
        "out-of-range",
        "unknown-key",
        "wrong-type",
        "floor-above-cap",
        "bad-json",
        "huge-number",
        "duplicate-key",
        "deep",
        "too-big",
        "long-key-shortened",
    ],
)
def test_bad_policy_file_is_a_clear_error(duckdb_url, tmp_path, content, words):
    path = tmp_path / "bad.json"
    path.write_text(content)
    assert_clean_failure(run_here("--as-of", AS_OF, "--url", duckdb_url, "--policy", str(path)), *words)


def test_a_refused_policy_file_ends_the_process_with_status_2(duckdb_url, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"max_claim_rate": 2}')
    result = run("--as-of", AS_OF, "--url", duckdb_url, "--policy", str(path))
    assert result.returncode == 2
    assert_clean_failure(result, "max_claim_rate", "between 0 and 1")


def test_a_policy_file_with_a_utf8_bom_is_read(duckdb_url, tmp_path, default_csv):
    path = tmp_path / "bom.json"
    path.write_bytes("\ufeff{}".encode())  # an empty policy: the default, so the default's output
    result = run("--as-of", AS_OF, "--url", duckdb_url, "--policy", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == default_csv


def test_missing_policy_file_is_a_clear_error(duckdb_url, tmp_path):
    missing = tmp_path / "nowhere.json"
    assert_clean_failure(run_here("--as-of", AS_OF, "--url", duckdb_url, "--policy", str(missing)), "nowhere.json")


@pytest.mark.parametrize("as_of", ["2024-13-01", "01/07/2024", "yesterday"])
def test_bad_date_is_a_clear_error(duckdb_url, as_of):
    assert_clean_failure(run_here("--as-of", as_of, "--url", duckdb_url), "--as-of", "YYYY-MM-DD", as_of)


def test_missing_warehouse_is_a_clear_error(tmp_path):
    url = f"duckdb:///{tmp_path / 'absent.duckdb'}"
    assert_clean_failure(run_here("--as-of", AS_OF, "--url", url), "absent.duckdb")


def test_postgresql_gives_the_same_output(pg_server, default_csv, duckdb_url):
    url = pg_server.create_database("cli")
    engine = create_engine(url)
    load_rows(engine, WAREHOUSE)
    engine.dispose()
    on_pg = {fmt: run("--as-of", AS_OF, "--url", url, "--format", fmt) for fmt in ("csv", "json")}
    assert [r.returncode for r in on_pg.values()] == [0, 0], [r.stderr for r in on_pg.values()]
    assert on_pg["csv"].stdout == default_csv
    assert on_pg["json"].stdout == run("--as-of", AS_OF, "--url", duckdb_url, "--format", "json").stdout
    header, rows = parse_csv(on_pg["csv"].stdout)
    assert header == COLUMNS
    assert_rows(rows, EXPECTED_DEFAULT)


def test_a_closed_pipe_ends_quietly(demo_warehouse):
    """`python -m queries scorecard | head -c 1`: no BrokenPipe traceback. The demo's 300 suppliers' JSON (about
    110 kB) is more than a pipe holds, so the writer really meets the closed pipe."""
    url = demo_warehouse
    reader = subprocess.Popen(
        [sys.executable, "-m", "queries", "scorecard", "--as-of", "2026-11-01", "--url", url, "--format", "json"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    reader.stdout.read(1)  # read one byte, then close: the writer's next flush meets a closed pipe
    reader.stdout.close()
    _, err = reader.communicate(timeout=120)
    assert b"Traceback" not in err and b"BrokenPipe" not in err


@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31", "1969-12-31"])
def test_an_as_of_date_out_of_range_is_a_usage_error_naming_it(duckdb_url, as_of):
    result = run_here("--as-of", as_of, "--url", duckdb_url)
    assert result.returncode == 2  # a usage error, not 1 (the warehouse failed)
    assert_clean_failure(result, "--as-of", "between 1970-01-01 and 2100-12-31", as_of)
    assert "warehouse" not in result.stderr
