"""The demo generator: seeded rows, the loader's checks on every row, the promised variety, refusal."""

import warnings
from datetime import date, datetime, timedelta

import polars as pl
import pytest
from sqlalchemy import create_engine, select

from data.bulk import table_schema
from data.generate import (
    CHUNK_SUPPLIERS,
    DATA_END,
    HOSTILE_NAMES,
    WarehouseNotEmpty,
    ensure_demo_warehouse,
    generate,
    main,
    months_before,
)
from data.schema import CLAIM_REASONS, CLAIM_STATUSES, ORDER_STATUSES, TABLE_NAMES, metadata
from policy import DEFAULT_POLICY
from queries.scorecard import build_scorecard, fetch_features
from tests.warehouse import duckdb_memory_engine, load_rows

SMALL = {"suppliers": 60, "months": 6}
MODERATE = {"suppliers": 400, "months": 12}


def read_tables(engine) -> dict[str, pl.DataFrame]:
    """Every warehouse table as a polars frame in the schema's dtypes, ordered by its id."""
    frames = {}
    with engine.connect() as conn, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # polars' note about an extra Arrow copy from DuckDB
        for name in TABLE_NAMES:
            table = metadata.tables[name]
            schema = table_schema(table)
            frame = pl.read_database(select(table).order_by(*table.primary_key.columns), conn, schema_overrides=schema)
            frames[name] = frame.select(pl.col(c).cast(t) for c, t in schema.items())
    return frames


def violations(t: dict[str, pl.DataFrame], months: int) -> dict[str, int]:
    """How many rows break each of the loader's checks (and the generator's own promises)."""
    s, b, o, i, c = (t[name] for name in TABLE_NAMES)
    start, end = months_before(DATA_END, months), DATA_END
    o_s = o.join(s, on="supplier_id", how="left")
    i_s = i.join(s, on="supplier_id", how="left")
    c_o = c.join(o.select("order_id", "placed_at", "amount_usd"), on="order_id", how="left")

    def after(a: str, z: str) -> pl.Expr:  # breaks "a ≤ z where both are present"
        return pl.col(a).is_not_null() & pl.col(z).is_not_null() & (pl.col(a) > pl.col(z))

    def count(frame: pl.DataFrame, bad: pl.Expr) -> int:
        return frame.filter(bad.fill_null(True)).height

    stamps = [(name, col) for name in TABLE_NAMES for col, dtype in t[name].schema.items() if dtype == pl.Datetime]
    found = {
        **{f"{name}: duplicate ids": t[name].height - t[name][t[name].columns[0]].n_unique() for name in TABLE_NAMES},
        "orders: unknown supplier": count(o_s, pl.col("registered_at").is_null()),
        "orders: unknown buyer": o.filter(~pl.col("buyer_id").is_in(b["buyer_id"].implode())).height,
        "inquiries: unknown supplier": count(i_s, pl.col("registered_at").is_null()),
        "inquiries: unknown buyer": i.filter(~pl.col("buyer_id").is_in(b["buyer_id"].implode())).height,
        "claims: unknown order": count(c_o, pl.col("placed_at").is_null()),
        "country codes": count(
            pl.concat([s.select("country_code"), b.select("country_code")]),
            ~pl.col("country_code").str.contains("^[A-Z]{2}$"),
        ),
        "order status words": count(o, ~pl.col("status").is_in(ORDER_STATUSES)),
        "claim reason words": count(c, ~pl.col("reason").is_in(CLAIM_REASONS)),
        "claim status words": count(c, ~pl.col("status").is_in(CLAIM_STATUSES)),
        "amount_usd > 0": count(o, pl.col("amount_usd") <= 0),
        "registered_at <= ta_enrolled_at": count(s, after("registered_at", "ta_enrolled_at")),
        "placed_at <= ship_by": count(o, after("placed_at", "ship_by")),
        "placed_at <= shipped_at": count(o, after("placed_at", "shipped_at")),
        "shipped_at <= delivered_at": count(o, after("shipped_at", "delivered_at")),
        "delivered_at <= completed_at": count(o, after("delivered_at", "completed_at")),
        "placed_at <= delivered_at": count(o, after("placed_at", "delivered_at")),
        "placed_at <= completed_at": count(o, after("placed_at", "completed_at")),
        "shipped_at <= completed_at": count(o, after("shipped_at", "completed_at")),
        "delivered needs shipped": count(o, pl.col("delivered_at").is_not_null() & pl.col("shipped_at").is_null()),
        "completed needs delivered": count(o, pl.col("completed_at").is_not_null() & pl.col("delivered_at").is_null()),
        "completed_at set iff status completed": count(
            o, pl.col("completed_at").is_not_null() != (pl.col("status") == "completed")
        ),
        "cancelled orders never shipped": count(
            o, (pl.col("status") == "cancelled") & pl.col("shipped_at").is_not_null()
        ),
        "order placed after registration": count(o_s, after("registered_at", "placed_at")),
        "inquiry received after registration": count(i_s, after("registered_at", "received_at")),
        "covered only once enrolled": count(
            o_s,
            pl.col("ta_covered")
            & (pl.col("ta_enrolled_at").is_null() | (pl.col("placed_at") < pl.col("ta_enrolled_at"))),
        ),
        "received_at <= first_response_at": count(i, after("received_at", "first_response_at")),
        "placed_at <= filed_at": count(c_o, after("placed_at", "filed_at")),
        "filed_at <= resolved_at": count(c_o, after("filed_at", "resolved_at")),
        "open claims unresolved, others resolved": count(
            c, (pl.col("status") == "open") != pl.col("resolved_at").is_null()
        ),
        "refund > 0 iff upheld": count(
            c, (pl.col("refund_usd") > 0) != pl.col("status").is_in(["refunded", "partially_refunded"])
        ),
        "refund <= amount": count(c_o, pl.col("refund_usd") > pl.col("amount_usd")),
        "refund >= 0": count(c, pl.col("refund_usd") < 0),
        "orders placed in the window": count(o, (pl.col("placed_at") < start) | (pl.col("placed_at") >= end)),
        "inquiries received in the window": count(i, (pl.col("received_at") < start) | (pl.col("received_at") >= end)),
    }
    for name, col in stamps:
        frame = t[name].filter(pl.col(col).is_not_null())
        found[f"{name}.{col}: whole seconds"] = count(frame, pl.col(col).dt.microsecond() != 0)
        if col != "ship_by":  # a contract date; every event is before DATA_END
            found[f"{name}.{col} < DATA_END"] = count(frame, pl.col(col) >= end)
    return found


def test_same_seed_gives_the_same_rows_on_every_backend(engine):
    counts = generate(engine, **SMALL, seed=7)
    reference = duckdb_memory_engine()
    assert generate(reference, **SMALL, seed=7) == counts
    got, expected = read_tables(engine), read_tables(reference)
    for name in TABLE_NAMES:
        assert got[name].equals(expected[name]), name
        assert got[name].height == counts[name] > 0, name


def test_a_different_seed_gives_different_rows():
    one, two = duckdb_memory_engine(), duckdb_memory_engine()
    generate(one, **SMALL, seed=1)
    generate(two, **SMALL, seed=2)
    a, b = read_tables(one), read_tables(two)
    for name in ("suppliers", "orders", "inquiries"):
        assert not a[name].equals(b[name]), name


def test_every_row_passes_the_loaders_checks(engine):
    generate(engine, **SMALL, seed=3)
    found = violations(read_tables(engine), SMALL["months"])
    assert {check: n for check, n in found.items() if n} == {}


def test_the_checks_catch_a_broken_row():
    # The invariant test above is only worth something if the checks notice a bad row.
    eng = duckdb_memory_engine()
    generate(eng, **SMALL, seed=3)
    t = read_tables(eng)
    t["orders"] = t["orders"].with_columns(
        pl.when(pl.col("order_id") == 1)
        .then(pl.col("placed_at") - timedelta(days=1))
        .otherwise("ship_by")
        .alias("ship_by")
    )
    found = violations(t, SMALL["months"])
    assert found["placed_at <= ship_by"] == 1
    assert sum(found.values()) == 1


def test_chunks_continue_the_ids_and_every_chunk_trades():
    eng = duckdb_memory_engine()
    counts = generate(eng, suppliers=CHUNK_SUPPLIERS + 40, months=1, seed=5)
    t = read_tables(eng)
    for name in TABLE_NAMES:
        ids = t[name][t[name].columns[0]]
        assert ids.to_list() == list(range(1, counts[name] + 1)), name
    assert t["orders"].filter(pl.col("supplier_id") > CHUNK_SUPPLIERS).height > 0
    assert t["inquiries"].filter(pl.col("supplier_id") > CHUNK_SUPPLIERS).height > 0
    assert {check: n for check, n in violations(t, 1).items() if n} == {}


def test_a_run_that_fails_part_way_leaves_the_warehouse_empty():
    eng = duckdb_memory_engine()
    with eng.begin() as conn:  # a stricter suppliers table: the second chunk breaks its CHECK
        conn.exec_driver_sql(
            f"""CREATE TABLE suppliers (
                supplier_id INTEGER PRIMARY KEY CHECK (supplier_id <= {CHUNK_SUPPLIERS}),
                name TEXT NOT NULL, country_code VARCHAR(2) NOT NULL, category TEXT NOT NULL,
                registered_at TIMESTAMP NOT NULL, ta_enrolled_at TIMESTAMP)"""
        )
    with pytest.raises(Exception) as failure:  # noqa: B017 -- whichever error the driver raises
        generate(eng, suppliers=CHUNK_SUPPLIERS + 10, months=1)
    chain = [failure.value, failure.value.__context__, failure.value.__cause__]
    assert any("CHECK constraint" in str(exc) for exc in chain)  # failed where intended, in chunk 2
    assert {name: frame.height for name, frame in read_tables(eng).items()} == dict.fromkeys(TABLE_NAMES, 0)


@pytest.fixture(scope="module")
def moderate():
    """A 400-supplier, 12-month warehouse (about 20,000 orders), built once for the variety tests."""
    eng = duckdb_memory_engine()
    counts = generate(eng, **MODERATE, seed=42)
    yield eng, counts, read_tables(eng)
    eng.dispose()


def per_supplier(t: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The behaviour an archetype shows: late share, reply times, quality claims, volume."""
    o, i, c = t["orders"], t["inquiries"], t["claims"]
    shipping = o.group_by("supplier_id").agg(
        orders=pl.len(),
        shipped=pl.col("shipped_at").is_not_null().sum(),
        late=(pl.col("shipped_at") > pl.col("ship_by")).sum(),
        delivered=pl.col("delivered_at").is_not_null().sum(),
    )
    replies = (
        i.filter(pl.col("first_response_at").is_not_null())
        .group_by("supplier_id")
        .agg(
            answered=pl.len(),
            median_hours=((pl.col("first_response_at") - pl.col("received_at")).dt.total_seconds() / 3600).median(),
        )
    )
    quality = (
        c.join(o.select("order_id", "supplier_id"), on="order_id")
        .group_by("supplier_id")
        .agg(
            claims=pl.len(),
            quality_claims=pl.col("reason").is_in(["quality_on_arrival", "quality_after_delivery"]).sum(),
        )
    )
    return (
        t["suppliers"]
        .join(shipping, on="supplier_id", how="left")
        .join(replies, on="supplier_id", how="left")
        .join(quality, on="supplier_id", how="left")
        .with_columns(
            pl.col("orders", "shipped", "late", "delivered", "answered", "claims", "quality_claims").fill_null(0)
        )
    )


def test_counts_match_the_tables_and_the_full_scale_ratios(moderate):
    _, counts, t = moderate
    assert counts == {name: t[name].height for name in TABLE_NAMES}
    supplier_months = MODERATE["suppliers"] * MODERATE["months"]
    # 200,000 suppliers × 24 months ≈ 20M orders, 30M inquiries, 1M claims: ~4.2 orders per supplier-month.
    assert 2.5 < counts["orders"] / supplier_months < 6.5
    assert 1.3 < counts["inquiries"] / counts["orders"] < 1.7
    assert 0.03 < counts["claims"] / counts["orders"] < 0.08


def test_every_claim_reason_and_status_and_order_status_appears(moderate):
    _, _, t = moderate
    assert set(t["claims"]["reason"]) == set(CLAIM_REASONS)
    assert set(t["claims"]["status"]) == set(CLAIM_STATUSES)
    assert set(t["orders"]["status"]) == set(ORDER_STATUSES)


def test_activity_is_skewed_a_few_large_suppliers_and_a_long_tail(moderate):
    _, _, t = moderate
    volume = per_supplier(t)["orders"].sort(descending=True)
    top_1_percent = volume.head(len(volume) // 100).sum()
    assert top_1_percent > 0.10 * volume.sum()
    assert volume.median() < volume.mean() / 1.5


def test_every_archetype_shows_in_the_data(moderate):
    _, _, t = moderate
    s = per_supplier(t)
    end = DATA_END
    never_enrolled = s.filter(pl.col("ta_enrolled_at").is_null())
    new_accounts = s.filter(pl.col("registered_at") > end - timedelta(days=180))
    slow = s.filter((pl.col("answered") >= 5) & (pl.col("median_hours") > 24))
    late = s.filter((pl.col("shipped") >= 10) & (pl.col("late") >= 0.2 * pl.col("shipped")))
    quality = s.filter((pl.col("delivered") >= 10) & (pl.col("quality_claims") >= 0.1 * pl.col("delivered")))
    reliable = s.filter(
        (pl.col("shipped") >= 20)
        & (pl.col("late") <= 0.05 * pl.col("shipped"))
        & (pl.col("median_hours") <= 6)
        & (pl.col("claims") <= 0.05 * pl.col("orders"))
    )
    for name, group in {
        "never enrolled": never_enrolled,
        "new accounts": new_accounts,
        "slow to answer": slow,
        "late shippers": late,
        "quality problems": quality,
        "reliable": reliable,
    }.items():
        assert group.height >= 5, name
    assert reliable.height > s.height // 10


def test_suppliers_buyers_and_enrolment_are_spread_out(moderate):
    _, _, t = moderate
    s, b = t["suppliers"], t["buyers"]
    share = s["country_code"].value_counts(normalize=True).sort("proportion", descending=True)
    assert share["country_code"][0] == "CN" and 0.5 < share["proportion"][0] < 0.8
    assert s["country_code"].n_unique() >= 10
    assert b["country_code"].n_unique() >= 10
    assert s["category"].n_unique() == 12
    start = months_before(DATA_END, MODERATE["months"])
    enrolled = s["ta_enrolled_at"].drop_nulls()
    assert (enrolled < start).sum() > 20 and (enrolled >= start).sum() > 20
    assert (s["registered_at"] >= start).sum() > 20


def test_orders_look_like_trade(moderate):
    _, _, t = moderate
    o = t["orders"].join(t["suppliers"], on="supplier_id")
    recent = o.filter(pl.col("placed_at") >= DATA_END - timedelta(days=30))
    older = o.filter(pl.col("placed_at") < DATA_END - timedelta(days=120))
    assert (recent["status"] == "open").mean() > 3 * (older["status"] == "open").mean()
    after_enrolment = o.filter(
        pl.col("ta_enrolled_at").is_not_null() & (pl.col("placed_at") >= pl.col("ta_enrolled_at"))
    )
    assert after_enrolment["ta_covered"].mean() > 0.7
    assert (o["shipped_at"].is_null() & (o["status"] != "cancelled")).sum() > 0
    cents = (o["amount_usd"] * 100).cast(pl.Int64)
    assert cents.n_unique() > 0.9 * o.height  # amounts vary to the cent


def test_the_demo_gives_every_badge_for_varied_reasons(moderate):
    eng, _, _ = moderate
    with eng.connect() as conn, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        card = build_scorecard(fetch_features(conn, date(2026, 11, 1)), DEFAULT_POLICY)
    badges = dict(card["badge"].value_counts().iter_rows())
    assert set(badges) == {"qualified", "not_qualified", "not_enrolled", "region_not_open"}
    assert badges["qualified"] >= 20 and badges["not_qualified"] >= 50
    failed = card.filter(pl.col("badge") == "not_qualified")["failed_rules"].str.split(";").explode()
    assert set(failed) == {
        "account_age",
        "min_orders",
        "min_gmv",
        "on_time",
        "claims",
        "response_rate",
        "response_time",
    }


def test_hostile_supplier_names_are_there_verbatim(moderate):
    _, _, t = moderate
    names = t["suppliers"]["name"]
    for text in HOSTILE_NAMES:
        assert names.str.contains(text, literal=True).sum() == 1, text


def test_refuses_a_warehouse_that_has_rows(engine):
    generate(engine, suppliers=20, months=2, seed=1)
    before = read_tables(engine)
    with pytest.raises(WarehouseNotEmpty, match="only fills an empty warehouse"):
        generate(engine, suppliers=20, months=2, seed=2)
    after = read_tables(engine)
    for name in TABLE_NAMES:
        assert after[name].equals(before[name]), name


def test_refuses_a_warehouse_with_a_single_supplier_and_writes_nothing(engine):
    load_rows(engine, {"suppliers": [{"supplier_id": 9}]})
    with pytest.raises(WarehouseNotEmpty, match="1 suppliers"):
        generate(engine, suppliers=20, months=2)
    t = read_tables(engine)
    assert t["suppliers"]["supplier_id"].to_list() == [9]
    assert t["buyers"].height == 1 and t["orders"].height == 0


def test_command_line_fills_then_refuses(tmp_path, capsys):
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    assert main(["--url", url, "--suppliers", "25", "--months", "3", "--seed", "9"]) == 0
    assert "25 suppliers" in capsys.readouterr().err
    assert main(["--url", url, "--suppliers", "25", "--months", "3"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: The warehouse already holds data (25 suppliers")
    assert "Traceback" not in err and str(tmp_path) not in err
    eng = create_engine(url)
    assert read_tables(eng)["suppliers"].height == 25
    eng.dispose()


@pytest.mark.parametrize("argv", [["--suppliers", "0"], ["--months", "0"], ["--months", "121"], ["--seed", "-1"]])
def test_command_line_rejects_bad_sizes(argv, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--url", f"duckdb:///{tmp_path / 'w.duckdb'}", *argv])
    assert exit_info.value.code == 2
    assert argv[0] in capsys.readouterr().err
    assert not (tmp_path / "w.duckdb").exists()


def test_progress_bar_on_stderr(capsys):
    generate(duckdb_memory_engine(), suppliers=20, months=2, progress=True)
    err = capsys.readouterr().err
    assert "\r[" in err and "100% 20/20" in err and err.endswith("\n")


def test_ensure_demo_warehouse_generates_once_into_a_missing_file(tmp_path):
    path = tmp_path / "demo" / "warehouse.duckdb"
    url = f"duckdb:///{path}"
    assert ensure_demo_warehouse(url, suppliers=30) is True
    assert sorted(p.name for p in path.parent.iterdir()) == ["warehouse.duckdb"]  # no temporary files left
    eng = create_engine(url)
    assert read_tables(eng)["suppliers"].height == 30
    eng.dispose()
    modified = path.stat().st_mtime_ns
    assert ensure_demo_warehouse(url, suppliers=30) is False
    assert path.stat().st_mtime_ns == modified


def test_ensure_demo_warehouse_leaves_other_backends_alone():
    # Returns before connecting: nothing listens on port 9.
    assert ensure_demo_warehouse("postgresql+psycopg://nobody@127.0.0.1:9/none") is False
    assert ensure_demo_warehouse("duckdb:///:memory:") is False


def test_data_end_is_fixed():
    assert DATA_END.isoformat() == "2026-11-01T00:00:00"
    assert months_before(DATA_END, 24).isoformat() == "2024-11-01T00:00:00"


def test_claims_do_not_pile_up_at_the_data_end():
    """The last month holds about as many late-shipment claims as the months before it (growth aside).

    Two edge artefacts doubled the demo's late-shipment claims in its last month (519 vs ~244): a late
    order not shipped by DATA_END drew its claim twice over, and a quality claim on an order not yet
    delivered was turned into a late-shipment claim. Late-shipment claims per month, on a seeded warehouse.
    (Quality claims on arrival rise a little in the last months for a real reason: new accounts.)
    """
    eng = duckdb_memory_engine()
    generate(eng, suppliers=2_000, months=8, seed=7)
    claims = read_tables(eng)["claims"]
    eng.dispose()
    monthly = (
        claims.with_columns(month=pl.col("filed_at").dt.truncate("1mo")).group_by("month", "reason").len().sort("month")
    )
    last = datetime(2026, 10, 1)
    rows = monthly.filter(pl.col("reason") == "late_shipment")
    before = rows.filter((pl.col("month") >= datetime(2026, 7, 1)) & (pl.col("month") < last))["len"]
    final = rows.filter(pl.col("month") == last)["len"].item()
    assert before.len() == 3 and before.min() >= 100  # enough claims for a fair comparison
    # The marketplace grows a few per cent a month; the pile-up at the edge was about twice the level.
    assert final <= 1.3 * before.mean(), (final, before.to_list())
