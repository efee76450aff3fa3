"""The Policy lab's what-if step at scale: `python -m bench.bench_whatif [--suppliers N] [--runs R]`.

Times ui.lab.whatif (policy.diff of the current policy against a moved slider, the change by country
and category in holders, Amount, covered exposure and expected refunds, the blocking rules — through
policy.whatif.WhatIfEngine) over a synthetic features frame built with numpy, and prints the median
and p95 of elapsed time (perf_counter) and of CPU time (process_time, which a busy shared machine
inflates less). Goal: ≤ 5 ms median at 1,000,000 suppliers. The reference
policy.diff / policy.evaluate are timed too. Not part of the test run.

`--chromium --url WAREHOUSE_URL [--moves M]` instead times a slider move in the real page: it starts
`streamlit run app.py` on the warehouse, opens the Policy lab in headless Chromium, presses ArrowRight /
ArrowLeft on the minimum-orders slider and waits until the qualified count has changed.
"""

import argparse
import statistics
import time

import numpy as np
import polars as pl

from policy import DEFAULT_POLICY, Policy, WhatIfEngine, diff, evaluate
from ui import lab
from ui.lab import whatif

COUNTRIES = ("CN", "VN", "IN", "US", "TR", "BD", "PK", "MX")
CATEGORIES = ("Machinery", "Apparel", "Electronics", "Home", "Beauty", "Packaging", "Auto parts", "Toys")


def synthetic_features(n: int, seed: int = 7) -> pl.DataFrame:
    """A features frame shaped like queries.scorecard.fetch_features, with realistic spreads and nulls."""
    rng = np.random.default_rng(seed)

    def with_nulls(values: np.ndarray, share: float) -> pl.Series:
        return pl.Series(values).scatter(np.flatnonzero(rng.random(n) < share), None)

    orders = rng.poisson(6, n)
    return pl.DataFrame(
        {
            "supplier_id": np.arange(1, n + 1),
            "country_code": pl.Series(rng.choice(COUNTRIES, n, p=[0.5, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.1])),
            "category": pl.Series(rng.choice(CATEGORIES, n)),
            "enrolled": rng.random(n) < 0.7,
            "account_age_days": rng.uniform(0, 3000, n),
            "orders_6m": orders,
            "gmv_6m_usd": np.round(orders * rng.lognormal(8, 1, n), 2),
            "on_time_rate_6m": with_nulls(rng.beta(18, 2, n), 0.1),
            "claim_rate_6m": with_nulls(rng.exponential(0.03, n), 0.1),
            "response_rate_30d": with_nulls(rng.beta(8, 2, n), 0.2),
            "median_response_hours_30d": with_nulls(rng.exponential(12, n), 0.2),
            # The money of policy.derived: open covered orders, and a year's refunds (most suppliers none).
            "open_exposure_usd": np.round(rng.poisson(2, n) * rng.lognormal(8, 1, n), 2),
            "refunds_12m_usd": np.round((rng.random(n) < 0.3) * rng.lognormal(7, 1.5, n), 2),
        }
    ).with_columns(pl.col("country_code", "category").cast(pl.String))


def timed(step, runs: int) -> tuple[float, float, float, float]:
    """Median and p95 of `runs` calls of `step` in milliseconds, elapsed then CPU (after two warm-up calls)."""
    step(0), step(1)
    wall, cpu = [], []
    for i in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        step(i)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    wall.sort(), cpu.sort()
    p95 = int(0.95 * (len(wall) - 1))
    return statistics.median(wall), wall[p95], statistics.median(cpu), cpu[p95]


_QUALIFIED = """() => [...document.querySelectorAll('[data-testid="stMetric"]')]
    .find((m) => m.innerText.includes('Qualified suppliers'))
    ?.querySelector('[data-testid="stMetricValue"]')?.innerText"""


def slider_moves(page, base_url: str, moves: int = 20, verbose: bool = False) -> tuple[float, list[float]]:
    """Open the Policy lab in `page`; (seconds to the first full render, ms of each slider move).

    Each move presses ArrowRight / ArrowLeft on the minimum-orders slider (3 ↔ 4) and waits until the
    qualified count shown has changed.
    """
    from devtools.browser import wait_for_app

    started = time.perf_counter()
    page.goto(f"{base_url}/policy_lab")
    wait_for_app(page, timeout=600_000)
    first = time.perf_counter() - started
    thumb = page.locator('.st-key-lab_min_orders_6m input[type="range"]')
    thumb.focus()
    times = []
    for k in range(moves):
        before = page.evaluate(_QUALIFIED)
        started = time.perf_counter()
        thumb.press("ArrowRight" if k % 2 == 0 else "ArrowLeft")
        page.wait_for_function(f"(before) => ({_QUALIFIED})() !== before", arg=before, timeout=120_000)
        times.append((time.perf_counter() - started) * 1000)
        if verbose:
            print(f"move {k + 1}: {before} → {page.evaluate(_QUALIFIED)} in {times[-1]:.0f} ms", flush=True)
    return first, times


def slider_timings(page, base_url: str) -> list[tuple[str, float]]:
    """(label, seconds) rows for bench/bench_browser.py: first render, median and p95 of 20 slider moves."""
    first, times = slider_moves(page, base_url)
    times.sort()
    return [
        ("Lab first render", first),
        ("Slider median", statistics.median(times) / 1000),
        ("Slider p95", times[int(0.95 * (len(times) - 1))] / 1000),
    ]


def slider_in_chromium(warehouse_url: str, moves: int) -> None:
    """Median and p95 of keypress → updated qualified count on the Policy lab, in headless Chromium."""
    import tempfile

    from playwright.sync_api import sync_playwright

    from devtools.browser import launch_chromium, start_app, stop_app

    with tempfile.TemporaryDirectory() as tmp:
        proc, base_url = start_app(warehouse_url, f"sqlite:///{tmp}/app.sqlite")
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                page = browser.new_page(viewport={"width": 1440, "height": 1000})
                first, times = slider_moves(page, base_url, moves, verbose=True)
                browser.close()
        finally:
            stop_app(proc)
    times.sort()
    print(f"first load of the Policy lab: {first:.1f} s")
    print(
        f"slider → updated qualified count over {moves} moves: median {statistics.median(times):.0f} ms, "
        f"p95 {times[int(0.95 * (len(times) - 1))]:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suppliers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--chromium", action="store_true", help="time a slider move in the real page instead")
    parser.add_argument("--url", help="warehouse URL for --chromium")
    parser.add_argument("--moves", type=int, default=20)
    args = parser.parse_args()
    if args.chromium:
        if not args.url:
            parser.error("--chromium needs --url WAREHOUSE_URL (e.g. a warehouse of 200,000 suppliers)")
        slider_in_chromium(args.url, args.moves)
        return

    started = time.perf_counter()
    features = synthetic_features(args.suppliers)
    print(f"suppliers: {features.height:,} (built in {time.perf_counter() - started:.1f} s); runs: {args.runs}")
    # Each run moves a slider, as a policy owner does: a new candidate policy every time.
    candidates = [Policy(min_orders_6m=2 + i % 5, min_on_time_rate=0.80 + (i % 10) / 100) for i in range(args.runs)]

    def candidate(i):
        return candidates[i % len(candidates)]

    # A threshold never seen before on every run: each step computes that rule's fail bits afresh.
    fresh = iter([Policy(min_on_time_rate=round(0.5 + i / 1000, 4)) for i in range(args.runs + 2)])
    # A new Amount multiplier every run: the holders' Amount, covered exposure and expected refunds afresh.
    multipliers = iter([Policy(amount_multiplier=round(0.3 + i / 1000, 4)) for i in range(args.runs + 2)])
    engine = WhatIfEngine(features, DEFAULT_POLICY)
    rows = [
        (
            "whatif, engine remembered (the Policy lab's slider step)",
            args.runs,
            lambda i: whatif(features, DEFAULT_POLICY, candidate(i)),
        ),
        (
            "whatif, plus its tables by country and by category",
            args.runs,
            lambda i: (lambda w: (w.by_country, w.by_category))(whatif(features, DEFAULT_POLICY, candidate(i))),
        ),
        ("WhatIfEngine.step alone", args.runs, lambda i: engine.step(candidate(i))),
        ("WhatIfEngine.step, a new threshold every run", args.runs, lambda i: engine.step(next(fresh))),
        (
            "WhatIfEngine.step, a new Amount multiplier every run",
            args.runs,
            lambda i: engine.step(next(multipliers)),
        ),
        (
            "whatif, engine rebuilt every time (first render)",
            max(args.runs // 10, 5),
            lambda i: (lab._engine.clear(), whatif(features, DEFAULT_POLICY, candidate(i))),
        ),
        ("reference: policy.diff", args.runs, lambda i: diff(features, DEFAULT_POLICY, candidate(i))),
        (
            "reference: policy.evaluate, no margins",
            args.runs,
            lambda i: evaluate(features, candidate(i), margins=False),
        ),
    ]
    print(f"{'':<58} {'elapsed ms':>20}   {'CPU ms':>20}")
    print(f"{'':<58} {'median':>9} {'p95':>9}   {'median':>9} {'p95':>9}   runs")
    for label, runs, step in rows:
        wall, wall_p95, cpu, cpu_p95 = timed(step, runs)
        print(f"{label:<58} {wall:9.2f} {wall_p95:9.2f}   {cpu:9.2f} {cpu_p95:9.2f}   {runs}", flush=True)


if __name__ == "__main__":
    main()
