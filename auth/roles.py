"""Roles and what each may do: the role map file and the permission table (pure Python, no Streamlit).

The role map is a TOML file (path in $TRUST_ROLES_FILE, else config/roles.toml) with one table:

    [roles]
    "ana@example.com" = "policy_owner"   # one person
    "@example.com" = "category_manager"  # everyone at a domain

An exact address wins over its domain. Everything not granted here is denied.
"""

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from warehouse import settings

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ROLES_FILE = REPO / "config" / "roles.toml"

ROLES = ("category_manager", "executive", "policy_owner", "admin")
# Page ids are the file names under app_pages/ without .py.
PAGES = ("overview", "suppliers", "uptake", "policy_lab", "assessments", "audit")
PAGE_ACCESS = {
    "category_manager": frozenset({"overview", "suppliers", "assessments"}),
    "executive": frozenset({"overview", "uptake", "assessments"}),
    "policy_owner": frozenset({"overview", "policy_lab", "uptake", "assessments", "audit"}),
    "admin": frozenset(PAGES),
}
ACTIONS = {
    "save_policy": frozenset({"policy_owner", "admin"}),
    "mark_current": frozenset({"policy_owner", "admin"}),
    # Assessments take effect on storefronts: only policy owners and admins run, supersede or publish them.
    "assess": frozenset({"policy_owner", "admin"}),
    "supersede": frozenset({"policy_owner", "admin"}),
    "publish": frozenset({"policy_owner", "admin"}),
}

_EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_DOMAIN = re.compile(r"^@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


class RoleConfigError(ValueError):
    """The role map file cannot be used; the message names the file and the entry."""


class PermissionDenied(PermissionError):
    """A role tried to see a page or take an action it is not granted."""


def can_see(role: str | None, page: str) -> bool:
    """Whether `role` may open the page `page` (default deny: unknown roles and pages see nothing)."""
    return page in PAGE_ACCESS.get(role or "", frozenset())


def can(role: str | None, action: str) -> bool:
    """Whether `role` may take `action` (save_policy, mark_current, assess, supersede, publish); default deny."""
    return (role or "") in ACTIONS.get(action, frozenset())


def require(role: str | None, action: str) -> None:
    """Raise PermissionDenied unless `role` may take `action`."""
    if not can(role, action):
        raise PermissionDenied(f"Your role ({role or 'none'}) may not {action.replace('_', ' ')}.")


@dataclass(frozen=True)
class RoleMap:
    """E-mail addresses and domains ("@example.com") → role, both keyed in lower case."""

    addresses: dict[str, str] = field(default_factory=dict)
    domains: dict[str, str] = field(default_factory=dict)

    def role_for(self, email: str | None) -> str | None:
        """The role of `email`: its exact entry, else its domain's, else None (no access)."""
        if not email or "@" not in email:
            return None
        email = email.strip().lower()
        return self.addresses.get(email) or self.domains.get("@" + email.rsplit("@", 1)[1])


def roles_file() -> Path:
    """The role map path: $TRUST_ROLES_FILE, else config/roles.toml."""
    return settings.roles_file()


def check_role(role, where: str) -> str:
    """`role` if it is one of ROLES, else RoleConfigError naming `where`."""
    if role not in ROLES:
        raise RoleConfigError(f"{where}: unknown role {role!r}; expected one of {', '.join(ROLES)}.")
    return role


def parse_role_map(text: str, source: str = "roles file") -> RoleMap:
    """A RoleMap from TOML text; RoleConfigError naming `source` and the bad entry."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RoleConfigError(f"{source}: not valid TOML ({exc}).") from None
    unknown = sorted(set(data) - {"roles"})
    if unknown:
        raise RoleConfigError(f"{source}: unknown section or key {unknown[0]!r}; only [roles] is read.")
    entries = data.get("roles")
    if not isinstance(entries, dict):
        raise RoleConfigError(f'{source}: expected a [roles] table of "address or @domain" = "role".')
    addresses, domains = {}, {}
    for key, role in entries.items():
        where = f"{source}: entry {key!r}"
        if not isinstance(role, str):
            raise RoleConfigError(f"{where}: the role must be text, one of {', '.join(ROLES)}.")
        check_role(role, where)
        name = key.strip().lower()
        if name in addresses or name in domains:  # "Pia@example.com " and "pia@example.com" are one person
            raise RoleConfigError(f"{where}: the same address or domain is listed twice (case and spaces ignored).")
        if _DOMAIN.match(name):
            domains[name] = role
        elif _EMAIL.match(name):
            addresses[name] = role
        else:
            raise RoleConfigError(f"{where}: expected an e-mail address (ana@example.com) or a domain (@example.com).")
    return RoleMap(addresses, domains)


def load_role_map(path: Path | str | None = None) -> RoleMap:
    """The RoleMap in `path` (default roles_file()); RoleConfigError when missing or invalid."""
    path = Path(path) if path else roles_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RoleConfigError(
            f"No role map at {path.name}: copy config/roles.example.toml to config/roles.toml "
            "(or set TRUST_ROLES_FILE) and list who may sign in."
        ) from None
    except IsADirectoryError:
        raise RoleConfigError(f"The role map {path.name} is a folder: TRUST_ROLES_FILE must name a file.") from None
    except UnicodeDecodeError:
        raise RoleConfigError(f"The role map {path.name} is not UTF-8 text: save it as UTF-8.") from None
    except OSError as exc:
        raise RoleConfigError(f"The role map {path.name} could not be read ({exc.strerror}).") from None
    return parse_role_map(text, source=path.name)
