"""Cached fetchers for the dashboard: one engine per warehouse URL, results cached by hashable keys.

Frames are cached with st.cache_resource (shared, not copied per session: polars frames are never
mutated in place), every cache bounded by ttl and max_entries. Every query runs under warehouse.connection:
a statement timeout, and driver errors raised as messages (never cached, so the next run tries again).

The scorecard features and the uptake history come through the serving layer (queries.serving): keyed by
the warehouse's data version (checked at most once a minute), read from the snapshot on disk when another
process or an earlier run computed it, and computed once per refresh otherwise.
"""

from datetime import date

import polars as pl
import streamlit as st

from queries import serving
from warehouse import connection as guard
from warehouse.connection import warehouse_engine

TTL = "10m"


@st.cache_resource(ttl="1h", max_entries=4, show_spinner=False, on_release=lambda engine: engine.dispose())
def engine_for(url: str):
    """One read-only Engine per warehouse URL for the whole server (disposed when it leaves the cache)."""
    return warehouse_engine(url, read_only=True)


@st.cache_resource(ttl="1m", max_entries=4, show_spinner=False)
def data_version(url: str) -> str:
    """The warehouse's data version (queries.serving.fetch_data_version): a refresh shows within a minute."""
    with guard.connection(engine_for(url), url) as conn:
        return serving.fetch_data_version(conn)


def features(url: str, as_of: date) -> pl.DataFrame:
    """Every supplier's scorecard features at `as_of` (see queries.scorecard.fetch_features)."""
    return features_at_version(url, as_of, data_version(url))


@st.cache_resource(ttl=TTL, max_entries=8, show_spinner="Computing the scorecard in the warehouse…")
def features_at_version(url: str, as_of: date, version: str) -> pl.DataFrame:
    """`features` at one data version: the serving layer's snapshot, else computed once and kept."""
    return serving.features(url, as_of, version, lambda: guard.connection(engine_for(url), url))


def choices(url: str, as_of: date) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The sidebar's choices at `as_of`: every supplier's country code and category, each sorted once."""
    return choices_at_version(url, as_of, data_version(url))


@st.cache_resource(ttl=TTL, max_entries=8, show_spinner=False)
def choices_at_version(url: str, as_of: date, version: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """`choices` at one data version (the sidebar asks on every rerun; the features hold 200,000 rows)."""
    frame = features_at_version(url, as_of, version)
    return tuple(sorted(frame["country_code"].unique().to_list())), tuple(sorted(frame["category"].unique().to_list()))


@st.cache_resource(ttl="1m", max_entries=4, show_spinner=False)
def freshness(url: str) -> dict:
    """latest_order_at, latest_activity_at and default_as_of (the day after the latest activity)."""
    from queries.freshness import default_as_of, fetch_freshness

    with guard.connection(engine_for(url), url) as conn:
        fresh = fetch_freshness(conn)
    return {**fresh, "default_as_of": default_as_of(fresh)}


def data_end(url: str) -> date | None:
    """T of the projection: midnight UTC after the data's last event (queries.freshness.data_end of
    `freshness`, so the default as-of date and T are one value)."""
    from queries.freshness import data_end as end_of

    return end_of(freshness(url))


@st.cache_resource(ttl=TTL, max_entries=64, show_spinner=False)
def supplier_trends(url: str, supplier_id: int, as_of: date, months: int = 24) -> pl.DataFrame:
    """One supplier's last `months` months before `as_of` (see queries.supplier.fetch_supplier_trends)."""
    from queries.supplier import fetch_supplier_trends

    with guard.connection(engine_for(url), url) as conn:
        return fetch_supplier_trends(conn, supplier_id, as_of, months=months)


@st.cache_resource(ttl=TTL, max_entries=64, show_spinner=False)
def claim_history(url: str, supplier_id: int, as_of: date) -> pl.DataFrame:
    """Claims filed on one supplier's orders before `as_of` (see queries.supplier.fetch_claim_history)."""
    from queries.supplier import fetch_claim_history

    with guard.connection(engine_for(url), url) as conn:
        return fetch_claim_history(conn, supplier_id, as_of)


def history_features(url: str, as_ofs: tuple[date, ...]) -> pl.DataFrame:
    """Every supplier's features at each of `as_ofs` (see queries.uptake.fetch_history_features)."""
    return history_at_version(url, as_ofs, data_version(url))


# About 1 GB per entry at 200,000 suppliers × 24 points: keep few.
@st.cache_resource(ttl=TTL, max_entries=2, show_spinner=False)
def history_at_version(url: str, as_ofs: tuple[date, ...], version: str) -> pl.DataFrame:
    """`history_features` at one data version: each as-of date's snapshot, only missing dates computed."""
    return serving.history_features(url, as_ofs, version, lambda: guard.connection(engine_for(url), url))


def _forget_features() -> None:
    data_version.clear()
    features_at_version.clear()
    choices_at_version.clear()


def _forget_history() -> None:
    data_version.clear()
    history_at_version.clear()


# `cached.features.clear()` as for a cached function: the next call checks the warehouse again.
features.clear = _forget_features
history_features.clear = _forget_history


@st.cache_resource(ttl=TTL, max_entries=16, show_spinner=False)
def program_monthly(url: str, first_month: date, as_of: date) -> pl.DataFrame:
    """Covered deals, GMV, claims and refunds per month × country × category in [first_month, as_of)."""
    from queries.uptake import fetch_program_monthly

    with guard.connection(engine_for(url), url) as conn:
        return fetch_program_monthly(conn, first_month, as_of)


@st.cache_resource(ttl=TTL, max_entries=48, show_spinner=False)
def outcomes(url: str, a0: date) -> pl.DataFrame:
    """Every supplier's covered deals, upheld claims and refunds in [a0, a0 + 182 days) (queries.backtest)."""
    from queries.backtest import fetch_outcomes

    with guard.connection(engine_for(url), url) as conn:
        return fetch_outcomes(conn, a0)
