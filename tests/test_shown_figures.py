"""The figures on screen are the CLI's figures at the precision shown (issue 9, "Done when").

A seeded demo warehouse; `python -m queries scorecard --format json` is the reference. For several
suppliers whose rates are not multiples of 10 %, the comparison table (ui.explain.compare_table) and the
table cells (ui.columns.display) are read back as numbers, independently of ui.format: a rate within 0.1
point of the CLI's, never on the other side of the default threshold; money equal to the CLI's to the
dollar; counts equal; badges as the catalogue's label of the CLI's badge.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import catalogue
from policy import DEFAULT_POLICY
from ui import columns
from ui.explain import compare_table, supplier_label

REPO = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-01"
RATES = {"response_rate_30d": "min_response_rate", "on_time_rate_6m": "min_on_time_rate", "claim_rate_6m": None}
MONEY = ("value_12m_usd", "gmv_6m_usd", "refunds_12m_usd", "open_exposure_usd", "ta_amount_usd")
COUNTS = ("deals_12m", "orders_6m", "claims_12m")


@pytest.fixture(scope="module")
def scorecard(demo_warehouse) -> pl.DataFrame:
    run = {"cwd": REPO, "check": True, "capture_output": True, "text": True}
    out = subprocess.run(
        [sys.executable, "-m", "queries", "scorecard", "--as-of", AS_OF, "--url", demo_warehouse, "--format", "json"],
        **run,
    ).stdout
    return pl.DataFrame(json.loads(out), infer_schema_length=None)


def _rate(text: str) -> float:
    assert re.fullmatch(r"\d{1,3}\.\d%", text), text
    return float(text[:-1]) / 100


def _money(text: str) -> int:
    assert re.fullmatch(r"−?\$\d{1,3}(,\d{3})*", text), text
    return int(text.replace("$", "").replace(",", "").replace("−", "-"))


def _picked(scorecard: pl.DataFrame) -> pl.DataFrame:
    off_grid = pl.all_horizontal(
        ((pl.col(c) * 10).round(6) != (pl.col(c) * 10).round(0)) for c in ("response_rate_30d", "on_time_rate_6m")
    )
    picked = scorecard.filter(off_grid).head(6)
    assert picked.height >= 4, "the demo data should have suppliers with rates off the 10 % grid"
    return picked


def _check(cli: dict, shown: dict) -> None:
    for code, key in RATES.items():
        if cli[code] is None:
            assert shown[code] == "—"
            continue
        value = _rate(shown[code])
        assert abs(value - cli[code]) < 0.001 + 1e-9, (code, cli[code], shown[code])
        if key:  # a minimum rule: never shown at or above a threshold the true rate misses
            threshold = getattr(DEFAULT_POLICY, key)
            assert (value >= threshold) == (cli[code] >= threshold), (code, cli[code], shown[code])
    for code in MONEY:
        assert _money(shown[code]) == round(cli[code]), (code, cli[code], shown[code])
    for code in COUNTS:
        assert int(shown[code].replace(",", "")) == cli[code]
    assert shown["badge"] == catalogue.label(cli["badge"], "badge")


def test_table_cells_are_the_cli_figures(scorecard):
    picked = _picked(scorecard)
    shown = columns.display(picked)
    for cli, cells in zip(picked.iter_rows(named=True), shown.iter_rows(named=True), strict=True):
        _check(cli, cells)


def test_the_comparison_shows_the_same_figures_as_the_table(scorecard):
    picked = _picked(scorecard).with_columns(
        pl.lit("Name").alias("name"), pl.lit("CN").alias("country_code"), pl.lit("Toys").alias("category")
    )
    table = compare_table(picked)
    cells = columns.display(picked)
    by_label = {row["metric"]: row for row in table.iter_rows(named=True)}
    for cli, row in zip(picked.iter_rows(named=True), cells.iter_rows(named=True), strict=True):
        header = supplier_label(cli["supplier_id"], "Name")
        compared = {code: by_label[catalogue.label(code)][header] for code in (*RATES, *MONEY, *COUNTS, "badge")}
        _check(cli, compared)
        assert compared == {code: row[code] for code in compared}  # the table and the comparison agree
