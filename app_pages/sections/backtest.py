"""The Policy lab's backtest: did the badge holders at a past A0 turn out better than everyone else?

`render_backtest(view, current_policy, whatif_policy)` draws a form (A0, how many monthly A0s, which
threshold to sweep). Its "Run backtest" button fetches the outcomes after each A0 and the features at
every A0 (cached in queries.cached) and runs policy.backtest for both policies; the results stay in the
session, so a slider move never recomputes them. The settings are in the URL where they differ from the
defaults (bt_a0=2026-03-01, bt_months=6, bt_threshold=min_orders_6m), and bt_run=true while the results
shown are those settings' own: a link opened in a new browser runs the same backtest once and shows it.
The pure parts (`run_backtest`, `side_by_side`, `flip_table`, `complete_a0s`, `url_params`) take and
return plain values and are tested without Streamlit.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import polars as pl
import streamlit as st

import catalogue
from app_pages.sections import url_state
from app_pages.sections.context import refuse, remember, restore, url_values
from policy import Policy, PolicyError
from policy.backtest import FlipCounts, backtest_series, backtest_summary, flip_counts, tradeoff_curve
from policy.rules import RULES
from queries import cached
from queries.backtest import OUTCOME_DAYS
from queries.uptake import month_starts
from ui import format as fmt
from ui.backtest_charts import flips_figure, series_figure, tradeoff_figure
from ui.charts import CONFIG
from ui.explain import policy_value_text

RESULT = "bt_result"  # (BacktestInputs, {policy label: PolicyBacktest}) of the last run
DEFAULT_MONTHS = 12
CURRENT, WHATIF = "Current policy", "What-if"
A0_CHOICES = 36  # past monthly A0s offered, newest first
# The values each threshold is swept over (an allow-list: the selectbox offers only these fields).
SWEEPS = {
    "min_account_age_days": (0, 30, 60, 90, 120, 180, 270, 365, 540, 730),
    "min_orders_6m": (0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20),
    "min_gmv_6m_usd": (0, 2_500, 5_000, 10_000, 20_000, 50_000, 100_000, 250_000),
    "min_on_time_rate": (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.98, 1.0),
    "max_claim_rate": (0.0, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3),
    "min_response_rate": (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0),
    "max_median_response_hours": (1, 2, 4, 8, 12, 24, 48, 72, 168),
}
THRESHOLD_LABELS = {rule.threshold: catalogue.label(rule.threshold, "policy") for rule in RULES}
AMOUNT_USED_HELP = (
    "Refunds after A0 ÷ the holder's Trade Assurance Amount at A0; above 100% when the refunds paid "
    "exceeded the Amount (the Amount caps what the program owes at one time, not the refunds over 182 days)."
)


@dataclass(frozen=True)
class BacktestInputs:
    """Everything a run depends on; a stored result whose inputs differ from the page's is stale."""

    url: str
    countries: tuple[str, ...]
    categories: tuple[str, ...]
    a0: date
    months: int
    threshold: str
    current: Policy
    whatif: Policy


@dataclass(frozen=True)
class PolicyBacktest:
    """One policy's backtest: the series over the monthly A0s, its row at A0, the sweep and the flips."""

    series: pl.DataFrame  # backtest_series (grace applied)
    at_a0: dict  # the series' row at A0
    curve: pl.DataFrame  # tradeoff_curve at A0
    point: dict  # backtest_summary at A0 (no grace, like the curve) and "value", the policy's threshold
    flips: FlipCounts


def complete_a0s(latest_activity_at: datetime | None, count: int = A0_CHOICES) -> list[date]:
    """Month starts whose 182-day outcome window ends by the latest activity, newest first ([] without data)."""
    if latest_activity_at is None:
        return []
    day = latest_activity_at.date() - timedelta(days=OUTCOME_DAYS)
    return list(reversed(month_starts(date(day.year, day.month, 1), count)))


def run_backtest(
    history: pl.DataFrame, outcomes: pl.DataFrame, a0: date, policy: Policy, threshold: str
) -> PolicyBacktest:
    """Backtest `policy` over the monthly A0s of `history` (features with as_of), the last one being `a0`.

    outcomes: fetch_outcomes at each A0 stacked with an as_of column. The trade-off curve sweeps
    `threshold` over SWEEPS[threshold] at `a0`.
    """
    series = backtest_series(history, outcomes, policy)
    features_a0 = history.filter(pl.col("as_of") == a0).drop("as_of")
    outcomes_a0 = outcomes.filter(pl.col("as_of") == a0).drop("as_of")
    point = backtest_summary(features_a0, outcomes_a0, policy).row(0, named=True)
    return PolicyBacktest(
        series=series,
        at_a0=series.filter(pl.col("as_of") == a0).row(0, named=True),
        curve=tradeoff_curve(features_a0, outcomes_a0, policy, threshold, SWEEPS[threshold]),
        point={**point, "value": getattr(policy, threshold)},
        flips=flip_counts(history, policy),
    )


# Measure, column of the summary row, format.
MEASURES = (
    ("Badge holders at A0", "holders", "count"),
    ("Everyone else at A0", "others", "count"),
    ("Covered deals after A0, holders", "holder_deals", "count"),
    ("Covered deals after A0, everyone else", "other_deals", "count"),
    ("Upheld-claim rate per covered deal, holders", "holder_upheld_claim_rate", "percent"),
    ("Upheld-claim rate per covered deal, everyone else", "other_upheld_claim_rate", "percent"),
    ("Refunds, holders", "holder_refunds_usd", "money"),
    ("Refunds, everyone else", "other_refunds_usd", "money"),
    ("Refunds per covered deal, holders", "holder_refunds_per_deal_usd", "cents"),
    ("Refunds per covered deal, everyone else", "other_refunds_per_deal_usd", "cents"),
    ("Share of all refunds on badge holders", "holder_refund_share", "percent"),
    ("Holders' Trade Assurance Amount", "holder_amount_usd", "money"),
    ("Amount used by refunds, median holder", "amount_used_median", "percent"),
    ("Amount used by refunds, most-used holder", "amount_used_max", "percent"),
    ("Holders whose refunds exceeded their amount", "holders_over_amount", "count"),
)
_FORMATS = {
    "count": fmt.count,
    "percent": fmt.percent,
    "money": fmt.money,
    "cents": fmt.money_exact,
}


def side_by_side(rows: Mapping[str, dict]) -> pl.DataFrame:
    """measure, then one text column per policy label: the MEASURES of each summary row, formatted."""
    return pl.DataFrame(
        {
            "measure": [label for label, _, _ in MEASURES],
            **{policy: [_FORMATS[kind](row[column]) for _, column, kind in MEASURES] for policy, row in rows.items()},
        }
    )


def flip_table(flips: Mapping[str, FlipCounts]) -> pl.DataFrame:
    """One row per policy: grace period, flips without and with it, suppliers that flipped at least once."""
    rows = []
    for policy, counts in flips.items():
        totals = counts.per_assessment.select("flips_without_grace", "flips_with_grace").sum().row(0)
        flipped = counts.per_supplier.filter(pl.col("flips_with_grace") > 0).height
        rows.append(
            {
                "policy": policy,
                "grace period (assessments)": fmt.count(counts.grace_assessments),
                "flips without grace": fmt.count(totals[0] or 0),
                "flips with grace": fmt.count(totals[1] or 0),
                "suppliers that flipped (with grace)": fmt.count(flipped),
            }
        )
    return pl.DataFrame(rows)


def policy_or_none(make: Callable[[], Policy]) -> Policy | None:
    """make(), or None when it raises PolicyError (the what-if panel already says what is wrong)."""
    try:
        return make()
    except PolicyError:
        return None


def url_params(a0_options: list[date]) -> tuple[url_state.Param, ...]:
    """The backtest's URL parameters: A0 (one of `a0_options`), the number of monthly A0s, the threshold
    swept (its policy key) and whether the results of exactly these settings are shown."""
    offered = {f"{day:%Y-%m-%d}": day for day in a0_options}
    newest, oldest = a0_options[0], a0_options[-1]

    def a0(text: str) -> date:
        if text not in offered:
            raise ValueError(text)
        return offered[text]

    return (
        url_state.Param(
            "bt_a0",
            a0,
            lambda day: f"{day:%Y-%m-%d}",
            newest,
            f"expected the 1st of a month from {oldest:%Y-%m-%d} to {newest:%Y-%m-%d}, written YYYY-MM-DD.",
        ),
        url_state.Param("bt_months", url_state.whole(2, 24), str, DEFAULT_MONTHS, "expected a whole number 2–24."),
        url_state.Param(
            "bt_threshold",
            url_state.choice(list(SWEEPS)),
            str,
            next(iter(SWEEPS)),
            f"expected one of {', '.join(SWEEPS)}.",
        ),
        url_state.Param("bt_run", url_state.flag, url_state.lowered, False, "expected true or false."),
    )


# ---- Streamlit ---------------------------------------------------------------------------------------


def _compute(inputs: BacktestInputs, view) -> dict[str, PolicyBacktest]:
    a0s = month_starts(inputs.a0, inputs.months)
    progress = st.progress(0.0, text="Fetching the outcomes after each A0…")
    outcomes = []
    for k, a0 in enumerate(a0s, start=1):
        outcomes.append(cached.outcomes(inputs.url, a0).with_columns(pl.lit(a0, dtype=pl.Date).alias("as_of")))
        progress.progress(0.6 * k / len(a0s), text=f"Fetched the outcomes after {k} of {len(a0s)} A0s…")
    progress.progress(0.6, text="Computing the features at every A0…")
    history = view.filter(cached.history_features(inputs.url, a0s))
    stacked = pl.concat(outcomes)
    progress.progress(0.8, text="Running both policies…")
    results = {
        CURRENT: run_backtest(history, stacked, inputs.a0, inputs.current, inputs.threshold),
        WHATIF: run_backtest(history, stacked, inputs.a0, inputs.whatif, inputs.threshold),
    }
    progress.empty()
    return results


def render_backtest(view, current_policy: Policy, whatif_policy: Policy | None) -> None:
    """The backtest section of the Policy lab: the form, then the last run's results for both policies.

    view: app_pages.sections.context.View (warehouse URL and sidebar filters); whatif_policy: the sliders'
    policy, or None when they do not make a valid one.
    """
    st.subheader("Backtest: did the badge holders turn out better?")
    st.caption(
        f"Each policy is evaluated with the data before a past as-of date A0 only; then the {OUTCOME_DAYS} days "
        "after A0 are measured: covered deals completed, claims filed (upheld = refunded or partially "
        "refunded) and refunds. Sidebar filters narrow the suppliers."
    )
    a0_options = complete_a0s(cached.freshness(view.url)["latest_activity_at"])
    if not a0_options:
        st.info(
            "The warehouse has no orders, inquiries or claims yet, so there is nothing to backtest — load data "
            "with `python -m data.generate` or `python -m data.load DIR`."
        )
        return
    if whatif_policy is None:
        st.info("The sliders do not make a valid policy: fix the value named above, then run the backtest.")
        return

    params = url_params(a0_options)
    restore(params[:3], {"bt_a0": "bt_a0", "bt_months": "bt_months", "bt_threshold": "bt_threshold"})
    linked, problems = url_state.decode(url_values(), params[3:])
    refuse(problems)
    st.session_state.setdefault("bt_months", DEFAULT_MONTHS)
    with st.form("bt_form"):
        cols = st.columns(3)
        a0 = cols[0].selectbox(
            "A0 (a past monthly assessment)",
            a0_options,
            format_func=lambda day: f"{day:%Y-%m-%d}",
            key="bt_a0",
            help=f"Only A0s whose {OUTCOME_DAYS} days after end before the latest activity in the warehouse.",
        )
        months = cols[1].slider("Monthly A0s in the series", 2, 24, key="bt_months")
        threshold = cols[2].selectbox(
            "Threshold to sweep", list(SWEEPS), format_func=THRESHOLD_LABELS.get, key="bt_threshold"
        )
        run = st.form_submit_button("Run backtest", key="bt_run", type="primary")
    inputs = BacktestInputs(
        view.url, view.countries, view.categories, a0, months, threshold, current_policy, whatif_policy
    )
    # A link with bt_run=true runs its backtest once in a new session: the recipient sees the same results.
    if run or (linked.get("bt_run") and RESULT not in st.session_state):
        with st.spinner("Running the backtest…"):
            st.session_state[RESULT] = (inputs, _compute(inputs, view))
    stored = st.session_state.get(RESULT)
    shown = {
        "bt_a0": a0,
        "bt_months": months,
        "bt_threshold": threshold,
        "bt_run": bool(stored) and stored[0] == inputs,
    }
    remember(url_state.encode(shown, params), [p.key for p in params])  # the settings as the form holds them
    if stored is None:
        st.info(
            "Pick an A0 and press Run backtest to compare the current policy and the what-if on what happened "
            "next (it takes a few seconds on a large warehouse)."
        )
        return
    ran, results = stored
    if ran != inputs:
        st.caption(
            "The sliders, filters or warehouse changed since this backtest ran — press Run backtest to update it."
        )
    show_results(ran, results)


def show_results(inputs: BacktestInputs, results: dict[str, PolicyBacktest]) -> None:
    """Draw one run: the side-by-side table at A0, the series, the trade-off curve and the flips."""
    st.markdown(f"**The {OUTCOME_DAYS} days after A0 = {inputs.a0:%Y-%m-%d}**")
    st.dataframe(
        side_by_side({p: r.at_a0 for p, r in results.items()}),
        hide_index=True,
        key="bt_table",
        column_config={"measure": st.column_config.TextColumn("Measure", width="large")},
    )
    st.caption(f"Amount used by refunds: {AMOUNT_USED_HELP}")
    first = results[CURRENT].at_a0
    if not (first["holder_deals"] + first["other_deals"]):
        st.info(
            "No covered deal was completed in the 182 days after this A0, so the rates are empty — pick a later A0 "
            "(the data may start after it)."
        )
    if inputs.current.grace_assessments or inputs.whatif.grace_assessments:
        st.caption("Badges at each A0 include the grace period over the monthly A0s before it.")

    st.markdown(f"**Over {fmt.count(inputs.months)} monthly A0s**")
    series = {p: r.series for p, r in results.items()}
    charts = (
        (
            [("holder_upheld_claim_rate", "Holders"), ("other_upheld_claim_rate", "Everyone else")],
            "Upheld-claim rate per covered deal",
            "Upheld claims per covered deal",
            "percent",
        ),
        (
            [("holder_refunds_per_deal_usd", "Holders"), ("other_refunds_per_deal_usd", "Everyone else")],
            "Refunds per covered deal",
            "Refunds per covered deal",
            "money",
        ),
        ([("holder_refund_share", "Holders")], "Share of all refunds on badge holders", "Share of refunds", "percent"),
        (
            [("amount_used_median", "Median holder"), ("amount_used_max", "Most-used holder")],
            "Trade Assurance Amount used by refunds",
            "Refunds ÷ Amount",
            "percent",
        ),
    )
    grid = st.columns(2)
    for i, (lines, title, y_title, y_format) in enumerate(charts):
        note = "Above 100%: refunds paid exceeded the Trade Assurance Amount." if "amount_used" in lines[0][0] else ""
        grid[i % 2].plotly_chart(
            series_figure(series, lines, title, y_title, y_format, hover_note=note),
            config=CONFIG,
            key=f"bt_series_{i}",
        )

    label = THRESHOLD_LABELS[inputs.threshold]
    st.markdown("**Trade-off at A0**")
    st.plotly_chart(
        tradeoff_figure(
            {p: r.curve for p, r in results.items()},
            {p: r.point for p, r in results.items()},
            label,
            show_value=lambda v: policy_value_text(inputs.threshold, v),
        ),
        config=CONFIG,
        key="bt_tradeoff",
    )
    st.caption(
        f"Each line sweeps {label.lower()} over "
        f"{', '.join(policy_value_text(inputs.threshold, v) for v in SWEEPS[inputs.threshold])} "
        "with the policy's other settings; the stars are the policies themselves (without grace)."
    )

    st.markdown("**How often badges flip between monthly assessments**")
    flips = flip_table({p: r.flips for p, r in results.items()})
    st.dataframe(
        flips,
        hide_index=True,
        key="bt_flips_table",
        column_config={c: st.column_config.TextColumn(c[0].upper() + c[1:]) for c in flips.columns},
    )
    st.plotly_chart(
        flips_figure({p: r.flips.per_assessment for p, r in results.items()}), config=CONFIG, key="bt_flips"
    )
    graces = {p: r.flips.grace_assessments for p, r in results.items()}
    if any(graces.values()):
        st.caption(
            "With a grace period, a holder that fails keeps the badge for that many assessments: "
            + "; ".join(f"{p}: {policy_value_text('grace_assessments', g)}" for p, g in graces.items())
            + "."
        )
    else:
        st.caption("Move the grace period slider above, then run the backtest again to see its effect.")
