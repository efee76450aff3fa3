"""The Policy lab's what-if at slider speed: one features frame, one baseline policy, many candidates.

`WhatIfEngine(features, base)` turns the frame once into numpy arrays (country and category codes, gmv in
cents, each rule's feature as float64 with nulls already turned into a pass or a fail) and evaluates
`base` once. When a candidate keeps the base's open countries (a threshold or Amount slider moved),
`step(candidate)` finds the suppliers whose rule bits flip from each moved rule's values, sorted once per
rule: a binary search per threshold and work in proportion to the suppliers between the two thresholds,
never a pass over the whole frame. Otherwise it combines per-rule fail bits cached by (rule, threshold).
Either way the rest follows from the baseline and the few suppliers who gain or lose the badge. Its
`Step` answers like `policy.diff`, with the same numbers: the badge follows policy.rules' expressions
exactly (reused where they can be), the Trade Assurance Amount is `rules.amount_expr`'s integer
arithmetic, and totals are sums of whole dollars (equal to polars' float sums, which are exact below
2**53 USD). Full verdict frames, and the change by country and by category, are built only when asked for.

The money of a policy (PRODUCT.md's "Derived figures", policy.derived): beside the Amount, the holders'
covered_exposure_usd and expected_refunds_6m_usd, in total and by country and category, worked out the
same way (the baseline's holders under the candidate's Amount terms, plus gainers, less losers); those two
are float sums, equal to a per-supplier sum to rounding.
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass, field, fields
from decimal import Decimal
from fractions import Fraction
from functools import cached_property

import numpy as np
import polars as pl

from policy.derived import covered_exposure, expected_refunds
from policy.policy import Policy
from policy.rules import BADGE, BADGES, RULES, cents, gate_expr

_ALL_OPEN = Policy(open_countries=("*",))  # its gate is 2 exactly where rules.gate_expr sees an enrolled supplier
_NOT_QUALIFIED = BADGES.index("not_qualified")
_BADGE_BY_CODE = pl.Series("badge", BADGES, dtype=BADGE)
_MASKS = 1 << len(RULES)
_CACHED_OPEN = 4  # open-country sets remembered (each a few bytes per supplier)
_INELIGIBLE = np.uint8(1 << len(RULES))  # the mask bit of a supplier not enrolled in an open country
_ALL_MASKS = np.arange(256, dtype=np.uint8)


def _joined(parts: list[np.ndarray], dtype) -> np.ndarray:
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.empty(0, dtype)


def _codes(column: pl.Series) -> tuple[np.ndarray, pl.Series]:
    """(code per row, distinct values): code i is the i-th distinct value in sorted order, null last."""
    values = column.unique().sort(nulls_last=True)
    coded = column.to_frame("value").join(
        values.to_frame("value").with_row_index("code"), on="value", how="left", nulls_equal=True, maintain_order="left"
    )
    return coded["code"].cast(pl.Int32).to_numpy(), values


def _null_fill(rule) -> float:
    """The value a null takes so that the plain comparison in WhatIfEngine._bits gives the rule's verdict on a null."""
    return float("inf") if (rule.kind == "min") == (rule.null_passes is True) else float("-inf")


def amounts_usd(gmv_cents: np.ndarray, policy: Policy) -> np.ndarray:
    """Trade Assurance Amount in whole USD (int64) for these gmv values in cents: rules.amount_expr in numpy."""
    ratio = Fraction(Decimal(repr(float(policy.amount_multiplier))))
    p, q = ratio.numerator, ratio.denominator
    cap, floor = cents(policy.amount_cap_usd) * q, cents(policy.amount_floor_usd) * q
    if p == 0:
        product = np.zeros(len(gmv_cents), dtype=np.int64)
    else:  # clipped as in amount_expr: exact in int64, and min(cap, ·) is unchanged
        product = np.minimum(gmv_cents, -(-cap // p)) * p
    return np.minimum(np.maximum(product, floor), cap) // (q * 10_000) * 100


def _amount_terms(policy: Policy) -> tuple[float, float, float]:
    return policy.amount_multiplier, policy.amount_floor_usd, policy.amount_cap_usd


class _Verdict:
    """One policy over the frame as arrays; the qualified rows and their amounts are found on first use."""

    def __init__(
        self,
        engine: "WhatIfEngine",
        policy: Policy,
        gate: np.ndarray,
        mask: np.ndarray | None = None,
        patch: list[tuple[np.ndarray, np.ndarray]] | None = None,
    ):
        self.engine, self.policy = engine, policy
        self.gate = gate  # uint8 per row: 0 not enrolled, 1 closed region, 2 open region (rules.gate_expr)
        if mask is not None:
            self.mask = mask
        self._patch = patch  # [(rows, masks)]: the baseline's mask but at these rows

    @cached_property
    def mask(self) -> np.ndarray:
        """uint8 per row, padded to an even length: _INELIGIBLE alone for a supplier not enrolled in an open
        country, else bit i set when RULES[i] fails. Qualified: 0."""
        mask = self.engine.baseline.mask.copy()
        for rows, masks in self._patch:
            mask[rows] = masks
        return mask

    @cached_property
    def qualified(self) -> np.ndarray:
        """bool per row."""
        return np.equal(self.mask[: len(self.gate)], 0)

    @cached_property
    def rows(self) -> np.ndarray:
        """Positions of the qualified rows, ascending."""
        return np.flatnonzero(self.qualified)

    @cached_property
    def amounts(self) -> np.ndarray:
        """Whole USD of each qualified row, aligned with `rows`."""
        return amounts_usd(self.engine._gmv_cents[self.rows], self.policy)

    def codes_at(self, rows: np.ndarray) -> np.ndarray:
        """Badge codes (positions in BADGES) of these rows."""
        return self.gate[rows] + self.qualified[rows].view(np.uint8)

    def failed_at(self, rows: np.ndarray) -> np.ndarray:
        """failed_mask of these rows: the mask where the badge is not_qualified, else 0."""
        return np.where(self.codes_at(rows) == _NOT_QUALIFIED, self.mask[rows], 0).astype(np.uint8)

    def amounts_at(self, rows: np.ndarray) -> np.ndarray:
        """ta_amount_usd of these rows (0 where not qualified), float64."""
        out = np.zeros(len(rows), dtype=np.float64)
        if len(self.rows):
            at = np.minimum(np.searchsorted(self.rows, rows), len(self.rows) - 1)
            hit = self.rows[at] == rows
            out[hit] = self.amounts[at[hit]]
        return out

    def frame(self) -> pl.DataFrame:
        """verdict(features, policy): supplier_id, badge, failed_mask, ta_amount_usd."""
        every = np.arange(len(self.gate))
        amount = np.zeros(len(self.gate), dtype=np.float64)
        amount[self.rows] = self.amounts
        return pl.DataFrame(
            {
                "supplier_id": self.engine.features["supplier_id"],
                "badge": _BADGE_BY_CODE.gather(self.codes_at(every)),
                "failed_mask": pl.Series(self.failed_at(every), dtype=pl.UInt8),
                "ta_amount_usd": amount,
            }
        )


class WhatIfEngine:
    """The what-if of one baseline policy against any candidate, over one features frame.

    `features` is queries.scorecard.fetch_features' frame (or some of its rows); it is held, not copied,
    so a caller can recognise it by identity. open_exposure_usd and refunds_12m_usd are read as 0 when the
    frame has no such column. Memory: about 140 bytes per supplier (mostly the seven rule features, two
    money columns and the base's Amount, covered exposure, expected refunds and group code as float64), plus
    1 byte per supplier for each cached (rule, threshold), `cached_rules` at most, 17 bytes per eligible
    supplier for each rule whose threshold has moved (its sorted values, rows and base masks) and 8 more for
    each pair of rules that have moved together.
    """

    def __init__(self, features: pl.DataFrame, base: Policy, *, cached_rules: int = 32):
        self.features = features
        self.base = base
        self._lock = threading.Lock()
        self._cached_rules = max(cached_rules, len(RULES))
        self._rule_bits: OrderedDict[tuple[int, float], np.ndarray] = OrderedDict()
        self._open_cache: OrderedDict[tuple[str, ...], tuple[np.ndarray, np.ndarray, np.ndarray]] = OrderedDict()
        self._amount_cache: OrderedDict[tuple[float, float, float], _Money] = OrderedDict()
        n = features.height
        self._padded = n + n % 2  # masks are counted two bytes at a time (see _failed_counts)
        columns = features.select(
            (gate_expr(_ALL_OPEN) == 2).alias("enrolled"),
            # amount_expr's own expression (so it raises where evaluate raises: a NaN or infinite gmv).
            (pl.col("gmv_6m_usd") * 100).round().cast(pl.Int64).fill_null(0).alias("gmv_cents"),
            *(pl.col(rule.feature).cast(pl.Float64).fill_null(_null_fill(rule)).alias(rule.name) for rule in RULES),
        )
        self._enrolled = columns["enrolled"].to_numpy()
        self._gmv_cents = columns["gmv_cents"].to_numpy()
        self._values = [np.ascontiguousarray(columns[rule.name].to_numpy()) for rule in RULES]
        # Open exposure and refunds side by side (n × 2): a gainer's or loser's pair is one gather, one cache line
        # (np.take along axis 0: several times faster than indexing a 2-D array with a list of rows).
        self._cash = np.zeros((n, 2))
        for j, name in enumerate(("open_exposure_usd", "refunds_12m_usd")):
            if name in features.columns:
                self._cash[:, j] = features[name].cast(pl.Float64).fill_null(0.0).to_numpy()
        self._country, self.countries = _codes(features["country_code"])
        category, self.categories = _codes(features["category"])
        self._group = self._country * np.int32(self.categories.len()) + category
        self._groups = self.countries.len() * self.categories.len()

        before = self._verdict(base)
        self.baseline = before
        # Each rule's values over the suppliers eligible under the base (the only ones whose rule bits count
        # while the open countries stay), sorted, with their rows: built for a rule when its threshold first moves.
        self._eligible = np.flatnonzero(before.gate == 2)
        self._sorted_rules: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        # Per row, as a holder under the base's Amount terms: Trade Assurance Amount (whole USD), covered
        # exposure, expected refunds (6 months), and the row's (country, category) group code, side by side
        # (n × 4): a gainer's or loser's four figures are one gather, one cache line.
        self._base_terms = _amount_terms(base)
        base_amounts = amounts_usd(self._gmv_cents, base).astype(np.float64)
        self._row_pack = np.column_stack(
            (
                base_amounts,
                covered_exposure(base_amounts, self._cash[:, 0]),
                expected_refunds(base_amounts, self._cash[:, 1]),
                self._group,  # exact as float64
            )
        )
        # Each pair of moved rules (i, j): rule j's values in rule i's sorted order (see _sparse).
        self._paired: dict[tuple[int, int], np.ndarray] = {}
        self._before_gmv_cents = self._gmv_cents[before.rows]
        self._before_group = self._group[before.rows]
        self._before_groups = np.bincount(self._before_group, minlength=self._groups)
        self._before_failed = self._failed_counts(before)
        self._before_cash = np.take(self._cash, before.rows, axis=0)
        self._before_money = self._money_of_baseline_rows(base)

    # ---- cached pieces ------------------------------------------------------------------------------

    def _bits(self, i: int, threshold: float) -> np.ndarray:
        """uint8 per row: 1 << i where RULES[i] fails at `threshold`, else 0."""
        key = (i, float(threshold))
        bits = self._rule_bits.get(key)
        if bits is not None:
            self._rule_bits.move_to_end(key)
            return bits
        rule, values = RULES[i], self._values[i]
        # margin ≥ 0 in polars is value ≥ threshold (min) or value ≤ threshold (max), except that polars
        # orders NaN above everything, so a NaN passes: fail exactly when value < (>) threshold.
        failed = np.less(values, key[1]) if rule.kind == "min" else np.greater(values, key[1])
        bits = failed.view(np.uint8) << np.uint8(i)
        self._rule_bits[key] = bits
        while len(self._rule_bits) > self._cached_rules:
            self._rule_bits.popitem(last=False)
        return bits

    def _open(self, policy: Policy) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For the open countries, per row: the gate; 0x7F for an eligible supplier (enrolled in an open
        country) else 0; _INELIGIBLE for any other else 0."""
        key = policy.open_countries
        found = self._open_cache.get(key)
        if found is not None:
            self._open_cache.move_to_end(key)
            return found
        # rules.gate_expr's region test on the distinct countries alone, spread to the rows by code.
        distinct = self.countries.to_frame("country_code").with_columns(enrolled=pl.lit(True))
        open_country = distinct.select(gate_expr(policy) == 2).to_series().to_numpy()
        eligible = self._enrolled & open_country[self._country]
        gate = self._enrolled.view(np.uint8) + eligible.view(np.uint8)
        flag = eligible.view(np.uint8)
        found = (gate, flag * np.uint8(_INELIGIBLE - 1), (flag ^ np.uint8(1)) * _INELIGIBLE)
        self._open_cache[key] = found
        while len(self._open_cache) > _CACHED_OPEN:
            self._open_cache.popitem(last=False)
        return found

    def amounts_of(self, rows: np.ndarray, policy: Policy) -> np.ndarray:
        """ta_amount_usd (float64, whole USD) of these rows as holders under `policy`'s Amount terms."""
        if _amount_terms(policy) == self._base_terms:
            return np.take(self._row_pack[:, 0], rows)
        return amounts_usd(self._gmv_cents[rows], policy).astype(np.float64)

    def _money_of(self, rows: np.ndarray, policy: Policy) -> tuple["_Money", np.ndarray]:
        """The Amount, covered exposure and expected refunds of these rows as holders under `policy`, and the
        rows' group codes."""
        pack = np.take(self._row_pack, rows, axis=0)
        group = pack[:, 3].astype(np.intp)
        if _amount_terms(policy) == self._base_terms:
            return self._sums(pack[:, 0], pack[:, 1], pack[:, 2], group), group
        return self._money(amounts_usd(self._gmv_cents[rows], policy), np.take(self._cash, rows, axis=0), group), group

    def _money(self, amounts: np.ndarray, cash: np.ndarray, group: np.ndarray) -> "_Money":
        return self._sums(amounts, covered_exposure(amounts, cash[:, 0]), expected_refunds(amounts, cash[:, 1]), group)

    def _sums(self, amounts: np.ndarray, covered: np.ndarray, expected: np.ndarray, group: np.ndarray) -> "_Money":
        size = self._groups
        return _Money(
            int(amounts.sum()),  # whole dollars: exact as int64, and as float64 below 2**53
            np.bincount(group, weights=amounts, minlength=size),
            float(covered.sum()),
            np.bincount(group, weights=covered, minlength=size),
            float(expected.sum()),
            np.bincount(group, weights=expected, minlength=size),
        )

    def _money_of_baseline_rows(self, policy: Policy) -> "_Money":
        """The money of the baseline's qualified rows under `policy`'s Amount terms (cached by those terms)."""
        key = _amount_terms(policy)
        found = self._amount_cache.get(key)
        if found is not None:
            self._amount_cache.move_to_end(key)
            return found
        amounts = amounts_usd(self._before_gmv_cents, policy)
        found = self._money(amounts, self._before_cash, self._before_group)
        self._amount_cache[key] = found
        while len(self._amount_cache) > 8:
            self._amount_cache.popitem(last=False)
        return found

    # ---- evaluation ---------------------------------------------------------------------------------

    def _verdict(self, policy: Policy) -> _Verdict:
        with self._lock:
            bits = [self._bits(i, getattr(policy, rule.threshold)) for i, rule in enumerate(RULES)]
            gate, keep, ineligible = self._open(policy)
        n = len(gate)
        mask = np.empty(self._padded, dtype=np.uint8)
        rules = mask[:n]
        np.bitwise_or(bits[0], bits[1], out=rules)
        for more in bits[2:]:
            np.bitwise_or(rules, more, out=rules)
        # Only eligible suppliers keep their rule bits; every other one is _INELIGIBLE alone, so the mask
        # changes between two policies only where a verdict can change.
        np.bitwise_and(rules, keep, out=rules)
        np.bitwise_or(rules, ineligible, out=rules)
        mask[n:] = _INELIGIBLE
        return _Verdict(self, policy, gate, mask)

    def _failed_counts(self, v: _Verdict) -> np.ndarray:
        """not_qualified suppliers per failed_mask value (128 counts; index 0, the qualified, is 0)."""
        # bincount of the masks read two at a time as uint16 (half the elements), then split into bytes.
        pairs = np.bincount(v.mask.view(np.uint16), minlength=1 << 16).reshape(256, 256)
        counts = (pairs.sum(axis=0) + pairs.sum(axis=1))[:_MASKS]
        counts[0] = 0
        return counts

    def _sorted_rule(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """RULES[i]'s values over the base's eligible suppliers, ascending (NaN last), their rows, and their
        masks under the base, in that order."""
        found = self._sorted_rules.get(i)
        if found is None:
            values = self._values[i][self._eligible]
            order = np.argsort(values, kind="stable")
            rows = self._eligible[order]
            found = self._sorted_rules[i] = (values[order], rows, self.baseline.mask[rows])
        return found

    def _paired_values(self, i: int, j: int) -> np.ndarray:
        """RULES[j]'s values in RULES[i]'s sorted order (built the first time both rules move)."""
        found = self._paired.get((i, j))
        if found is None:
            found = self._paired[i, j] = self._values[j][self._sorted_rule(i)[1]]
        return found

    def _sparse(self, candidate: Policy) -> list[tuple[np.ndarray, np.ndarray, np.ndarray | np.uint8]]:
        """The suppliers eligible under the base whose mask differs under `candidate` (same open countries),
        each row once, in no particular order, as parts of (rows, masks under the base, the bits that flip:
        one for the whole part, or one per row).

        A "min" rule fails where value < threshold, so moving it between lo and hi flips lo ≤ value < hi; a
        "max" rule fails where value > threshold and flips lo < value ≤ hi. A NaN never fails, never flips.
        Each moved rule's flipping rows are one slice of its sorted values; a row in the slices of several
        moved rules is counted in the first one's, with every bit that flips (read from the other rules'
        values in that slice's order): contiguous work in proportion to the rows that flip."""
        moved = []
        for i, rule in enumerate(RULES):
            old, new = float(getattr(self.base, rule.threshold)), float(getattr(candidate, rule.threshold))
            if old != new:
                moved.append((i, rule.kind == "min", *sorted((old, new))))
        parts = []
        for k, (i, is_min, lo, hi) in enumerate(moved):
            with self._lock:
                values, rows, was = self._sorted_rule(i)
                paired = [
                    (m, j, m_min, m_lo, m_hi, self._paired_values(i, j))
                    for m, (j, m_min, m_lo, m_hi) in enumerate(moved)
                    if m != k
                ]
            start, end = np.searchsorted(values, (lo, hi), side="left" if is_min else "right")
            if start == end:
                continue
            bits, keep = np.uint8(1 << i), None
            for m, j, j_min, j_lo, j_hi, others in paired:
                v = others[start:end]
                inside = ((j_lo <= v) & (v < j_hi)) if j_min else ((j_lo < v) & (v <= j_hi))
                if m < k:  # flipped by an earlier moved rule too: counted in that rule's slice
                    keep = ~inside if keep is None else keep & ~inside
                else:
                    bits = bits | (inside.view(np.uint8) << np.uint8(j))
            part_rows, part_was = rows[start:end], was[start:end]
            if keep is not None:
                part_rows, part_was = part_rows[keep], part_was[keep]
                if not np.isscalar(bits):
                    bits = bits[keep]
            parts.append((part_rows, part_was, bits))
        return parts

    def step(self, candidate: Policy) -> "Step":
        """What changes when the baseline is replaced by `candidate`: the same numbers as policy.diff."""
        before = self.baseline
        if candidate.open_countries == self.base.open_countries:
            # Only thresholds moved: the suppliers whose mask changes are found from each moved rule's sorted
            # values (no pass over the whole frame); the candidate's full mask is patched on first use.
            parts, after = self._sparse(candidate), None
        else:
            after = self._verdict(candidate)
            changed = np.flatnonzero(np.not_equal(after.mask, before.mask))
            was = before.mask[changed]
            parts = [(changed, was, was ^ after.mask[changed])]
        # Not-qualified suppliers per failed mask: the baseline's, less the changed rows' old masks, plus their
        # new ones (a mask with the _INELIGIBLE bit is no not_qualified supplier's). Where one set of bits flips
        # in a whole part, its new masks' counts are its old ones' with the mask values permuted (m -> m ^ bits).
        failed = self._before_failed.copy()
        gained, lost, lost_masks, patch = [], [], [], []
        for rows, was, bits in parts:
            now = was ^ bits
            counted = np.bincount(was, minlength=256)
            counted_now = counted[_ALL_MASKS ^ bits] if np.isscalar(bits) else np.bincount(now, minlength=256)
            failed += counted_now[:_MASKS] - counted[:_MASKS]
            # A changed row is qualified under exactly one of the two policies, or under neither.
            losing = was == 0
            gained.append(rows[now == 0])
            lost.append(rows[losing])
            lost_masks.append(now[losing])
            patch.append((rows, now))
        failed[0] = 0
        if after is None:
            after = before if candidate == self.base else _Verdict(self, candidate, before.gate, patch=patch)
        return self._step(
            candidate, after, _joined(gained, np.int64), _joined(lost, np.int64), _joined(lost_masks, np.uint8), failed
        )

    def _step(self, candidate, after, gained, lost, lost_masks, failed_counts) -> "Step":
        before = self._before_money
        # The candidate's qualified = the baseline's - lost + gained, so its sums are worked out from the
        # baseline's rows under the candidate's Amount terms and the few suppliers who change.
        with self._lock:  # the caches are shared by every session of the server
            kept = self._money_of_baseline_rows(candidate)
        gained_money, gained_group = self._money_of(gained, candidate)
        lost_money, lost_group = self._money_of(lost, candidate)
        after_money = kept.plus(gained_money).minus(lost_money)
        size = self._groups
        after_groups = (
            self._before_groups + np.bincount(gained_group, minlength=size) - np.bincount(lost_group, minlength=size)
        )
        shape = (self.countries.len(), self.categories.len())
        return Step(
            engine=self,
            candidate=candidate,
            qualified_before=len(self.baseline.rows),
            qualified_after=len(self.baseline.rows) + len(gained) - len(lost),
            amount_before_usd=float(before.amount),
            amount_after_usd=float(after_money.amount),
            covered_exposure_before_usd=before.covered,
            covered_exposure_after_usd=after_money.covered,
            expected_refunds_before_usd=before.expected,
            expected_refunds_after_usd=after_money.expected,
            moved=(gained, lost, lost_masks),
            failed_counts=failed_counts,
            verdict=after,
            groups=(self._before_groups.reshape(shape), after_groups.reshape(shape)),
            money_changes=[(a - b).reshape(shape) for a, b in zip(after_money.groups(), before.groups(), strict=True)],
        )


@dataclass(frozen=True)
class _Money:
    """Totals of one set of holders (whole USD of Amount; covered exposure and expected refunds as floats),
    and the same per (country, category) code."""

    amount: int
    amount_groups: np.ndarray
    covered: float
    covered_groups: np.ndarray
    expected: float
    expected_groups: np.ndarray

    def groups(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.amount_groups, self.covered_groups, self.expected_groups

    def plus(self, other: "_Money") -> "_Money":
        return self._combine(other, 1)

    def minus(self, other: "_Money") -> "_Money":
        return self._combine(other, -1)

    def _combine(self, other: "_Money", sign: int) -> "_Money":
        """Field by field, self + sign × other (the Amount stays whole dollars)."""
        names = [f.name for f in fields(self)]
        return _Money(*(getattr(self, n) + sign * getattr(other, n) for n in names))


MONEY_CHANGES = ("amount_change_usd", "covered_exposure_change_usd", "expected_refunds_change_usd")


def _change_by(
    by: str, values: pl.Series, before: np.ndarray, after: np.ndarray, money: list[np.ndarray]
) -> pl.DataFrame:
    """ui.lab.change_by's frame from per-value sums (money: the changes of MONEY_CHANGES): values with a
    supplier qualified under either policy, largest change first, then by value (null first, as polars sorts)."""
    keep = np.flatnonzero((before > 0) | (after > 0))
    change = after[keep] - before[keep]
    rank = np.where(keep == values.len() - 1, -1, keep) if values.null_count() else keep  # null is the last code
    order = keep[np.lexsort((rank, -np.abs(change)))]
    return pl.DataFrame(
        {
            by: values.gather(order),
            "qualified_before": before[order].astype(np.int64),
            "qualified_after": after[order].astype(np.int64),
            "change": (after[order] - before[order]).astype(np.int64),
            **{name: column[order].astype(np.float64) for name, column in zip(MONEY_CHANGES, money, strict=True)},
        }
    )


@dataclass(eq=False)
class Step:
    """One what-if: the numbers of policy.Diff, the holders' money, the change by country and by category,
    the failed masks.

    `gained`, `lost`, `before` and `after` are frames like Diff's, built on first use; `gained_rows` and
    `lost_rows` are the same suppliers as ascending row positions in the features frame. `by_country` and
    `by_category` are ui.lab.change_by's frames, with the change of each money figure (MONEY_CHANGES).
    covered_exposure_* and expected_refunds_* are the totals of policy.derived's figures over the holders
    under the baseline (before) and the candidate (after). `failed_counts[m]` is the number of not_qualified
    suppliers under the candidate whose failed_mask is m.
    """

    engine: WhatIfEngine
    candidate: Policy
    qualified_before: int
    qualified_after: int
    amount_before_usd: float
    amount_after_usd: float
    covered_exposure_before_usd: float
    covered_exposure_after_usd: float
    expected_refunds_before_usd: float
    expected_refunds_after_usd: float
    # (gainers' rows, losers' rows, losers' masks under the candidate), in no particular order.
    moved: tuple[np.ndarray, np.ndarray, np.ndarray] = field(repr=False)
    failed_counts: np.ndarray
    verdict: _Verdict = field(repr=False)
    # Qualified per (country code, category code), before and after; the change of each of MONEY_CHANGES.
    groups: tuple[np.ndarray, np.ndarray] = field(repr=False)
    money_changes: list[np.ndarray] = field(repr=False)

    @cached_property
    def gained_rows(self) -> np.ndarray:
        return np.sort(self.moved[0])

    @cached_property
    def _lost_order(self) -> np.ndarray:
        return np.argsort(self.moved[1])

    @cached_property
    def lost_rows(self) -> np.ndarray:
        return self.moved[1][self._lost_order]

    @cached_property
    def lost_masks(self) -> np.ndarray:
        """The candidate's mask of each lost row (aligned with lost_rows)."""
        return self.moved[2][self._lost_order]

    @cached_property
    def by_country(self) -> pl.DataFrame:
        """ui.lab.change_by's frame by country_code, with the change of each of MONEY_CHANGES."""
        return _change_by(
            "country_code",
            self.engine.countries,
            self.groups[0].sum(axis=1),
            self.groups[1].sum(axis=1),
            [change.sum(axis=1) for change in self.money_changes],
        )

    @cached_property
    def by_category(self) -> pl.DataFrame:
        """The same by category."""
        return _change_by(
            "category",
            self.engine.categories,
            self.groups[0].sum(axis=0),
            self.groups[1].sum(axis=0),
            [change.sum(axis=0) for change in self.money_changes],
        )

    @property
    def qualified_change(self) -> int:
        return self.qualified_after - self.qualified_before

    @property
    def amount_change_usd(self) -> float:
        return self.amount_after_usd - self.amount_before_usd

    @property
    def covered_exposure_change_usd(self) -> float:
        return self.covered_exposure_after_usd - self.covered_exposure_before_usd

    @property
    def expected_refunds_change_usd(self) -> float:
        return self.expected_refunds_after_usd - self.expected_refunds_before_usd

    @property
    def not_qualified(self) -> int:
        """Suppliers whose badge is not_qualified under the candidate."""
        return int(self.failed_counts.sum())

    @cached_property
    def gained(self) -> pl.DataFrame:
        """supplier_id of the suppliers qualified under the candidate and not under the baseline."""
        return pl.DataFrame({"supplier_id": self.engine.features["supplier_id"].gather(self.gained_rows)})

    @cached_property
    def lost(self) -> pl.DataFrame:
        """supplier_id of the suppliers qualified under the baseline and not under the candidate."""
        return pl.DataFrame({"supplier_id": self.engine.features["supplier_id"].gather(self.lost_rows)})

    @cached_property
    def before(self) -> pl.DataFrame:
        """verdict(features, baseline): supplier_id, badge, failed_mask, ta_amount_usd."""
        return self.engine.baseline.frame()

    @cached_property
    def after(self) -> pl.DataFrame:
        """verdict(features, candidate)."""
        return self.verdict.frame()

    def rows(self, which: str) -> np.ndarray:
        """gained_rows (`which`="gained") or lost_rows ("lost")."""
        return {"gained": self.gained_rows, "lost": self.lost_rows}[which]

    def changes(self, which: str) -> pl.DataFrame:
        """Those who gain (`which`="gained") or lose ("lost") the badge, in features order: supplier_id,
        amount_before_usd, badge_after (text), amount_after_usd, failed_mask (under the candidate),
        open_exposure_usd, and covered_exposure_usd and expected_refunds_6m_usd while holding the badge
        (under the candidate for a gainer, under the baseline for a loser)."""
        rows, engine = self.rows(which), self.engine
        gained = which == "gained"
        # A gainer holds the badge only under the candidate, a loser only under the baseline; a gainer's new
        # mask is 0 and a loser's is known, so no pass over the whole frame is needed.
        held = engine.amounts_of(rows, self.candidate if gained else engine.base)
        none = np.zeros(len(rows))
        masks = np.zeros(len(rows), dtype=np.uint8) if gained else self.lost_masks
        codes = self.verdict.gate[rows] + np.equal(masks, 0).view(np.uint8)
        cash = np.take(engine._cash, rows, axis=0)
        exposure, refunds = cash[:, 0], cash[:, 1]
        return pl.DataFrame(
            {
                "supplier_id": engine.features["supplier_id"].gather(rows),
                "amount_before_usd": none if gained else held,
                "badge_after": _BADGE_BY_CODE.gather(codes).cast(pl.String),
                "amount_after_usd": held if gained else none,
                "failed_mask": pl.Series(np.where(codes == _NOT_QUALIFIED, masks, 0).astype(np.uint8), dtype=pl.UInt8),
                "open_exposure_usd": exposure,
                "covered_exposure_usd": covered_exposure(held, exposure),
                "expected_refunds_6m_usd": expected_refunds(held, refunds),
            }
        )
