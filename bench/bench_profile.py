"""How long the Supplier profile takes to open in Chromium: by link and by choosing a row on Supplier vetting.

    python -m bench.bench_profile --url duckdb:////tmp/demo.duckdb [--opens 7] [--timeout 120]

Starts `streamlit run app.py` on a free local port against the warehouse (a throwaway app database), opens
Supplier vetting once so the scorecard is computed, and one profile so the server has imported everything.
Then, each on a supplier not opened before (so its own figures are not cached yet):

- by link: a new tab on `supplier?supplier=ID` (a link pasted or shared), timed from navigation;
- by row: on Supplier vetting, a click on row i of the table, timed from the click.

Each open prints three times: "card", until the live trust card is drawn (what the user came for), "done",
until the script has finished and no spinner shows, and "drawn", until every chart on the page has drawn
(a Vega-Lite chart's canvas, a plotly chart's SVG). Then the median of each. Run `uptime` beside
it: the figures depend on the machine's load.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright
from sqlalchemy import text

from devtools.browser import launch_chromium, start_app, stop_app, wait_for_app
from warehouse.connection import warehouse_engine

CARD = "Storefront trust card, as a buyer sees it"
HEADER, ROW = 35, 35  # px: st.dataframe's header and row heights (the grid is a canvas)


def busiest_suppliers(url: str, n: int) -> list[int]:
    """The `n` suppliers with the most orders: the heaviest profiles to open."""
    engine = warehouse_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    text(
                        "SELECT supplier_id FROM orders GROUP BY supplier_id "
                        "ORDER BY count(*) DESC, supplier_id LIMIT :n"
                    ),
                    {"n": n},
                ).scalars()
            )
    finally:
        engine.dispose()


# True once every chart in the main area has drawn: Vega-Lite's canvas (or SVG marks), plotly's main SVG.
CHARTS_DRAWN = """() => [...document.querySelectorAll(
        '[data-testid="stMain"] [data-testid="stVegaLiteChart"], [data-testid="stMain"] .stPlotlyChart')]
    .every((chart) => chart.querySelector('canvas, svg.marks, .main-svg'))"""


def _settled(page, timeout_ms: float) -> None:
    page.get_by_text(CARD).first.wait_for(timeout=timeout_ms)


def _drawn(page, timeout_ms: float) -> None:
    page.wait_for_function(CHARTS_DRAWN, timeout=timeout_ms)


def open_by_link(context, base_url: str, supplier_id: int, timeout_ms: float) -> tuple[float, float, float]:
    """(seconds to the trust card, to a finished page, to every chart drawn) for a new tab on the profile's link."""
    page = context.new_page()
    try:
        started = time.perf_counter()
        page.goto(f"{base_url}/supplier?supplier={supplier_id}", timeout=timeout_ms)
        _settled(page, timeout_ms)
        card = time.perf_counter() - started
        wait_for_app(page, timeout=timeout_ms)
        done = time.perf_counter() - started
        _drawn(page, timeout_ms)
        return card, done, time.perf_counter() - started
    finally:
        page.close()


def open_by_row(page, row: int, timeout_ms: float) -> tuple[int, float, float, float]:
    """(supplier id, seconds to the card, to a finished page, to every chart drawn) after clicking row `row`."""
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    started = time.perf_counter()
    page.mouse.click(box["x"] + 20, box["y"] + HEADER + ROW * row + ROW / 2)  # the row's selection marker
    page.wait_for_url("**/supplier?*supplier=*", timeout=timeout_ms)
    _settled(page, timeout_ms)
    card = time.perf_counter() - started
    wait_for_app(page, timeout=timeout_ms)
    done = time.perf_counter() - started
    _drawn(page, timeout_ms)
    drawn = time.perf_counter() - started
    supplier_id = int(page.url.split("supplier=")[1].split("&")[0])
    page.get_by_role("link", name="Back to Supplier vetting").click()  # not timed
    page.wait_for_url("**/suppliers**", timeout=timeout_ms)
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=timeout_ms)
    wait_for_app(page, timeout=timeout_ms)
    return supplier_id, card, done, drawn


def _summary(label: str, times: list[tuple[float, float, float]]) -> None:
    cards, dones, drawn = ([t[k] for t in times] for k in range(3))
    print(
        f"  {label:<8} median card {statistics.median(cards):5.2f} s, done {statistics.median(dones):5.2f} s, "
        f"drawn {statistics.median(drawn):5.2f} s   (done min {min(dones):.2f}, max {max(dones):.2f}; "
        f"{len(times)} opens)"
    )


def main(argv: list[str] | None = None) -> int:
    top = argparse.ArgumentParser(prog="python -m bench.bench_profile", description=__doc__.splitlines()[0])
    top.add_argument("--url", required=True, help="SQLAlchemy URL of the warehouse (e.g. the 3,000-supplier demo)")
    top.add_argument("--opens", type=int, default=7, help="opens of each kind (default 7)")
    top.add_argument("--timeout", type=float, default=120, help="seconds to wait for one open (default 120)")
    args = top.parse_args(argv)
    timeout_ms = args.timeout * 1000

    warm_id, *link_ids = busiest_suppliers(args.url, args.opens + 1)
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        proc, base_url = start_app(args.url, f"sqlite:///{Path(tmp) / 'app.sqlite'}")
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                context = browser.new_context(viewport={"width": 1440, "height": 1000})
                started = time.perf_counter()
                vetting = context.new_page()
                vetting.goto(f"{base_url}/suppliers", timeout=timeout_ms)
                vetting.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=timeout_ms)
                wait_for_app(vetting, timeout=timeout_ms)
                open_by_link(context, base_url, warm_id, timeout_ms)
                print(f"warm-up (scorecard, imports, one profile): {time.perf_counter() - started:.1f} s")

                links = []
                for supplier_id in link_ids:
                    card, done, drawn = open_by_link(context, base_url, supplier_id, timeout_ms)
                    links.append((card, done, drawn))
                    print(f"  link  #{supplier_id:<6} card {card:5.2f} s   done {done:5.2f} s   drawn {drawn:5.2f} s")
                rows = []
                for row in range(args.opens):
                    supplier_id, card, done, drawn = open_by_row(vetting, row % 8, timeout_ms)
                    rows.append((card, done, drawn))
                    times = f"card {card:5.2f} s   done {done:5.2f} s   drawn {drawn:5.2f} s"
                    print(f"  row {row % 8} #{supplier_id:<6} {times}")
                print("Supplier profile open time:")
                _summary("by link", links)
                _summary("by row", rows)
                context.close()
                browser.close()
        finally:
            stop_app(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
