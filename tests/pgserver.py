"""Moved to devtools.pgserver (kept so older imports still work)."""

from devtools.pgserver import *  # noqa: F401,F403
