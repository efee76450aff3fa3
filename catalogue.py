"""The dashboard's vocabulary: one entry per metric, column, derived figure, badge, rule, policy key,
claim reason, claim status, order status and audit action — its code (the contract's name, as in
../shared/PRODUCT.md, the CLI and CSV downloads), its label (the words on screen), its kind (how its
values are formatted, see KINDS) and one line of help.

Nothing of ours is imported here: every layer may read it. `python -m catalogue` prints docs/metrics.md.

Lookups: `entry(code)`, `label(code)`, `help(code)`, `kind(code)`. A code that names two things (the
status `open` of an order and of a claim) is looked up with its group: `label("open", "claim_status")`.
"""

from dataclasses import dataclass

GROUPS = {
    "metric": "Scorecard metrics (the columns of `python -m queries scorecard`)",
    "derived": "Derived figures",
    "column": "Warehouse columns and other columns on screen",
    "badge": "Badges",
    "rule": "Qualification rules",
    "policy": "Policy keys",
    "claim_reason": "Claim reasons",
    "claim_status": "Claim statuses",
    "order_status": "Order statuses",
    "action": "Audit actions",
}


@dataclass(frozen=True)
class Kind:
    """How values of one kind are shown: `example` is what ui.format prints, `d3` the plotly hover format."""

    name: str
    example: str
    d3: str  # plotly hover/tick format for raw values of this kind ("" = as text)
    rule: str  # the formatting rule, in words (for docs/metrics.md)


KINDS = {
    k.name: k
    for k in (
        Kind(
            "money",
            "$49,011,555",
            "$,.0f",
            "USD to the dollar with separators in tables; compact with at most "
            "3 significant digits on tiles and axes ($32.5M, $640k, $999); to the cent in hover and help",
        ),
        Kind(
            "rate",
            "96.2%",
            ".1%",
            "a share 0..1 shown as a percent with one decimal; a rule's rate is rounded "
            "toward failing the rule (a minimum down, a maximum up) so it never appears to cross its threshold",
        ),
        Kind("count", "77,471", ",d", "a whole number with thousands separators"),
        Kind("hours", "3.4 h", ",.1f", "hours with one decimal and ' h'"),
        Kind("days", "180 days", ",d", "whole days"),
        Kind("date", "2026-11-30", "%Y-%m-%d", "ISO date (UTC)"),
        Kind("text", "Acme Tools", "", "the warehouse's text, as it is"),
        Kind("code", "Qualified", "", "a word from the contract's list, shown by its label"),
        Kind("flag", "Yes", "", "Yes or No"),
        Kind("number", "0.5", ",.4g", "a plain number with up to 4 significant digits"),
    )
}

MISSING = "—"


@dataclass(frozen=True)
class Entry:
    """One word of the vocabulary."""

    code: str
    group: str
    label: str
    kind: str
    help: str
    # rule entries: the scorecard metric the rule reads and the policy key holding its threshold
    metric: str = ""
    policy_key: str = ""
    # rates of rules: "down" for a minimum rule, "up" for a maximum rule, "nearest" otherwise
    rounding: str = "nearest"


def _e(group, code, label, kind, help, **extra):
    return Entry(code=code, group=group, label=label, kind=kind, help=help, **extra)


ENTRIES: tuple[Entry, ...] = (
    # ---- scorecard metrics, in the contract's column order -------------------------------------------
    _e("metric", "supplier_id", "Supplier id", "code", "The supplier's id in the warehouse."),
    _e("metric", "badge", "Badge", "code", "The supplier's Trade Assurance badge at the as-of date under the policy."),
    _e(
        "metric",
        "deals_12m",
        "Covered deals, 12 months",
        "count",
        "Covered deals (paid through Trade Assurance, completed) completed in the 365 days before the as-of date.",
    ),
    _e(
        "metric",
        "value_12m_usd",
        "Covered deal value, 12 months",
        "money",
        "The total amount of those covered deals, USD.",
    ),
    _e(
        "metric",
        "orders_6m",
        "Covered deals, 6 months",
        "count",
        "Covered deals completed in the 182 days before the as-of date.",
    ),
    _e(
        "metric",
        "gmv_6m_usd",
        "Covered deal value, 6 months",
        "money",
        "The total amount of the covered deals of the last 182 days, USD.",
    ),
    _e(
        "metric",
        "response_rate_30d",
        "Replies within 24 h, 30 days",
        "rate",
        "Inquiries received in the last 30 days answered within 24 hours, as a share of those received.",
        rounding="down",
    ),
    _e(
        "metric",
        "median_response_hours_30d",
        "Median reply time, 30 days",
        "hours",
        "The median time to the first reply to inquiries received in the last 30 days and answered.",
    ),
    _e(
        "metric",
        "on_time_rate_6m",
        "On-time shipping, 6 months",
        "rate",
        "Covered orders due to ship in the last 182 days (not cancelled) that shipped by the contracted date.",
        rounding="down",
    ),
    _e(
        "metric",
        "claims_12m",
        "Claims, 12 months",
        "count",
        "Claims filed in the last 365 days on the supplier's orders, whatever their status.",
    ),
    _e(
        "metric",
        "upheld_claims_6m",
        "Upheld claims, 6 months",
        "count",
        "Claims filed in the last 182 days that were refunded or partially refunded.",
    ),
    _e(
        "metric",
        "claim_rate_6m",
        "Upheld claim rate, 6 months",
        "rate",
        "Upheld claims of the last 182 days per covered deal of the same period; it can exceed 100% "
        "because a claim may concern an older order.",
        rounding="up",
    ),
    _e(
        "metric",
        "refunds_12m_usd",
        "Refunds, 12 months",
        "money",
        "Refunds paid on claims filed in the last 365 days, USD.",
    ),
    _e(
        "metric",
        "open_exposure_usd",
        "Open exposure",
        "money",
        "The amount of covered orders placed before the as-of date and still open, USD.",
    ),
    _e(
        "metric",
        "ta_amount_usd",
        "Trade Assurance Amount",
        "money",
        "The most the program pays out on the supplier's orders: multiplier × covered deal value (6 months), "
        "between the floor and the cap, rounded down to $100; 0 for suppliers without the badge.",
    ),
    _e(
        "metric",
        "failed_rules",
        "Failed rules",
        "code",
        "The rules a not-qualified supplier fails, in the policy's order.",
    ),
    # ---- derived figures -----------------------------------------------------------------------------
    _e(
        "derived",
        "amount_left_usd",
        "Amount left",
        "money",
        "Trade Assurance Amount minus open exposure, for qualified suppliers (others: —); negative = over the Amount.",
    ),
    _e(
        "derived",
        "over_amount",
        "Over the Amount",
        "flag",
        "A qualified supplier whose open exposure exceeds its Trade Assurance Amount.",
    ),
    _e(
        "derived",
        "covered_exposure_usd",
        "Covered exposure",
        "money",
        "For a qualified supplier, the smaller of open exposure and the Amount: the most the program refunds today.",
    ),
    _e(
        "derived",
        "expected_refunds_6m_usd",
        "Expected refunds, 6 months",
        "money",
        "For a qualified supplier, the last year's refunds × 182/365, capped by the Amount.",
    ),
    _e(
        "derived",
        "loss_ratio",
        "Loss ratio",
        "rate",
        "Refunds (12 months) ÷ covered deal value (12 months) over a group of suppliers; — when the value is 0.",
    ),
    _e(
        "derived",
        "amount_used_by_refunds",
        "Amount used by refunds",
        "rate",
        "Refunds (12 months) ÷ the total Trade Assurance Amount; above 100% when refunds paid exceed the Amount.",
    ),
    _e(
        "derived",
        "covered_share",
        "Covered share of deals",
        "rate",
        "Covered deal value as a share of all completed deal value in the same period.",
    ),
    _e(
        "derived",
        "qualified_share",
        "Qualified of enrolled",
        "rate",
        "Qualified suppliers as a share of enrolled suppliers.",
    ),
    _e("derived", "qualified_suppliers", "Qualified suppliers", "count", "Suppliers holding the badge."),
    _e("derived", "enrolled_suppliers", "Enrolled suppliers", "count", "Suppliers that opted in to Trade Assurance."),
    _e("derived", "suppliers", "Suppliers", "count", "Suppliers in the warehouse."),
    _e("derived", "account_age_days", "Account age", "days", "Days since the supplier's account opened."),
    _e("derived", "enrolled", "Enrolled", "flag", "Whether the supplier had opted in by the as-of date."),
    _e("derived", "projected_badge", "Projected badge", "code", "The badge at the next monthly assessment."),
    _e(
        "derived",
        "kept_under_grace",
        "Kept under grace",
        "flag",
        "A holder that failed at this assessment but keeps the badge, at the Amount it last qualified for, "
        "for up to grace_assessments consecutive assessments.",
    ),
    _e(
        "derived",
        "grace_used",
        "Grace used",
        "count",
        "Consecutive assessments the supplier has been kept under grace since it last qualified on its own.",
    ),
    _e("derived", "flips", "Badge changes", "flag", "Whether holding the badge changes at the next assessment."),
    _e(
        "derived",
        "gained",
        "Gain the badge",
        "count",
        "Suppliers qualified under the what-if and not under the current policy.",
    ),
    _e(
        "derived",
        "lost",
        "Lose the badge",
        "count",
        "Suppliers qualified under the current policy and not under the what-if.",
    ),
    _e("derived", "amount_before_usd", "Amount before", "money", "Trade Assurance Amount under the current policy."),
    _e("derived", "amount_after_usd", "Amount after", "money", "Trade Assurance Amount under the what-if."),
    _e("derived", "badge_after", "Badge after", "code", "The badge under the what-if."),
    _e("derived", "qualified_before", "Holders before", "count", "Badge holders under the current policy."),
    _e("derived", "qualified_after", "Holders after", "count", "Badge holders under the what-if."),
    _e("derived", "change", "Change in holders", "count", "Holders under the what-if minus holders today."),
    _e(
        "derived",
        "amount_change_usd",
        "Change in Amount",
        "money",
        "Total Trade Assurance Amount under the what-if minus today's.",
    ),
    _e(
        "derived",
        "covered_exposure_change_usd",
        "Change in covered exposure",
        "money",
        "Covered exposure (open exposure up to the Amount, holders only) under the what-if minus today's.",
    ),
    _e(
        "derived",
        "expected_refunds_change_usd",
        "Change in expected refunds, 6 months",
        "money",
        "Expected refunds over the coming six months under the what-if minus today's.",
    ),
    # ---- warehouse columns (schema) and other columns on screen ---------------------------------------
    _e("column", "name", "Supplier", "text", "The supplier's name."),
    _e("column", "country_code", "Country", "text", "ISO 3166-1 alpha-2 country code (e.g. CN, VN)."),
    _e("column", "category", "Category", "text", "Top-level product category."),
    _e("column", "registered_at", "Registered", "date", "When the supplier's account opened (UTC)."),
    _e(
        "column",
        "ta_enrolled_at",
        "Enrolled in Trade Assurance",
        "date",
        "When the supplier opted in to Trade Assurance; — if never.",
    ),
    _e("column", "buyer_id", "Buyer id", "code", "The buyer's id in the warehouse."),
    _e("column", "order_id", "Order id", "code", "The order's id."),
    _e("column", "placed_at", "Placed", "date", "When the order was placed."),
    _e("column", "ship_by", "Ship by", "date", "The shipping date in the contract."),
    _e("column", "shipped_at", "Shipped", "date", "When the order shipped; — if not yet."),
    _e("column", "delivered_at", "Delivered", "date", "When the order was delivered; — if not yet."),
    _e("column", "completed_at", "Completed", "date", "When the order became completed."),
    _e("column", "status", "Status", "code", "An order's status (open, completed, cancelled) or a claim's."),
    _e("column", "amount_usd", "Order amount", "money", "The order's amount, USD."),
    _e("column", "ta_covered", "Covered by Trade Assurance", "flag", "Whether the order was paid through the program."),
    _e("column", "inquiry_id", "Inquiry id", "code", "A buyer's message opening a conversation."),
    _e("column", "received_at", "Received", "date", "When the inquiry arrived."),
    _e("column", "first_response_at", "First reply", "date", "The supplier's first reply; — if never."),
    _e("column", "claim_id", "Claim id", "code", "A buyer's claim under the program."),
    _e("column", "filed_at", "Filed", "date", "When the claim was filed."),
    _e("column", "reason", "Claim reason", "code", "Why the buyer claimed."),
    _e("column", "resolved_at", "Resolved", "date", "When the claim was resolved; — if open."),
    _e("column", "refund_usd", "Refund", "money", "The refund paid on the claim, USD."),
    _e("column", "as_of", "As of", "date", "The as-of date: midnight UTC, the windows' exclusive end."),
    _e("column", "month", "Month", "date", "The calendar month."),
    _e("column", "stage", "Stage", "text", "A step from all suppliers to qualified."),
    _e("column", "market", "Market", "text", "A country or the rest of the warehouse."),
    _e("column", "rule", "Rule", "text", "A qualification rule of the policy."),
    _e("column", "failing", "Not qualified and failing it", "count", "Not-qualified suppliers that fail this rule."),
    _e(
        "column",
        "only_rule_failing",
        "Failing only this rule",
        "count",
        "Not-qualified suppliers for whom this rule is the only one failed: they would qualify if it passed.",
    ),
    # ---- badges, in the order they are decided ------------------------------------------------------
    _e(
        "badge",
        "not_enrolled",
        "Not enrolled",
        "code",
        "The supplier has not opted in to Trade Assurance (participation is voluntary).",
    ),
    _e(
        "badge",
        "region_not_open",
        "Region not open",
        "code",
        "The supplier's country is not among the policy's open countries.",
    ),
    _e("badge", "qualified", "Qualified", "code", "Enrolled, in an open country, and passes every rule."),
    _e("badge", "not_qualified", "Not qualified", "code", "Enrolled in an open country but fails at least one rule."),
    # ---- rules, in the policy's order ----------------------------------------------------------------
    _e(
        "rule",
        "account_age",
        "Account age",
        "days",
        "The account must be at least the minimum age (elapsed time) at the as-of date.",
        metric="account_age_days",
        policy_key="min_account_age_days",
        rounding="down",
    ),
    _e(
        "rule",
        "min_orders",
        "Covered deals, 6 months",
        "count",
        "At least the minimum number of covered deals in the last 182 days.",
        metric="orders_6m",
        policy_key="min_orders_6m",
        rounding="down",
    ),
    _e(
        "rule",
        "min_gmv",
        "Covered deal value, 6 months",
        "money",
        "At least the minimum covered deal value in the last 182 days.",
        metric="gmv_6m_usd",
        policy_key="min_gmv_6m_usd",
        rounding="down",
    ),
    _e(
        "rule",
        "on_time",
        "On-time shipping, 6 months",
        "rate",
        "At least the minimum on-time share; no covered shipments due fails.",
        metric="on_time_rate_6m",
        policy_key="min_on_time_rate",
        rounding="down",
    ),
    _e(
        "rule",
        "claims",
        "Upheld claim rate, 6 months",
        "rate",
        "At most the maximum upheld claim rate; no covered deals (no rate) fails.",
        metric="claim_rate_6m",
        policy_key="max_claim_rate",
        rounding="up",
    ),
    _e(
        "rule",
        "response_rate",
        "Replies within 24 h, 30 days",
        "rate",
        "At least the minimum share of inquiries answered within 24 h; no inquiries passes.",
        metric="response_rate_30d",
        policy_key="min_response_rate",
        rounding="down",
    ),
    _e(
        "rule",
        "response_time",
        "Median reply time, 30 days",
        "hours",
        "At most the maximum median reply time; no answered inquiries passes.",
        metric="median_response_hours_30d",
        policy_key="max_median_response_hours",
        rounding="up",
    ),
    # ---- policy keys ---------------------------------------------------------------------------------
    _e(
        "policy",
        "open_countries",
        "Open countries",
        "text",
        "Countries whose suppliers can hold the badge; * opens every country.",
    ),
    _e("policy", "min_account_age_days", "Minimum account age", "days", "Rule account age: days since registration."),
    _e("policy", "min_orders_6m", "Minimum covered deals, 6 months", "count", "Rule covered deals, 6 months."),
    _e(
        "policy",
        "min_gmv_6m_usd",
        "Minimum covered deal value, 6 months",
        "money",
        "Rule covered deal value, 6 months.",
    ),
    _e("policy", "min_on_time_rate", "Minimum on-time shipping", "rate", "Rule on-time shipping, 6 months."),
    _e("policy", "max_claim_rate", "Maximum upheld claim rate", "rate", "Rule upheld claim rate, 6 months."),
    _e("policy", "min_response_rate", "Minimum replies within 24 h", "rate", "Rule replies within 24 h, 30 days."),
    _e("policy", "max_median_response_hours", "Maximum median reply time", "hours", "Rule median reply time, 30 days."),
    _e(
        "policy",
        "amount_multiplier",
        "Amount multiplier",
        "number",
        "Trade Assurance Amount = multiplier × covered deal value (6 months), between floor and cap.",
    ),
    _e(
        "policy",
        "amount_floor_usd",
        "Amount floor",
        "money",
        "The least Trade Assurance Amount a qualified supplier gets.",
    ),
    _e("policy", "amount_cap_usd", "Amount cap", "money", "The most Trade Assurance Amount a qualified supplier gets."),
    _e(
        "policy",
        "grace_assessments",
        "Grace period",
        "count",
        "Monthly assessments a failing holder keeps the badge for; changes assessments and backtests, not scorecards.",
    ),
    # ---- claim reasons and statuses, order statuses --------------------------------------------------
    _e("claim_reason", "late_shipment", "Late shipment", "code", "The supplier missed the contracted shipping date."),
    _e(
        "claim_reason",
        "quality_on_arrival",
        "Quality on arrival",
        "code",
        "The goods did not match the contract on arrival.",
    ),
    _e(
        "claim_reason",
        "quality_after_delivery",
        "Quality after delivery",
        "code",
        "A quality problem found after delivery.",
    ),
    _e("claim_reason", "not_delivered", "Not delivered", "code", "The goods never arrived."),
    _e("claim_status", "open", "Open", "code", "The claim is not resolved yet."),
    _e("claim_status", "refunded", "Refunded", "code", "The buyer got a full refund (an upheld claim)."),
    _e(
        "claim_status",
        "partially_refunded",
        "Partly refunded",
        "code",
        "The buyer got part of the amount back (upheld).",
    ),
    _e("claim_status", "rejected", "Rejected", "code", "The claim was not upheld."),
    _e("claim_status", "withdrawn", "Withdrawn", "code", "The buyer withdrew the claim."),
    _e("order_status", "open", "Open", "code", "Placed and not completed or cancelled yet."),
    _e(
        "order_status",
        "completed",
        "Completed",
        "code",
        "The deal is done (a covered deal when paid through the program).",
    ),
    _e("order_status", "cancelled", "Cancelled", "code", "The order was cancelled."),
    # ---- audit actions -------------------------------------------------------------------------------
    _e("action", "save", "Saved as new", "code", "A policy was saved under a new name."),
    _e("action", "update", "Updated", "code", "A saved policy's values were changed."),
    _e("action", "mark_current", "Marked as current", "code", "A saved policy became the warehouse's current policy."),
    _e("action", "assess", "Assessed", "code", "An assessment was recorded (python -m queries assess or the page)."),
    _e("action", "supersede", "Superseded", "code", "An assessment replaced the one recorded at the same date."),
    _e("action", "publish", "Published", "code", "An assessment's storefront feed was written for storefronts."),
)

_BY_GROUP: dict[str, dict[str, Entry]] = {g: {} for g in GROUPS}
for _entry in ENTRIES:
    assert _entry.kind in KINDS, _entry
    assert _entry.code not in _BY_GROUP[_entry.group], _entry
    _BY_GROUP[_entry.group][_entry.code] = _entry
_BY_CODE: dict[str, list[Entry]] = {}
for _entry in ENTRIES:
    _BY_CODE.setdefault(_entry.code, []).append(_entry)


def codes(group: str) -> tuple[str, ...]:
    """The codes of one group, in the catalogue's order."""
    return tuple(_BY_GROUP[group])


def entry(code: str, group: str | None = None) -> Entry:
    """The entry of `code`; `group` settles a code that names two things (KeyError when unknown)."""
    if group is not None:
        return _BY_GROUP[group][code]
    found = _BY_CODE.get(code)
    if not found:
        raise KeyError(f"{code!r} is not in the catalogue")
    if len(found) > 1 and len({(e.label, e.kind) for e in found}) > 1:
        raise KeyError(f"{code!r} names several things ({', '.join(e.group for e in found)}); give the group")
    return found[0]


def has(code: str, group: str | None = None) -> bool:
    try:
        entry(code, group)
    except KeyError:
        return False
    return True


def label(code: str, group: str | None = None) -> str:
    """The words on screen for `code`; an unknown code is returned as it is (never raises)."""
    try:
        return entry(code, group).label
    except KeyError:
        return str(code)


def help(code: str, group: str | None = None) -> str:  # noqa: A001 - the catalogue's own word
    """The one line of help for `code` ('' when unknown)."""
    try:
        return entry(code, group).help
    except KeyError:
        return ""


def kind(code: str, group: str | None = None) -> str:
    """The kind of `code` (a key of KINDS); 'text' when unknown."""
    try:
        return entry(code, group).kind
    except KeyError:
        return "text"


def labels(group: str) -> dict[str, str]:
    """{code: label} for one group, e.g. labels('badge')."""
    return {code: e.label for code, e in _BY_GROUP[group].items()}


def rule_for(policy_key: str) -> Entry | None:
    """The rule whose threshold is `policy_key`, or None."""
    for e in _BY_GROUP["rule"].values():
        if e.policy_key == policy_key:
            return e
    return None


def markdown(schema: dict[str, tuple[str, ...]] | None = None) -> str:
    """docs/metrics.md: the kinds, then one table per group; `schema` ({table: columns}) adds the schema table."""
    out = [
        "# Metrics, words and formats",
        "",
        "Generated from `catalogue.py` by `python -m catalogue > docs/metrics.md`; a test checks it is current.",
        "Codes are the contract's names (CLI columns, CSV downloads, policy files); labels are what the",
        "dashboard shows.",
        "",
        "## Formats",
        "",
        "| kind | example | rule |",
        "|---|---|---|",
    ]
    out += [f"| {k.name} | {k.example} | {k.rule} |" for k in KINDS.values()]
    out += ["", f"A missing value is shown as {MISSING} everywhere.", ""]
    if schema:
        out += ["## Warehouse schema", "", "| table | column | label | kind |", "|---|---|---|---|"]
        for table, columns in schema.items():
            for i, column in enumerate(columns):
                e = entry(column, "column") if has(column, "column") else entry(column)
                out.append(f"| {table if i == 0 else ''} | {column} | {e.label} | {e.kind} |")
        out.append("")
    for group, title in GROUPS.items():
        out += [f"## {title}", ""]
        if group == "rule":
            out += ["| code | label | reads | threshold key | help |", "|---|---|---|---|---|"]
            out += [
                f"| {e.code} | {e.label} | {e.metric} | {e.policy_key} | {e.help} |" for e in _BY_GROUP[group].values()
            ]
        else:
            out += ["| code | label | kind | help |", "|---|---|---|---|"]
            out += [f"| {e.code} | {e.label} | {e.kind} | {e.help} |" for e in _BY_GROUP[group].values()]
        out.append("")
    return "\n".join(out)


def _schema() -> dict[str, tuple[str, ...]]:
    # Imported only here, when the docs are generated, so the catalogue itself depends on nothing of ours.
    from data.schema import TABLES

    return {t.name: tuple(c.name for c in t.columns) for t in TABLES}


if __name__ == "__main__":
    print(markdown(_schema()), end="")
