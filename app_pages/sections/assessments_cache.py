"""The Assessments page's heavy reads, kept for every session: a run's rows, the changes between two runs, the
storefront feed of a run, and the live assessment.

A recorded run never changes (the tables are append-only, store.assessments), so its rows, its feed and the
changes between two runs are keyed by run ids alone (and the app database). The live assessment is keyed by
what it is computed from: the warehouse and its data version, the data's end, the policy, and the newest run
id (every new run or supersede is a new id, and only a new run changes which run grace is applied over).
At 200,000 suppliers reading one run from the app database takes seconds, so reruns read these instead; a
run's rows take about 20 MB there, so few are kept.
"""

from datetime import date

import polars as pl
import streamlit as st

from policy import Policy
from policy.assess import assess, empty_assessment, run_changes
from queries import cached
from store import assessments as store
from store.policies import app_db_url

TTL = "10m"


@st.cache_resource(ttl=TTL, max_entries=4, show_spinner=False)
def _run_rows(app_db: str, run_id: int) -> pl.DataFrame:
    return store.run_rows(run_id)


def run_rows(run_id: int) -> pl.DataFrame:
    """Every supplier's recorded assessment in run `run_id` (store.run_rows), read once per server."""
    return _run_rows(app_db_url(), run_id)


@st.cache_resource(ttl=TTL, max_entries=8, show_spinner=False)
def _changes(app_db: str, before_id: int | None, run_id: int) -> pl.DataFrame:
    previous = empty_assessment() if before_id is None else run_rows(before_id)
    return run_changes(previous, run_rows(run_id))


def changes(before_id: int | None, run_id: int) -> pl.DataFrame:
    """policy.assess.run_changes from run `before_id` (None: no run before, everyone counts as gained) to run
    `run_id`."""
    return _changes(app_db_url(), before_id, run_id)


@st.cache_resource(ttl=TTL, max_entries=2, show_spinner=False)
def _feed(app_db: str, run_id: int) -> bytes:
    return store.feed_csv(run_rows(run_id)).encode("utf-8")


def feed_bytes(run_id: int) -> bytes:
    """Run `run_id`'s storefront feed as CSV bytes (store.feed_csv)."""
    return _feed(app_db_url(), run_id)


@st.cache_resource(ttl=TTL, max_entries=2, show_spinner="Assessing the data through today…")
def _live(
    app_db: str, key: str, url: str, data_end: date, version: str, newest_run: int, policy: Policy
) -> pl.DataFrame:
    previous = store.previous_assessment(key, data_end)
    return assess(cached.features(url, data_end), policy, previous)


def live_rows(key: str, url: str, data_end: date, newest_run: int, policy: Policy) -> pl.DataFrame:
    """The assessment of the data through `data_end` under `policy`, grace applied over the runs of warehouse
    `key` recorded before it (store.previous_assessment); `newest_run` is the highest run id on record."""
    return _live(app_db_url(), key, url, data_end, cached.data_version(url), newest_run, policy)


@st.cache_resource(ttl=TTL, max_entries=4, show_spinner=False)
def _live_changes(
    app_db: str, key: str, url: str, data_end: date, version: str, newest_run: int, policy: Policy, published: int
) -> pl.DataFrame:
    live = _live(app_db, key, url, data_end, version, newest_run, policy)
    return run_changes(run_rows(published), live)


def live_changes(key: str, url: str, data_end: date, newest_run: int, policy: Policy, published: int) -> pl.DataFrame:
    """run_changes from published run `published` to the live assessment (live_rows)."""
    version = cached.data_version(url)
    return _live_changes(app_db_url(), key, url, data_end, version, newest_run, policy, published)
