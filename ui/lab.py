"""Transforms and charts for the Program uptake and Policy lab pages: frames in, frames or Vega-Lite specs out.

Nothing here touches Streamlit or the warehouse, so every function is tested on tiny frames.
"""

import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

import numpy as np
import polars as pl

from policy import RULES, Diff, Policy
from policy.derived import with_derived
from policy.whatif import MONEY_CHANGES, Step, WhatIfEngine
from ui import format as fmt
from ui.charts import THRESHOLD_COLOR, vega_axis

BAR_COLOR = "#4C78A8"


# ---- the what-if step (also what bench/bench_whatif.py times) -------------------------------------


@dataclass(frozen=True)
class WhatIf:
    """The what-if of replacing policy `base` with `candidate` over one features frame: policy.diff's
    numbers and frames (a policy.whatif.Step, whose frames are built when first read)."""

    diff: Step

    @property
    def by_country(self) -> pl.DataFrame:
        """country_code, qualified_before, qualified_after, change, and the change of each of MONEY_CHANGES;
        only countries with a supplier qualified under either policy."""
        return self.diff.by_country

    @property
    def by_category(self) -> pl.DataFrame:
        """The same by category."""
        return self.diff.by_category

    @cached_property
    def blockers(self) -> pl.DataFrame:
        """rule, failing, only_rule_failing (among not_qualified under the candidate)."""
        return blockers_from_array(self.diff.failed_counts)

    @property
    def not_qualified(self) -> int:
        """Suppliers not_qualified under the candidate."""
        return self.diff.not_qualified


_engine: list = []  # [WhatIfEngine]: the last one, which holds its frame so `is` identifies it


def engine(features: pl.DataFrame, base: Policy) -> WhatIfEngine:
    """policy.whatif.WhatIfEngine(features, base), remembered for the last (features, base): sliders move, the
    baseline and the per-rule caches stay."""
    if _engine and _engine[0].features is features and _engine[0].base == base:
        return _engine[0]
    _engine[:] = []  # let the old one go before building the next (about 80 bytes per supplier)
    _engine[:] = [WhatIfEngine(features, base)]
    return _engine[0]


def whatif(features: pl.DataFrame, base: Policy, candidate: Policy) -> WhatIf:
    """policy.diff of base → candidate, the change by country and by category, and the blocking rules.

    The same numbers as diff(features, base, candidate) and change_by over it (tests/test_whatif.py).
    """
    return WhatIf(engine(features, base).step(candidate))


def change_by(changes: pl.DataFrame, by: str) -> pl.DataFrame:
    """Qualified suppliers before and after, and the change in amount, per value of `by` (largest change first).

    `changes`: one row per supplier qualified under either policy: `by`, before, after (booleans),
    amount_change_usd, and covered_exposure_change_usd and expected_refunds_change_usd when present
    (then summed too).
    """
    money = [c for c in MONEY_CHANGES if c in changes.columns]
    return (
        changes.group_by(by)
        .agg(
            pl.col("before").sum().cast(pl.Int64).alias("qualified_before"),
            pl.col("after").sum().cast(pl.Int64).alias("qualified_after"),
            *(pl.col(c).sum() for c in money),
        )
        .with_columns((pl.col("qualified_after") - pl.col("qualified_before")).alias("change"))
        .select(by, "qualified_before", "qualified_after", "change", *money)
        .sort([pl.col("change").abs(), by], descending=[True, False])
    )


MONEY_ROWS = (
    ("Trade Assurance Amount", "amount"),
    ("Covered exposure", "covered_exposure"),
    ("Expected refunds, 6 months", "expected_refunds"),
)


def money_summary(step: Step) -> pl.DataFrame:
    """What the what-if does to the program's money: one row per figure (Trade Assurance Amount, covered
    exposure, expected refunds over the coming 6 months; PRODUCT.md's derived figures summed over the
    holders): figure, before_usd, after_usd, change_usd."""
    rows = []
    for label, name in MONEY_ROWS:
        before, after = getattr(step, f"{name}_before_usd"), getattr(step, f"{name}_after_usd")
        rows.append({"figure": label, "before_usd": before, "after_usd": after, "change_usd": after - before})
    return pl.DataFrame(
        rows, schema={"figure": pl.String, "before_usd": pl.Float64, "after_usd": pl.Float64, "change_usd": pl.Float64}
    )


def rule_blockers(failed_mask: pl.Series) -> pl.DataFrame:
    """Per rule: not_qualified suppliers failing it, and those failing it alone (the rule alone blocks them).

    `failed_mask` is evaluate()'s column: bit i set when RULES[i] failed (0 for every other badge).
    """
    # 128 possible masks: count each once, then read the rules off the small table.
    return blockers_from_counts(dict(failed_mask.value_counts().iter_rows()))


def blockers_from_counts(counts: dict[int, int]) -> pl.DataFrame:
    """rule_blockers from {failed_mask: suppliers} (a count for mask 0 is ignored)."""
    table = np.zeros(1 << len(RULES), dtype=np.int64)
    for mask, suppliers in counts.items():
        table[mask] = suppliers
    return blockers_from_array(table)


# _RULE_BITS[i, m]: whether failed_mask m has RULES[i]'s bit.
_RULE_BITS = (np.arange(1 << len(RULES))[None, :] >> np.arange(len(RULES))[:, None]) & 1


def blockers_from_array(counts: np.ndarray) -> pl.DataFrame:
    """rule_blockers from suppliers per failed_mask (`counts[m]`, one per possible mask; mask 0 is ignored)."""
    counts = np.asarray(counts, dtype=np.int64).copy()
    counts[0] = 0
    return pl.DataFrame(
        {
            "rule": [rule.name for rule in RULES],
            "failing": _RULE_BITS @ counts,
            "only_rule_failing": counts[1 << np.arange(len(RULES))],
        },
        schema={"rule": pl.String, "failing": pl.Int64, "only_rule_failing": pl.Int64},
    )


def top_blocker(blockers: pl.DataFrame) -> tuple[str, int] | None:
    """(rule, suppliers) of the rule that alone blocks the most suppliers; None when no rule alone blocks any."""
    best = blockers.sort(["only_rule_failing", "failing"], descending=True).row(0, named=True)
    return (best["rule"], best["only_rule_failing"]) if best["only_rule_failing"] > 0 else None


CHANGE_MONEY = ("open_exposure_usd", "covered_exposure_usd", "expected_refunds_6m_usd")


def supplier_changes(features: pl.DataFrame, d: Diff | Step, which: str) -> pl.DataFrame:
    """Suppliers who gain (`which`="gained") or lose ("lost") the badge, with their amount before and after,
    the badge and failed rules after, and their open exposure, covered exposure and expected refunds (6
    months) while holding the badge (after for a gainer, before for a loser; policy.derived)."""
    from policy import failed_rules_text

    if isinstance(d, Step) and features is d.engine.features:  # read the changed rows alone, no joins
        changed = d.changes(which)
        return (
            features.select("supplier_id", "name", "country_code", "category")[d.rows(which)]
            .hstack(changed.select("amount_before_usd", "badge_after", "amount_after_usd"))
            .with_columns(failed_rules_text(changed["failed_mask"]).alias("failed_rules_after"))
            .hstack(changed.select(CHANGE_MONEY))
            .sort("supplier_id")
        )
    ids = getattr(d, which)
    before = d.before.select("supplier_id", pl.col("ta_amount_usd").alias("amount_before_usd"))
    after = d.after.select(
        "supplier_id",
        pl.col("badge").cast(pl.String).alias("badge_after"),
        pl.col("ta_amount_usd").alias("amount_after_usd"),
        pl.col("failed_mask"),
    )
    held = (d.after if which == "gained" else d.before).select("supplier_id", "badge", "ta_amount_usd")
    money = with_derived(
        held.join(
            features.select(
                "supplier_id",
                *(
                    (
                        pl.col(c).cast(pl.Float64).fill_null(0.0) if c in features.columns else pl.repeat(0.0, pl.len())
                    ).alias(c)
                    for c in ("open_exposure_usd", "refunds_12m_usd")
                ),
            ),
            on="supplier_id",
            how="left",
        )
    ).select("supplier_id", *CHANGE_MONEY)
    return (
        ids.join(features.select("supplier_id", "name", "country_code", "category"), on="supplier_id", how="left")
        .join(before, on="supplier_id", how="left")
        .join(after, on="supplier_id", how="left")
        .with_columns(failed_rules_text(pl.col("failed_mask")).alias("failed_rules_after"))
        .drop("failed_mask")
        .join(money, on="supplier_id", how="left")
        .sort("supplier_id")
    )


def policy_table(a: Policy, b: Policy, a_name: str = "A", b_name: str = "B") -> pl.DataFrame:
    """Setting, value under a, value under b, changed — one row per policy field (values as text)."""
    da, db = a.to_dict(), b.to_dict()

    def show(value) -> str:
        if isinstance(value, list):
            return ", ".join("all countries" if c == "*" else c for c in value) or "none"
        return f"{value:g}" if isinstance(value, float) else str(value)

    return pl.DataFrame(
        {
            "setting": list(da),
            a_name: [show(da[k]) for k in da],
            b_name: [show(db[k]) for k in da],
            "changed": [da[k] != db[k] for k in da],
        }
    )


# ---- distributions with the threshold drawn on them ------------------------------------------------


def bin_values(values: pl.Series, lo: float, hi: float, bins: int) -> pl.DataFrame:
    """Histogram of `values` on [lo, hi] in `bins` equal bins: bin_start, bin_end, suppliers.

    Values below lo go in the first bin, values ≥ hi in the last (so a rate of 1.0 on [0, 1] counts);
    nulls are left out. Every bin appears, empty ones with 0, so the x axis does not jump.
    """
    if bins < 1 or not hi > lo:
        raise ValueError("bin_values needs bins ≥ 1 and hi > lo")
    width = (hi - lo) / bins
    present = values.drop_nulls().cast(pl.Float64).drop_nans()
    index = ((present - lo) / width).floor().clip(0, bins - 1).cast(pl.Int64)
    counts = index.value_counts(name="suppliers").rename({index.name: "bin"})
    return (
        pl.DataFrame({"bin": range(bins)}, schema={"bin": pl.Int64})
        .join(counts, on="bin", how="left")
        .select(
            (lo + pl.col("bin") * width).alias("bin_start"),
            (lo + (pl.col("bin") + 1) * width).alias("bin_end"),
            pl.col("suppliers").fill_null(0).cast(pl.Int64),
        )
    )


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^k at or above `value` (1 for values ≤ 0): a round axis end."""
    if not value > 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value * (1 - 1e-12):
            return float(step * power)
    return float(10 * power)


@dataclass(frozen=True)
class Distribution:
    """How to bin one feature for the threshold chart."""

    feature: str
    threshold: str  # the Policy field drawn as a vertical line
    title: str
    unit: str  # rate, hours or usd
    lo: float = 0.0
    hi: float | None = None  # None: a round number above the 95th percentile and the threshold
    bins: int = 20


DISTRIBUTIONS = (
    Distribution("on_time_rate_6m", "min_on_time_rate", "On-time shipping rate (6 months)", "rate", hi=1.0),
    Distribution("median_response_hours_30d", "max_median_response_hours", "Median response time (30 days)", "hours"),
    Distribution("claim_rate_6m", "max_claim_rate", "Upheld claim rate (6 months)", "rate"),
    Distribution("gmv_6m_usd", "min_gmv_6m_usd", "Covered GMV (6 months)", "usd"),
)


def distribution_bins(features: pl.DataFrame, spec: Distribution, threshold: float) -> pl.DataFrame:
    """bin_values of one feature, on a range that always shows the threshold."""
    values = features[spec.feature]
    hi = spec.hi
    if hi is None:
        p95 = values.drop_nulls().quantile(0.95) if values.null_count() < values.len() else None
        hi = nice_ceiling(max(p95 or 0.0, threshold * 1.5))
    return bin_values(values, spec.lo, max(hi, threshold), spec.bins)


def _x_axis(lo: float, hi: float, unit: str) -> dict:
    """A Vega-Lite x axis over [lo, hi] for `unit` (rate, hours, usd): round ticks labelled as ui.format does."""
    if unit == "rate":
        step = fmt.percent_axis(low=lo, high=hi)["dtick"]
        values = [round(k * step, 6) for k in range(math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9) + 1)]
        return {"values": values, "format": ".0%", "title": "Rate"}
    ticks = fmt.money_axis([lo, hi]) if unit == "usd" else fmt.count_axis([lo, hi])
    keep = [i for i, v in enumerate(ticks["tickvals"]) if lo - 1e-9 <= v <= hi + 1e-9]
    inside = {name: [ticks[name][i] for i in keep] for name in ("tickvals", "ticktext")}
    return {**vega_axis(inside), "title": "USD" if unit == "usd" else "Hours"}


def threshold_histogram(bins: pl.DataFrame, threshold: float, title: str, unit: str) -> dict:
    """Bars of bin_values' frame with a vertical line at the policy threshold: a Vega-Lite spec for
    st.vega_lite_chart (a slider move redraws it; the browser draws Vega-Lite with far less work than plotly).
    The threshold's value is in the subtitle, clear of the bars."""
    show = {"rate": fmt.percent, "hours": fmt.hours, "usd": fmt.money}[unit]
    label = {"rate": fmt.threshold_percent, "hours": fmt.hours, "usd": fmt.money}[unit](threshold)
    lo, hi = float(bins["bin_start"].min()), float(bins["bin_end"].max())
    rows = [
        {"start": start, "end": end, "suppliers": n, "range": f"{show(start)} to {show(end)}", "count": fmt.count(n)}
        for start, end, n in bins.select("bin_start", "bin_end", "suppliers").iter_rows()
    ]
    counts = fmt.count_axis(bins["suppliers"].to_list())
    return {
        "title": {"text": title, "subtitle": f"Red line: the threshold, {label}", "anchor": "start"},
        "height": 240,
        "layer": [
            {
                "data": {"values": rows},
                "mark": {"type": "bar", "color": BAR_COLOR, "stroke": "white", "strokeWidth": 0.5},
                "encoding": {
                    "x": {
                        "field": "start",
                        "type": "quantitative",
                        "scale": {"domain": [lo, hi], "nice": False},
                        "axis": _x_axis(lo, hi, unit),
                    },
                    "x2": {"field": "end"},
                    "y": {
                        "field": "suppliers",
                        "type": "quantitative",
                        "title": "Suppliers",
                        "scale": {"domain": [0, max(counts["tickvals"])]},
                        "axis": vega_axis(counts),
                    },
                    "tooltip": [{"field": "range", "title": title}, {"field": "count", "title": "Suppliers"}],
                },
            },
            {
                "data": {"values": [{"threshold": threshold, "label": label}]},
                "mark": {"type": "rule", "color": THRESHOLD_COLOR, "strokeWidth": 2},
                "encoding": {
                    "x": {"field": "threshold", "type": "quantitative"},
                    "tooltip": [{"field": "label", "title": "Threshold"}],
                },
            },
        ],
    }


# ---- Program uptake transforms (its charts are Vega-Lite specs in ui/charts_uptake.py) -------------


def funnel(evaluated: pl.DataFrame) -> pl.DataFrame:
    """stage, suppliers from an evaluate() frame: everyone, enrolled, in an open region, qualified."""
    badge = evaluated["badge"].cast(pl.String)
    total = evaluated.height
    enrolled = total - int((badge == "not_enrolled").sum())
    open_region = enrolled - int((badge == "region_not_open").sum())
    qualified = int((badge == "qualified").sum())
    return pl.DataFrame(
        {
            "stage": ["All suppliers", "Enrolled", "In an open region", "Qualified"],
            "suppliers": [total, enrolled, open_region, qualified],
        }
    )


def year_before(as_of: date) -> date:
    """The same day one year earlier (28 February for 29 February)."""
    try:
        return as_of.replace(year=as_of.year - 1)
    except ValueError:
        return as_of.replace(year=as_of.year - 1, day=28)


def calendar_months(as_of: date, count: int = 24) -> list[date]:
    """The first days of the `count` calendar months with data before `as_of`, oldest first.

    As of the 1st, the last month is the previous one (complete); otherwise as_of's own month (partial).
    """
    last = (as_of - timedelta(days=1)).replace(day=1)
    months = []
    year, month = last.year, last.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def monthly_totals(monthly: pl.DataFrame, months: list[date]) -> pl.DataFrame:
    """fetch_program_monthly rows summed over countries and categories, one row per month in `months`.

    Months without activity get zeros, so a quiet month shows as 0 instead of vanishing from the chart;
    covered_share is covered_gmv_usd ÷ gmv_usd (null when there was no GMV).
    """
    numbers = [c for c in monthly.columns if c not in ("month", "country_code", "category")]
    grid = pl.DataFrame({"month": months}, schema={"month": pl.Date})
    summed = monthly.group_by("month").agg(pl.col(numbers).sum())
    return (
        grid.join(summed, on="month", how="left")
        .with_columns(pl.col(numbers).fill_null(0))
        .with_columns(
            pl.when(pl.col("gmv_usd") > 0)
            .then(pl.col("covered_gmv_usd") / pl.col("gmv_usd"))
            .otherwise(None)
            .alias("covered_share")
        )
        .sort("month")
    )


def with_rates(breakdown: pl.DataFrame) -> pl.DataFrame:
    """Add qualified_share (qualified ÷ enrolled) and loss_ratio (refunds ÷ covered deal value) to uptake rows."""
    return breakdown.with_columns(
        pl.when(pl.col("enrolled") > 0).then(pl.col("qualified") / pl.col("enrolled")).alias("qualified_share"),
        pl.when(pl.col("covered_value_12m_usd") > 0)
        .then(pl.col("refunds_12m_usd") / pl.col("covered_value_12m_usd"))
        .alias("loss_ratio"),
    )


def rollout(by_country: pl.DataFrame, first: str = "CN") -> pl.DataFrame:
    """uptake_breakdown by country folded into two rows: the first country of the rollout and the rest."""
    numbers = [c for c in by_country.columns if c != "country_code"]
    return (
        by_country.with_columns(
            pl.when(pl.col("country_code") == first)
            .then(pl.lit(first))
            .otherwise(pl.lit("Rest of the world"))
            .alias("market")
        )
        .group_by("market")
        .agg(pl.col(numbers).sum())
        .sort(pl.col("market") != first)
    )


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def escape_markdown(text: str) -> str:
    """`text` with every Markdown character escaped, for names people typed shown inside a message."""
    return _MARKDOWN.sub(r"\\\1", str(text))
