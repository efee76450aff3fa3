"""The shared sidebar and the view every page reads: warehouse, as-of date, filters, policy.

app.py calls `sidebar()` once per run; pages call `current_view()`. The as-of date, the filters,
the selected supplier and the policy travel in the URL (widgets bound to query parameters), so a
copied URL reopens the same view. A link is input from anyone: its parameters are checked before the
widgets read them, and a wrong one is dropped with a message that says what was expected.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl
import streamlit as st
from streamlit.errors import StreamlitAPIException

from auth.roles import can
from auth.session import current_user
from policy import DEFAULT_POLICY, Policy
from queries import cached
from ui.explain import escape_markdown
from warehouse.connection import describe, resolve_url, warehouse_key

VIEW_KEY = "_view"
SUPPLIER_ID = re.compile(r"^[0-9]{1,18}$")  # a whole, non-negative id that fits a 64-bit integer
EARLIEST_AS_OF = date(2000, 1, 1)


@dataclass(frozen=True)
class View:
    """What every page shows: one warehouse at one as-of date, filtered, under one policy."""

    url: str
    warehouse_label: str
    as_of: date
    countries: tuple[str, ...]  # empty = all
    categories: tuple[str, ...]  # empty = all
    policy: Policy
    policy_name: str
    data_end: date  # the day after the warehouse's latest activity: the default as-of date

    @property
    def projects(self) -> bool:
        """Whether next-assessment projections are honest here: no data after the as-of date exists."""
        return self.as_of >= self.data_end

    @property
    def warehouse_key(self) -> str:
        """The key this warehouse's saved policies and audit are kept under (store.policies)."""
        return warehouse_key(self.url)

    def filter(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Rows of a per-supplier frame in the selected countries and categories."""
        if self.countries:
            frame = frame.filter(pl.col("country_code").is_in(list(self.countries)))
        if self.categories:
            frame = frame.filter(pl.col("category").is_in(list(self.categories)))
        return frame


def current_view() -> View:
    """The view the sidebar set up in this run (app.py always runs the sidebar first)."""
    return st.session_state[VIEW_KEY]


def _current_policy(url: str) -> tuple[str, Policy]:
    try:
        from store.policies import current_policy_status
    except ImportError:  # the app database module is optional for tiny tests
        return "PRODUCT.md default", DEFAULT_POLICY
    status = current_policy_status(warehouse_key(url))
    if status.problem and can(current_user().role, "mark_current"):  # the policy owner can fix it
        st.warning(escape_markdown(status.problem), icon=":material/policy:")
    return status.name, status.policy


def _drop_url_param(key: str, expected: str) -> None:
    """Remove `key` from the URL and say what was wrong (the value is shown as plain text, shortened)."""
    given = ", ".join(st.query_params.get_all(key))
    shown = given if len(given) <= 40 else given[:40] + "…"
    try:
        del st.query_params[key]
    except StreamlitAPIException:  # bound to a widget by an earlier run: remove it as Streamlit drops a bad seed
        from streamlit.runtime.state.session_state_proxy import get_session_state

        with get_session_state().query_params() as params:
            params.remove_param(key)
    st.warning(f"Ignored {key}={escape_markdown(shown)} in the link: {expected}")


def _check_as_of_param(latest: date) -> None:
    raw = st.query_params.get_all("as_of")
    try:
        ok = len(raw) == 1 and len(raw[0]) == 10 and EARLIEST_AS_OF <= date.fromisoformat(raw[0]) <= latest
    except ValueError:
        ok = False
    if raw and not ok:
        _drop_url_param("as_of", f"expected one date written YYYY-MM-DD between {EARLIEST_AS_OF} and {latest}.")


def _check_supplier_param() -> None:
    raw = st.query_params.get_all("supplier")
    if raw and not (len(raw) == 1 and SUPPLIER_ID.match(raw[0])):
        _drop_url_param("supplier", "expected one supplier id, a whole number such as 42.")


def _check_choice_param(key: str, options: list[str], what: str) -> None:
    raw = st.query_params.get_all(key)
    if any(value not in options for value in raw):
        _drop_url_param(key, f"expected {what} found in this warehouse.")


def sidebar() -> View:
    """Draw the shared sidebar and store the resulting View for the pages."""
    url = resolve_url()
    fresh = cached.freshness(url)
    default_as_of = fresh["default_as_of"]
    _check_as_of_param(default_as_of + timedelta(days=366))
    _check_supplier_param()
    st.sidebar.caption(f"Warehouse: {describe(url)}")
    latest, last_event = fresh["latest_order_at"], fresh["latest_activity_at"]  # the default's own source
    st.sidebar.caption(f"Latest order: {latest:%Y-%m-%d %H:%M} UTC" if latest else "Latest order: none yet")
    if last_event:
        st.sidebar.caption(f"Data through: {last_event:%Y-%m-%d %H:%M} UTC (the as-of date defaults to the day after)")
    if fresh.get("ignored_after"):
        st.sidebar.caption(f"Timestamps after {fresh['ignored_after']:%Y-%m-%d} are ignored as mistakes.")
    as_of = st.sidebar.date_input(
        "As-of date",
        value=default_as_of,
        min_value=date(2000, 1, 1),
        max_value=default_as_of + timedelta(days=366),
        key="as_of",
        bind="query-params",
        help="Metrics use windows that end at midnight UTC of this date (exclusive).",
    )
    features = cached.features(url, as_of)
    countries = sorted(features["country_code"].unique().to_list())
    categories = sorted(features["category"].unique().to_list())
    _check_choice_param("country", countries, "country codes")
    _check_choice_param("category", categories, "categories")
    chosen_countries = st.sidebar.multiselect(
        "Countries", countries, key="country", bind="query-params", placeholder="All countries"
    )
    chosen_categories = st.sidebar.multiselect(
        "Categories", categories, key="category", bind="query-params", placeholder="All categories"
    )
    policy_name, policy = _current_policy(url)
    st.sidebar.caption(f"Policy: {policy_name}")
    view = View(
        url=url,
        warehouse_label=describe(url),
        as_of=as_of,
        countries=tuple(chosen_countries),
        categories=tuple(chosen_categories),
        policy=policy,
        policy_name=policy_name,
        data_end=default_as_of,
    )
    st.session_state[VIEW_KEY] = view
    return view
