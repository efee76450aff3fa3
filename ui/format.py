"""One way to show money, counts, percentages and hours everywhere in the dashboard."""

import math

NULL = "—"


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def money(value, *, cents: bool = False) -> str:
    """USD: '$12,345' (or '$12,345.67' with cents); '—' for null."""
    if _missing(value):
        return NULL
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}" if cents else f"{sign}${abs(value):,.0f}"


def money_short(value) -> str:
    """Compact USD for tiles: '$1.2M', '$830K', '$950'."""
    if _missing(value):
        return NULL
    sign = "-" if value < 0 else ""
    v = abs(value)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if v >= size:
            return f"{sign}${v / size:,.1f}{suffix}"
    return f"{sign}${v:,.0f}"


def count(value) -> str:
    """A whole number with thousands separators; '—' for null."""
    return NULL if _missing(value) else f"{int(value):,}"


def percent(value, digits: int = 1) -> str:
    """A rate 0..1 as '86.0%'; '—' for null."""
    return NULL if _missing(value) else f"{value * 100:.{digits}f}%"


def hours(value) -> str:
    """Hours as '5.2 h'; '—' for null."""
    return NULL if _missing(value) else f"{value:,.1f} h"


def signed(value, kind: str = "count") -> str:
    """A change with its sign: '+12', '−$4,000', '+1.5 pp'."""
    if _missing(value):
        return NULL
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    v = abs(value)
    body = {"count": f"{int(v):,}", "money": f"${v:,.0f}", "pp": f"{v * 100:.1f} pp"}[kind]
    return f"{sign}{body}"
