"""Why a supplier has its badge, in plain words: one sentence per rule, badge labels, comparison rows.

Everything here is pure (values in, strings and frames out) so the Supplier vetting page only lays
out what these functions say, and the tests can check the words without a server.
"""

import json
import math
import re

import polars as pl

import catalogue
from policy.policy import Policy
from policy.rules import RULES, Rule, passes_expr
from ui import format as fmt

# The catalogue's words (kept under these names for the pages that read them).
BADGE_LABELS = catalogue.labels("badge")
RULE_LABELS = catalogue.labels("rule")
RULE_ORDER = {rule.name: i for i, rule in enumerate(RULES)}

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


_missing = fmt.missing


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _whole_up(value: float) -> int:
    """Round a shortfall up to a whole unit, ignoring float noise (40.0000000001 days is 40)."""
    return math.ceil(round(value, 6))


def _money_exact(value: float) -> str:
    """Whole dollars when the amount is whole, else with cents ($1,250 or $1,250.50)."""
    value = round(value, 2)
    return fmt.money(value, cents=value != int(value))


def _hours_plain(value: float) -> str:
    return f"{value:g} h"


def passes(rule: Rule, value, policy: Policy) -> bool:
    """Whether one supplier's `value` passes `rule` under `policy`: policy.rules.passes_expr on a one-row
    frame, so the engine and the words never disagree (a null passes or fails as PRODUCT.md says)."""
    frame = pl.DataFrame({rule.feature: [None if _missing(value) else float(value)]}, schema={rule.feature: pl.Float64})
    return bool(frame.select(passes_expr(rule, policy).fill_null(False)).item())


def rule_sentence(rule: Rule, value, policy: Policy) -> str:
    """One plain sentence on one rule for one supplier: its value, the threshold and, when it fails, the distance.

    E.g. "needs 2 more covered deals in 6 months", "on-time 85.7% against 90%",
    "account is 40 days too young", "no inquiries to answer: passes".
    """
    if _missing(value):
        return NULL_WORDS.get(rule.name, "no value: fails")
    threshold = float(getattr(policy, rule.threshold))
    ok = passes(rule, value, policy)
    value = float(value)
    if rule.name == "account_age":
        if ok:
            return f"account is {fmt.days(value)} old against {fmt.days(threshold)} needed"
        return f"account is {_plural(_whole_up(threshold - value), 'day')} too young"
    if rule.name == "min_orders":
        if ok:
            return f"{_plural(int(value), 'covered deal')} in 6 months against {fmt.count(threshold)} needed"
        gap = _whole_up(threshold - value)
        return f"needs {gap:,} more covered {'deal' if gap == 1 else 'deals'} in 6 months"
    if rule.name == "min_gmv":
        if ok:
            return f"{_money_exact(value)} covered deal value in 6 months against {_money_exact(threshold)} needed"
        return f"needs {_money_exact(threshold - value)} more covered deal value in 6 months"
    shown = fmt.rate_against(value, threshold, rule.kind) if rule.unit == "rate" else fmt.hours(value)
    limit = fmt.threshold_percent(threshold) if rule.unit == "rate" else _hours_plain(threshold)
    if rule.name == "on_time":
        return f"on-time {shown} against {limit}"
    if rule.name == "claims":
        return f"upheld claims on {shown} of covered deals against at most {limit}"
    if rule.name == "response_rate":
        return f"replied within 24 h to {shown} of inquiries against {limit}"
    if rule.name == "response_time":
        return f"median reply {shown} against {limit}"
    return f"{value:g} against {threshold:g}"  # pragma: no cover - every rule is named above


def _value_text(rule: Rule, value, threshold: float) -> str:
    if _missing(value):
        return fmt.NULL
    if rule.unit == "days":
        return fmt.days(value)
    if rule.unit == "orders":
        return fmt.count(value)
    if rule.unit == "USD":
        return _money_exact(value)
    if rule.unit == "hours":
        return fmt.hours(value)
    return fmt.rate_against(value, threshold, rule.kind)


def _threshold_text(rule: Rule, threshold: float) -> str:
    prefix = "≥ " if rule.kind == "min" else "≤ "
    if rule.unit == "days":
        return prefix + fmt.days(threshold)
    if rule.unit == "orders":
        return prefix + fmt.count(threshold)
    if rule.unit == "USD":
        return prefix + _money_exact(threshold)
    if rule.unit == "hours":
        return prefix + _hours_plain(threshold)
    return prefix + fmt.threshold_percent(threshold)


def explain_rules(supplier: dict, policy: Policy) -> pl.DataFrame:
    """One row per rule for one supplier's features (a dict): rule, value, threshold, result, in_plain_words."""
    rows = []
    for rule in RULES:
        value = supplier.get(rule.feature)
        threshold = getattr(policy, rule.threshold)
        rows.append(
            {
                "rule": RULE_LABELS[rule.name],
                "value": _value_text(rule, value, threshold),
                "threshold": _threshold_text(rule, threshold),
                "result": "passes" if passes(rule, value, policy) else "fails",
                "in_plain_words": rule_sentence(rule, value, policy),
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
        opened = "every country" if "*" in policy.open_countries else ", ".join(policy.open_countries)
        return (
            f"Region not open: the program is not open to suppliers in {supplier.get('country_code')} (open: {opened})."
        )
    failed = [RULE_LABELS[rule.name].lower() for rule in RULES if not passes(rule, supplier.get(rule.feature), policy)]
    if badge == "qualified":
        return "Qualified: passes every rule of the policy."
    return f"Not qualified: fails {_plural(len(failed), 'rule')} ({'; '.join(failed)})."


# The comparison table's rows, in reading order: catalogue codes, shown with the catalogue's label and format.
COMPARE_CODES = (
    "supplier_id",
    "country_code",
    "category",
    "badge",
    "deals_12m",
    "value_12m_usd",
    "orders_6m",
    "gmv_6m_usd",
    "response_rate_30d",
    "median_response_hours_30d",
    "on_time_rate_6m",
    "claims_12m",
    "claim_rate_6m",
    "refunds_12m_usd",
    "ta_amount_usd",
    "open_exposure_usd",
    "amount_left_usd",
)


def supplier_label(supplier_id: int, name: str) -> str:
    """'Name (#12)': unique even when two suppliers share a name."""
    return f"{name} (#{supplier_id})"


def compare_table(suppliers: pl.DataFrame) -> pl.DataFrame:
    """Metrics × suppliers: a 'metric' column, then one text column per supplier row, in the given order."""
    columns = {"metric": [catalogue.label(code) for code in COMPARE_CODES]}
    for row in suppliers.iter_rows(named=True):
        header = supplier_label(row["supplier_id"], row["name"])
        columns[header] = [fmt.show(code, row.get(code)) for code in COMPARE_CODES]
    return pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String))


# ---- policies in words (the audit trail, comparisons) ---------------------------------------------------


def policy_value_text(key: str, value) -> str:
    """One policy value in the catalogue's format for its key: '90%', '$10,000', '180 days', 'CN, VN'."""
    if _missing(value):
        return fmt.NULL
    if key == "open_countries":
        countries = list(value) if isinstance(value, list | tuple) else [str(value)]
        return "every country" if "*" in countries else (", ".join(map(str, countries)) or "no country")
    kind = catalogue.kind(key, "policy") if catalogue.has(key, "policy") else "number"
    if kind == "rate":
        return fmt.threshold_percent(value)
    if kind == "money":
        return _money_exact(float(value))
    if kind == "hours":
        return _hours_plain(float(value))
    if kind == "days":
        return fmt.days(value)
    if kind == "count":
        return fmt.count(value)
    return fmt.number(value)


def policy_differences(before: dict, after: dict) -> list[str]:
    """'<label> <before> → <after>' for every policy key whose value differs, in the catalogue's order;
    a key missing on one side is read as the contract default."""
    defaults = Policy().to_dict()
    out = []
    for key in catalogue.codes("policy"):
        a, b = before.get(key, defaults.get(key)), after.get(key, defaults.get(key))
        if (list(a) if isinstance(a, list | tuple) else a) != (list(b) if isinstance(b, list | tuple) else b):
            out.append(f"{catalogue.label(key, 'policy')} {policy_value_text(key, a)} → {policy_value_text(key, b)}")
    return out


def _json(text) -> dict:
    if _missing(text):
        return {}
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def audit_change(action: str, before, after) -> str:
    """One audit row's change in words, from its before/after JSON snapshots (store.policies)."""
    b, a = _json(before), _json(after)
    if action == "mark_current":
        was = b.get("current")
        now = f"{a.get('current')} (version {a.get('version')})" if a.get("current") else "the contract default"
        return f"Current policy: {now}; before: {was if was else 'the contract default'}."
    policy_after = a.get("policy") or {}
    if action == "save":
        changes = policy_differences(Policy().to_dict(), policy_after)
        what = "; ".join(changes) if changes else "the same values as the contract default"
        return f"Version {a.get('version', 1)}, against the contract default: {what}."
    changes = policy_differences(b.get("policy") or {}, policy_after)
    if b.get("note") != a.get("note"):
        changes.append("note changed")
    what = "; ".join(changes) if changes else "no value changed"
    return f"Version {b.get('version', '?')} → {a.get('version', '?')}: {what}."


def no_holders_reason(scored: pl.DataFrame, policy: Policy) -> str:
    """Why no supplier holds the badge, in one sentence, from an evaluated view (country_code, enrolled,
    badge, failed_rules): nobody enrolled, no enrolled supplier in an open country, or rules no one passes."""
    enrolled = scored.filter(pl.col("badge").cast(pl.String) != "not_enrolled")
    opened = policy_value_text("open_countries", list(policy.open_countries))
    if enrolled.is_empty():
        return "No supplier in this view has enrolled in Trade Assurance yet, so none can hold the badge."
    in_open = enrolled.filter(pl.col("badge").cast(pl.String) != "region_not_open")
    if in_open.is_empty():
        countries = enrolled.group_by("country_code").len().sort(["len", "country_code"], descending=[True, False])
        named = countries["country_code"].head(5).to_list()
        more = f" and {countries.height - 5} more" if countries.height > 5 else ""
        return (
            f"No enrolled supplier is in an open country: the policy opens {opened}, and the "
            f"{_plural(enrolled.height, 'enrolled supplier')} here are in {', '.join(map(str, named))}{more}. "
            "Open their countries in the Policy lab to see who would qualify."
        )
    fails = (
        in_open.select(pl.col("failed_rules").str.split(";"))
        .explode("failed_rules")
        .filter(pl.col("failed_rules") != "")
        .group_by("failed_rules")
        .len()
        .with_columns(pl.col("failed_rules").replace_strict(RULE_ORDER, default=len(RULES)).alias("order"))
        .sort(["len", "order"], descending=[True, False])
    )
    top = (
        f" The rule failed most often: {catalogue.label(fails['failed_rules'][0], 'rule')} "
        f"({_plural(int(fails['len'][0]), 'supplier')})."
        if fails.height
        else ""
    )
    return (
        f"All {_plural(in_open.height, 'enrolled supplier')} in an open country ({opened}) fail at least one "
        f"rule of the policy.{top} Try other thresholds in the Policy lab."
    )


def error_words(error) -> str:
    """A validation message for people: a leading catalogue code ('amount_floor_usd: must be …', 'actor: is
    required') becomes its label ('Amount floor: must be …'); other messages are returned as they are."""
    text = str(error)
    code, sep, rest = text.partition(": ")
    if sep and code in _PEOPLE_FIELDS:  # before the catalogue: a policy's name is not a supplier's
        return f"{_PEOPLE_FIELDS[code]}: {rest}"
    if sep and catalogue.has(code):
        return f"{catalogue.label(code)}: {rest}"
    return text


# Fields of a saved policy and its audit trail that messages name (store.policies).
_PEOPLE_FIELDS = {"name": "Policy name", "author": "Author", "actor": "Who", "note": "Note"}
