"""The catalogue covers the contract, and ui.format shows each kind of number as people expect.

Expected strings are worked by hand from the values written in each test.
"""

from dataclasses import fields
from pathlib import Path

import pytest

import catalogue
from data.schema import CLAIM_REASONS, CLAIM_STATUSES, ORDER_STATUSES, TABLES
from policy.policy import Policy
from policy.rules import BADGES, RULES
from queries.scorecard import SCORECARD_COLUMNS
from ui import format as fmt

ROOT = Path(__file__).resolve().parent.parent


# ---- coverage of the contract -------------------------------------------------------------------------


@pytest.mark.parametrize("code", SCORECARD_COLUMNS)
def test_every_scorecard_column_has_a_metric_entry(code):
    e = catalogue.entry(code, "metric")
    assert e.label and e.help and e.kind in catalogue.KINDS
    assert e.label != code


@pytest.mark.parametrize("column", sorted({c.name for t in TABLES for c in t.columns}))
def test_every_schema_column_has_an_entry(column):
    assert catalogue.has(column), column
    assert catalogue.label(column) != column


@pytest.mark.parametrize("key", [f.name for f in fields(Policy)])
def test_every_policy_key_has_an_entry(key):
    e = catalogue.entry(key, "policy")
    assert e.label and e.help


def test_rules_match_policy_rules_in_order_with_their_metric_and_threshold_key():
    assert catalogue.codes("rule") == tuple(r.name for r in RULES)
    for rule in RULES:
        e = catalogue.entry(rule.name, "rule")
        assert (e.metric, e.policy_key) == (rule.feature, rule.threshold)
        # a minimum rule's value is rounded down, a maximum rule's up: toward failing
        assert e.rounding == ("down" if rule.kind == "min" else "up")
        assert catalogue.rule_for(rule.threshold) == e


def test_one_label_per_rule_everywhere():
    # The rule's label is the label of the metric it reads (issue 9: "Covered deals (6 months)" vs
    # "Covered orders, 6 months" on two pages).
    for rule in RULES:
        if catalogue.has(rule.feature, "metric"):
            assert catalogue.label(rule.name, "rule") == catalogue.label(rule.feature, "metric")
    assert catalogue.label("min_orders", "rule") == "Covered deals, 6 months"


def test_badges_reasons_and_statuses_are_all_there():
    assert set(catalogue.codes("badge")) == set(BADGES)
    assert catalogue.codes("claim_reason") == CLAIM_REASONS
    assert catalogue.codes("claim_status") == CLAIM_STATUSES
    assert catalogue.codes("order_status") == ORDER_STATUSES
    assert catalogue.label("partially_refunded", "claim_status") == "Partly refunded"
    assert catalogue.label("mark_current") == "Marked as current"


def test_derived_figures_of_the_contract_are_there():
    for code in ("amount_left_usd", "over_amount", "covered_exposure_usd", "expected_refunds_6m_usd", "loss_ratio"):
        assert catalogue.entry(code, "derived").label


def test_labels_are_unique_within_a_group_and_never_a_code():
    for group in catalogue.GROUPS:
        labels = catalogue.labels(group)
        assert len(set(labels.values())) == len(labels), group
        for code, label in labels.items():
            assert "_" not in label, (code, label)


def test_a_code_naming_two_things_needs_its_group_only_when_they_differ():
    assert catalogue.label("open", "claim_status") == "Open"
    assert catalogue.label("open") == "Open"  # order and claim status read the same
    assert catalogue.label("not_in_the_catalogue") == "not_in_the_catalogue"
    with pytest.raises(KeyError):
        catalogue.entry("not_in_the_catalogue")


def test_docs_metrics_md_is_generated_from_the_catalogue():
    committed = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    schema = {t.name: tuple(c.name for c in t.columns) for t in TABLES}
    assert committed == catalogue.markdown(schema), "regenerate: python -m catalogue > docs/metrics.md"
    assert "| on_time | On-time shipping, 6 months | on_time_rate_6m | min_on_time_rate |" in committed
    assert "| suppliers | supplier_id |" in committed


# ---- formats --------------------------------------------------------------------------------------------


def test_rates_show_one_decimal_and_never_cross_their_threshold():
    assert fmt.rate(0.962, "response_rate_30d") == "96.2%"  # not 90% (a step of 10 points)
    assert fmt.rate(0.8889, "on_time_rate_6m") == "88.8%"  # a minimum rule rounds down: 88.89 → 88.8
    assert fmt.rate(0.8996, "on_time_rate_6m") == "89.9%"  # fails a 90% minimum, so never "90.0%"
    assert fmt.rate(0.9, "on_time_rate_6m") == "90.0%"  # passes exactly
    assert fmt.rate(0.05004, "claim_rate_6m") == "5.1%"  # fails a 5% maximum, so never "5.0%"
    assert fmt.rate(0.05, "claim_rate_6m") == "5.0%"
    assert fmt.rate(0.12345) == "12.3%"  # no rule: nearest
    assert fmt.rate(None, "on_time_rate_6m") == "—"
    # a threshold off the 0.1 % grid gets the decimals needed to tell pass from fail
    assert fmt.rate_against(0.9056, 0.9055) == "90.56%"  # passes: 90.56 ≥ 90.55
    assert fmt.rate_against(0.9054, 0.9055) == "90.5%"  # fails: 90.5 < 90.55
    assert fmt.rate_against(0.0501, 0.05, "max") == "5.1%"
    assert fmt.threshold_percent(0.9) == "90.0%"
    assert fmt.threshold_percent(0.925) == "92.5%"


def test_money_in_tables_compact_and_exact():
    assert fmt.money(49_011_555.20) == "$49,011,555"
    assert fmt.money(49_011_555.5) == "$49,011,556"  # half up, decimal exact
    assert fmt.money_exact(49_011_555.2) == "$49,011,555.20"
    assert fmt.money(-1234.4) == "−$1,234"
    assert fmt.money(None) == "—"
    assert fmt.money_compact(32_500_000) == "$32.5M"
    assert fmt.money_compact(640_000) == "$640k"
    assert fmt.money_compact(1_283_080) == "$1.28M"  # not $1.28308M
    assert fmt.money_compact(641_598) == "$642k"  # not $641.598k
    assert fmt.money_compact(18_985.4) == "$19k"
    assert fmt.money_compact(1078) == "$1.08k"
    assert fmt.money_compact(999) == "$999"
    assert fmt.money_compact(999_999) == "$1M"  # not $1000k
    assert fmt.money_compact(0) == "$0"
    assert fmt.money_compact(float("nan")) == "—"


def test_counts_hours_days_and_changes():
    assert fmt.count(77471) == "77,471"
    assert fmt.count(None) == "—"
    assert fmt.hours(3.44) == "3.4 h"
    assert fmt.days(180.7) == "180 days"
    assert fmt.days(1) == "1 day"
    assert fmt.signed(12) == "+12"
    assert fmt.signed(-4000, "money") == "−$4,000"
    assert fmt.signed(186_932_461, "money_compact") == "+$187M"
    assert fmt.signed(0.015, "pp") == "+1.5 pp"
    assert fmt.signed(0) == "±0"


def test_metric_deltas_use_an_ascii_minus_for_streamlit():
    assert fmt.metric_delta(52_000, 8_000, "money_compact") == "+$44k"
    assert fmt.metric_delta(0.765, 1.0, "pp") == "-23.5 pp"
    assert fmt.metric_delta(3, 3) == "0"
    assert fmt.metric_delta(3, None) is None


def test_show_dispatches_on_the_catalogue_kind():
    assert fmt.show("value_12m_usd", 1234.5) == "$1,235"
    assert fmt.show("value_12m_usd", 1234.5, compact=True) == "$1.23k"
    assert fmt.show("deals_12m", 1234) == "1,234"
    assert fmt.show("badge", "not_qualified") == "Not qualified"
    assert fmt.show("failed_rules", "on_time;claims") == "On-time shipping, 6 months; Upheld claim rate, 6 months"
    assert fmt.show("median_response_hours_30d", None) == "—"
    assert fmt.word("late_shipment", "claim_reason") == "Late shipment"


def test_money_axis_ticks_are_round_with_three_significant_digits_at_most():
    axis = fmt.money_axis([0, 1_283_080])
    assert axis["tickvals"] == [0, 500_000, 1_000_000, 1_500_000]
    assert axis["ticktext"] == ["$0", "$500k", "$1M", "$1.5M"]
    axis = fmt.money_axis([641_598, 18_985])
    assert axis["ticktext"] == ["$0", "$200k", "$400k", "$600k", "$800k"]


def test_percent_axis_ticks_at_round_percents():
    axis = fmt.percent_axis([0.74, 0.99])  # issue 11: ticks at 74 %, 99 %
    assert axis["dtick"] == 0.05 and axis["tickformat"] == ".0%" and axis["tick0"] == 0
    assert axis["range"][0] < 0.70 < 0.74 and 0.99 < 1.0 < axis["range"][1]
    axis = fmt.percent_axis([0.0, 0.9])
    assert axis["dtick"] == 0.1


# ---- table settings (ui.columns) -----------------------------------------------------------------------


def test_display_formats_only_catalogue_columns_and_keeps_the_raw_frame():
    import polars as pl

    from ui import columns

    raw = pl.DataFrame(
        {
            "supplier_id": [1000, 66, 7],
            "name": ["A", "B", None],
            "badge": ["qualified", "not_qualified", "region_not_open"],
            "response_rate_30d": [0.962, 0.8996, None],
            "on_time_rate_6m": [0.889, 0.8996, 1.0],
            "value_12m_usd": [49_011_555.20, 0.0, None],
            "deals_12m": [77_471, 0, 3],
            "failed_rules": ["", "on_time;claims", ""],
            "something_else": [1, 2, 3],
        }
    )
    shown = columns.display(raw)
    assert shown["response_rate_30d"].to_list() == ["96.2%", "89.9%", "—"]  # never "90%" (issue 9)
    assert shown["on_time_rate_6m"].to_list() == ["88.9%", "89.9%", "100.0%"]
    assert shown["value_12m_usd"].to_list() == ["$49,011,555", "$0", "—"]
    assert shown["deals_12m"].to_list() == ["77,471", "0", "3"]
    assert shown["badge"].to_list() == ["Qualified", "Not qualified", "Region not open"]
    assert shown["failed_rules"].to_list() == ["", "On-time shipping, 6 months; Upheld claim rate, 6 months", ""]
    assert shown["name"].to_list() == ["A", "B", "—"]
    assert shown["something_else"].to_list() == [1, 2, 3]  # not in the catalogue: as it is
    assert raw["response_rate_30d"].to_list() == [0.962, 0.8996, None]  # the CSV's frame is untouched
    # with a policy whose threshold is off the 0.1 % grid, a rule's rate gets the decimals that tell
    policy = Policy(min_on_time_rate=0.8995)
    assert columns.display(raw, policy=policy)["on_time_rate_6m"].to_list() == ["88.9%", "89.96%", "100.0%"]


def test_column_settings_carry_label_help_and_alignment():
    import polars as pl

    from ui import columns

    frame = pl.DataFrame({"on_time_rate_6m": [0.9], "name": ["A"], "mystery": [1]})
    config = columns.config(frame, pinned=("name",))
    assert config["on_time_rate_6m"]["label"] == "On-time shipping, 6 months"
    assert config["on_time_rate_6m"]["help"] == catalogue.help("on_time_rate_6m")
    assert config["on_time_rate_6m"]["alignment"] == "right"
    assert config["name"]["label"] == "Supplier" and config["name"]["pinned"] is True
    assert config["mystery"]["label"] == "mystery"


def _printf(spec: str, value) -> str:
    """sprintf-js as the grid runs a NumberColumn format ("," = thousands separator), in Python's words."""
    import re

    python = re.sub(r"%(,?)(\.\d+)?([df])", lambda m: "{:" + m[1] + (m[2] or "") + m[3] + "}", spec)
    return python.format(int(value) if spec.endswith("d") else float(value))


def test_number_columns_keep_the_value_ui_format_shows():
    # A sortable table keeps money, counts and hours as numbers, rounded as the text would be: half a dollar
    # up, a tenth of an hour to the nearest; the grid draws them with a format that prints that text.
    from decimal import Decimal

    import polars as pl

    from ui import columns

    numbers = ("value_12m_usd", "deals_12m", "median_response_hours_30d")
    raw = pl.DataFrame(
        {
            "value_12m_usd": [49_011_555.20, 0.5, 1_234.49, 2.675, None],
            "deals_12m": [77_471, 0, 3, 1_000, None],
            "median_response_hours_30d": [3.44, 3.45, 0.04, 1_234.5, None],
            "on_time_rate_6m": [0.8996, 1.0, 0.5, 0.25, None],
        }
    )
    shown = columns.display(raw, numbers=numbers)
    assert shown["value_12m_usd"].to_list() == [49_011_555, 1, 1_234, 3, None]
    assert shown["deals_12m"].to_list() == [77_471, 0, 3, 1_000, None]
    assert shown["median_response_hours_30d"].to_list() == [3.4, 3.5, 0.0, 1_234.5, None]
    assert shown["on_time_rate_6m"].to_list() == ["89.9%", "100.0%", "50.0%", "25.0%", "—"]  # rates stay text
    config = columns.config(raw, numbers=numbers)
    drawn = {
        name: [_printf(config[name]["type_config"]["format"], v) for v in shown[name].to_list()[:4]] for name in numbers
    }
    assert drawn["value_12m_usd"] == ["$49,011,555", "$1", "$1,234", "$3"]
    assert drawn["deals_12m"] == ["77,471", "0", "3", "1,000"]
    assert drawn["median_response_hours_30d"] == ["3.4 h", "3.5 h", "0.0 h", "1,234.5 h"]
    assert config["value_12m_usd"]["label"] == "Covered deal value, 12 months"
    assert config["value_12m_usd"]["help"] == catalogue.help("value_12m_usd")
    # The text ui.format gives, for every value (one definition of each format) ...
    for name in numbers:
        assert drawn[name] == [fmt.show(name, v) for v in raw[name].to_list()[:4]]
    assert (
        columns.display(pl.DataFrame({"ta_amount_usd": [Decimal("6000.50")]}), numbers=("ta_amount_usd",)).item()
        == 6001
    )
    # ... but a negative sum of money: the grid's format puts its sign after the dollar ("$-1,234", "−$1,234").
    negative = columns.display(pl.DataFrame({"amount_left_usd": [-1_234.4]}), numbers=("amount_left_usd",))
    assert negative.item() == -1_234 and fmt.money(-1_234.4) == "−$1,234"
    with pytest.raises(ValueError, match="on_time_rate_6m"):
        columns.display(raw, numbers=("on_time_rate_6m",))
