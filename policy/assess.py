"""Assessments that take effect: grace over recorded assessments, the storefront feed, run-to-run changes.

Pure polars. An assessment is the policy applied to the scorecard at an as-of date, with
`grace_assessments` (N) applied over the assessments *recorded* before it (not recomputed under today's
rules: a badge's history is what was decided at the time).

Grace, precisely: a supplier whose own verdict at this assessment is not_qualified (still enrolled, in an
open region, failing a rule) keeps the badge when, at the latest earlier recorded assessment, it held
the badge and had been kept under grace fewer than N consecutive times. `grace_used` counts those
consecutive failing assessments since it last qualified on its own (0 when it passes or holds no badge),
so a holder keeps the badge for at most N assessments in a row, then loses it. While kept under grace its
Trade Assurance Amount is the Amount of the assessment it last qualified at (what the storefront has been
showing; the failing data earns no Amount of its own). Not enrolled or a closed region ends the badge at
once. Grace counts recorded assessments, not calendar months: a month without a run uses up nothing.
With N = 0, or without earlier assessments, the badge and Amount equal the scorecard's.
"""

import polars as pl

from policy.policy import Policy
from policy.rules import evaluate

# What a recorded assessment keeps per supplier (store.assessments), in order.
ASSESSMENT_COLUMNS = (
    "supplier_id",
    "badge",
    "ta_amount_usd",
    "passes",
    "kept_under_grace",
    "grace_used",
    "failed_rules",
    "deals_12m",
    "value_12m_usd",
    "response_rate_30d",
    "median_response_hours_30d",
)
# The storefront feed (PRODUCT.md, `python -m queries assess --publish`): exactly these, in this order.
FEED_COLUMNS = (
    "supplier_id",
    "badge",
    "ta_amount_usd",
    "deals_12m",
    "value_12m_usd",
    "response_rate_30d",
    "median_response_hours_30d",
)
FEED_MONEY_COLUMNS = ("ta_amount_usd", "value_12m_usd")
ASSESSMENT_SCHEMA = {
    "supplier_id": pl.Int64,
    "badge": pl.String,
    "ta_amount_usd": pl.Float64,
    "passes": pl.Boolean,
    "kept_under_grace": pl.Boolean,
    "grace_used": pl.Int64,
    "failed_rules": pl.String,
    "deals_12m": pl.Int64,
    "value_12m_usd": pl.Float64,
    "response_rate_30d": pl.Float64,
    "median_response_hours_30d": pl.Float64,
}
PREVIOUS_COLUMNS = ("supplier_id", "badge", "ta_amount_usd", "grace_used")
# Kinds of change between two assessments (run_changes), in the order a reader scans them.
CHANGES = ("gained", "lost", "kept_under_grace", "amount_changed")
CHANGE_SCHEMA = {
    "supplier_id": pl.Int64,
    "change": pl.String,
    "badge_before": pl.String,
    "badge_after": pl.String,
    "ta_amount_before_usd": pl.Float64,
    "ta_amount_after_usd": pl.Float64,
    "ta_amount_change_usd": pl.Float64,
    "grace_used": pl.Int64,
    "failed_rules": pl.String,
}


def empty_assessment() -> pl.DataFrame:
    """An assessment frame without rows (ASSESSMENT_SCHEMA)."""
    return pl.DataFrame(schema=ASSESSMENT_SCHEMA)


def assess(features: pl.DataFrame, policy: Policy, previous: pl.DataFrame | None = None) -> pl.DataFrame:
    """Every supplier's assessment (ASSESSMENT_COLUMNS, ordered by supplier_id) with grace applied.

    `features`: queries.scorecard.fetch_features at the as-of date. `previous`: the latest earlier
    recorded assessment (at least supplier_id, badge, ta_amount_usd, grace_used), or None for the first.
    `passes` is the verdict at this assessment alone; `badge` is what the storefront shows.
    """
    own = evaluate(features, policy, margins=False).select(
        "supplier_id", pl.col("badge").cast(pl.String), "ta_amount_usd", "failed_rules"
    )
    shown = features.select(
        "supplier_id", "deals_12m", "value_12m_usd", "response_rate_30d", "median_response_hours_30d"
    )
    if previous is None:
        previous = empty_assessment()
    before = previous.select(
        "supplier_id",
        pl.col("badge").cast(pl.String).alias("_badge_before"),
        pl.col("ta_amount_usd").cast(pl.Float64).alias("_amount_before"),
        pl.col("grace_used").cast(pl.Int64).alias("_used_before"),
    )
    kept = (
        (pl.col("badge") == "not_qualified")
        & (pl.col("_badge_before") == "qualified")
        & (pl.col("_used_before") < policy.grace_assessments)
    ).fill_null(False)
    return (
        own.join(before, on="supplier_id", how="left", maintain_order="left")
        .join(shown, on="supplier_id", how="left", maintain_order="left")
        .with_columns((pl.col("badge") == "qualified").alias("passes"), kept.alias("kept_under_grace"))
        .with_columns(
            pl.when("kept_under_grace").then(pl.lit("qualified")).otherwise(pl.col("badge")).alias("badge"),
            pl.when("kept_under_grace")
            .then(pl.col("_amount_before"))
            .otherwise(pl.col("ta_amount_usd"))
            .alias("ta_amount_usd"),
            pl.when("kept_under_grace")
            .then(pl.col("_used_before") + 1)
            .otherwise(0)
            .cast(pl.Int64)
            .alias("grace_used"),
        )
        .select(pl.col(name).cast(dtype) for name, dtype in ASSESSMENT_SCHEMA.items())
        .sort("supplier_id")
    )


def counts(assessment: pl.DataFrame) -> dict[str, int]:
    """suppliers, holders (badge qualified, grace included), kept_under_grace and one count per badge."""
    badge = pl.col("badge")
    row = assessment.select(
        pl.len().alias("suppliers"),
        (badge == "qualified").sum().alias("holders"),
        pl.col("kept_under_grace").sum().alias("kept_under_grace"),
        (badge == "not_qualified").sum().alias("not_qualified"),
        (badge == "region_not_open").sum().alias("region_not_open"),
        (badge == "not_enrolled").sum().alias("not_enrolled"),
    ).row(0, named=True)
    return {key: int(value or 0) for key, value in row.items()}


def feed(assessment: pl.DataFrame) -> pl.DataFrame:
    """The storefront feed: FEED_COLUMNS, one row per supplier ordered by supplier_id."""
    return assessment.select(FEED_COLUMNS).sort("supplier_id")


def run_changes(before: pl.DataFrame, after: pl.DataFrame) -> pl.DataFrame:
    """What changed from assessment `before` to `after` for each supplier that changed (CHANGE_SCHEMA).

    change is, first that applies: gained (holds the badge after, not before — a supplier new in `after`
    that holds it counts), lost (held it before, not after, or is gone), kept_under_grace (holds it after
    only by grace), amount_changed (holds it both times, another Amount). Unchanged suppliers are left
    out. Ordered by change (CHANGES order), then supplier_id.
    """
    b = before.select(
        "supplier_id",
        pl.col("badge").cast(pl.String).alias("badge_before"),
        pl.col("ta_amount_usd").cast(pl.Float64).alias("ta_amount_before_usd"),
    )
    a = after.select(
        "supplier_id",
        pl.col("badge").cast(pl.String).alias("badge_after"),
        pl.col("ta_amount_usd").cast(pl.Float64).alias("ta_amount_after_usd"),
        pl.col("kept_under_grace").cast(pl.Boolean).alias("_kept"),
        pl.col("grace_used").cast(pl.Int64),
        pl.col("failed_rules").cast(pl.String),
    )
    held = (pl.col("badge_before") == "qualified").fill_null(False)
    holds = (pl.col("badge_after") == "qualified").fill_null(False)
    amount_delta = pl.col("ta_amount_after_usd").fill_null(0.0) - pl.col("ta_amount_before_usd").fill_null(0.0)
    change = (
        pl.when(holds & ~held)
        .then(pl.lit("gained"))
        .when(held & ~holds)
        .then(pl.lit("lost"))
        .when(pl.col("_kept").fill_null(False))
        .then(pl.lit("kept_under_grace"))
        .when(held & holds & (amount_delta.abs() >= 0.005))
        .then(pl.lit("amount_changed"))
    )
    order = {name: i for i, name in enumerate(CHANGES)}
    return (
        b.join(a, on="supplier_id", how="full", coalesce=True)
        .with_columns(change.alias("change"), amount_delta.alias("ta_amount_change_usd"))
        .filter(pl.col("change").is_not_null())
        .sort(pl.col("change").replace_strict(order, return_dtype=pl.Int64), "supplier_id")
        .select(pl.col(name).cast(dtype) for name, dtype in CHANGE_SCHEMA.items())
    )


def change_counts(changes: pl.DataFrame) -> dict[str, int]:
    """How many suppliers of run_changes output fall in each of CHANGES."""
    found = dict(changes.group_by("change").len().iter_rows())
    return {name: int(found.get(name, 0)) for name in CHANGES}
