"""Backtests of a policy: did badge holders at A0 turn out better than everyone else in the six months after?

Pure polars. `features` is `queries.scorecard.fetch_features` at A0 (data before A0 only); `outcomes` is
`queries.backtest.fetch_outcomes` at A0 (deals_next_6m, value_next_6m_usd, upheld_claims_next_6m,
refunds_next_6m_usd per supplier). A series of monthly A0s is given either as one frame with an `as_of`
column (`queries.uptake.fetch_history_features`) or as a mapping {A0: frame}.

Grace (Policy.grace_assessments = N): over monthly assessments, a supplier that stops passing keeps the
badge while it passed at one of the previous N assessments and is still enrolled and in an open region;
it keeps the Trade Assurance Amount of the assessment it last passed.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

import polars as pl

from policy.policy import Policy, PolicyError
from policy.rules import BADGE, RULES, badge_exprs, failed_rules_text

OUTCOME_COLUMNS = ("deals_next_6m", "value_next_6m_usd", "upheld_claims_next_6m", "refunds_next_6m_usd")

# The one-row summary of backtest_summary, in order (backtest_series puts as_of first).
SUMMARY_COLUMNS = (
    "holders",
    "others",
    "holder_deals",
    "other_deals",
    "holder_upheld_claims",
    "other_upheld_claims",
    "holder_upheld_claim_rate",
    "other_upheld_claim_rate",
    "holder_refunds_usd",
    "other_refunds_usd",
    "holder_refunds_per_deal_usd",
    "other_refunds_per_deal_usd",
    "refunds_usd",
    "holder_refund_share",
    "holder_amount_usd",
    "amount_used_median",
    "amount_used_max",
    "holders_over_amount",
)

# The thresholds a trade-off curve may sweep: the Policy fields of the qualification rules.
TRADEOFF_THRESHOLDS = tuple(rule.threshold for rule in RULES)
TRADEOFF_COLUMNS = (
    "value",
    "qualified",
    "holder_deals",
    "holder_upheld_claims",
    "holder_upheld_claim_rate",
    "holder_refunds_usd",
    "holder_refunds_per_deal_usd",
    "holder_amount_usd",
)


def _cents(column: str) -> pl.Expr:
    # Money arrives as doubles carrying cent-exact values; sum whole cents so 0.10 + 0.20 is 0.30.
    return (pl.col(column) * 100).round().cast(pl.Int64)


def _per(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    return pl.when(denominator > 0).then(numerator / denominator).otherwise(None).cast(pl.Float64)


def backtest_rows(badges: pl.DataFrame, outcomes: pl.DataFrame) -> pl.DataFrame:
    """Badges (supplier_id, badge, ta_amount_usd, [as_of]) next to their outcomes, with amount_used.

    amount_used = refunds_next_6m_usd / ta_amount_usd for a badge holder with a positive amount, else null.
    Suppliers missing from `outcomes` had no outcomes (zeros).
    """
    keys = ["as_of", "supplier_id"] if "as_of" in badges.columns else ["supplier_id"]
    holder = pl.col("badge") == "qualified"
    return (
        badges.select(*keys, "badge", "ta_amount_usd")
        .join(outcomes.select(*keys, *OUTCOME_COLUMNS), on=keys, how="left", maintain_order="left")
        .with_columns(pl.col(c).fill_null(0) for c in OUTCOME_COLUMNS)
        .with_columns(
            _per(pl.col("refunds_next_6m_usd"), pl.when(holder).then(pl.col("ta_amount_usd"))).alias("amount_used")
        )
    )


def _summary_exprs() -> list[pl.Expr]:
    holder = pl.col("badge") == "qualified"
    deals, upheld = pl.col("deals_next_6m"), pl.col("upheld_claims_next_6m")
    refunds = _cents("refunds_next_6m_usd")
    h_deals, o_deals = deals.filter(holder).sum(), deals.filter(~holder).sum()
    h_upheld, o_upheld = upheld.filter(holder).sum(), upheld.filter(~holder).sum()
    h_refunds, o_refunds = refunds.filter(holder).sum() / 100, refunds.filter(~holder).sum() / 100
    used = pl.col("amount_used").filter(holder)
    over = holder & (pl.col("refunds_next_6m_usd") > pl.col("ta_amount_usd"))
    return [
        holder.sum().cast(pl.Int64).alias("holders"),
        (~holder).sum().cast(pl.Int64).alias("others"),
        h_deals.cast(pl.Int64).alias("holder_deals"),
        o_deals.cast(pl.Int64).alias("other_deals"),
        h_upheld.cast(pl.Int64).alias("holder_upheld_claims"),
        o_upheld.cast(pl.Int64).alias("other_upheld_claims"),
        _per(h_upheld, h_deals).alias("holder_upheld_claim_rate"),
        _per(o_upheld, o_deals).alias("other_upheld_claim_rate"),
        h_refunds.alias("holder_refunds_usd"),
        o_refunds.alias("other_refunds_usd"),
        _per(h_refunds, h_deals).alias("holder_refunds_per_deal_usd"),
        _per(o_refunds, o_deals).alias("other_refunds_per_deal_usd"),
        (refunds.sum() / 100).alias("refunds_usd"),
        _per(h_refunds, refunds.sum() / 100).alias("holder_refund_share"),
        (_cents("ta_amount_usd").filter(holder).sum() / 100).alias("holder_amount_usd"),
        used.median().cast(pl.Float64).alias("amount_used_median"),
        used.max().cast(pl.Float64).alias("amount_used_max"),
        over.sum().cast(pl.Int64).alias("holders_over_amount"),
    ]


def summarise(rows: pl.DataFrame) -> pl.DataFrame:
    """SUMMARY_COLUMNS over `backtest_rows` output: one row, or one per as_of when it has that column."""
    if "as_of" in rows.columns:
        return rows.group_by("as_of").agg(_summary_exprs()).sort("as_of").select("as_of", *SUMMARY_COLUMNS)
    return rows.select(_summary_exprs()).select(SUMMARY_COLUMNS)


def backtest_summary(features: pl.DataFrame, outcomes: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """One row (SUMMARY_COLUMNS): badge holders at A0 against everyone else over the six months after A0.

    Rates are per covered deal (upheld claims / deals; refunds / deals; null without deals);
    holder_refund_share is the holders' part of all refunds in the window (null when there were none);
    amount_used_* describe each holder's refunds / Trade Assurance Amount; holders_over_amount counts
    holders whose refunds exceeded their amount.
    """
    badge, _, amount = badge_exprs(policy)
    badges = features.select("supplier_id", badge, amount)
    return summarise(backtest_rows(badges, outcomes))


def _stack(frames: pl.DataFrame | Mapping[date, pl.DataFrame]) -> pl.DataFrame:
    """One frame with an as_of column from a mapping {as_of: frame}, or the frame itself."""
    if isinstance(frames, pl.DataFrame):
        if "as_of" not in frames.columns:
            raise ValueError("a history frame needs an as_of column (or pass a mapping {as_of: frame})")
        return frames.with_columns(pl.col("as_of").cast(pl.Date))
    if not frames:
        raise ValueError("no assessments: give at least one as-of date")
    return pl.concat(
        [frame.with_columns(pl.lit(as_of, dtype=pl.Date).alias("as_of")) for as_of, frame in frames.items()],
        how="diagonal_relaxed",
    )


def badge_sequence(history_features: pl.DataFrame | Mapping[date, pl.DataFrame], policy: Policy) -> pl.DataFrame:
    """Per (as_of, supplier_id): the badge over monthly assessments with policy.grace_assessments applied.

    Out: as_of, supplier_id, badge (qualified also while in grace), passes (qualified at that assessment
    alone), in_grace, failed_rules (the rules failed at that assessment, also while in grace) and
    ta_amount_usd (in grace: the amount of the assessment it last passed). Ordered by as_of, supplier_id.
    The assessments are the distinct as_of dates, in order; "the previous N" counts those.
    """
    frame = _stack(history_features)
    badge, failed, amount = badge_exprs(policy)
    n = policy.grace_assessments
    passes = pl.col("badge") == "qualified"
    last_pass = pl.when(passes).then(pl.col("assessment")).forward_fill().over("supplier_id")
    last_amount = pl.when(passes).then(pl.col("ta_amount_usd")).forward_fill().over("supplier_id")
    in_grace = (pl.col("badge") == "not_qualified") & (pl.col("assessment") - last_pass <= n).fill_null(False)
    return (
        frame.select("as_of", "supplier_id", badge, failed, amount)
        .with_columns(pl.col("as_of").rank("dense").cast(pl.Int64).alias("assessment"))
        .sort("supplier_id", "as_of")
        .with_columns(passes.alias("passes"), in_grace.alias("in_grace"), last_amount.alias("last_amount"))
        .select(
            "as_of",
            "supplier_id",
            pl.when(pl.col("in_grace")).then(pl.lit("qualified")).otherwise(pl.col("badge")).cast(BADGE).alias("badge"),
            "passes",
            "in_grace",
            failed_rules_text(pl.col("failed_mask")).alias("failed_rules"),
            pl.when(pl.col("in_grace"))
            .then(pl.col("last_amount"))
            .otherwise(pl.col("ta_amount_usd"))
            .alias("ta_amount_usd"),
        )
        .sort("as_of", "supplier_id")
    )


def backtest_series(
    history_features: pl.DataFrame | Mapping[date, pl.DataFrame],
    outcomes_by_a0: pl.DataFrame | Mapping[date, pl.DataFrame],
    policy: Policy,
) -> pl.DataFrame:
    """One row per A0 (as_of, then SUMMARY_COLUMNS), ordered by as_of.

    The A0s are read as consecutive monthly assessments, so the badge at each is badge_sequence's
    (grace applied); with grace_assessments = 0 every row equals backtest_summary at that A0.
    """
    badges = badge_sequence(history_features, policy)
    return summarise(backtest_rows(badges, _stack(outcomes_by_a0)))


def tradeoff_curve(
    features: pl.DataFrame,
    outcomes: pl.DataFrame,
    policy: Policy,
    threshold_name: str,
    values: Sequence[float],
) -> pl.DataFrame:
    """Qualified suppliers against the holders' outcomes while one threshold is swept (TRADEOFF_COLUMNS).

    threshold_name is a Policy field from TRADEOFF_THRESHOLDS; every other field keeps `policy`'s value.
    One row per value, in the order given. Raises PolicyError naming the field for an unknown name or a
    value out of its range.
    """
    if threshold_name not in TRADEOFF_THRESHOLDS:
        raise PolicyError(threshold_name, f"cannot be swept; expected one of {', '.join(TRADEOFF_THRESHOLDS)}")
    rows = []
    for value in values:
        swept = Policy.from_mapping({threshold_name: value}, base=policy)
        summary = backtest_summary(features, outcomes, swept)
        rows.append(summary.select(pl.lit(float(value)).alias("value"), pl.col("holders").alias("qualified"), pl.all()))
    if not rows:
        return pl.DataFrame(schema={"value": pl.Float64, "qualified": pl.Int64})
    return pl.concat(rows).select(TRADEOFF_COLUMNS)


@dataclass(frozen=True)
class FlipCounts:
    """How often badges flip (qualified ↔ not) between consecutive monthly assessments."""

    per_supplier: pl.DataFrame  # supplier_id, flips_without_grace, flips_with_grace
    per_assessment: pl.DataFrame  # as_of, gained/lost/flips _without_grace and _with_grace
    grace_assessments: int


def _flips(badges: pl.DataFrame, suffix: str) -> pl.DataFrame:
    holds = pl.col("badge") == "qualified"
    before = holds.shift(1).over("supplier_id", order_by="as_of")
    return badges.select(
        "as_of",
        "supplier_id",
        (holds & ~before).fill_null(False).alias(f"gained_{suffix}"),
        (~holds & before).fill_null(False).alias(f"lost_{suffix}"),
    ).with_columns((pl.col(f"gained_{suffix}") | pl.col(f"lost_{suffix}")).alias(f"flips_{suffix}"))


def flip_counts(history_features: pl.DataFrame | Mapping[date, pl.DataFrame], policy: Policy) -> FlipCounts:
    """Badge flips per supplier and per assessment, without grace and with policy.grace_assessments.

    A flip is a change between holding the badge and not holding it from one assessment to the next of
    the same supplier; the first assessment has none. per_assessment counts, at each as_of, the suppliers
    that gained the badge, lost it, and both together (flips).
    """
    history = _stack(history_features)
    keys = ["as_of", "supplier_id"]
    without = _flips(badge_sequence(history, replace(policy, grace_assessments=0)), "without_grace")
    with_grace = _flips(badge_sequence(history, policy), "with_grace")
    flips = without.join(with_grace, on=keys, how="inner")
    counted = [c for c in flips.columns if c not in keys]
    per_assessment = flips.group_by("as_of").agg(pl.col(c).sum().cast(pl.Int64) for c in counted).sort("as_of")
    per_supplier = (
        flips.group_by("supplier_id")
        .agg(pl.col(c).sum().cast(pl.Int64) for c in ("flips_without_grace", "flips_with_grace"))
        .sort("supplier_id")
    )
    return FlipCounts(per_supplier, per_assessment, policy.grace_assessments)
