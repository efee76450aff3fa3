"""The backtest's pure parts on tiny frames: chart traces, the side-by-side and flip tables, A0 choices,
and the at-risk lists (worked out by hand in each test)."""

from datetime import date, datetime

import polars as pl

from app_pages.sections.at_risk import at_risk_lists
from app_pages.sections.backtest import MEASURES, complete_a0s, flip_table, policy_or_none, side_by_side
from policy import DEFAULT_POLICY, Policy
from policy.backtest import FlipCounts
from ui.backtest_charts import flips_figure, series_figure, tradeoff_figure

JAN, FEB = date(2024, 1, 1), date(2024, 2, 1)


def test_series_figure_draws_one_line_per_policy_and_column():
    current = pl.DataFrame({"as_of": [JAN, FEB], "h": [0.1, None], "o": [0.4, 0.2]})
    whatif = pl.DataFrame({"as_of": [JAN, FEB], "h": [0.2, 0.3], "o": [0.3, 0.1]})
    fig = series_figure({"Current": current, "What-if": whatif}, [("h", "Holders"), ("o", "Others")], "T", "Rate")
    assert [t.name for t in fig.data] == [
        "Holders · Current",
        "Others · Current",
        "Holders · What-if",
        "Others · What-if",
    ]
    assert list(fig.data[0].y) == [0.1, None]  # no deals after that A0: a gap, not a zero
    assert [t.line.dash for t in fig.data] == ["solid", "dash", "solid", "dash"]
    assert fig.data[0].line.color != fig.data[2].line.color
    # values 0.1..0.4 with 0 always shown: a 40-point span ticks every 5 points, "0%", "5%"... (round ticks)
    assert fig.layout.yaxis.tickformat == ".0%" and fig.layout.yaxis.dtick == 0.05
    assert fig.layout.title.text == "T"
    # the legend is below the plot (y < 0), clear of the title and the x-axis title
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.y < -0.2
    assert fig.layout.legend.yanchor == "top"


def test_series_figure_money_axis_ticks_are_compact_and_hover_explains():
    frame = pl.DataFrame({"as_of": [JAN, FEB], "r": [641_598.0, 1_283_080.0]})
    fig = series_figure({"Current": frame}, [("r", "Refunds")], "T", "USD", "money", hover_note="why")
    assert list(fig.layout.yaxis.tickvals) == [0, 500_000, 1_000_000, 1_500_000]
    assert list(fig.layout.yaxis.ticktext) == ["$0", "$500k", "$1M", "$1.5M"]  # never $641.598k
    assert fig.data[0].hovertemplate.endswith("<br>why<extra></extra>")


def test_tradeoff_figure_has_a_line_per_policy_and_a_star_for_each():
    curve = pl.DataFrame(
        {"value": [1.0, 3.0, 5.0], "qualified": [4, 3, 0], "holder_refunds_per_deal_usd": [10.0, 8.0, None]}
    )
    points = {
        "Current": {"holders": 3, "holder_refunds_per_deal_usd": 8.0, "value": 3},
        "What-if": {"holders": 4, "holder_refunds_per_deal_usd": 10.0, "value": 1},
    }
    fig = tradeoff_figure({"Current": curve, "What-if": curve}, points, "Covered deals (6 months)")
    lines, stars = fig.data[:2], fig.data[2:]
    assert [list(t.x) for t in lines] == [[4, 3, 0], [4, 3, 0]]
    assert list(lines[0].customdata) == ["1", "3", "5"]
    assert [(list(s.x), list(s.y), s.marker.symbol) for s in stars] == [([3], [8.0], "star"), ([4], [10.0], "star")]
    assert fig.layout.xaxis.title.text == "Qualified suppliers at A0"
    assert "covered deals (6 months)" in fig.layout.title.text
    fig = tradeoff_figure({"C": curve}, {}, "On-time", show_value=lambda v: f"{v * 10:g}%")
    assert list(fig.data[0].customdata) == ["10%", "30%", "50%"]


def test_flips_figure_with_and_without_grace():
    per = pl.DataFrame({"as_of": [JAN, FEB], "flips_without_grace": [0, 2], "flips_with_grace": [0, 0]})
    fig = flips_figure({"Current": per})
    assert [(t.name, list(t.y)) for t in fig.data] == [
        ("Current · with grace", [0, 0]),
        ("Current · without grace", [0, 2]),
    ]


def test_side_by_side_formats_every_measure():
    row = {column: None for _, column, _ in MEASURES}
    row |= {"holders": 1234, "holder_upheld_claim_rate": 2 / 17, "holder_refunds_per_deal_usd": 1500 / 17}
    row |= {"holder_refunds_usd": 1500.0, "holder_refund_share": 3 / 7}
    table = side_by_side({"Current": row, "What-if": row})
    got = dict(zip(table["measure"], table["What-if"], strict=True))
    assert table.columns == ["measure", "Current", "What-if"]
    assert got["Badge holders at A0"] == "1,234"
    assert got["Upheld-claim rate per covered deal, holders"] == "11.8%"
    assert got["Refunds per covered deal, holders"] == "$88.24"
    assert got["Refunds, holders"] == "$1,500"
    assert got["Share of all refunds on badge holders"] == "42.9%"
    assert got["Upheld-claim rate per covered deal, everyone else"] == "—"  # no deals: a dash, not 0 %


def test_flip_table_totals_over_assessments():
    per_assessment = pl.DataFrame({"as_of": [JAN, FEB], "flips_without_grace": [1, 2], "flips_with_grace": [0, 1]})
    per_supplier = pl.DataFrame({"supplier_id": [1, 2], "flips_without_grace": [2, 1], "flips_with_grace": [1, 0]})
    table = flip_table({"What-if": FlipCounts(per_supplier, per_assessment, 2)})
    assert table.row(0) == ("What-if", "2", "3", "1", "1")


def test_complete_a0s_end_182_days_before_the_latest_activity():
    # 2024-07-10 − 182 days = 2024-01-10: the latest complete month start is 2024-01-01.
    assert complete_a0s(datetime(2024, 7, 10, 18), count=3) == [date(2024, 1, 1), date(2023, 12, 1), date(2023, 11, 1)]
    # Exactly 182 days: 2024-07-01 00:00 − 182 days = 2024-01-01.
    assert complete_a0s(datetime(2024, 7, 1), count=1) == [date(2024, 1, 1)]
    assert complete_a0s(None) == []


def test_policy_or_none():
    assert policy_or_none(lambda: DEFAULT_POLICY) is DEFAULT_POLICY
    assert policy_or_none(lambda: Policy.from_mapping({"grace_assessments": 99})) is None


def _features(**columns) -> pl.DataFrame:
    """Suppliers that pass every default rule unless a column says otherwise (as of 2024-07-11)."""
    n = len(columns["supplier_id"])
    base = {
        "name": [f"S{i}" for i in columns["supplier_id"]],
        "country_code": ["CN"] * n,
        "category": ["Machinery"] * n,
        "enrolled": [True] * n,
        "account_age_days": [1000.0] * n,
        "orders_6m": [40] * n,
        "gmv_6m_usd": [20_000.0] * n,
        "shipments_6m": [40] * n,
        "on_time_shipments_6m": [40] * n,
        "upheld_claims_6m": [0] * n,
        "inquiries_30d": [10] * n,
        "answered_24h_30d": [10] * n,
        "median_response_hours_30d": [1.0] * n,
    }
    frame = pl.DataFrame({**base, **columns})
    return frame.with_columns(
        (pl.col("on_time_shipments_6m") / pl.col("shipments_6m")).alias("on_time_rate_6m"),
        (pl.col("upheld_claims_6m") / pl.col("orders_6m")).alias("claim_rate_6m"),
        # No inquiries: no rate (null), as the scorecard has it.
        pl.when(pl.col("inquiries_30d") > 0)
        .then(pl.col("answered_24h_30d") / pl.col("inquiries_30d"))
        .alias("response_rate_30d"),
    )


def test_at_risk_lists_split_the_quiet_holders_and_count_projections():
    # 1: 40 deals, 2 upheld (5 %): one more claim loses it. 2: no inquiries, nothing else close: quiet.
    # 3: 40 deals, nothing close: not at risk (3 claims, 5 late shipments, 5 unanswered inquiries).
    # 4: 10 inquiries, 7 answered (70 %): one unanswered loses it. 5: 2 deals: not a holder.
    now = _features(
        supplier_id=[1, 2, 3, 4, 5],
        upheld_claims_6m=[2, 0, 0, 0, 0],
        inquiries_30d=[10, 0, 10, 10, 10],
        answered_24h_30d=[10, 0, 10, 7, 10],
        orders_6m=[40, 40, 40, 40, 2],
    )
    # At the next assessment 3 drops under 3 deals and 5 reaches 3 deals: one loss, one gain.
    after = now.with_columns(orders_6m=pl.Series([40, 40, 2, 40, 3]))
    lists = at_risk_lists(now, after, DEFAULT_POLICY)
    assert lists.holders == 4
    assert lists.listed["supplier_id"].to_list() == [1, 4]
    assert lists.listed["would_lose_badge_with"].to_list() == [
        "1 more upheld claim",
        "1 new inquiry not answered within 24 h",
    ]
    assert lists.listed["projected_badge"].to_list() == ["Qualified", "Qualified"]
    assert lists.quiet["supplier_id"].to_list() == [2]
    assert (lists.projected_gains, lists.projected_losses) == (1, 1)


def test_at_risk_lists_without_the_next_assessment():
    lists = at_risk_lists(_features(supplier_id=[1], upheld_claims_6m=[2]), None, DEFAULT_POLICY)
    assert lists.listed["projected_badge"].to_list() == [None]
    assert lists.projected_gains is None
