"""The shared sidebar and the view every page reads: warehouse, as-of date, filters, policy.

app.py calls `sidebar()` once per run; pages call `current_view()`. The as-of date, the filters,
the selected supplier and the policy travel in the URL (widgets bound to query parameters), so a
copied URL reopens the same view. A link is input from anyone: its parameters are checked before the
widgets read them, and a wrong one is dropped with a message that says what was expected.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl
import streamlit as st
from streamlit.errors import StreamlitAPIException

from app_pages.sections import url_state
from auth.roles import can
from auth.session import current_user
from policy import DEFAULT_POLICY, Policy
from queries import cached
from ui.explain import escape_markdown
from warehouse.connection import describe, resolve_url, warehouse_key

VIEW_KEY = "_view"
SHARED_KEYS = ("as_of", "country", "category")  # the sidebar's parameters, on every page
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


def _drop_url_param(key: str) -> None:
    """Remove `key` from the URL and from what a widget bound to it would be seeded with on this load."""
    from streamlit.runtime.state.session_state_proxy import get_session_state

    try:
        del st.query_params[key]
    except StreamlitAPIException:  # bound to a widget by an earlier run: remove it as Streamlit drops a bad seed
        with get_session_state().query_params() as params:
            params.remove_param(key)
    # A bound widget is seeded from the URL as first loaded, not from st.query_params: without this, the
    # refused value would still reach it (supplier=1.5 would open #1). Streamlit has no public way to say so.
    with get_session_state().query_params() as params:
        getattr(params, "_initial_query_params", {}).pop(key, None)


def refuse(problems: list[url_state.Problem]) -> None:
    """Drop each refused parameter from the URL and say which and why (the value as plain text)."""
    for bad in problems:
        _drop_url_param(bad.key)
        shown = f"Ignored {bad.key}={escape_markdown(bad.given)} in the link: {escape_markdown(bad.expected)}"
        st.warning(shown, icon=":material/link_off:")


def url_values() -> dict[str, list[str]]:
    """The URL's query string as {key: [values]} (a key may be repeated)."""
    return {key: st.query_params.get_all(key) for key in st.query_params.keys()}  # noqa: SIM118


def restore(params: Sequence[url_state.Param], widget_keys: Mapping[str, str]) -> dict:
    """Seed the widgets of `params` from the URL, for widgets this session has not drawn yet.

    `widget_keys` maps a URL key to its widget key. Bad values are dropped from the URL and named.
    Returns the values read from the URL.
    """
    values, problems = url_state.decode(url_values(), params)
    refuse(problems)
    for key, value in values.items():
        if widget_keys[key] not in st.session_state:
            st.session_state[widget_keys[key]] = value
    return values


def remember(wanted: Mapping[str, str], managed: Sequence[str]) -> None:
    """Make the URL hold `wanted` ({key: text}) for the keys in `managed`: set what differs, drop the rest."""
    for key in managed:
        if key in wanted:
            if st.query_params.get_all(key) != [wanted[key]]:
                st.query_params[key] = wanted[key]
        elif key in st.query_params:
            del st.query_params[key]


def shared_params() -> dict[str, list[str]]:
    """The sidebar's URL parameters (as_of, country, category) as they stand, to carry to another page."""
    return {key: st.query_params.get_all(key) for key in SHARED_KEYS if key in st.query_params}


def _check_params(
    latest: date, countries: Sequence[str] | None = None, categories: Sequence[str] | None = None
) -> None:
    raw = url_values()
    if countries is None:
        refuse(
            [
                bad
                for bad in (
                    url_state.check_as_of(raw.get("as_of", []), EARLIEST_AS_OF, latest),
                    url_state.check_supplier(raw.get("supplier", [])),
                )
                if bad
            ]
        )
        return
    refuse(
        [
            bad
            for bad in (
                url_state.check_choices("country", raw.get("country", []), countries, "country codes"),
                url_state.check_choices("category", raw.get("category", []), categories, "categories"),
            )
            if bad
        ]
    )


def sidebar() -> View:
    """Draw the shared sidebar and store the resulting View for the pages."""
    url = resolve_url()
    fresh = cached.freshness(url)
    default_as_of = fresh["default_as_of"]
    _check_params(default_as_of + timedelta(days=366))
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
    countries, categories = cached.choices(url, as_of)
    _check_params(default_as_of, countries, categories)
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
