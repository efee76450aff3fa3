"""Who may see what: the role map (e-mail or domain → role), the permission table, the signed-in user."""

from auth.roles import (
    ACTIONS,
    PAGES,
    ROLES,
    PermissionDenied,
    RoleConfigError,
    RoleMap,
    can,
    can_see,
    load_role_map,
    require,
)

__all__ = [
    "ACTIONS",
    "PAGES",
    "ROLES",
    "PermissionDenied",
    "RoleConfigError",
    "RoleMap",
    "can",
    "can_see",
    "load_role_map",
    "require",
]
