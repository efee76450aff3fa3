"""ui.charts_uptake on tiny frames: the rows each chart holds, its layers and its axes (worked by hand)."""

from datetime import date

import polars as pl

from tests.test_ui_charts import vega_label
from ui.charts_uptake import (
    breakdown_chart,
    claims_refunds_chart,
    covered_gmv_chart,
    funnel_chart,
    suppliers_chart,
)

MONTHS = [date(2024, 4, 1), date(2024, 5, 1), date(2024, 6, 1)]
TOTALS = pl.DataFrame(
    {
        "month": MONTHS,
        "covered_gmv_usd": [12_000.0, 0.0, 7_250.5],
        "covered_share": [0.8, None, 0.25],
        "claims_late_shipment": [2, 0, 1],
        "claims_quality_on_arrival": [3, 0, 0],
        "claims_quality_after_delivery": [0, 0, 0],
        "claims_not_delivered": [1, 0, 0],
        "refunds_usd": [900.0, 0.0, 1_500.25],
    }
)


def _labels(axis: dict) -> list[str]:
    return [vega_label(axis["labelExpr"], value) for value in axis["values"]]


def _series(spec: dict, name: str) -> list:
    return [row["value"] for row in spec["data"]["values"] if row["series"] == name]


def test_covered_gmv_bars_left_share_line_right():
    spec = covered_gmv_chart(TOTALS)
    assert _series(spec, "Covered GMV") == [12_000.0, 0.0, 7_250.5]
    assert _series(spec, "Share of all GMV") == [0.8, None, 0.25]  # no GMV in May: a gap, not 0 %
    assert [r["text"] for r in spec["data"]["values"] if r["series"] == "Covered GMV"] == [
        "$12,000.00",
        "$0.00",
        "$7,250.50",
    ]
    bars, line = spec["layer"]
    assert bars["mark"]["type"] == "bar" and line["mark"]["type"] == "line"
    # 0 .. 12,000 in about five steps: 2,500 each (12,000 / 5 = 2,400 → 2,500), up to 12,500.
    assert _labels(bars["encoding"]["y"]["axis"]) == ["$0", "$2.5k", "$5k", "$7.5k", "$10k", "$12.5k"]
    assert bars["encoding"]["y"]["scale"]["domain"] == [0, 12_500]
    share = line["encoding"]["y"]
    assert share["axis"]["orient"] == "right" and share["axis"]["format"] == ".0%"
    assert share["axis"]["values"] == [round(k / 10, 6) for k in range(11)]  # 0 % … 100 % every 10 points
    assert spec["resolve"] == {"scale": {"y": "independent"}}


def test_claims_axis_covers_the_stacked_bars():
    spec = claims_refunds_chart(TOTALS)
    bars, line = spec["layer"]
    # April stacks 2 + 3 + 0 + 1 = 6 claims: the count axis must reach past 6, not just the largest reason (3).
    assert max(bars["encoding"]["y"]["axis"]["values"]) >= 6
    assert bars["encoding"]["y"]["stack"] == "zero"
    assert _series(spec, "Late shipment") == [2, 0, 1]
    assert _series(spec, "Refunds") == [900.0, 0.0, 1_500.25]
    # 0 .. 1,500.25: 1,500.25 / 5 = 300 → steps of 500, up to 2,000.
    assert _labels(line["encoding"]["y"]["axis"]) == ["$0", "$500", "$1k", "$1.5k", "$2k"]
    assert spec["encoding"]["color"]["scale"]["domain"][-1] == "Refunds"


def test_suppliers_lines_count_axis_whole_ticks():
    series = pl.DataFrame({"as_of": MONTHS, "enrolled": [2, 3, 3], "qualified": [0, 1, 2]})
    spec = suppliers_chart(series, {"enrolled": "Enrolled", "qualified": "Qualified"}, "Suppliers")
    assert _series(spec, "Enrolled") == [2, 3, 3] and _series(spec, "Qualified") == [0, 1, 2]
    assert [r["month"] for r in spec["data"]["values"]][:2] == ["2024-04-01", "2024-04-01"]
    assert _labels(spec["encoding"]["y"]["axis"]) == ["0", "1", "2", "3"]


def test_breakdown_keeps_the_frame_order_and_a_row_per_bar():
    frame = pl.DataFrame({"country_code": ["VN", "CN", "Others"], "enrolled": [5, 3, 1], "qualified": [1, 2, 0]})
    spec = breakdown_chart(frame, "country_code", {"enrolled": "Enrolled", "qualified": "Qualified"}, "By country")
    assert spec["encoding"]["y"]["sort"] == ["VN", "CN", "Others"]
    assert spec["encoding"]["yOffset"]["field"] == "series"
    assert len(spec["data"]["values"]) == 6 and spec["height"] >= 6 * 18
    assert spec["title"]["text"] == "By country"


def test_funnel_labels_count_and_share_of_all():
    stages = pl.DataFrame(
        {"stage": ["All suppliers", "Enrolled", "In an open region", "Qualified"], "suppliers": [8, 6, 3, 1]}
    )
    spec = funnel_chart(stages)
    assert [r["text"] for r in spec["data"]["values"]] == ["8 (100.0%)", "6 (75.0%)", "3 (37.5%)", "1 (12.5%)"]
    assert spec["encoding"]["y"]["sort"] == ["All suppliers", "Enrolled", "In an open region", "Qualified"]
