"""The badge at the next monthly assessment, as ../shared/PRODUCT.md ("Projection") defines it. Pure polars.

For an as-of date A, N is the next assessment (the 1st after A) and T the end of the data (midnight UTC
after the latest timestamp in the warehouse). The warehouse knows nothing after T, so:
- N ≤ T: the projection is the badge at N, from the scorecard at N (known data);
- N > T: it is the policy applied to the scorecard at T with account_age judged at N
  (registered_at ≤ N − min_account_age_days), labelled "if assessed on the data through <T − 1 day>".
An order due after T or an inquiry received after T then counts neither for nor against a supplier.

`plan(as_of, data_end)` says which scorecard to fetch (`Projection.scored_at`); the caller fetches it
(queries.scorecard.fetch_features) and `judged_at(features, plan)` gives the features the policy is
applied to; `projected(features_now, features_projected, policy)` compares the badges.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import polars as pl

from policy.policy import Policy
from policy.rules import verdict

MICROS_PER_DAY = 86_400_000_000


def next_assessment(as_of: date) -> date:
    """The next monthly assessment after `as_of`: midnight of the first day of the following month."""
    return date(as_of.year + as_of.month // 12, as_of.month % 12 + 1, 1)


@dataclass(frozen=True)
class Projection:
    """Where the projection of the badge at the next assessment comes from, for one as-of date."""

    as_of: date  # A
    assessment: date  # N = next_assessment(A)
    data_end: date | None  # T; None for a warehouse with no timestamp at all

    @property
    def known(self) -> bool:
        """True when the next assessment is inside the data (N ≤ T): the projection is the badge at N."""
        return self.data_end is None or self.assessment <= self.data_end

    @property
    def scored_at(self) -> date:
        """The as-of date of the scorecard the policy is applied to: N when known, else T."""
        return self.assessment if self.known else self.data_end

    @property
    def data_through(self) -> date | None:
        """The last day of data the projection uses when it is not known (T − 1 day), else None."""
        return None if self.known else self.data_end - timedelta(days=1)

    @property
    def label(self) -> str:
        """How the page names the projection: the assessment date, and the data it rests on when N > T."""
        if self.known:
            return f"at the {self.assessment:%Y-%m-%d} assessment"
        through = self.data_through
        return f"at the {self.assessment:%Y-%m-%d} assessment, if assessed on the data through {through:%Y-%m-%d}"


def plan(as_of: date, data_end: date | None) -> Projection:
    """The projection for as-of date `as_of` in a warehouse whose data ends at `data_end` (T)."""
    return Projection(as_of=as_of, assessment=next_assessment(as_of), data_end=data_end)


def judged_at(features: pl.DataFrame, projection: Projection) -> pl.DataFrame:
    """The features the projection applies the policy to: `features` (fetch_features at
    projection.scored_at) with account_age_days and enrolled judged at the next assessment N.

    When N ≤ T the features are already at N and come back with the same values; when N > T every
    metric stays at T and only the account ages (every timestamp is before T, so enrolment is the same).
    """
    n = datetime.combine(projection.assessment, time())
    return features.with_columns(
        ((pl.lit(n) - pl.col("registered_at")).dt.total_microseconds() / MICROS_PER_DAY).alias("account_age_days"),
        (pl.col("ta_enrolled_at").is_not_null() & (pl.col("ta_enrolled_at") < n)).alias("enrolled"),
    )


@dataclass(frozen=True)
class Projected:
    """The badges now and at the projection, per supplier, and the counts of gains and losses."""

    badges: pl.DataFrame  # supplier_id, badge, projected_badge (strings), ta_amount_usd, projected_amount_usd
    gains: int  # not qualified at A, qualified at the projection
    losses: int  # qualified at A, not at the projection


def projected(features_now: pl.DataFrame, features_projected: pl.DataFrame, policy: Policy) -> Projected:
    """The badge at A (features_now) beside the projected badge (judged_at's features), supplier by supplier.

    Suppliers missing from either frame are left out (both frames hold every supplier of the warehouse,
    less any filter the caller applied to both). Ordered by supplier_id.
    """
    now = verdict(features_now, policy).select("supplier_id", pl.col("badge").cast(pl.String), "ta_amount_usd")
    later = verdict(features_projected, policy).select(
        "supplier_id",
        pl.col("badge").cast(pl.String).alias("projected_badge"),
        pl.col("ta_amount_usd").alias("projected_amount_usd"),
    )
    both = now.join(later, on="supplier_id", how="inner").sort("supplier_id")
    held, holds = pl.col("badge") == "qualified", pl.col("projected_badge") == "qualified"
    gains, losses = both.select((~held & holds).sum().alias("gains"), (held & ~holds).sum().alias("losses")).row(0)
    return Projected(badges=both, gains=int(gains), losses=int(losses))
