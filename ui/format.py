"""One way to show each kind of number (catalogue.KINDS) everywhere in the dashboard.

- rate: a percent with one decimal, no space ("96.2%"). A rule's rate is rounded toward failing the rule
  (a minimum rule's rate down, a maximum rule's up: catalogue Entry.rounding), so a shown rate never passes
  a threshold on the 0.1 % grid that the true rate fails; `rate_against` adds decimals when a threshold is
  off that grid. 0.8996 of a 90 % minimum is "89.9%", never "90.0%".
- money: to the dollar with separators in tables ("$49,011,555"), compact with at most three significant
  digits on tiles and axes ("$32.5M", "$640k", "$999"), to the cent in hover and help ("$49,011,555.20").
- count "77,471"; hours "3.4 h"; days "180 days"; a change with its sign ("+12", "−$4.2k", "+1.5 pp").
- a missing value (None, NaN) is "—" everywhere.
Negative numbers use the minus sign "−".
"""

import math
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

import catalogue

NULL = catalogue.MISSING
MINUS = "−"
_ROUNDING = {"down": ROUND_FLOOR, "up": ROUND_CEILING, "nearest": ROUND_HALF_UP}


def missing(value) -> bool:
    """None or NaN."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _sign(value) -> str:
    return MINUS if value < 0 else ""


def _half_up(x: float) -> int:
    """A non-negative float rounded half up, after dropping float noise below 1e-6 (2.675 is 2.675)."""
    return math.floor(round(x, 6) + 0.5)


def money(value, *, cents: bool = False) -> str:
    """USD to the dollar with separators ('$12,345'), or to the cent ('$12,345.67'); '—' for null."""
    if missing(value):
        return NULL
    v = float(value)
    if cents:
        n = _half_up(abs(v) * 100)
        return f"{MINUS if v < 0 and n else ''}${n // 100:,}.{n % 100:02d}"
    n = _half_up(abs(v))
    return f"{MINUS if v < 0 and n else ''}${n:,}"


def money_exact(value) -> str:
    """USD to the cent, for hover and help: '$49,011,555.20'."""
    return money(value, cents=True)


_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"), (1.0, ""))


def _compact(v: float) -> str:
    """A non-negative number with at most 3 significant digits and a suffix: 32.5M, 640k, 999, 1.28M."""
    if v < 1:
        return f"{v:.2g}" if v else "0"
    for i, (size, suffix) in enumerate(_SUFFIXES):
        if v >= size or size == 1.0:
            scaled = v / size
            digits = max(0, 3 - len(str(int(scaled))))
            text = f"{scaled:.{digits}f}"
            if float(text) >= 1000 and i > 0:  # 999,999 rounds to 1000k: say 1M
                size, suffix = _SUFFIXES[i - 1]
                text = f"{v / size:.2f}"
            if "." in text:
                text = text.rstrip("0").rstrip(".")
            return text + suffix
    raise AssertionError(v)  # pragma: no cover


def money_compact(value) -> str:
    """USD with at most three significant digits, for tiles and axes: '$32.5M', '$640k', '$999'."""
    if missing(value):
        return NULL
    return f"{_sign(value)}${_compact(abs(float(value)))}"


money_short = money_compact  # the name used before the catalogue


def number_compact(value) -> str:
    """A count with at most three significant digits: '77.5k'."""
    if missing(value):
        return NULL
    return f"{_sign(value)}{_compact(abs(float(value)))}"


def count(value) -> str:
    """A whole number with thousands separators ('77,471'); '—' for null."""
    if missing(value):
        return NULL
    n = int(round(float(value)))
    return f"{_sign(n)}{abs(n):,}"


def _percent_decimal(value, digits: int, rounding: str) -> Decimal:
    return (Decimal(repr(float(value))) * 100).quantize(Decimal(1).scaleb(-digits), _ROUNDING[rounding])


def percent(value, digits: int = 1, rounding: str = "nearest") -> str:
    """A share 0..1 as '86.0%' ('—' for null); `rounding` is 'nearest' (half up), 'down' or 'up'."""
    if missing(value):
        return NULL
    scale = 10**digits
    scaled = round(float(value) * 100 * scale, 6)  # float noise off: 0.962 × 1000 is 962, not 961.99…
    if rounding == "down":
        n = math.floor(scaled)
    elif rounding == "up":
        n = math.ceil(scaled)
    else:
        n = math.floor(scaled + 0.5)
    sign = MINUS if n < 0 else ""
    n = abs(n)
    return f"{sign}{n // scale:,}.{n % scale:0{digits}d}%" if digits else f"{sign}{n:,}%"


def rate(value, code: str | None = None) -> str:
    """A rate with one decimal, rounded as the catalogue says for `code` (toward failing its rule)."""
    rounding = catalogue.entry(code).rounding if code and catalogue.has(code) else "nearest"
    return percent(value, 1, rounding)


def threshold_percent(threshold: float) -> str:
    """A threshold rate with the fewest decimals (1 to 4) that show it exactly: '90.0%', '92.5%', '92.25%'.

    At least one decimal, like every rate on screen (one format per kind of number)."""
    for digits in range(1, 5):
        if _percent_decimal(threshold, digits, "nearest") == Decimal(repr(float(threshold))) * 100:
            return percent(threshold, digits)
    return percent(threshold, 4)


def rate_against(value, threshold: float, kind: str = "min") -> str:
    """A rate shown beside a threshold: one decimal, more when needed so the shown value tells pass from fail.

    `kind` is the rule's: 'min' passes when value ≥ threshold, 'max' when value ≤ threshold.
    """
    if missing(value):
        return NULL
    rounding = "down" if kind == "min" else "up"
    exact = Decimal(repr(float(threshold))) * 100
    true = Decimal(repr(float(value))) * 100
    passes = true >= exact if kind == "min" else true <= exact
    for digits in range(1, 7):
        shown = _percent_decimal(value, digits, rounding)
        if (shown >= exact if kind == "min" else shown <= exact) == passes:
            return percent(value, digits, rounding)
    return percent(value, 6, rounding)


def hours(value) -> str:
    """Hours as '5.2 h'; '—' for null."""
    return NULL if missing(value) else f"{_sign(value)}{abs(float(value)):,.1f} h"


def days(value) -> str:
    """Whole days as '180 days' ('1 day'); '—' for null."""
    if missing(value):
        return NULL
    n = int(math.floor(round(float(value), 6)))
    return f"{n:,} day" if n == 1 else f"{n:,} days"


def day(value) -> str:
    """A date or timestamp as 'YYYY-MM-DD'; '—' for null."""
    if missing(value):
        return NULL
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:10]


def flag(value) -> str:
    return NULL if missing(value) else ("Yes" if value else "No")


def number(value) -> str:
    return NULL if missing(value) else f"{float(value):,.4g}"


def signed(value, kind: str = "count") -> str:
    """A change with its sign: '+12', '−$4,000', '+1.5 pp', '±0'; kinds count, money, money_compact, pp."""
    if missing(value):
        return NULL
    sign = "+" if value > 0 else (MINUS if value < 0 else "±")
    v = abs(value)
    body = {
        "count": lambda: f"{int(round(v)):,}",
        "money": lambda: money(v),
        "money_compact": lambda: money_compact(v),
        "pp": lambda: f"{v * 100:.1f} pp",
    }[kind]()
    return f"{sign}{body}"


def metric_delta(current, previous, kind: str = "count") -> str | None:
    """st.metric's delta: the signed change with an ASCII minus (st.metric reads '-' to colour it and point the
    arrow down), '0' for no change, None without a value to compare with. Kinds as `signed`."""
    if missing(current) or missing(previous):
        return None
    change = current - previous
    return "0" if change == 0 else signed(change, kind).replace(MINUS, "-")


def word(code, group: str | None = None) -> str:
    """A code from the contract's lists (a badge, a reason, a status) as its label; '—' for null."""
    return NULL if missing(code) else catalogue.label(str(code), group)


def words(codes_text, group: str = "rule", sep: str = ";") -> str:
    """'on_time;claims' → 'On-time shipping, 6 months; Upheld claim rate, 6 months'; '' stays ''."""
    if missing(codes_text):
        return NULL
    return "; ".join(catalogue.label(c, group) for c in str(codes_text).split(sep) if c)


_BY_KIND = {
    "money": money,
    "count": count,
    "hours": hours,
    "days": days,
    "date": day,
    "flag": flag,
    "number": number,
}


def formatter(code: str, *, compact: bool = False, group: str | None = None):
    """The function that shows values of catalogue entry `code` (resolved once: tables call it per cell)."""
    e = catalogue.entry(code, group) if catalogue.has(code, group) else None
    if e is None:
        return lambda value: NULL if missing(value) else str(value)
    if e.kind == "rate":
        return lambda value: percent(value, 1, e.rounding)
    if e.kind == "money" and compact:
        return money_compact
    if e.kind == "code":
        if code == "failed_rules":
            return words
        if code in ("badge", "projected_badge", "badge_after"):
            return lambda value: word(value, "badge")
        if code == "reason":
            return lambda value: word(value, "claim_reason")
        if code == "status":
            return lambda value: word(value)
        return lambda value: NULL if missing(value) else str(value)
    return _BY_KIND.get(e.kind, lambda value: NULL if missing(value) else str(value))


def show(code: str, value, *, compact: bool = False, group: str | None = None) -> str:
    """`value` of the catalogue entry `code` as text for a table or card (compact money for tiles)."""
    return formatter(code, compact=compact, group=group)(value)


# ---- plotly axes: ticks people read (no plotly import: these return layout dicts) -------------------


def nice_step(span: float, ticks: int = 5) -> float:
    """A tick step of 1, 2, 2.5 or 5 × 10^k giving about `ticks` intervals over `span` (> 0)."""
    if not span or span <= 0 or math.isnan(span):
        return 1.0
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * magnitude:
            return m * magnitude
    return 10 * magnitude  # pragma: no cover


def _tick_values(low: float, high: float, ticks: int) -> list[float]:
    low, high = min(low, 0.0), max(high, 0.0)
    if high == low:
        high = low + 1
    step = nice_step(high - low, ticks)
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    return [round(i * step, 10) for i in range(first, last + 1)]


def money_axis(values, ticks: int = 5) -> dict:
    """Axis settings for money: round tick values labelled by money_compact ('$1.28M', '$640k').

    `values` are the plotted numbers (nulls ignored); the axis always includes 0.
    """
    present = [float(v) for v in values if not missing(v)]
    vals = _tick_values(min(present, default=0.0), max(present, default=0.0), ticks)
    return {"tickmode": "array", "tickvals": vals, "ticktext": [money_compact(v) for v in vals]}


def count_axis(values, ticks: int = 5) -> dict:
    """Axis settings for counts: whole round ticks with separators or compact ('77.5k')."""
    present = [float(v) for v in values if not missing(v)]
    high = max(present, default=0.0)
    vals = [v for v in _tick_values(min(present, default=0.0), max(high, 1.0), ticks) if float(v).is_integer()]
    text = [count(v) if abs(v) < 10_000 else number_compact(v) for v in vals]
    return {"tickmode": "array", "tickvals": vals, "ticktext": text}


def percent_axis(values=(), *, low: float | None = None, high: float | None = None) -> dict:
    """Axis settings for a rate 0..1: ticks at round percents (every 5 or 10 points, or finer for a narrow
    range), labels like '90%'. The range covers the values (and low/high when given), snapped to the ticks."""
    present = [float(v) for v in values if not missing(v)]
    lo = min(present + ([low] if low is not None else []), default=0.0)
    hi = max(present + ([high] if high is not None else []), default=1.0)
    if hi - lo < 1e-9:
        lo, hi = lo - 0.05, hi + 0.05
    span = hi - lo
    step = 0.1 if span > 0.4 else 0.05 if span > 0.15 else 0.02 if span > 0.06 else 0.01
    start = math.floor(lo / step + 1e-9) * step
    end = math.ceil(hi / step - 1e-9) * step
    return {
        "tickformat": ".0%",
        "dtick": step,
        "tick0": 0,
        "range": [round(start - step * 0.05, 6), round(end + step * 0.05, 6)],
    }
