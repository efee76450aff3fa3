"""Trade Assurance trust dashboard: the router ("picture frame"), sign-in and the shared sidebar.

The navigation holds only the pages the user's role may see (auth.roles); each page checks again.
"""

import logging

import streamlit as st

from app_pages.sections.context import sidebar
from auth.roles import RoleConfigError, can_see
from auth.session import DEMO_BANNER, User, current_user
from data.generate import ensure_demo_warehouse
from store.policies import AppDatabaseError
from warehouse.connection import DEFAULT_URL, WarehouseError, resolve_url

st.set_page_config(page_title="Trade Assurance trust", page_icon="🛡️", layout="wide")

PAGES = (  # page id (auth.roles.PAGES), file, title, icon
    ("overview", "app_pages/overview.py", "Overview", "🏠"),
    ("suppliers", "app_pages/suppliers.py", "Supplier vetting", "🔎"),
    ("uptake", "app_pages/uptake.py", "Program uptake", "📈"),
    ("policy_lab", "app_pages/policy_lab.py", "Policy lab", "🧪"),
    ("assessments", "app_pages/assessments.py", "Assessments", ":material/verified:"),
    ("audit", "app_pages/audit.py", "Audit", "📜"),
)
UNREACHABLE = "The warehouse could not be reached or queried. Check that it is running, then reload the page."


@st.cache_resource(show_spinner="Generating the demo warehouse (first start only, about 10 s)…")
def _demo_warehouse_ready() -> bool:
    """Generate the seeded demo warehouse once per server when the embedded default has none."""
    return ensure_demo_warehouse()


def _sign_in() -> None:
    st.title("Trade Assurance trust")
    st.write("Sign in with your company account to see the dashboard.")
    st.button("Sign in", on_click=st.login, key="sign_in", type="primary")


def _no_access(user: User):
    def page() -> None:
        st.title("Trade Assurance trust")
        st.warning(
            f"You are signed in as {user.email or 'an account without an e-mail address'}, which has no role "
            "in this dashboard, so it shows no data. Ask an admin to add you to the role map."
        )
        st.button("Sign out", on_click=st.logout, key="sign_out")

    return page


def _stop_with(page, title: str) -> None:
    """Route every URL to one page that shows no data, then stop."""
    st.navigation([st.Page(page, title=title, default=True)], position="hidden").run()
    st.stop()


try:
    user = current_user()
except RoleConfigError as exc:
    st.error(f"Access is not configured correctly — {exc}")
    st.stop()
if not user.demo and not user.signed_in:
    _stop_with(_sign_in, "Sign in")
if user.role is None:
    _stop_with(_no_access(user), "No access")

if resolve_url() == DEFAULT_URL:
    _demo_warehouse_ready()

pages = st.navigation(
    [
        st.Page(path, title=title, icon=icon, default=page_id == "overview")
        for page_id, path, title, icon in PAGES
        if can_see(user.role, page_id)
    ]
)
if user.demo:
    st.warning(DEMO_BANNER.format(role=user.role), icon="🔓")
else:
    st.sidebar.caption(f"Signed in as {user.email} · {user.role.replace('_', ' ')}")
    st.sidebar.button("Sign out", on_click=st.logout, key="sign_out")
try:
    sidebar()
except (WarehouseError, AppDatabaseError) as exc:  # each names itself: the warehouse or the app database
    st.error(str(exc))
    st.stop()
except Exception:  # the driver's message may hold SQL or a connection string: never show it
    logging.getLogger("trust.app").exception("the sidebar failed")  # the details go to the server log only
    st.error(UNREACHABLE)
    st.stop()
try:
    pages.run()
except (WarehouseError, AppDatabaseError) as exc:  # failed or timed out mid-page: a message that names which
    st.error(str(exc))
