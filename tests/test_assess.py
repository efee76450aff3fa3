"""`python -m queries assess`: grace over recorded assessments, the storefront feed, refusals, append-only.

A hand-built warehouse assessed monthly at 2024-05-01, 06-01 and 07-01 under grace 1; every expected badge
and Amount is worked by hand below. Runs on DuckDB and PostgreSQL (warehouse and app database on the same
throwaway server for PostgreSQL).
"""

import csv
import io
import itertools
import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DatabaseError

from policy import Policy
from policy.assess import FEED_COLUMNS, assess, change_counts, run_changes
from queries.__main__ import main
from store import assessments as store
from tests.warehouse import load_rows

REPO = Path(__file__).resolve().parent.parent
DAY = timedelta(days=1)
MAY, JUNE, JULY = date(2024, 5, 1), date(2024, 6, 1), date(2024, 7, 1)
# Few rules to reason about: two covered deals in six months, no GMV minimum, Amount = half the GMV, no floor.
POLICY = {"min_orders_6m": 2, "min_gmv_6m_usd": 0, "amount_floor_usd": 0, "grace_assessments": 1}
_ids = itertools.count(1)


def deal(supplier_id: int, completed: datetime, amount: str) -> dict:
    """A covered deal placed ten days before it completed, shipped on its ship_by date (on time)."""
    placed = completed - 10 * DAY
    return {
        "order_id": next(_ids),
        "supplier_id": supplier_id,
        "placed_at": placed,
        "ship_by": placed + DAY,
        "shipped_at": placed + DAY,
        "completed_at": completed,
        "amount_usd": amount,
    }


def warehouse_tables() -> dict:
    # W182 starts: May 2023-11-01, June 2023-12-02, July 2024-01-01 (each as-of minus 182 days).
    s3_first = deal(3, datetime(2024, 5, 10), "3000.00")
    return {
        "suppliers": [
            {"supplier_id": 6},
            {"supplier_id": 1},
            {"supplier_id": 2},
            {"supplier_id": 3},
            {"supplier_id": 4, "ta_enrolled_at": None},
            {"supplier_id": 5, "country_code": "VN"},
        ],
        "orders": [
            # 1: three deals of 2,000 in April 2024, in every window: 0.5 × 6,000 = 3,000 each month.
            *(deal(1, datetime(2024, 4, 10), "2000.00") for _ in range(3)),
            # 2: two deals of 4,000 in November 2023: in May's window only (0.5 × 8,000 = 4,000).
            *(deal(2, datetime(2023, 11, 15), "4000.00") for _ in range(2)),
            # 3: two deals in May 2024 (3,000 + 5,000): none in May's window, both in June's and July's.
            s3_first,
            deal(3, datetime(2024, 5, 20), "5000.00"),
            # 4 (never enrolled) and 5 (VN, closed) would pass the rules.
            *(deal(4, datetime(2024, 4, 10), "2000.00") for _ in range(2)),
            *(deal(5, datetime(2024, 4, 10), "2000.00") for _ in range(2)),
            # 6: two deals of 1,000 in April (May: 1,000), one of 4,000 in May 2024 (June, July: 3,000).
            *(deal(6, datetime(2024, 4, 10), "1000.00") for _ in range(2)),
            deal(6, datetime(2024, 5, 15), "4000.00"),
        ],
        # 3: an upheld claim filed in June 2024 → July's claim rate 1 / 2 = 0.5 > 0.05 (June's window ends before it).
        "claims": [
            {
                "order_id": s3_first["order_id"],
                "filed_at": datetime(2024, 6, 10),
                "reason": "quality_after_delivery",
                "status": "refunded",
                "refund_usd": "100.00",
            }
        ],
    }


# By hand, supplier → (badge, ta_amount_usd, kept_under_grace, grace_used) at each assessment.
EXPECTED = {
    MAY: {
        1: ("qualified", 3000.0, False, 0),
        2: ("qualified", 4000.0, False, 0),
        3: ("not_qualified", 0.0, False, 0),  # no deals in May's window; never held the badge: no grace
        4: ("not_enrolled", 0.0, False, 0),
        5: ("region_not_open", 0.0, False, 0),
        6: ("qualified", 1000.0, False, 0),
    },
    JUNE: {
        1: ("qualified", 3000.0, False, 0),
        2: ("qualified", 4000.0, True, 1),  # fails (no deals in June's window); kept under grace at May's Amount
        3: ("qualified", 4000.0, False, 0),  # 0.5 × 8,000
        4: ("not_enrolled", 0.0, False, 0),
        5: ("region_not_open", 0.0, False, 0),
        6: ("qualified", 3000.0, False, 0),  # 0.5 × 6,000
    },
    JULY: {
        1: ("qualified", 3000.0, False, 0),
        2: ("not_qualified", 0.0, False, 0),  # fails a second time: grace (1) used up, the badge is lost
        3: ("qualified", 4000.0, True, 1),  # fails the claims rule; kept under grace at June's Amount
        4: ("not_enrolled", 0.0, False, 0),
        5: ("region_not_open", 0.0, False, 0),
        6: ("qualified", 3000.0, False, 0),
    },
}


@pytest.fixture(params=["duckdb", "postgresql"])
def setup(request, tmp_path, monkeypatch):
    """(warehouse URL, policy file) with the app database on the same backend family (SQLite / PostgreSQL)."""
    if request.param == "duckdb":
        url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
        app_db = f"sqlite:///{tmp_path / 'app.sqlite'}"
    else:
        server = request.getfixturevalue("pg_server")
        number = next(_ids)
        url = server.create_database(f"assess_wh_{number}")
        app_db = server.create_database(f"assess_app_{number}")
    engine = create_engine(url)
    load_rows(engine, warehouse_tables())
    engine.dispose()
    monkeypatch.setenv("TRUST_APP_DB_URL", app_db)
    monkeypatch.delenv("TRUST_WAREHOUSE_NAME", raising=False)
    policy_file = tmp_path / "grace1.json"
    policy_file.write_text(json.dumps(POLICY))
    yield url, policy_file


def assess_cli(url, *args, capsys=None) -> int:
    return main(["assess", "--url", url, "--actor", "ana@example.com", *args])


def recorded(url: str, as_of: date) -> dict:
    runs = store.list_runs(store_key(url)).filter(pl.col("as_of") == as_of, pl.col("superseded_by").is_null())
    rows = store.run_rows(runs["run_id"].item())
    return {
        r["supplier_id"]: (r["badge"], r["ta_amount_usd"], r["kept_under_grace"], r["grace_used"])
        for r in rows.iter_rows(named=True)
    }


def store_key(url: str) -> str:
    from warehouse.connection import warehouse_key

    return warehouse_key(url)


def read_feed(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_three_monthly_assessments_with_grace_one(setup, tmp_path):
    url, policy_file = setup
    feeds = tmp_path / "feeds"
    for as_of in (MAY, JUNE, JULY):
        assert assess_cli(url, "--as-of", f"{as_of}", "--policy", str(policy_file), "--publish", str(feeds)) == 0
        assert recorded(url, as_of) == EXPECTED[as_of], as_of

    # The feed: exactly the contract's columns, one row per supplier ordered by id (inserted 6 first).
    june = read_feed(feeds / "storefront-2024-06-01.csv")
    assert (
        june[0]
        == list(FEED_COLUMNS)
        == [
            "supplier_id",
            "badge",
            "ta_amount_usd",
            "deals_12m",
            "value_12m_usd",
            "response_rate_30d",
            "median_response_hours_30d",
        ]
    )
    assert [row[0] for row in june[1:]] == ["1", "2", "3", "4", "5", "6"]
    # Supplier 2 in June: kept under grace at 4,000; its two November deals are still within 12 months.
    assert june[2] == ["2", "qualified", "4000.00", "2", "8000.00", "", ""]
    assert june[6] == ["6", "qualified", "3000.00", "3", "6000.00", "", ""]
    july = read_feed(feeds / "storefront-2024-07-01.csv")
    assert july[2][:3] == ["2", "not_qualified", "0.00"] and july[3][:3] == ["3", "qualified", "4000.00"]

    runs = store.list_runs(store_key(url))
    assert runs["as_of"].to_list() == [JULY, JUNE, MAY]
    assert runs["holders"].to_list() == [3, 4, 3] and runs["kept_under_grace"].to_list() == [1, 1, 0]
    assert runs["policy_name"].to_list() == ["grace1.json"] * 3 and runs["actor"].unique().to_list() == [
        "ana@example.com"
    ]
    assert json.loads(runs["policy_body"][0]) == Policy.from_mapping(POLICY).to_dict()
    assert runs["published_at"].is_not_null().all()

    # What changed, by hand: June gains 3, keeps 2 under grace, 6's Amount 1,000 → 3,000; July loses 2, keeps 3.
    ids = runs["run_id"].to_list()
    june_changes = run_changes(store.run_rows(ids[2]), store.run_rows(ids[1]))
    assert june_changes.select("supplier_id", "change").rows() == [
        (3, "gained"),
        (2, "kept_under_grace"),
        (6, "amount_changed"),
    ]
    assert june_changes.filter(pl.col("supplier_id") == 6)["ta_amount_change_usd"].item() == 2000.0
    july_changes = run_changes(store.run_rows(ids[1]), store.run_rows(ids[0]))
    assert change_counts(july_changes) == {"gained": 0, "lost": 1, "kept_under_grace": 1, "amount_changed": 0}
    assert july_changes.filter(pl.col("change") == "kept_under_grace")["failed_rules"].item() == "claims"

    # The profile's timeline for supplier 2: held, kept under grace, lost.
    history = store.supplier_history(store_key(url), 2)
    assert history.select("as_of", "badge", "kept_under_grace").rows() == [
        (MAY, "qualified", False),
        (JUNE, "qualified", True),
        (JULY, "not_qualified", False),
    ]


def test_without_grace_the_first_assessment_equals_the_scorecard(setup, tmp_path):
    url, _ = setup
    assert assess_cli(url, "--as-of", "2024-06-01", "--publish", str(tmp_path)) == 0
    env = {**os.environ, "TRUST_WAREHOUSE_URL": url}
    scorecard = subprocess.run(
        [sys.executable, "-m", "queries", "scorecard", "--as-of", "2024-06-01"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    card = [(r["supplier_id"], r["badge"], r["ta_amount_usd"]) for r in csv.DictReader(io.StringIO(scorecard.stdout))]
    feed = [(r[0], r[1], r[2]) for r in read_feed(tmp_path / "storefront-2024-06-01.csv")[1:]]
    assert feed == card
    # Under the contract default (no current policy saved) supplier 1 has 3 deals but 6,000 < 10,000 GMV.
    assert card[0] == ("1", "not_qualified", "0.00")


def test_refusals_record_nothing(setup, tmp_path, capsys):
    url, policy_file = setup
    key = store_key(url)
    assert assess_cli(url, "--as-of", "2024-06-01", "--policy", str(policy_file)) == 0
    capsys.readouterr()

    assert assess_cli(url, "--as-of", "2024-06-01", "--publish", str(tmp_path)) == 2  # the same date again
    err = capsys.readouterr().err
    assert "2024-06-01 is already assessed" in err and "--supersede" in err
    assert assess_cli(url, "--as-of", "2024-05-01", "--supersede") == 2  # nothing at that date to supersede
    assert assess_cli(url, "--as-of", "2024-05-01") == 2  # before the latest assessment
    assert "before the latest assessment" in capsys.readouterr().err
    assert main(["assess", "--url", url, "--as-of", "2024-07-01", "--actor", " "]) == 2
    not_a_folder = tmp_path / "feed.txt"
    not_a_folder.write_text("")
    assert assess_cli(url, "--as-of", "2024-07-01", "--publish", str(not_a_folder)) == 1  # cannot write: exit 1
    assert "nothing was recorded or published" in capsys.readouterr().err
    assert store.list_runs(key).height == 1
    assert not list(tmp_path.glob("storefront-*.csv"))

    # A supersede is recorded as a new run; the old one stays, marked.
    assert assess_cli(url, "--as-of", "2024-06-01", "--supersede") == 0
    runs = store.list_runs(key)
    assert runs.height == 2
    old, new = (
        runs.filter(pl.col("revision") == 1).row(0, named=True),
        runs.filter(pl.col("revision") == 2).row(0, named=True),
    )
    assert (old["superseded_by"], new["supersedes"], new["action"]) == (new["run_id"], old["run_id"], "supersede")
    assert store.run_rows(old["run_id"]).height == 6  # nothing deleted
    actions = store.audit_entries(key)["action"].to_list()
    assert actions == ["assess", "supersede"]


def test_recorded_rows_cannot_be_changed_or_deleted(setup):
    url, policy_file = setup
    assert (
        assess_cli(url, "--as-of", "2024-06-01", "--policy", str(policy_file), "--publish", str(policy_file.parent))
        == 0
    )
    engine = store.engine()
    for statement in (
        "UPDATE assessment_rows SET badge = 'qualified'",
        "DELETE FROM assessment_rows",
        "UPDATE assessment_runs SET actor = 'mallory'",
        "DELETE FROM assessment_runs",
        "DELETE FROM assessment_publications",
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(text(statement))
    if engine.dialect.name == "postgresql":
        with pytest.raises(DatabaseError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(text("TRUNCATE assessment_publications"))
    assert recorded(url, JUNE) == EXPECTED[MAY] | {
        2: ("not_qualified", 0.0, False, 0),  # the first assessment: no earlier one to give grace over
        3: ("qualified", 4000.0, False, 0),
        6: ("qualified", 3000.0, False, 0),
    }


def test_grace_two_by_hand_on_frames():
    """Pure policy.assess: a holder failing three times in a row under grace 2 keeps, keeps, loses."""
    policy = Policy(min_orders_6m=1, min_gmv_6m_usd=0, amount_floor_usd=0, grace_assessments=2)

    def features(orders: int, gmv: float) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "supplier_id": [7],
                "country_code": ["CN"],
                "enrolled": [True],
                "account_age_days": [1000.0],
                "orders_6m": [orders],
                "gmv_6m_usd": [gmv],
                "on_time_rate_6m": [1.0 if orders else None],
                "claim_rate_6m": [0.0 if orders else None],
                "response_rate_30d": [None],
                "median_response_hours_30d": [None],
                "deals_12m": [orders],
                "value_12m_usd": [gmv],
            },
            schema_overrides={"response_rate_30d": pl.Float64, "median_response_hours_30d": pl.Float64},
        )

    previous, seen = None, []
    for orders, gmv in ((2, 1000.0), (0, 0.0), (0, 0.0), (0, 0.0), (1, 600.0)):
        previous = assess(features(orders, gmv), policy, previous)
        seen.append(previous.select("badge", "ta_amount_usd", "grace_used").row(0))
    assert seen == [
        ("qualified", 500.0, 0),
        ("qualified", 500.0, 1),
        ("qualified", 500.0, 2),
        ("not_qualified", 0.0, 0),
        ("qualified", 300.0, 0),
    ]


def test_badge_timeline_marks_grace_apart_from_holding():
    from tests.test_ui_charts import vega_label
    from ui.assess_charts import badge_timeline_chart

    history = pl.DataFrame(
        {
            "run_id": [1, 2, 3],
            "as_of": [MAY, JUNE, JULY],
            "policy_name": ["Grace one"] * 3,
            "policy_version": [1, 1, 2],
            "badge": ["qualified", "qualified", "not_qualified"],
            "ta_amount_usd": [4000.0, 4000.0, 0.0],
            "passes": [True, False, False],
            "kept_under_grace": [False, True, False],
            "grace_used": [0, 1, 0],
            "failed_rules": ["", "min_orders;on_time", "min_orders"],
        }
    )
    spec = badge_timeline_chart(history.reverse())  # any order in, dates in order out
    rows = spec["data"]["values"]
    assert [(r["as_of"], r["amount"], r["standing"], r["money"]) for r in rows] == [
        ("2024-05-01", 4000.0, "Qualified", "$4,000"),
        ("2024-06-01", 4000.0, "Kept under grace", "$4,000"),
        ("2024-07-01", 0.0, "Not qualified", "$0"),
    ]
    amount, points = spec["layer"]
    assert amount["mark"]["type"] == "line" and amount["mark"]["interpolate"] == "step-after"
    assert amount["encoding"]["color"]["datum"] == "Trade Assurance Amount"
    # The legend: the Amount, then the standings that occur, each in its own colour and (markers) shape.
    color = points["encoding"]["color"]
    assert color["field"] == "standing" and color["legend"]["orient"] == "bottom"
    assert color["scale"]["domain"] == ["Trade Assurance Amount", "Qualified", "Kept under grace", "Not qualified"]
    assert color["scale"]["range"] == ["#1565c0", "#2e7d32", "#f9a825", "#ef6c00"]
    assert points["encoding"]["shape"]["scale"]["range"] == ["circle", "diamond", "cross"]
    assert (
        rows[1]["note"]
        == "Kept under grace · policy Grace one v1 · failed: Covered deals, 6 months; On-time shipping, 6 months"
    )
    assert rows[2]["note"] == "Not qualified · policy Grace one v2 · failed: Covered deals, 6 months"
    assert rows[0]["note"] == "Qualified · policy Grace one v1"
    y = points["encoding"]["y"]  # $0 .. $4,000: round money ticks every $1,000, room above the top point
    assert vega_label(y["axis"]["labelExpr"], 1000) == "$1k" and y["axis"]["values"] == [0, 1000, 2000, 3000, 4000]
    assert y["scale"]["domain"] == [0, 4000 * 1.15]
    assert badge_timeline_chart(history.clear())["data"]["values"] == []


def test_chained_assessments_equal_the_backtest_grace_sequence(demo_warehouse):
    """Six monthly assessments on the seeded demo warehouse, each over the one before, equal
    policy.backtest.badge_sequence (grace over the whole series at once, an independent formulation)."""
    from policy.backtest import badge_sequence
    from queries.scorecard import fetch_features
    from warehouse.connection import warehouse_engine

    engine = warehouse_engine(demo_warehouse)  # read-only
    with engine.connect() as conn:
        end = conn.execute(text("SELECT max(placed_at) FROM orders")).scalar_one()
        months = [date(end.year - (end.month - k < 1), (end.month - k - 1) % 12 + 1, 1) for k in range(6, 0, -1)]
        history = {as_of: fetch_features(conn, as_of) for as_of in months}
    engine.dispose()
    policy = Policy(grace_assessments=2)
    expected = badge_sequence(history, policy).with_columns(pl.col("badge").cast(pl.String))
    previous, chained = None, []
    for as_of in months:
        previous = assess(history[as_of], policy, previous)
        chained.append(previous.with_columns(pl.lit(as_of).alias("as_of")))
    got = pl.concat(chained).sort("as_of", "supplier_id")
    assert got["kept_under_grace"].sum() > 0, "the seeded data should exercise grace"
    assert got.select(
        "as_of", "supplier_id", "badge", "ta_amount_usd", pl.col("kept_under_grace").alias("in_grace")
    ).equals(expected.select("as_of", "supplier_id", "badge", "ta_amount_usd", "in_grace"))


def test_an_unreachable_app_database_exits_1_without_its_url(tmp_path, monkeypatch, capsys):
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    engine = create_engine(url)
    load_rows(engine, warehouse_tables())
    engine.dispose()
    monkeypatch.setenv("TRUST_APP_DB_URL", "postgresql+psycopg://trust:s3cret@127.0.0.1:1/app")
    assert assess_cli(url, "--as-of", "2024-06-01") == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "s3cret" not in err and "127.0.0.1" not in err and "SELECT" not in err


def test_badge_timeline_axes_hold_every_point():
    from tests.test_ui_charts import vega_label
    from ui.assess_charts import badge_timeline_chart

    one = pl.DataFrame(
        {
            "as_of": [JUNE],
            "policy_name": ["p"],
            "policy_version": [None],
            "badge": ["qualified"],
            "ta_amount_usd": [14800.0],
            "kept_under_grace": [False],
            "failed_rules": [""],
        }
    )
    x, y = (badge_timeline_chart(one)["layer"][1]["encoding"][axis] for axis in ("x", "y"))
    assert y["scale"]["domain"][0] == 0 and y["scale"]["domain"][1] > 14800
    assert x["scale"]["domain"] == [  # June 1 ± 15 days
        {"year": 2024, "month": 5, "date": 17, "utc": True},
        {"year": 2024, "month": 6, "date": 16, "utc": True},
    ]
    always_nothing = one.with_columns(pl.lit(0.0).alias("ta_amount_usd"))
    y = badge_timeline_chart(always_nothing)["layer"][1]["encoding"]["y"]
    assert y["axis"]["values"] == [0] and vega_label(y["axis"]["labelExpr"], 0) == "$0"  # one tick, not six
