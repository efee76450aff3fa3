"""A view's query string as data: read every parameter a page uses, check it, and write back only what differs.

Pure (no Streamlit), so links are tested as strings. A link is input from anyone: `decode` returns the values it
can use and one Problem per value it cannot (unknown option, out of range, given twice…); the page drops those
from the URL and names them. `encode` writes only the values that differ from the defaults, so links stay
short. The what-if of the Policy lab travels as the policy's differences from the current one
(`encode_policy` / `decode_policy`), under the contract's key names and checked by policy.Policy itself.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from policy import Policy, PolicyError

SHOWN = 40  # characters of a refused value echoed back
MAX_ID = 2**53 - 1  # the largest whole number a browser keeps exactly (a number input holds a double)
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
WHOLE = re.compile(r"^[0-9]{1,16}$")
NUMBER = re.compile(r"^[0-9]{1,16}(\.[0-9]{1,8})?$")


@dataclass(frozen=True)
class Problem:
    """A parameter that was not used: its key, the value given (shortened) and what was expected."""

    key: str
    given: str
    expected: str

    @property
    def message(self) -> str:
        return f"Ignored {self.key}={self.given} in the link: {self.expected}"


def problem(key: str, given: Sequence[str], expected: str) -> Problem:
    text = ", ".join(given)
    return Problem(key, text if len(text) <= SHOWN else text[:SHOWN] + "…", expected)


def one_value(key: str, given: Sequence[str], expected: str) -> tuple[str | None, Problem | None]:
    """The single value of `key`; a key given more than once is used for nothing and named."""
    if len(given) > 1:
        return None, problem(key, given, f"{key} is given {len(given)} times, so none is used; {expected}")
    return (given[0], None) if given else (None, None)


@dataclass(frozen=True)
class Param:
    """One URL parameter: `read` turns the text into a value or raises ValueError; `write` does the reverse."""

    key: str
    read: Callable[[str], Any]
    write: Callable[[Any], str]
    default: Any
    expected: str  # what a good value looks like, for the message


def decode(raw: Mapping[str, Sequence[str]], params: Sequence[Param]) -> tuple[dict[str, Any], list[Problem]]:
    """{key: value} for every good parameter in `raw` ({key: [values]}); a Problem for each bad one."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for param in params:
        text, bad = one_value(param.key, raw.get(param.key, ()), param.expected)
        if bad:
            problems.append(bad)
            continue
        if text is None:
            continue
        try:
            values[param.key] = param.read(text)
        except ValueError:
            problems.append(problem(param.key, [text], param.expected))
    return values, problems


def encode(values: Mapping[str, Any], params: Sequence[Param]) -> dict[str, str]:
    """{key: text} of the values that differ from their defaults (missing keys count as defaults)."""
    out = {}
    for param in params:
        value = values.get(param.key, param.default)
        if value != param.default:
            out[param.key] = param.write(value)
    return out


# ---- readers and writers ---------------------------------------------------------------------------------


def text(limit: int) -> Callable[[str], str]:
    def read(value: str) -> str:
        if len(value) > limit or any(ord(ch) < 32 for ch in value):
            raise ValueError(value)
        return value

    return read


def whole(low: int, high: int) -> Callable[[str], int]:
    def read(value: str) -> int:
        if not WHOLE.match(value) or not low <= int(value) <= high:
            raise ValueError(value)
        return int(value)

    return read


def choice(options: Sequence[str]) -> Callable[[str], str]:
    def read(value: str) -> str:
        if value not in options:
            raise ValueError(value)
        return value

    return read


def choices(options: Sequence[str]) -> Callable[[str], list[str]]:
    """Comma-separated options, each once, in the order given."""

    def read(value: str) -> list[str]:
        items = value.split(",") if value else []
        if any(item not in options for item in items) or len(set(items)) != len(items):
            raise ValueError(value)
        return items

    return read


def ids(most: int) -> Callable[[str], list[int]]:
    """Comma-separated supplier ids, at most `most`, each once."""

    def read(value: str) -> list[int]:
        items = value.split(",") if value else []
        if len(items) > most or len(set(items)) != len(items):
            raise ValueError(value)
        return [whole(0, MAX_ID)(item) for item in items]

    return read


def flag(value: str) -> bool:
    if value not in ("true", "false"):
        raise ValueError(value)
    return value == "true"


def joined(values: Sequence) -> str:
    return ",".join(str(v) for v in values)


def lowered(value: bool) -> str:
    return "true" if value else "false"


# ---- the URL parameters every page shares ---------------------------------------------------------------


def check_as_of(given: Sequence[str], earliest: date, latest: date) -> Problem | None:
    """None when `given` (the as_of values) is empty or one date YYYY-MM-DD between earliest and latest."""
    expected = f"expected one date written YYYY-MM-DD between {earliest} and {latest}."
    value, bad = one_value("as_of", given, expected)
    if bad or value is None:
        return bad
    try:
        ok = bool(ISO_DATE.match(value)) and earliest <= date.fromisoformat(value) <= latest
    except ValueError:  # 2024-02-30
        ok = False
    return None if ok else problem("as_of", given, expected)


def check_supplier(given: Sequence[str]) -> Problem | None:
    """None when `given` (the supplier values) is empty or one whole number from 0 to MAX_ID."""
    expected = f"expected one supplier id, a whole number from 0 to {MAX_ID:,} such as 42."
    value, bad = one_value("supplier", given, expected)
    if bad or value is None:
        return bad
    try:
        whole(0, MAX_ID)(value)
    except ValueError:
        return problem("supplier", given, expected)
    return None


def check_choices(key: str, given: Sequence[str], options: Sequence[str], what: str) -> Problem | None:
    """None when every value of a repeated-key list (country, category) is one of `options`."""
    if all(value in options for value in given):
        return None
    return problem(key, given, f"expected {what} found in this warehouse.")


# ---- a policy as its differences from another ------------------------------------------------------------

POLICY_KEYS = tuple(f.name for f in fields(Policy))
LOOSE = Policy(amount_floor_usd=0.0, amount_cap_usd=1e12)  # a base on which a floor or a cap alone is in range


def policy_value_text(value: Any) -> str:
    """A policy value as it goes in a URL: 4, 0.91, 10000.5, CN,VN (an empty text: no open country)."""
    if isinstance(value, (tuple, list)):
        return ",".join(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".10g")
    return str(value)


def encode_policy(candidate: Policy, base: Policy) -> dict[str, str]:
    """{policy key: text} for every key where `candidate` differs from `base`, in the contract's order."""
    return {
        key: policy_value_text(getattr(candidate, key))
        for key in POLICY_KEYS
        if getattr(candidate, key) != getattr(base, key)
    }


def _policy_value(key: str, value: str) -> Any:
    if key == "open_countries":
        return value.split(",") if value else []
    if not NUMBER.match(value):
        raise PolicyError(key, f"expected a number written like 4 or 0.91, got {value[:SHOWN]!r}")
    number = float(value)
    return int(number) if number.is_integer() and "." not in value else number


def decode_policy(raw: Mapping[str, Sequence[str]], base: Policy) -> tuple[Policy, list[Problem]]:
    """`base` with the policy keys found in `raw` applied; every refused key is a Problem naming it.

    Each value is checked by Policy itself (the same rules and messages as a policy file); a value that
    breaks a rule across keys (a floor above the cap) is refused by the key Policy names.
    """
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for key in POLICY_KEYS:
        value, bad = one_value(key, raw.get(key, ()), "give each policy setting once.")
        if bad:
            problems.append(bad)
        elif value is not None:
            try:
                values[key] = _policy_value(key, value)
                Policy.from_mapping({key: values[key]}, base=LOOSE)  # the key's own type and range
            except PolicyError as exc:
                values.pop(key, None)
                problems.append(problem(key, [value], _reason(exc)))
    while True:
        try:
            return Policy.from_mapping(values, base=base), problems
        except PolicyError as exc:  # a rule across keys (floor ≤ cap) or a key Policy checks only as a whole
            key = exc.key if exc.key in values else next(iter(values))
            problems.append(problem(key, [policy_value_text(values.pop(key))], _reason(exc)))


def _reason(exc: PolicyError) -> str:
    text = str(exc)
    prefix = f"{exc.key}: "
    return (text[len(prefix) :] if text.startswith(prefix) else text).rstrip(".") + "."
