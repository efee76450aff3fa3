"""Moved to devtools.sparkserver (kept so older imports still work)."""

from devtools.sparkserver import *  # noqa: F401,F403
