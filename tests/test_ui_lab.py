"""ui.lab on tiny frames: binning, the what-if step, blocking rules, uptake transforms and the figures."""

from datetime import date

import polars as pl
import pytest

from policy import DEFAULT_POLICY, Policy, diff
from ui import lab


def features(**overrides) -> pl.DataFrame:
    """Three CN suppliers that pass every default rule, with columns overridden per test."""
    base = {
        "supplier_id": [1, 2, 3],
        "name": ["a", "b", "c"],
        "country_code": ["CN", "CN", "VN"],
        "category": ["Toys", "Home", "Toys"],
        "enrolled": [True, True, True],
        "account_age_days": [400.0, 400.0, 400.0],
        "orders_6m": [5, 5, 5],
        "gmv_6m_usd": [20_000.0, 30_000.0, 40_000.0],
        "on_time_rate_6m": [1.0, 1.0, 1.0],
        "claim_rate_6m": [0.0, 0.0, 0.0],
        "response_rate_30d": [None, None, None],
        "median_response_hours_30d": [None, None, None],
    }
    base.update(overrides)
    return pl.DataFrame(
        base, schema_overrides={"response_rate_30d": pl.Float64, "median_response_hours_30d": pl.Float64}
    )


def test_bin_values_counts_every_bin_and_clips_the_ends():
    values = pl.Series([-1.0, 0.0, 0.24, 0.25, 0.99, 1.0, 7.0, None, float("nan")])
    bins = lab.bin_values(values, 0.0, 1.0, 4)
    assert bins["bin_start"].to_list() == [0.0, 0.25, 0.5, 0.75]
    assert bins["bin_end"].to_list() == [0.25, 0.5, 0.75, 1.0]
    # -1, 0, 0.24 in the first; 0.25 in the second; 0.99, 1.0 and 7 in the last; null and NaN left out.
    assert bins["suppliers"].to_list() == [3, 1, 0, 3]


def test_bin_values_integers_and_empty():
    assert lab.bin_values(pl.Series([1, 2, 2, 9], dtype=pl.Int64), 0, 10, 5)["suppliers"].to_list() == [1, 2, 0, 0, 1]
    assert lab.bin_values(pl.Series([], dtype=pl.Float64), 0, 1, 2)["suppliers"].to_list() == [0, 0]
    with pytest.raises(ValueError):
        lab.bin_values(pl.Series([1.0]), 1.0, 1.0, 3)


def test_nice_ceiling():
    assert [lab.nice_ceiling(v) for v in (0, 0.03, 1, 1.2, 3, 7, 36, 10_000)] == [1, 0.05, 1, 2, 5, 10, 50, 10_000]


def test_distribution_bins_keep_the_threshold_on_the_axis():
    frame = features(median_response_hours_30d=[1.0, 2.0, 3.0])
    spec = next(d for d in lab.DISTRIBUTIONS if d.feature == "median_response_hours_30d")
    bins = lab.distribution_bins(frame, spec, 24.0)
    # p95 is 3 h; the axis runs to nice_ceiling(1.5 × 24) = 50 h, in 20 bins of 2.5 h.
    assert bins["bin_end"].max() == 50.0 and bins.height == 20
    assert bins["suppliers"].to_list()[:2] == [2, 1]


def test_threshold_histogram_draws_bars_and_the_line():
    bins = lab.bin_values(pl.Series([0.2, 0.95, 0.97]), 0.0, 1.0, 2)
    spec = lab.threshold_histogram(bins, 0.925, "On-time", "rate")
    bars, line = spec["layer"]
    assert [(r["start"], r["end"], r["suppliers"]) for r in bars["data"]["values"]] == [(0.0, 0.5, 1), (0.5, 1.0, 2)]
    assert [r["range"] for r in bars["data"]["values"]] == ["0.0% to 50.0%", "50.0% to 100.0%"]
    assert line["data"]["values"] == [{"threshold": 0.925, "label": "92.5%"}]
    # The threshold is named in the subtitle, off the bars; the axes tick at round values.
    assert spec["title"]["subtitle"] == "Red line: the threshold, 92.5%"
    assert bars["encoding"]["x"]["axis"]["values"] == [round(k / 10, 6) for k in range(11)]
    assert bars["encoding"]["y"]["axis"]["values"] == [0, 1, 2]
    money = lab.threshold_histogram(lab.bin_values(pl.Series([10.0]), 0.0, 20_000.0, 4), 7_500.0, "GMV", "usd")
    assert money["title"]["subtitle"] == "Red line: the threshold, $7,500"
    assert "$5k" in money["layer"][0]["encoding"]["x"]["axis"]["labelExpr"]


def test_whatif_counts_by_country_category_and_blocking_rules():
    frame = features(orders_6m=[5, 3, 3], on_time_rate_6m=[1.0, 0.5, 1.0])
    # Default: 1 qualified; 2 fails on_time; 3 is VN.  Candidate: min_orders 4 and every country open.
    w = lab.whatif(frame, DEFAULT_POLICY, Policy(min_orders_6m=4, open_countries=("*",)))
    assert (w.diff.qualified_before, w.diff.qualified_after) == (1, 1)
    assert w.diff.gained.height == 0 and w.diff.lost.height == 0
    # VN has nobody qualified either way; the frame has no open exposure or refunds, so those changes are 0.
    assert w.by_country.rows() == [("CN", 1, 1, 0, 0.0, 0.0, 0.0)]
    assert w.by_category.rows() == [("Toys", 1, 1, 0, 0.0, 0.0, 0.0)]
    # 2 fails min_orders and on_time; 3 fails min_orders only.
    assert dict(zip(w.blockers["rule"], w.blockers["failing"], strict=True))["min_orders"] == 2
    assert dict(zip(w.blockers["rule"], w.blockers["only_rule_failing"], strict=True)) == {
        "account_age": 0,
        "min_orders": 1,
        "min_gmv": 0,
        "on_time": 0,
        "claims": 0,
        "response_rate": 0,
        "response_time": 0,
    }
    assert lab.top_blocker(w.blockers) == ("min_orders", 1)

    opened = lab.whatif(frame, DEFAULT_POLICY, Policy(open_countries=("CN", "VN")))
    assert opened.diff.gained["supplier_id"].to_list() == [3]
    assert opened.by_country.row(0) == ("VN", 0, 1, 1, 20_000.0, 0.0, 0.0)  # 0.5 × 40,000
    gained = lab.supplier_changes(frame, opened.diff, "gained")
    assert gained.select("name", "amount_before_usd", "amount_after_usd", "badge_after").rows() == [
        ("c", 0.0, 20_000.0, "qualified")
    ]
    assert lab.top_blocker(lab.rule_blockers(pl.Series([0, 0], dtype=pl.UInt8))) is None


def test_policy_table_marks_changed_settings():
    table = lab.policy_table(DEFAULT_POLICY, Policy(min_orders_6m=4, open_countries=("*",)), "now", "next")
    changed = table.filter(pl.col("changed"))
    assert changed["setting"].to_list() == ["open_countries", "min_orders_6m"]
    assert changed["next"].to_list() == ["all countries", "4"]
    assert table.filter(pl.col("setting") == "min_gmv_6m_usd")["now"].item() == "10000"


def test_calendar_months_and_year_before():
    assert lab.calendar_months(date(2024, 7, 1), 3) == [date(2024, 4, 1), date(2024, 5, 1), date(2024, 6, 1)]
    assert lab.calendar_months(date(2024, 7, 15), 2) == [date(2024, 6, 1), date(2024, 7, 1)]
    assert lab.calendar_months(date(2024, 1, 1), 2) == [date(2023, 11, 1), date(2023, 12, 1)]
    assert lab.year_before(date(2024, 2, 29)) == date(2023, 2, 28)
    assert lab.year_before(date(2024, 7, 1)) == date(2023, 7, 1)


def test_monthly_totals_fill_quiet_months_and_share():
    monthly = pl.DataFrame(
        {
            "month": [date(2024, 1, 1), date(2024, 1, 1), date(2024, 3, 1)],
            "country_code": ["CN", "VN", "CN"],
            "category": ["Toys", "Toys", "Home"],
            "covered_gmv_usd": [100.0, 50.0, 0.0],
            "gmv_usd": [200.0, 100.0, 80.0],
            "claims": [1, 0, 2],
        }
    )
    totals = lab.monthly_totals(monthly, [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)])
    assert totals["covered_gmv_usd"].to_list() == [150.0, 0.0, 0.0]
    assert totals["claims"].to_list() == [1, 0, 2]
    assert totals["covered_share"].to_list() == [0.5, None, 0.0]


def test_rollout_and_rates():
    by_country = pl.DataFrame(
        {
            "country_code": ["CN", "IN", "VN"],
            "enrolled": [4, 1, 1],
            "qualified": [2, 0, 1],
            "covered_value_12m_usd": [1000.0, 0.0, 500.0],
            "refunds_12m_usd": [10.0, 0.0, 20.0],
        }
    )
    rolled = lab.with_rates(lab.rollout(by_country))
    assert rolled.rows() == [("CN", 4, 2, 1000.0, 10.0, 0.5, 0.01), ("Rest of the world", 2, 1, 500.0, 20.0, 0.5, 0.04)]
    zero = lab.with_rates(by_country.filter(pl.col("country_code") == "IN"))
    assert zero["loss_ratio"].to_list() == [None]


def test_the_funnel_counts_each_stage():
    stages = lab.funnel(
        pl.DataFrame(
            {"badge": ["not_enrolled", "region_not_open", "not_qualified", "qualified", "qualified"]},
        )
    )
    assert stages["suppliers"].to_list() == [5, 4, 3, 2]


def test_escape_markdown():
    assert lab.escape_markdown("**x** [y](z) <b>") == "\\*\\*x\\*\\* \\[y\\]\\(z\\) \\<b\\>"


def test_whatif_baseline_is_remembered_per_frame_and_policy():
    first = features(orders_6m=[5, 5, 2])
    second = features(orders_6m=[2, 2, 2])
    candidate = Policy(open_countries=("*",))
    assert lab.whatif(first, DEFAULT_POLICY, candidate).diff.qualified_before == 2
    # Another frame, or another baseline policy, is never answered from the remembered one.
    assert lab.whatif(second, DEFAULT_POLICY, candidate).diff.qualified_before == 0
    assert lab.whatif(first, Policy(min_orders_6m=6), candidate).diff.qualified_before == 0
    again = lab.whatif(first, DEFAULT_POLICY, candidate).diff
    fresh = diff(first, DEFAULT_POLICY, candidate)
    assert (again.qualified_before, again.qualified_after, again.amount_before_usd) == (
        fresh.qualified_before,
        fresh.qualified_after,
        fresh.amount_before_usd,
    )


def test_money_summary_of_a_what_if():
    # 1 (CN) holds under both: Amount 0.5 × 20,000 = 10,000; exposure 12,000 → covered 10,000 (the Amount);
    # refunds 3,650 → expected 3,650 × 182 / 365 = 1,820. 3 (VN, 40,000 GMV) gains when VN opens: Amount
    # 20,000, exposure 500 → covered 500; refunds 73,000 → 36,400, capped at 20,000.
    frame = features(orders_6m=[5, 3, 3], on_time_rate_6m=[1.0, 0.5, 1.0]).with_columns(
        open_exposure_usd=pl.Series([12_000.0, 7.0, 500.0]), refunds_12m_usd=pl.Series([3_650.0, 9.0, 73_000.0])
    )
    w = lab.whatif(frame, DEFAULT_POLICY, Policy(open_countries=("CN", "VN")))
    assert lab.money_summary(w.diff).rows() == [
        ("Trade Assurance Amount", 10_000.0, 30_000.0, 20_000.0),
        ("Covered exposure", 10_000.0, 10_500.0, 500.0),
        ("Expected refunds, 6 months", 1_820.0, 21_820.0, 20_000.0),
    ]
    gained = lab.supplier_changes(frame, w.diff, "gained")
    assert gained.select("name", *lab.CHANGE_MONEY).rows() == [("c", 500.0, 500.0, 20_000.0)]


def test_one_set_of_rule_labels():
    import catalogue
    from ui import explain

    assert not hasattr(lab, "RULE_LABELS")  # the Policy lab reads ui.explain's, which are the catalogue's
    assert explain.RULE_LABELS == catalogue.labels("rule")
    assert explain.RULE_LABELS["min_orders"] == "Covered deals, 6 months"
