"""The person using this session and their role: OIDC sign-in through st.login, or the local demo mode.

Sign-in is on when .streamlit/secrets.toml has an [auth] section; the role then comes from the role map
(auth.roles). Without it the app runs in a labelled local demo mode where everyone has TRUST_DEMO_ROLE
(default admin). Every page calls require_page() and every write calls auth.require(): default deny.
"""

from dataclasses import dataclass

import streamlit as st

from auth.roles import RoleMap, can_see, check_role, load_role_map, roles_file
from warehouse import settings

DEMO_BANNER = (
    "Local demo mode — no sign-in configured; everyone is {role}. It answers on this computer only: to share it, "
    "configure [auth] sign-in first (README, Sign-in), then list the public host name in server.allowedHosts."
)


@dataclass(frozen=True)
class User:
    """Who is using the session: e-mail (None in demo mode or before sign-in), role (None = no access)."""

    email: str | None
    role: str | None
    demo: bool
    signed_in: bool

    @property
    def label(self) -> str:
        """How the audit trail names this person."""
        return self.email or "local demo"


def auth_configured() -> bool:
    """Whether .streamlit/secrets.toml configures OIDC sign-in (an [auth] section)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises rather than answer False
        return False


@st.cache_resource(ttl="1m", max_entries=4, show_spinner=False)
def _role_map(path: str, mtime: float) -> RoleMap:
    """The role map, re-read when the file changes (errors are raised, never cached)."""
    return load_role_map(path)


def role_map() -> RoleMap:
    """The current role map; RoleConfigError naming the file and entry when it cannot be used."""
    path = roles_file()
    try:
        mtime = path.stat().st_mtime
    except OSError:
        mtime = -1.0
    return _role_map(str(path), mtime)


def current_user() -> User:
    """The session's user, worked out on the server on every call (never trusted from session state).

    Raises RoleConfigError when TRUST_DEMO_ROLE or the role map is invalid.
    """
    if not auth_configured():
        role = check_role(settings.demo_role(), "TRUST_DEMO_ROLE")
        return User(email=None, role=role, demo=True, signed_in=False)
    if not st.user.get("is_logged_in"):
        return User(email=None, role=None, demo=False, signed_in=False)
    email = st.user.get("email")
    email = email.strip().lower() if isinstance(email, str) else None
    if st.user.get("email_verified") is False:  # an unverified address proves nothing: it gets no role
        email = None
    return User(email=email, role=role_map().role_for(email), demo=False, signed_in=True)


def require_page(page: str) -> User:
    """The user, when their role may open `page`; otherwise a message and the run stops."""
    user = current_user()
    if not can_see(user.role, page):
        st.error("Your role does not give access to this page. Ask an admin if you need it.")
        st.stop()
    return user
