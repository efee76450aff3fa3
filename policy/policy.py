"""The qualification policy: an immutable, validated value (PRODUCT.md defaults)."""

import json
import math
import re
from dataclasses import asdict, dataclass, fields, replace
from decimal import Decimal
from pathlib import Path
from typing import Any


class PolicyError(ValueError):
    """A policy value that is unknown, of the wrong type or out of range; names the key."""

    def __init__(self, key: str, message: str):
        super().__init__(f"{key}: {message}")
        self.key = key


COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
MAX_USD = 1e12
MAX_HOURS = 1e6
MAX_DAYS = 36_500
MAX_ORDERS = 1_000_000_000
MAX_MULTIPLIER = 100
MAX_GRACE_ASSESSMENTS = 24
MAX_POLICY_BYTES = 100_000


def _shown(key) -> str:
    """A key as it may be echoed in a message: at most 60 characters."""
    text = str(key)
    return text if len(text) <= 60 else text[:60] + "…"


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json object hook: a key given twice is an error naming it (which value would win is a guess)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise PolicyError(_shown(key), "given twice in the policy; keep one")
        out[key] = value
    return out


@dataclass(frozen=True)
class Policy:
    """Who qualifies and for how much. Build with `Policy.from_mapping` to validate input."""

    open_countries: tuple[str, ...] = ("CN",)
    min_account_age_days: int = 180
    min_orders_6m: int = 3
    min_gmv_6m_usd: float = 10_000.0
    min_on_time_rate: float = 0.90
    max_claim_rate: float = 0.05
    min_response_rate: float = 0.70
    max_median_response_hours: float = 24.0
    amount_multiplier: float = 0.5
    amount_floor_usd: float = 5_000.0
    amount_cap_usd: float = 1_000_000.0
    # An extension of PRODUCT.md's policy keys: a supplier that stops passing keeps the badge for this many
    # monthly assessments after it last qualified. evaluate() at one as-of date ignores it; it applies to a
    # sequence of monthly assessments (policy.backtest.badge_sequence).
    grace_assessments: int = 0

    def __post_init__(self):
        _validate(self)

    @classmethod
    def from_mapping(cls, values: Any, base: "Policy | None" = None) -> "Policy":
        """A Policy from a JSON-like mapping; keys left out keep `base` (default: PRODUCT.md)."""
        if not isinstance(values, dict):
            raise PolicyError("policy", f"expected a JSON object, got {_type_name(values)}")
        known = {f.name for f in fields(cls)}
        for key in values:
            if key not in known:
                raise PolicyError(_shown(key), f"unknown key; expected one of {', '.join(sorted(known))}")
        clean = {key: _coerce(key, value) for key, value in values.items()}
        return replace(base or cls(), **clean)

    @classmethod
    def from_json(cls, text: str, source: str = "policy") -> "Policy":
        try:
            values = json.loads(text, object_pairs_hook=_refuse_duplicates)
        except RecursionError:
            raise PolicyError(source, "not a policy (nested too deeply)")
        except json.JSONDecodeError as exc:
            raise PolicyError(source, f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})")
        except PolicyError:  # a duplicate key (_refuse_duplicates)
            raise
        except ValueError:  # an integer literal beyond Python's digit limit
            raise PolicyError(source, "not valid JSON (a number with too many digits)")
        return cls.from_mapping(values)

    @classmethod
    def from_file(cls, path: str | Path) -> "Policy":
        path = Path(path)
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_POLICY_BYTES + 1)
        except OSError as exc:
            raise PolicyError(str(path), f"cannot read the policy file ({exc.strerror})")
        if len(data) > MAX_POLICY_BYTES:
            raise PolicyError(
                str(path), f"the policy file is over {MAX_POLICY_BYTES // 1000} kB; a policy is a few lines"
            )
        try:
            text = data.decode("utf-8-sig")  # a UTF-8 byte-order mark, as editors on Windows write, is fine
        except UnicodeDecodeError:
            raise PolicyError(str(path), "the policy file is not UTF-8 text")
        return cls.from_json(text, source=str(path))

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["open_countries"] = list(self.open_countries)
        return values

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    def opens(self, country_code: str) -> bool:
        return "*" in self.open_countries or country_code in self.open_countries


INT_KEYS = {"min_account_age_days": MAX_DAYS, "min_orders_6m": MAX_ORDERS, "grace_assessments": MAX_GRACE_ASSESSMENTS}
RATE_KEYS = ("min_on_time_rate", "max_claim_rate", "min_response_rate")
USD_KEYS = ("min_gmv_6m_usd", "amount_floor_usd", "amount_cap_usd")


def _type_name(value: Any) -> str:
    return {bool: "true/false", str: "a string", list: "a list", dict: "an object", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _coerce(key: str, value: Any) -> Any:
    """Check a raw JSON value's type for `key` and turn it into the field's Python type."""
    if key == "open_countries":
        if not isinstance(value, (list, tuple)):
            raise PolicyError(key, f"expected a list of country codes, got {_type_name(value)}")
        codes = []
        for item in value:
            if not isinstance(item, str) or not (item == "*" or COUNTRY_CODE.match(item)):
                raise PolicyError(key, f"expected two capital letters (ISO 3166-1 alpha-2) or '*', got {item!r}")
            codes.append(item)
        return tuple(sorted(set(codes)))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PolicyError(key, f"expected a number, got {_type_name(value)}")
    if key in INT_KEYS:
        if isinstance(value, float):
            if not value.is_integer():
                raise PolicyError(key, f"expected a whole number, got {value!r}")
            value = int(value)
        return value
    try:
        return float(value)
    except OverflowError:  # a JSON integer too large for a double
        raise PolicyError(key, "expected a finite number, got a whole number too large for it")


def _validate(policy: Policy) -> None:
    if not isinstance(policy.open_countries, tuple):
        raise PolicyError("open_countries", "expected a tuple of country codes")
    for code in policy.open_countries:
        if not isinstance(code, str) or not (code == "*" or COUNTRY_CODE.match(code)):
            raise PolicyError("open_countries", f"expected two capital letters or '*', got {code!r}")
    for key, top in INT_KEYS.items():
        value = getattr(policy, key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise PolicyError(key, f"expected a whole number, got {value!r}")
        if not 0 <= value <= top:
            raise PolicyError(key, f"expected a whole number from 0 to {top:,}, got {value:,}")
    for key in (*RATE_KEYS, *USD_KEYS, "max_median_response_hours", "amount_multiplier"):
        value = getattr(policy, key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise PolicyError(key, f"expected a finite number, got {value!r}")
    for key in RATE_KEYS:
        value = getattr(policy, key)
        if not 0 <= value <= 1:
            raise PolicyError(key, f"expected a rate between 0 and 1, got {value!r}")
    for key in USD_KEYS:
        value = getattr(policy, key)
        if not 0 <= value <= MAX_USD:
            raise PolicyError(key, f"expected an amount from 0 to {MAX_USD:,.0f} USD, got {value!r}")
        if Decimal(repr(float(value))) != Decimal(repr(float(value))).quantize(Decimal("0.01")):
            raise PolicyError(key, f"expected whole cents (at most two decimals), got {value!r}")
    if not 0 <= policy.max_median_response_hours <= MAX_HOURS:
        raise PolicyError(
            "max_median_response_hours",
            f"expected hours from 0 to {MAX_HOURS:,.0f}, got {policy.max_median_response_hours!r}",
        )
    if not 0 <= policy.amount_multiplier <= MAX_MULTIPLIER:
        raise PolicyError(
            "amount_multiplier", f"expected a multiplier from 0 to {MAX_MULTIPLIER}, got {policy.amount_multiplier!r}"
        )
    if -Decimal(repr(float(policy.amount_multiplier))).as_tuple().exponent > 4:
        raise PolicyError("amount_multiplier", f"expected at most four decimals, got {policy.amount_multiplier!r}")
    if policy.amount_floor_usd > policy.amount_cap_usd:
        raise PolicyError(
            "amount_floor_usd",
            f"the floor ({policy.amount_floor_usd:,.2f}) must not exceed the cap ({policy.amount_cap_usd:,.2f})",
        )


DEFAULT_POLICY = Policy()
