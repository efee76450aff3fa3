"""ui.charts and ui.explain on tiny frames: traces, values, axis titles and the words of each rule."""

import json
from dataclasses import replace
from datetime import date

import polars as pl
import pytest

from policy import DEFAULT_POLICY, RULES, Policy, evaluate
from ui.charts import (
    badge_mix_chart,
    deals_value_chart,
    empty_sentence,
    nothing_to_draw,
    on_time_chart,
    response_time_chart,
    trend_charts,
)
from ui.explain import (
    badge_reason,
    compare_table,
    escape_markdown,
    explain_rules,
    passes,
    rule_sentence,
)

RULE = {rule.name: rule for rule in RULES}
MONTHS = [date(2024, 4, 1), date(2024, 5, 1), date(2024, 6, 1)]
TRENDS = pl.DataFrame(
    {
        "month": MONTHS,
        "deals": [2, 0, 5],
        "value_usd": [1500.0, 0.0, 7250.5],
        "shipments": [4, 0, 10],
        "on_time_rate": [0.75, None, 0.9],
        "inquiries": [3, 1, 0],
        "median_response_hours": [5.5, 30.0, None],
    }
)


def test_badge_mix_counts_every_badge_including_zeros():
    verdict = pl.DataFrame({"badge": ["qualified", "qualified", "not_enrolled", "not_qualified", "qualified"]})
    spec = badge_mix_chart(verdict)
    rows = spec["data"]["values"]
    assert [(r["badge"], r["suppliers"], r["text"]) for r in rows] == [
        ("Qualified", 3, "3"),
        ("Not qualified", 1, "1"),
        ("Region not open", 0, "0"),
        ("Not enrolled", 1, "1"),
    ]
    assert spec["encoding"]["y"]["sort"] == ["Qualified", "Not qualified", "Region not open", "Not enrolled"]
    assert spec["encoding"]["x"]["title"] == "Suppliers"
    assert spec["title"]["text"] == "Badge mix"
    colors = spec["layer"][0]["encoding"]["color"]["scale"]["range"]
    assert colors == ["#2e7d32", "#ef6c00", "#78909c", "#b0bec5"]  # one colour per badge, in the same order


def test_badge_mix_axis_reads_like_the_other_charts():
    # 120,000 not enrolled, the axis a fifth longer (144,000) so the count written after the bar fits: ticks
    # every 50,000 (144,000 / 5 = 28,800 → 50,000) up to 150,000, labelled '50k' … as ui.format.count_axis does.
    verdict = pl.DataFrame({"badge": ["qualified"] * 30_000 + ["not_enrolled"] * 120_000})
    axis = badge_mix_chart(verdict)["encoding"]["x"]
    assert axis["axis"]["values"] == [0, 50_000, 100_000, 150_000]
    assert axis["scale"]["domain"] == [0, 150_000]
    assert vega_label(axis["axis"]["labelExpr"], 50_000) == "50k"
    assert vega_label(axis["axis"]["labelExpr"], 0) == "0"
    assert vega_label(axis["axis"]["labelExpr"], 150_000) == "150k"
    assert vega_label(axis["axis"]["labelExpr"], 1) == ""  # no label off the ticks


def vega_label(expression: str, value: float) -> str:
    """Evaluate ui.charts.vega_axis's label expression (a chain of `datum.value == v ? "text" :`) for `value`,
    the way Vega would: the first test that holds gives the text."""
    for test in expression.split(" : "):
        if " ? " not in test:
            return test.strip("'\"")
        number, text = test.removeprefix("datum.value == ").split(" ? ")
        if float(number) == value:
            return json.loads(text)
    return ""


def _series(spec: dict, name: str) -> list:
    return [row["value"] for row in spec["data"]["values"] if row["series"] == name]


def _texts(spec: dict, name: str) -> list:
    return [row["text"] for row in spec["data"]["values"] if row["series"] == name]


def _labels(axis: dict) -> list[str]:
    return [vega_label(axis["labelExpr"], value) for value in axis["values"]]


def _threshold(spec: dict) -> tuple[float, str, str]:
    """(value, words, baseline of the words) of a chart's dashed policy line."""
    (layer,) = [layer for layer in spec["layer"] if "layer" in layer]
    (row,) = layer["data"]["values"]
    rule, words = layer["layer"]
    assert rule["mark"]["type"] == "rule" and rule["mark"]["strokeDash"]
    assert rule["encoding"]["y"]["field"] == words["encoding"]["y"]["field"] == "threshold"
    return row["threshold"], row["label"], words["mark"]["baseline"]


def test_deals_value_puts_deals_left_and_value_right():
    spec = deals_value_chart(TRENDS)
    months = ["2024-04-01", "2024-05-01", "2024-06-01"]
    assert [r["month"] for r in spec["data"]["values"]] == months * 2
    assert _series(spec, "Covered deal value") == [1500.0, 0.0, 7250.5]
    assert _series(spec, "Covered deals") == [2, 0, 5]
    assert _texts(spec, "Covered deals") == ["2", "0", "5"]
    bars, line = spec["layer"]
    assert bars["mark"]["type"] == "bar" and line["mark"]["type"] == "line"
    assert bars["transform"] == [{"filter": {"field": "series", "equal": "Covered deal value"}}]
    assert line["transform"] == [{"filter": {"field": "series", "equal": "Covered deals"}}]
    assert bars["encoding"]["y"]["title"] == "Value (USD)" and bars["encoding"]["y"]["axis"]["orient"] == "right"
    assert line["encoding"]["y"]["title"] == "Covered deals" and line["encoding"]["y"]["axis"]["orient"] == "left"
    assert spec["encoding"]["x"]["title"] == "Month"
    assert spec["resolve"] == {"scale": {"y": "independent"}}
    assert spec["title"]["text"] == "Covered deals completed per month"


def test_on_time_draws_rates_with_gaps_and_the_policy_minimum():
    spec = on_time_chart(TRENDS, 0.9)
    assert _series(spec, "On-time rate") == [0.75, None, 0.9]  # nothing due in May: a gap, not 0 %
    assert _texts(spec, "On-time rate") == ["75.0% of 4 shipments", "no shipment due", "90.0% of 10 shipments"]
    line = spec["layer"][0]
    assert line["mark"]["type"] == "line" and line["encoding"]["y"]["title"] == "On-time rate"
    assert line["encoding"]["y"]["axis"]["format"] == ".0%"
    # The words sit under the line: the rates near 100 % are drawn above it.
    assert _threshold(spec) == (0.9, "policy minimum 90.0%", "top")


def test_response_time_draws_hours_and_the_policy_maximum():
    spec = response_time_chart(TRENDS, 12.5)
    assert _series(spec, "Median reply") == [5.5, 30.0, None]
    assert _texts(spec, "Median reply") == ["5.5 h over 3 inquiries", "30.0 h over 1 inquiry", "no inquiry answered"]
    y = spec["layer"][0]["encoding"]["y"]
    assert y["title"] == "Median reply (hours)"
    # 0 .. 30 h in about five steps: 30 / 5 = 6 → a step of 10.
    assert y["axis"]["values"] == [0, 10, 20, 30] and y["scale"]["domain"] == [0, 30]
    assert _threshold(spec) == (12.5, "policy maximum 12.5 h", "bottom")


def test_response_time_axis_leaves_room_above_the_threshold():
    spec = response_time_chart(TRENDS.with_columns(pl.lit(2.0).alias("median_response_hours")), 24)
    # Replies of 2 h, the maximum 24 h: the axis reaches past 24 × 1.1 = 26.4 (26.4 / 5 = 5.28 → ticks every
    # 10 h, up to 30), so the words above the line stay inside the plot.
    y = spec["layer"][0]["encoding"]["y"]
    assert y["axis"]["values"] == [0, 10, 20, 30] and y["scale"]["domain"] == [0, 30]
    assert _labels(y["axis"]) == ["0", "10", "20", "30"]


def test_money_axis_reads_compact_and_tooltip_is_exact():
    bars, line = deals_value_chart(TRENDS)["layer"]  # values 0 .. 7,250.50: steps of 2,000 (1,450 → 2,000)
    money = bars["encoding"]["y"]
    assert money["axis"]["values"] == [0, 2000, 4000, 6000, 8000] and money["scale"]["domain"] == [0, 8000]
    assert _labels(money["axis"]) == ["$0", "$2k", "$4k", "$6k", "$8k"]
    assert _texts(deals_value_chart(TRENDS), "Covered deal value") == ["$1,500.00", "$0.00", "$7,250.50"]
    assert line["encoding"]["y"]["axis"]["values"] == [0, 1, 2, 3, 4, 5]  # deals 0..5: whole ticks


def test_legends_sit_below_the_plot_clear_of_title_and_axis():
    spec = deals_value_chart(TRENDS)
    legend = spec["encoding"]["color"]["legend"]
    assert legend["orient"] == "bottom" and legend["title"] == " "  # blank: no title, and nothing Streamlit edits
    assert spec["encoding"]["color"]["scale"]["domain"] == ["Covered deal value", "Covered deals"]
    for one in (on_time_chart(TRENDS, 0.9), response_time_chart(TRENDS, 24)):  # one series: no legend at all
        assert "color" not in one["layer"][0]["encoding"]


def test_on_time_axis_ticks_every_ten_points_and_threshold_keeps_its_decimals():
    spec = on_time_chart(TRENDS, 0.925)
    y = spec["layer"][0]["encoding"]["y"]
    assert y["axis"]["values"] == [round(k / 10, 6) for k in range(11)]  # 0 % … 100 % every 10 points
    assert y["scale"]["domain"] == [-0.005, 1.005]
    assert _threshold(spec)[1] == "policy minimum 92.5%"
    assert _texts(spec, "On-time rate")[0] == "75.0% of 4 shipments"  # the tooltip's rate keeps one decimal


def test_an_empty_chart_is_a_sentence():
    assert nothing_to_draw(TRENDS, "median_response_hours") is False
    no_answers = TRENDS.with_columns(pl.lit(None, pl.Float64).alias("median_response_hours"))
    assert nothing_to_draw(no_answers, "median_response_hours") is True
    assert nothing_to_draw(TRENDS.clear(), "deals") is True
    assert (
        empty_sentence("reply times", "no inquiry was answered") == "No reply times to chart: no inquiry was answered."
    )


def test_trend_charts_put_a_sentence_where_a_chart_has_nothing_to_draw():
    deals, on_time, response = trend_charts(TRENDS, 0.9, 24)
    assert [c["title"]["text"] for c in (deals, on_time, response)] == [
        "Covered deals completed per month",
        "On-time shipping per month",
        "Median time to first reply per month",
    ]
    quiet = TRENDS.with_columns(
        pl.lit(0).alias("deals"),
        pl.lit(0.0).alias("value_usd"),
        pl.lit(None, pl.Float64).alias("on_time_rate"),
    )
    deals, on_time, response = trend_charts(quiet, 0.9, 24)
    assert deals == "No covered deals to chart: none completed in the last 24 months."
    assert on_time == "No on-time rates to chart: no shipment was due in the last 24 months."
    assert response["title"]["text"] == "Median time to first reply per month"
    assert trend_charts(TRENDS.clear(), 0.9, 24)[2] == (
        "No reply times to chart: no inquiry was answered in the last 24 months."
    )


def test_charts_accept_an_empty_frame():
    empty = TRENDS.clear()
    assert deals_value_chart(empty)["data"]["values"] == []
    assert on_time_chart(empty, 0.9)["data"]["values"] == []
    empty = badge_mix_chart(pl.DataFrame({"badge": []}, schema={"badge": pl.String}))
    assert [r["suppliers"] for r in empty["data"]["values"]] == [0, 0, 0, 0]


@pytest.mark.parametrize(
    ("rule", "value", "threshold", "words"),
    [
        ("min_orders", 1, 3, "needs 2 more covered deals in 6 months"),
        ("min_orders", 2, 3, "needs 1 more covered deal in 6 months"),
        ("min_orders", 5, 3, "5 covered deals in 6 months against 3 needed"),
        ("min_gmv", 8750.0, 10000.0, "needs $1,250 more covered deal value in 6 months"),
        ("min_gmv", 9999.5, 10000.0, "needs $0.50 more covered deal value in 6 months"),
        ("min_gmv", 12000.0, 10000.0, "$12,000 covered deal value in 6 months against $10,000 needed"),
        ("on_time", 6 / 7, 0.9, "on-time 85.7% against 90.0%"),  # 85.714…: one decimal
        ("on_time", 0.899, 0.9, "on-time 89.9% against 90.0%"),
        ("on_time", 0.8996, 0.9, "on-time 89.9% against 90.0%"),  # fails: never rounded up to 90.0%
        ("on_time", 0.9056, 0.9055, "on-time 90.56% against 90.55%"),  # passes an off-grid threshold
        ("on_time", None, 0.9, "no covered shipments due in 6 months: fails"),
        ("account_age", 140.0, 180, "account is 40 days too young"),
        ("account_age", 179.5, 180, "account is 1 day too young"),
        ("account_age", 400.25, 180, "account is 400 days old against 180 days needed"),
        ("response_time", 30.0, 24.0, "median reply 30.0 h against 24 h"),
        ("response_time", None, 24.0, "no answered inquiries in 30 days: passes"),
        ("response_rate", None, 0.7, "no inquiries to answer: passes"),
        ("response_rate", 0.5, 0.7, "replied within 24 h to 50.0% of inquiries against 70.0%"),
        ("response_rate", 0.962, 0.7, "replied within 24 h to 96.2% of inquiries against 70.0%"),
        ("claims", 0.1, 0.05, "upheld claims on 10.0% of covered deals against at most 5.0%"),
        ("claims", 0.05004, 0.05, "upheld claims on 5.1% of covered deals against at most 5.0%"),  # fails: up
        ("claims", None, 0.05, "no covered deals in 6 months, so no claim rate: fails"),
    ],
)
def test_rule_sentence_says_value_threshold_and_distance(rule, value, threshold, words):
    policy = replace(DEFAULT_POLICY, **{RULE[rule].threshold: threshold})
    assert rule_sentence(RULE[rule], value, policy) == words


def test_passes_agrees_with_the_policy_engine_at_the_edges():
    # One supplier per case; the engine's verdict per rule comes from its failed_rules text.
    features = pl.DataFrame(
        {
            "supplier_id": [1, 2, 3],
            "country_code": ["CN"] * 3,
            "enrolled": [True] * 3,
            "account_age_days": [180.0, 179.999, 500.0],
            "orders_6m": [3, 2, 3],
            "gmv_6m_usd": [10000.0, 9999.99, 10000.0],
            "on_time_rate_6m": [0.9, None, 0.95],
            "claim_rate_6m": [0.05, 0.0, None],
            "response_rate_30d": [None, 0.69, 0.7],
            "median_response_hours_30d": [24.0, None, 24.01],
        }
    )
    failed = evaluate(features, DEFAULT_POLICY)["failed_rules"].to_list()
    for row, engine_failed in zip(features.iter_rows(named=True), failed, strict=True):
        mine = [r.name for r in RULES if not passes(r, row[r.feature], DEFAULT_POLICY)]
        assert ";".join(mine) == engine_failed
    assert failed == ["", "account_age;min_orders;min_gmv;on_time;response_rate", "claims;response_time"]


def test_explain_rules_uses_the_policy_thresholds():
    policy = Policy(min_orders_6m=5, max_median_response_hours=12.0)
    row = {
        "account_age_days": 200.0,
        "orders_6m": 4,
        "gmv_6m_usd": 20000.0,
        "on_time_rate_6m": 1.0,
        "claim_rate_6m": 0.0,
        "response_rate_30d": None,
        "median_response_hours_30d": 13.0,
    }
    table = explain_rules(row, policy)
    assert table.columns == ["rule", "value", "threshold", "result", "in_plain_words"]
    assert table["result"].to_list() == ["passes", "fails", "passes", "passes", "passes", "passes", "fails"]
    assert table["threshold"].to_list()[1] == "≥ 5"
    assert table["in_plain_words"].to_list()[1] == "needs 1 more covered deal in 6 months"
    assert table["value"].to_list()[0] == "200 days" and table["threshold"].to_list()[0] == "≥ 180 days"
    assert table["value"].to_list()[5] == "—"
    assert table["in_plain_words"].to_list()[6] == "median reply 13.0 h against 12 h"
    assert badge_reason(row, "not_qualified", policy) == (
        "Not qualified: fails 2 rules (covered deals, 6 months; median reply time, 30 days)."
    )


def test_escape_markdown_neutralises_links_html_and_math():
    assert escape_markdown("[x](http://a.b) <b> $1 $2") == r"\[x\]\(http\://a\.b\) \<b\> \$1 \$2"


def test_compare_table_is_metrics_by_suppliers():
    rows = pl.DataFrame(
        {
            "supplier_id": [7, 3],
            "name": ["Same", "Same"],
            "country_code": ["CN", "VN"],
            "category": ["Toys", "Toys"],
            "badge": ["qualified", "region_not_open"],
            "deals_12m": [12, 0],
            "value_12m_usd": [34567.0, 0.0],
            "orders_6m": [6, 0],
            "gmv_6m_usd": [20000.0, 0.0],
            "response_rate_30d": [0.5, None],
            "median_response_hours_30d": [3.5, None],
            "on_time_rate_6m": [1.0, None],
            "claims_12m": [1, 0],
            "claim_rate_6m": [0.0, None],
            "refunds_12m_usd": [10.0, 0.0],
            "ta_amount_usd": [10000.0, 0.0],
            "open_exposure_usd": [2500.0, 100.0],
            "amount_left_usd": [7500.0, -100.0],
        }
    )
    table = compare_table(rows)
    assert table.columns == ["metric", "Same (#7)", "Same (#3)"]
    by_metric = {r["metric"]: (r["Same (#7)"], r["Same (#3)"]) for r in table.iter_rows(named=True)}
    assert by_metric["Badge"] == ("Qualified", "Region not open")
    assert by_metric["Covered deal value, 12 months"] == ("$34,567", "$0")
    assert by_metric["Replies within 24 h, 30 days"] == ("50.0%", "—")
    assert by_metric["Median reply time, 30 days"] == ("3.5 h", "—")
    assert by_metric["Amount left"] == ("$7,500", "−$100")


def test_policy_differences_and_audit_changes_in_words():
    from ui.explain import audit_change, policy_differences

    assert policy_differences({"min_on_time_rate": 0.9}, {"min_on_time_rate": 0.925, "open_countries": ["*"]}) == [
        "Open countries CN → every country",
        "Minimum on-time shipping 90.0% → 92.5%",
    ]
    after = json.dumps({"version": 1, "policy": {**Policy().to_dict(), "min_gmv_6m_usd": 12500.5}})
    assert audit_change("save", None, after) == (
        "Version 1, against the contract default: Minimum covered deal value, 6 months $10,000 → $12,500.50."
    )
    before = json.dumps({"version": 1, "note": "a", "policy": {"max_median_response_hours": 24.0}})
    after = json.dumps({"version": 2, "note": "b", "policy": {"max_median_response_hours": 12.5}})
    assert audit_change("update", before, after) == (
        "Version 1 → 2: Maximum median reply time 24 h → 12.5 h; note changed."
    )
    assert audit_change("mark_current", '{"current": null}', '{"current": "Strict", "version": 2}') == (
        "Current policy: Strict (version 2); before: the contract default."
    )
    assert audit_change("update", "not json", "{}") == "Version ? → ?: no value changed."


def test_error_words_name_the_field_by_its_label():
    from policy.policy import PolicyError
    from ui.explain import error_words

    assert error_words(PolicyError("amount_floor_usd", "must be at most the cap")) == (
        "Amount floor: must be at most the cap"
    )
    assert error_words("actor: is required") == "Who: is required"
    assert error_words("name: is required") == "Policy name: is required"
    assert error_words("min_on_time_rate: expected a number between 0 and 1") == (
        "Minimum on-time shipping: expected a number between 0 and 1"
    )
    assert error_words("something odd happened") == "something odd happened"


def test_readable_ticks_cover_stacked_bars_and_move_the_legend():
    import plotly.graph_objects as go

    from ui.charts import readable

    fig = go.Figure([go.Bar(x=["a", "b"], y=[3, 4], name="one"), go.Bar(x=["a", "b"], y=[5, 0], name="two")])
    fig.add_trace(go.Scatter(x=["a", "b"], y=[1_283_080, 641_598], yaxis="y2", name="money"))
    fig.update_layout(barmode="stack", legend={"y": 1.1})
    readable(fig, count_axes=("y",), money_axes=("y2",))
    assert list(fig.layout.yaxis.tickvals) == [0, 2, 4, 6, 8]  # the stack's top is 3 + 5 = 8, not 5
    assert list(fig.layout.yaxis2.ticktext) == ["$0", "$500k", "$1M", "$1.5M"]
    assert fig.layout.legend.y < -0.2 and fig.layout.legend.orientation == "h"
