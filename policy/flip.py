"""Projections and explanations: the badge at the next monthly assessment, and the smallest change that flips it.

Pure polars. `features` is `queries.scorecard.fetch_features` (counts and rates at one as-of date).
Every count is worked out in exact integers from the rule thresholds read as decimal fractions
(0.90 is 9/10), so 9 on-time shipments of 10 pass a 0.90 threshold and the smallest k is never off by one.

Per rule, the count that makes a failing supplier pass (`need_<rule>`; 0 when it passes; null when no
number of such events is enough — a threshold of 100 % or 0 % that only time can meet):

    account_age    days until the account is old enough (from the features' as-of date)
    min_orders     more covered deals in the 6-month window
    min_gmv        more covered GMV in USD in the 6-month window
    on_time        more covered shipments on time: smallest k with (on_time + k) / (shipments + k) ≥ t
    claims         more covered deals without upheld claims: smallest k with upheld / (orders + k) ≤ t
    response_rate  new inquiries answered within 24 h: smallest k with (answered + k) / (inquiries + k) ≥ t
                   (new ones: an unanswered inquiry older than 24 h can no longer be answered in time)
    response_time  hours the median reply time must drop

and, for a badge holder, the count of single events that loses it (`lose_<rule>`; null when none can):

    claims         more upheld claims: smallest k with (upheld + k) / orders > t
    on_time        late shipments: smallest k with on_time / (shipments + k) < t
    response_rate  new inquiries not answered within 24 h: smallest k with answered / (inquiries + k) < t

A count that is more than one assessment window could bring — more on-time shipments than the supplier had
due in six months, more clean covered deals than it completed in six months, more answered inquiries than
it received in 30 days — is out of reach: the words then say what is blocking ("on-time rate 62.0 %,
needs 90.0 %: out of reach this window") instead of a number nobody can do. min_orders and min_gmv keep
their number: trading more is what the program asks for, and they need no good record to offset a bad one.

Each rule's count is worked out on its own (more covered deals also add GMV, for instance).
The other rules cannot be lost by one event: deals and GMV leave the window with time, which the
projection to the next assessment shows, and the median reply time needs the replies themselves.
"""

import math
from decimal import Decimal
from fractions import Fraction

import polars as pl

from policy.policy import Policy
from policy.projection import next_assessment
from policy.rules import RULE_NAMES, badge_exprs, evaluate

MICROS_PER_DAY = 86_400_000_000
LOSE_RULES = ("claims", "on_time", "response_rate")
NEED_COLUMNS = tuple(f"need_{name}" for name in RULE_NAMES)
__all__ = ["at_risk", "explain", "need_exprs", "lose_exprs", "next_assessment", "project"]

# Per rule that needs more good events to offset bad ones: (the events one window brought, the rate's
# name and column, the Policy threshold, "needs" or "allows at most").
REACH = {
    "on_time": ("shipments_6m", "on-time rate", "on_time_rate_6m", "min_on_time_rate", "needs"),
    "claims": ("orders_6m", "claim rate", "claim_rate_6m", "max_claim_rate", "allows at most"),
    "response_rate": ("inquiries_30d", "replies within 24 h", "response_rate_30d", "min_response_rate", "needs"),
}
REACH_COLUMNS = tuple(dict.fromkeys(column for rule in REACH.values() for column in (rule[0], rule[2])))
LOSE_COLUMNS = tuple(f"lose_{name}" for name in LOSE_RULES)


def _fraction(value: float) -> tuple[int, int]:
    ratio = Fraction(Decimal(repr(float(value))))
    return ratio.numerator, ratio.denominator


def _int(column: str) -> pl.Expr:
    return pl.col(column).fill_null(0).cast(pl.Int128)


def _ceil_div(a: pl.Expr, b: int) -> pl.Expr:
    # ⌈a / b⌉ for b > 0 with floor division (polars has no negation for Int128).
    return (a + (b - 1)) // b


def _need_at_least(good: pl.Expr, total: pl.Expr, p: int, q: int) -> pl.Expr:
    """Smallest k ≥ 0 with (good + k) / (total + k) ≥ p/q, i.e. q·(good + k) ≥ p·(total + k); null if none."""
    if p == q:
        return pl.when(good >= total).then(pl.lit(0, pl.Int128)).otherwise(None)
    return pl.max_horizontal(_ceil_div(p * total - q * good, q - p), pl.lit(0, pl.Int128))


def need_exprs(policy: Policy) -> list[pl.Expr]:
    """need_<rule> for every rule (see the module docstring), as Int64 (need_min_gmv, need_response_time: Float64)."""
    zero = pl.lit(0, pl.Int128)
    # account_age: elapsed microseconds are carried exactly by account_age_days (a double) to well under 1 µs.
    elapsed = (pl.col("account_age_days") * MICROS_PER_DAY).round().cast(pl.Int128)
    short = policy.min_account_age_days * MICROS_PER_DAY - elapsed
    account_age = pl.max_horizontal(_ceil_div(short, MICROS_PER_DAY), zero)

    min_orders = pl.max_horizontal(policy.min_orders_6m - _int("orders_6m"), zero)

    gmv_cents = (pl.col("gmv_6m_usd") * 100).round().cast(pl.Int128)
    threshold_cents = int(Decimal(repr(float(policy.min_gmv_6m_usd))) * 100)
    min_gmv = pl.max_horizontal(threshold_cents - gmv_cents, zero).cast(pl.Float64) / 100

    p, q = _fraction(policy.min_on_time_rate)
    shipments, on_time_count = _int("shipments_6m"), _int("on_time_shipments_6m")
    on_time = _need_at_least(on_time_count, shipments, p, q)
    # No shipment at all: the rate is null and fails, so at least one is needed.
    on_time = pl.when(shipments == 0).then(pl.lit(1, pl.Int128)).otherwise(on_time)

    p, q = _fraction(policy.max_claim_rate)
    orders, upheld = _int("orders_6m"), _int("upheld_claims_6m")
    if p == 0:
        claims = pl.when(upheld == 0).then(zero).otherwise(None)
    else:
        claims = pl.max_horizontal(_ceil_div(q * upheld - p * orders, p), zero)
    # No covered deal at all: the claim rate is null and fails, so at least one is needed.
    claims = pl.when((orders == 0) & (claims == 0)).then(pl.lit(1, pl.Int128)).otherwise(claims)

    p, q = _fraction(policy.min_response_rate)
    inquiries, answered = _int("inquiries_30d"), _int("answered_24h_30d")
    response_rate = pl.when(inquiries == 0).then(zero).otherwise(_need_at_least(answered, inquiries, p, q))

    over = pl.col("median_response_hours_30d") - policy.max_median_response_hours
    response_time = pl.when(over > 0).then(over).otherwise(0.0).fill_null(0.0)

    counts = {
        "account_age": account_age,
        "min_orders": min_orders,
        "on_time": on_time,
        "claims": claims,
        "response_rate": response_rate,
    }
    exprs = {name: expr.cast(pl.Int64) for name, expr in counts.items()}
    exprs["min_gmv"] = min_gmv
    exprs["response_time"] = response_time.cast(pl.Float64)
    return [exprs[name].alias(f"need_{name}") for name in RULE_NAMES]


def lose_exprs(policy: Policy) -> list[pl.Expr]:
    """lose_<rule> for claims, on_time and response_rate (see the module docstring), as Int64.

    Meaningful for a supplier that passes the rule; null when no number of such events fails it.
    """
    p, q = _fraction(policy.max_claim_rate)
    orders, upheld = _int("orders_6m"), _int("upheld_claims_6m")
    # (upheld + k) / orders > p/q  ⇔  q·k > p·orders − q·upheld
    claims = pl.when(orders > 0).then((p * orders - q * upheld) // q + 1).otherwise(None)

    p, q = _fraction(policy.min_on_time_rate)
    shipments, on_time_count = _int("shipments_6m"), _int("on_time_shipments_6m")
    # on_time / (shipments + k) < p/q  ⇔  p·k > q·on_time − p·shipments
    on_time = pl.lit(None, pl.Int128) if p == 0 else (q * on_time_count - p * shipments) // p + 1

    p, q = _fraction(policy.min_response_rate)
    inquiries, answered = _int("inquiries_30d"), _int("answered_24h_30d")
    response_rate = pl.lit(None, pl.Int128) if p == 0 else (q * answered - p * inquiries) // p + 1

    exprs = {"claims": claims, "on_time": on_time, "response_rate": response_rate}
    return [exprs[name].cast(pl.Int64).alias(f"lose_{name}") for name in LOSE_RULES]


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _usd(amount: float) -> str:
    cents = round(amount * 100)
    return f"${cents // 100:,}" if cents % 100 == 0 else f"${cents // 100:,}.{cents % 100:02d}"


def _hours(hours: float) -> str:
    tenths = math.ceil(round(hours * 10, 6))  # round up to a tenth so the drop is enough
    return f"{tenths / 10:g} h"


NEED_WORDS = {
    "account_age": lambda n: f"account old enough in {_plural(n, 'day', 'days')}",
    "min_orders": lambda n: f"{_plural(n, 'more covered order', 'more covered orders')} in 6 months",
    "min_gmv": lambda usd: f"{_usd(usd)} more covered GMV in 6 months",
    "on_time": lambda n: _plural(n, "more on-time shipment", "more on-time shipments"),
    "claims": lambda n: f"{_plural(n, 'more covered order', 'more covered orders')} without upheld claims",
    "response_rate": lambda n: f"answer the next {_plural(n, 'new inquiry', 'new inquiries')} within 24 h",
    "response_time": lambda hours: f"median reply time must drop by {_hours(hours)}",
}
# When no number of events is enough, only time helps: the old events must leave the window.
NEED_WORDS_NONE = {
    "on_time": "late shipments must leave the 6-month window (the threshold allows none)",
    "claims": "upheld claims must leave the 6-month window (the threshold allows none)",
    "response_rate": "unanswered inquiries must leave the 30-day window (the threshold allows none)",
}
LOSE_WORDS = {
    "claims": lambda n: _plural(n, "more upheld claim", "more upheld claims"),
    "on_time": lambda n: _plural(n, "late shipment", "late shipments"),
    "response_rate": lambda n: f"{_plural(n, 'new inquiry', 'new inquiries')} not answered within 24 h",
}


def _percent(rate: float) -> str:
    return f"{rate * 100:.1f} %"


def out_of_reach(row: dict, name: str) -> bool:
    """Whether rule `name`'s need in `row` is more events than one assessment window brought the supplier
    (a supplier with none of them yet is not judged: one event may be all it needs)."""
    if name not in REACH or row.get(f"need_{name}") is None:
        return False
    brought = row.get(REACH[name][0]) or 0
    return 0 < brought < row[f"need_{name}"]


def _blocking_words(row: dict, name: str, policy: Policy) -> str:
    _, label, rate, threshold, verb = REACH[name]
    return f"{label} {_percent(row[rate])}, {verb} {_percent(getattr(policy, threshold))}: out of reach this window"


def _qualify_words(row: dict, policy: Policy) -> str:
    parts = []
    for name in RULE_NAMES:
        need = row[f"need_{name}"]
        if need is None:
            parts.append(NEED_WORDS_NONE[name])
        elif out_of_reach(row, name):
            parts.append(_blocking_words(row, name, policy))
        elif need > 0:
            parts.append(NEED_WORDS[name](need))
    return "; ".join(parts)


def _lose_words(row: dict) -> str | None:
    counts = {name: row[f"lose_{name}"] for name in LOSE_RULES if row[f"lose_{name}"] is not None}
    if not counts:
        return None
    fewest = min(counts.values())
    return " or ".join(LOSE_WORDS[name](n) for name, n in counts.items() if n == fewest)


def _change(row: dict, policy: Policy) -> str | None:
    badge = row["badge"]
    if badge == "not_enrolled":
        return "opt in to Trade Assurance"
    if badge == "region_not_open":
        return f"the program is not open in {row['country_code']} yet"
    if badge == "qualified":
        return _lose_words(row)
    return _qualify_words(row, policy)


def explain(features: pl.DataFrame, policy: Policy, *, days_ahead: int = 0) -> pl.DataFrame:
    """Per supplier, the smallest change that would flip its badge under `policy` at the features' as-of date.

    days_ahead: the features are for an as-of date this many days after today's (a projection), and
    need_account_age is counted from today's.

    Out: supplier_id, badge, failed_rules, need_<rule> for every rule, lose_claims, lose_on_time,
    lose_response_rate, lose_in (the fewest single events that lose a holder the badge; null for others
    and for holders no single kind of event can fail), change (plain words: for a holder, what would lose
    it; for a not_qualified supplier, what would qualify it, the failing rules joined by '; '; a rule out
    of reach this window says what is blocking), out_of_reach (those rules' names joined by ';', else '').
    """
    verdict = evaluate(features, policy, margins=False).select("supplier_id", "badge", "failed_rules")
    holder = pl.col("badge") == "qualified"
    too_young = pl.col("need_account_age") > 0
    frame = (
        features.select("supplier_id", "country_code", *need_exprs(policy), *lose_exprs(policy))
        .with_columns(
            pl.when(too_young)
            .then(pl.col("need_account_age") + days_ahead)
            .otherwise(pl.col("need_account_age"))
            .alias("need_account_age")
        )
        .join(verdict, on="supplier_id", how="left", maintain_order="left")
        .with_columns(pl.when(holder).then(pl.col(c)).otherwise(None).alias(c) for c in LOSE_COLUMNS)
        .with_columns(pl.min_horizontal(LOSE_COLUMNS).alias("lose_in"))
    )
    frame = frame.hstack(features.select(pl.col(c).alias(f"_{c}") for c in REACH_COLUMNS))
    reach = {f"_{c}": c for c in REACH_COLUMNS}
    words = pl.struct(["badge", "country_code", *NEED_COLUMNS, *LOSE_COLUMNS, *reach]).map_elements(
        lambda row: _change({**{reach.get(k, k): v for k, v in row.items()}, "badge": str(row["badge"])}, policy),
        return_dtype=pl.String,
    )
    blocked = pl.struct([*NEED_COLUMNS, *reach]).map_elements(
        lambda row: ";".join(
            name for name in REACH if out_of_reach({reach.get(k, k): v for k, v in row.items()}, name)
        ),
        return_dtype=pl.String,
    )
    not_qualified = pl.col("badge") == "not_qualified"
    return frame.with_columns(
        words.alias("change"), pl.when(not_qualified).then(blocked).otherwise(pl.lit("")).alias("out_of_reach")
    ).select("supplier_id", "badge", "failed_rules", *NEED_COLUMNS, *LOSE_COLUMNS, "lose_in", "change", "out_of_reach")


def project(features_now: pl.DataFrame, features_next: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """The badge at the next monthly assessment, and the smallest change that would flip that projection.

    features_now: features at A; features_next: the projection's features (policy.projection.judged_at:
    the scorecard at N when the next assessment N is inside the data, else at the data's end T with the
    account age judged at N). Out, per supplier of features_now ordered by supplier_id: supplier_id,
    badge (at A), projected_badge, flips (holding the badge changes between the two), and explain()'s
    columns for the projection (failed_rules, need_*, lose_*, lose_in, change), with need_account_age
    counted in days from A.
    """
    badge, _, _ = badge_exprs(policy)
    now = features_now.select("supplier_id", badge, pl.col("account_age_days").alias("age_now"))
    ages = now.join(features_next.select("supplier_id", "account_age_days"), on="supplier_id", how="inner")
    # Every account ages by the same number of days from A to the next assessment.
    days_ahead = round((ages["account_age_days"] - ages["age_now"]).median() or 0)
    projected = explain(features_next, policy, days_ahead=days_ahead).rename({"badge": "projected_badge"})
    return (
        now.drop("age_now")
        .join(projected, on="supplier_id", how="left", maintain_order="left")
        .with_columns(((pl.col("badge") == "qualified") != (pl.col("projected_badge") == "qualified")).alias("flips"))
        .select("supplier_id", "badge", "projected_badge", "flips", *projected.columns[2:])
        .sort("supplier_id")
    )


def at_risk(features: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """Badge holders one event away from losing the badge, for category managers, ordered by supplier_id.

    Out: supplier_id, name, category, country_code (when the features have them), lose_claims,
    lose_on_time, lose_response_rate and change (the single events that would each lose it, joined by ' or ').
    """
    explained = explain(features, policy).filter(pl.col("lose_in") == 1)
    labels = [c for c in ("name", "category", "country_code") if c in features.columns]
    return (
        explained.join(features.select("supplier_id", *labels), on="supplier_id", how="left", maintain_order="left")
        .select("supplier_id", *labels, *LOSE_COLUMNS, "change")
        .sort("supplier_id")
    )
