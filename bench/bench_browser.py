"""How long each page takes to render fully in Chromium, on a large warehouse (200,000 suppliers or so).

    python -m bench.bench_browser --url duckdb:///path/to/warehouse.duckdb [--supplier ID] [--timeout S]

Starts `streamlit run app.py` on a free local port against the given warehouse, then opens each page in a
fresh browser session and times it from navigation until the script has finished, no spinner or skeleton
shows and the page's heading is visible. Each page is opened twice: "cold" is the first visit after the
server started (the caches hold only what earlier pages computed: pages are visited in the order listed),
"warm" a second visit in a new session. Prints one row per page.
"""

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import sync_playwright
from sqlalchemy import text

from devtools.browser import launch_chromium, start_app, stop_app, wait_for_app
from warehouse.connection import warehouse_engine

PAGES = (
    ("Overview", ""),
    ("Supplier vetting", "suppliers"),
    ("Supplier profile", "suppliers?supplier={supplier}"),
    ("Program uptake", "uptake"),
    ("Policy lab", "policy_lab"),
    ("Assessments", "assessments"),
    ("Audit", "audit"),
)


def slider_timings(page, base_url: str) -> list[tuple[str, float]]:
    """Hook for the Policy lab's slider timings: (label, seconds) pairs, printed after the page table.

    Opens the lab, moves the minimum-orders slider 20 times, times until the qualified count updates.
    """
    from bench.bench_whatif import slider_timings as lab_slider_timings

    return lab_slider_timings(page, base_url)


SLIDER_TIMINGS: Callable[..., list[tuple[str, float]]] = slider_timings


def busiest_supplier(url: str) -> int:
    """The supplier with the most orders: the heaviest profile to open."""
    engine = warehouse_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            return conn.execute(
                text("SELECT supplier_id FROM orders GROUP BY supplier_id ORDER BY count(*) DESC LIMIT 1")
            ).scalar_one()
    finally:
        engine.dispose()


def time_page(browser, url: str, timeout_s: float) -> tuple[float, str]:
    """Seconds from navigation to a full render of `url` in a fresh session, and 'ok' or what went wrong."""
    drawn, _, status = time_page_phases(browser, url, timeout_s)
    return drawn, status


def time_page_phases(browser, url: str, timeout_s: float, context=None) -> tuple[float, float, str]:
    """(seconds until `url` is fully drawn, seconds until the server's script run ended, 'ok' or what went
    wrong) for a new session: in a new browser context (nothing cached), or a new tab of `context` (the
    browser's cache holds the app's scripts, as for someone who opened the dashboard before). The gap between
    the two figures is the browser's work: loading chart libraries and drawing."""
    own = context is None
    context = browser.new_context(viewport={"width": 1440, "height": 1000}) if own else context
    page = context.new_page()
    started = script_done = time.perf_counter()
    try:
        page.goto(url, timeout=timeout_s * 1000)
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout_s * 1000)
        script_done = time.perf_counter()
        wait_for_app(page, timeout=timeout_s * 1000)
        elapsed = time.perf_counter() - started
        errors = page.locator('[data-testid="stException"]').count()
        return elapsed, script_done - started, "ok" if errors == 0 else f"{errors} exception element(s)"
    except Exception as exc:  # a timeout is a figure too
        return time.perf_counter() - started, script_done - started, type(exc).__name__
    finally:
        page.close()
        if own:
            context.close()


def main(argv: list[str] | None = None) -> int:
    top = argparse.ArgumentParser(prog="python -m bench.bench_browser", description=__doc__.splitlines()[0])
    top.add_argument("--url", required=True, help="SQLAlchemy URL of a (large) warehouse")
    top.add_argument("--supplier", type=int, help="supplier id for the profile (default: the one with most orders)")
    top.add_argument("--timeout", type=float, default=600, help="seconds to wait for one page (default 600)")
    args = top.parse_args(argv)

    supplier = args.supplier if args.supplier is not None else busiest_supplier(args.url)
    with tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp:
        started = time.perf_counter()
        proc, base_url = start_app(args.url, f"sqlite:///{Path(tmp) / 'app.sqlite'}")
        print(f"server up in {time.perf_counter() - started:.1f} s at {base_url}; profile of supplier {supplier}")
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                rows = []
                for label, path in PAGES:
                    url = f"{base_url}/{path.format(supplier=supplier)}"
                    cold = time_page(browser, url, args.timeout)
                    warm = time_page(browser, url, args.timeout)
                    rows.append((label, cold, warm))
                    print(f"  {label:<18} cold {cold[0]:7.2f} s ({cold[1]})   warm {warm[0]:7.2f} s ({warm[1]})")
                context = browser.new_context(viewport={"width": 1440, "height": 1000})
                for label, seconds in SLIDER_TIMINGS(context.new_page(), base_url):
                    print(f"  {label:<18} {seconds:7.2f} s")
                context.close()
                browser.close()
        finally:
            stop_app(proc)
    failed = [label for label, cold, warm in rows if cold[1] != "ok" or warm[1] != "ok"]
    if failed:
        print(f"pages that did not render cleanly: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
