"""Supplier vetting's "At risk" list: badge holders one event from losing the badge, for category managers.

`at_risk_lists` is pure (features at the as-of date and the projection's features → the lists);
`projection_features(url, as_of)` fetches the projection's features as PRODUCT.md defines it (the
scorecard at the next assessment N when N is inside the data, else at the data's end T with account age
judged at N; policy.projection) — the profile's projected badge uses the same;
`render_at_risk(view)` draws them with CSV exports. A holder with no inquiries in the last 30 days is one
unanswered inquiry from losing the badge (its response rate would be 0 %); when that is its only risk it
goes in a separate, collapsed group so the main list stays about real near-misses. Names, categories and
countries come from the warehouse: they are shown only in tables, never as Markdown.
"""

from dataclasses import dataclass
from datetime import date

import polars as pl
import streamlit as st

from policy import Policy, projection
from policy.flip import at_risk, project
from policy.rules import verdict
from queries import cached
from ui import columns
from ui import format as fmt
from ui.explain import BADGE_LABELS
from ui.widgets import csv_download

COLUMNS = (
    "supplier_id",
    "name",
    "country_code",
    "category",
    "ta_amount_usd",
    "would_lose_badge_with",
    "projected_badge",
)
COLUMN_CONFIG = {
    "supplier_id": st.column_config.TextColumn("Id"),
    "name": st.column_config.TextColumn("Supplier"),
    "country_code": st.column_config.TextColumn("Country"),
    "category": st.column_config.TextColumn("Category"),
    "ta_amount_usd": st.column_config.TextColumn("Trade Assurance Amount", help="The most the program pays out"),
    "would_lose_badge_with": st.column_config.TextColumn("Would lose the badge with", width="large"),
    "projected_badge": st.column_config.TextColumn("Projected badge", help="At the next monthly assessment"),
}


@dataclass(frozen=True)
class AtRiskLists:
    """The at-risk holders (COLUMNS), the quiet ones apart, and projected gains and losses of the badge."""

    listed: pl.DataFrame  # one event from losing it, other than a first unanswered inquiry
    quiet: pl.DataFrame  # no inquiries in 30 days, and a first unanswered one is the only single-event risk
    holders: int
    projected_gains: int | None  # None without features at the next assessment
    projected_losses: int | None


def at_risk_lists(features: pl.DataFrame, features_next: pl.DataFrame | None, policy: Policy) -> AtRiskLists:
    """At-risk badge holders among `features` (fetch_features at the as-of date) under `policy`.

    features_next: the projection's features (policy.projection.judged_at), or None; gives
    projected_badge (as words) and the counts of suppliers projected to gain or lose the badge.
    Both lists are ordered by supplier_id; would_lose_badge_with is policy.flip's change in plain words.
    """
    now = verdict(features, policy).select("supplier_id", pl.col("badge").cast(pl.String), "ta_amount_usd")
    holders = now.filter(pl.col("badge") == "qualified")
    # at_risk looks only at holders; evaluating just them gives the same badges for far less work.
    risky = at_risk(features.join(holders.select("supplier_id"), on="supplier_id", how="semi"), policy)
    gains = losses = None
    if features_next is not None and not features_next.is_empty():
        outlook = projection.projected(features, features_next, policy)
        gains, losses = outlook.gains, outlook.losses
        projected = outlook.badges.select(
            "supplier_id", pl.col("projected_badge").replace_strict(BADGE_LABELS).alias("projected_badge")
        )
    else:
        projected = now.select("supplier_id", pl.lit(None, pl.String).alias("projected_badge"))
    rows = (
        risky.join(features.select("supplier_id", "inquiries_30d"), on="supplier_id", how="left")
        .join(now.select("supplier_id", "ta_amount_usd"), on="supplier_id", how="left")
        .join(projected, on="supplier_id", how="left")
        .with_columns(pl.col("change").alias("would_lose_badge_with"))
        .sort("supplier_id")
    )
    quiet = (
        (pl.col("inquiries_30d") == 0)
        & (pl.col("lose_response_rate") == 1)
        & (pl.col("lose_claims") != 1).fill_null(True)
        & (pl.col("lose_on_time") != 1).fill_null(True)
    )
    return AtRiskLists(
        listed=rows.filter(~quiet).select(COLUMNS),
        quiet=rows.filter(quiet).select(COLUMNS),
        holders=holders.height,
        projected_gains=gains,
        projected_losses=losses,
    )


def projection_plan(url: str, as_of: date) -> projection.Projection:
    """Where the projection from `as_of` comes from in this warehouse (its data end T is fetched, cached)."""
    return projection.plan(as_of, cached.data_end(url))


def projection_features(url: str, as_of: date) -> tuple[projection.Projection, pl.DataFrame]:
    """(the plan, every supplier's features the projection applies the policy to) for `as_of`."""
    plan = projection_plan(url, as_of)
    return plan, projection.judged_at(cached.features(url, plan.scored_at), plan)


@st.cache_resource(ttl="10m", max_entries=16, show_spinner=False)
def _lists(url: str, as_of: date, countries: tuple, categories: tuple, policy: Policy, _view) -> AtRiskLists:
    # Keyed by the view's parts; _view (not hashed) only applies the same filters.
    features = _view.filter(cached.features(url, as_of))
    _, upcoming = projection_features(url, as_of)
    return at_risk_lists(features, _view.filter(upcoming), policy)


def _table(frame: pl.DataFrame, key: str, file_name: str, what: str) -> None:
    # On screen the catalogue's formats (ui.columns.display); the CSV keeps the raw values.
    st.dataframe(columns.display(frame), hide_index=True, column_config=COLUMN_CONFIG, key=f"{key}_table")
    csv_download(f"Download {what} (CSV)", frame, file_name, f"{key}_csv")


def render_at_risk(view) -> None:
    """The "At risk" section for the view (app_pages.sections.context.View: warehouse, as-of date, filters, policy)."""
    plan = projection_plan(view.url, view.as_of)
    upcoming = plan.assessment
    st.subheader("At risk of losing the badge")
    st.caption(
        f"Badge holders in this view one event from losing the badge under the current policy, as of "
        f"{view.as_of:%Y-%m-%d}. The projected badge is the badge {plan.label}"
        + (
            "."
            if plan.known
            else ": orders not yet due and inquiries not yet received count neither for nor against a supplier."
        )
    )
    with st.spinner("Finding badge holders at risk…"):
        lists = _lists(view.url, view.as_of, view.countries, view.categories, view.policy, view)
    tiles = st.columns(4)
    tiles[0].metric("Badge holders", fmt.count(lists.holders))
    tiles[1].metric("One event from losing it", fmt.count(lists.listed.height + lists.quiet.height))
    tiles[2].metric(f"Projected to gain it by {upcoming:%Y-%m-%d}", fmt.count(lists.projected_gains))
    tiles[3].metric(f"Projected to lose it by {upcoming:%Y-%m-%d}", fmt.count(lists.projected_losses))
    if not lists.holders:
        st.info(
            "No supplier in this view holds the badge, so none is at risk — widen the sidebar filters or "
            "review the policy in the Policy lab."
        )
        return
    if lists.listed.is_empty():
        st.info(
            "No badge holder in this view is one claim, late shipment or unanswered inquiry from losing it"
            + (" (apart from the quiet ones below)" if lists.quiet.height else "")
            + " — widen the sidebar filters to check more suppliers."
        )
    else:
        _table(lists.listed, "at_risk", f"at_risk_{view.as_of:%Y-%m-%d}.csv", "the at-risk list")
    if lists.quiet.height:
        with st.expander(
            f"{fmt.count(lists.quiet.height)} holders with no inquiries in the last 30 days", expanded=False
        ):
            st.caption(
                "Their response rate has no inquiries to count, so a first inquiry left unanswered for 24 h "
                "would drop it to 0 % and lose the badge. Nothing else puts them at risk."
            )
            _table(lists.quiet, "at_risk_quiet", f"at_risk_quiet_{view.as_of:%Y-%m-%d}.csv", "this group")


PROJECTION_HELP = (
    "The badge at the next monthly assessment: from the data at that date when the warehouse holds it, else the "
    "policy applied to the data as it ends, with the account's age counted at the assessment. Orders not yet due "
    "and inquiries not yet received count neither for nor against the supplier."
)


def projected_badge(view, now: pl.DataFrame) -> tuple[str, str, str | None] | None:
    """The profile's projected badge at the next assessment: (badge code, when — the plan's label, the
    smallest change that would flip it then or None), or None when there is no projection.

    `now`: the supplier's features at the view's as-of date (one row). The projection is PRODUCT.md's
    (projection_features): known data when the next assessment is inside the data, else the data's end.
    """
    if now.is_empty():
        return None
    with st.spinner("Projecting the next monthly assessment…"):
        plan, upcoming = projection_features(view.url, view.as_of)
    future = upcoming.join(now.select("supplier_id"), on="supplier_id", how="semi")
    if future.is_empty():
        return None
    row = project(now, future, view.policy).row(0, named=True)
    return str(row["projected_badge"]), plan.label, row["change"] or None
