"""Why a supplier has its badge, in plain words: one sentence per rule, badge labels, comparison rows.

Everything here is pure (values in, strings and frames out) so the Supplier vetting page only lays
out what these functions say, and the tests can check the words without a server.
"""

import math
import re

import polars as pl

from policy.policy import Policy
from policy.rules import RULES, Rule
from ui import format as fmt

BADGE_LABELS = {
    "qualified": "Qualified",
    "not_qualified": "Not qualified",
    "region_not_open": "Region not open",
    "not_enrolled": "Not enrolled",
}

RULE_LABELS = {
    "account_age": "Account age",
    "min_orders": "Covered orders, 6 months",
    "min_gmv": "Covered GMV, 6 months",
    "on_time": "On-time shipping, 6 months",
    "claims": "Upheld claim rate, 6 months",
    "response_rate": "Replies within 24 h, 30 days",
    "response_time": "Median reply time, 30 days",
}

# What a null value means for each rule that can be null (PRODUCT.md: on_time and claims fail, replies pass).
NULL_WORDS = {
    "on_time": "no covered shipments due in 6 months: fails",
    "claims": "no covered deals in 6 months, so no claim rate: fails",
    "response_rate": "no inquiries to answer: passes",
    "response_time": "no answered inquiries in 30 days: passes",
}

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$~:])")


def escape_markdown(text: str) -> str:
    """`text` with every Markdown, HTML and LaTeX special character backslash-escaped, for st.info and friends."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _whole_up(value: float) -> int:
    """Round a shortfall up to a whole unit, ignoring float noise (40.0000000001 days is 40)."""
    return math.ceil(round(value, 6))


def _money_exact(value: float) -> str:
    """Whole dollars when the amount is whole, else with cents ($1,250 or $1,250.50)."""
    value = round(value, 2)
    return fmt.money(value, cents=value != int(value))


def _percent_pair(value: float, threshold: float) -> tuple[str, str]:
    """Both rates with the fewest decimals (0 to 2) that still tell different values apart."""
    for digits in (0, 1, 2):
        shown = fmt.percent(value, digits), fmt.percent(threshold, digits)
        if shown[0] != shown[1] or value == threshold:
            return shown
    return shown


def _hours_plain(value: float) -> str:
    return f"{value:g} h"


def margin(rule: Rule, value, threshold: float) -> float | None:
    """How far `value` is from `threshold` in the rule's unit (≥ 0 passes); None when there is no value.

    The same arithmetic as policy.rules.margin_expr, for one supplier.
    """
    if _missing(value):
        return None
    return float(value) - float(threshold) if rule.kind == "min" else float(threshold) - float(value)


def passes(rule: Rule, value, threshold: float) -> bool:
    """Whether `value` passes the rule at `threshold`; a null value passes or fails as PRODUCT.md says."""
    m = margin(rule, value, threshold)
    if m is None:
        return bool(rule.null_passes)
    return m >= 0


def explain(rule: Rule, value, threshold: float) -> str:
    """One plain sentence: the supplier's value, the threshold and, when it fails, the distance.

    E.g. "needs 2 more covered orders in 6 months", "on-time 86% against 90%",
    "account is 40 days too young", "no inquiries to answer: passes".
    """
    if _missing(value):
        return NULL_WORDS.get(rule.name, "no value: fails")
    value = float(value)
    threshold = float(threshold)
    ok = passes(rule, value, threshold)
    if rule.name == "account_age":
        if ok:
            return f"account is {fmt.count(math.floor(round(value, 6)))} days old against {fmt.count(threshold)} needed"
        return f"account is {_plural(_whole_up(threshold - value), 'day')} too young"
    if rule.name == "min_orders":
        if ok:
            return f"{_plural(int(value), 'covered order')} in 6 months against {fmt.count(threshold)} needed"
        gap = _whole_up(threshold - value)
        return f"needs {gap:,} more covered {'order' if gap == 1 else 'orders'} in 6 months"
    if rule.name == "min_gmv":
        if ok:
            return f"{_money_exact(value)} covered GMV in 6 months against {_money_exact(threshold)} needed"
        return f"needs {_money_exact(threshold - value)} more covered GMV in 6 months"
    if rule.name == "on_time":
        shown, limit = _percent_pair(value, threshold)
        return f"on-time {shown} against {limit}"
    if rule.name == "claims":
        shown, limit = _percent_pair(value, threshold)
        return f"upheld claims on {shown} of covered deals against at most {limit}"
    if rule.name == "response_rate":
        shown, limit = _percent_pair(value, threshold)
        return f"replied within 24 h to {shown} of inquiries against {limit}"
    if rule.name == "response_time":
        return f"median reply {fmt.hours(value)} against {_hours_plain(threshold)}"
    return f"{value:g} against {threshold:g}"


def _value_text(rule: Rule, value) -> str:
    if _missing(value):
        return fmt.NULL
    if rule.unit == "days":
        return f"{value:,.1f} days"
    if rule.unit == "orders":
        return fmt.count(value)
    if rule.unit == "USD":
        return fmt.money(value, cents=True)
    if rule.unit == "hours":
        return fmt.hours(value)
    return fmt.percent(value)


def _threshold_text(rule: Rule, threshold: float) -> str:
    prefix = "≥ " if rule.kind == "min" else "≤ "
    if rule.unit == "days":
        return f"{prefix}{fmt.count(threshold)} days"
    if rule.unit == "orders":
        return prefix + fmt.count(threshold)
    if rule.unit == "USD":
        return prefix + _money_exact(threshold)
    if rule.unit == "hours":
        return prefix + _hours_plain(threshold)
    return prefix + fmt.percent(threshold, 0 if round(threshold * 100, 6).is_integer() else 1)


def explain_rules(supplier: dict, policy: Policy) -> pl.DataFrame:
    """One row per rule for one supplier's features (a dict): rule, value, threshold, result, in_plain_words."""
    rows = []
    for rule in RULES:
        value = supplier.get(rule.feature)
        threshold = getattr(policy, rule.threshold)
        rows.append(
            {
                "rule": RULE_LABELS[rule.name],
                "value": _value_text(rule, value),
                "threshold": _threshold_text(rule, threshold),
                "result": "passes" if passes(rule, value, threshold) else "fails",
                "in_plain_words": explain(rule, value, threshold),
            }
        )
    return pl.DataFrame(
        rows, schema=dict.fromkeys(("rule", "value", "threshold", "result", "in_plain_words"), pl.String)
    )


def badge_reason(supplier: dict, badge: str, policy: Policy) -> str:
    """Why the supplier has `badge` under `policy`, in one sentence (plain text: show it with st.text)."""
    if badge == "not_enrolled":
        return "Not enrolled: the supplier has not opted in to Trade Assurance (participation is voluntary)."
    if badge == "region_not_open":
        opened = ", ".join(policy.open_countries)
        return (
            f"Region not open: the program is not open to suppliers in {supplier.get('country_code')} (open: {opened})."
        )
    failed = [
        RULE_LABELS[rule.name].lower()
        for rule in RULES
        if not passes(rule, supplier.get(rule.feature), getattr(policy, rule.threshold))
    ]
    if badge == "qualified":
        return "Qualified: passes every rule of the policy."
    return f"Not qualified: fails {_plural(len(failed), 'rule')} ({'; '.join(failed)})."


# The comparison table: (row label, column, formatter), in reading order.
COMPARE_ROWS = (
    ("Supplier id", "supplier_id", fmt.count),
    ("Country", "country_code", str),
    ("Category", "category", str),
    ("Badge", "badge", lambda b: BADGE_LABELS.get(b, str(b))),
    ("Covered deals, 12 months", "deals_12m", fmt.count),
    ("Covered deal value, 12 months", "value_12m_usd", fmt.money),
    ("Covered orders, 6 months", "orders_6m", fmt.count),
    ("Covered GMV, 6 months", "gmv_6m_usd", fmt.money),
    ("Replies within 24 h, 30 days", "response_rate_30d", fmt.percent),
    ("Median reply time, 30 days", "median_response_hours_30d", fmt.hours),
    ("On-time shipping, 6 months", "on_time_rate_6m", fmt.percent),
    ("Claims, 12 months", "claims_12m", fmt.count),
    ("Upheld claim rate, 6 months", "claim_rate_6m", fmt.percent),
    ("Refunds, 12 months", "refunds_12m_usd", fmt.money),
    ("Trade Assurance Amount", "ta_amount_usd", fmt.money),
    ("Open exposure", "open_exposure_usd", fmt.money),
    ("Amount left", "amount_left_usd", fmt.money),
)


def supplier_label(supplier_id: int, name: str) -> str:
    """'Name (#12)': unique even when two suppliers share a name."""
    return f"{name} (#{supplier_id})"


def compare_table(suppliers: pl.DataFrame) -> pl.DataFrame:
    """Metrics × suppliers: a 'metric' column, then one text column per supplier row, in the given order."""
    columns = {"metric": [label for label, _, _ in COMPARE_ROWS]}
    for row in suppliers.iter_rows(named=True):
        header = supplier_label(row["supplier_id"], row["name"])
        columns[header] = [fmt.NULL if _missing(row.get(col)) else show(row[col]) for _, col, show in COMPARE_ROWS]
    return pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String))
