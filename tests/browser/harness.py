"""Moved to devtools.browser (kept so older imports still work)."""

from devtools.browser import *  # noqa: F401,F403
