"""The floor under every page time: how long Streamlit's own front end takes to show a one-line page.

    python -m bench.bench_floor [--visits 7] [--moves 20] [--url duckdb:///PATH]

Serves a two-line script (`st.title`, `st.write`) with this repo's `.streamlit/config.toml`, by the same
`streamlit run` flags the other benchmarks use, and opens it in Chromium on this machine: in a new browser
context (nothing cached: a new session) and in a new tab of a context that has loaded it before (its scripts
cached). For each it prints the medians of: the HTML's DOMContentLoaded (the front end's JavaScript fetched
and run), the websocket opened, the heading drawn, and the script's run ended. Then the median and p95 of
a slider move and of a button click in a fragment that changes one number shown (`--moves` of each).
None of this is the dashboard's code, so no page or move of it can be faster on this machine. With `--url`,
the dashboard's Audit page (its lightest) and a supplier profile by link are timed the same way.
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from devtools.browser import REPO, free_port, launch_chromium, start_app, stop_app, wait_for_server

HELLO = 'import streamlit as st\n\nst.title("Hello")\nst.write("One line of text.")\n'
# The floor of a slider move and of a click: a fragment whose slider or button changes one number.
MOVES = """import streamlit as st

st.title("Moves")


@st.fragment
def part():
    value = st.slider("Threshold", 0, 100, 50, key="floor_slider")
    clicks = st.session_state.setdefault("clicks", 0)
    if st.button("Click", key="floor_button"):
        clicks = st.session_state["clicks"] = clicks + 1
    st.metric("Shown", f"{value} / {clicks}")


part()
"""
METRIC = """() => document.querySelector('[data-testid="stMetricValue"]')?.innerText"""
PHASES = ("DOMContentLoaded", "websocket open", "heading", "script ended")


def start_script(folder: Path, source: str) -> tuple[subprocess.Popen, str]:
    """`streamlit run` of `source` from `folder`, with this repo's config; the process and its base URL."""
    (folder / ".streamlit").mkdir(exist_ok=True)
    shutil.copy(REPO / ".streamlit" / "config.toml", folder / ".streamlit" / "config.toml")
    (folder / "script.py").write_text(source)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "script.py", "--server.address", "127.0.0.1"]
        + ["--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    wait_for_server(base, proc)
    return proc, base


def visit(context, url: str) -> dict[str, float]:
    """Seconds from navigation to each of PHASES, in a new page of `context`."""
    page = context.new_page()
    marks: dict[str, float] = {}
    started = time.perf_counter()
    page.on("websocket", lambda _ws: marks.setdefault("websocket open", time.perf_counter() - started))
    page.on("domcontentloaded", lambda _p: marks.setdefault("DOMContentLoaded", time.perf_counter() - started))
    try:
        page.goto(url, wait_until="commit", timeout=120_000)
        page.wait_for_selector('[data-testid="stMain"] [data-testid="stHeading"]', timeout=120_000)
        marks["heading"] = time.perf_counter() - started
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=120_000)
        marks["script ended"] = time.perf_counter() - started
    finally:
        page.close()
    return marks


def measure(browser, url: str, visits: int) -> dict[str, dict[str, float]]:
    """{'new session' | 'new tab': {phase: median seconds}} over `visits` visits of each kind."""
    sessions, tabs = [], []
    warm = browser.new_context(viewport={"width": 1440, "height": 1000})
    visit(warm, url)  # the tab context's first load: its cache now holds the front end
    for _ in range(visits):
        fresh = browser.new_context(viewport={"width": 1440, "height": 1000})
        sessions.append(visit(fresh, url))
        fresh.close()
        tabs.append(visit(warm, url))
    warm.close()
    return {
        kind: {phase: statistics.median(m[phase] for m in runs) for phase in PHASES}
        for kind, runs in (("new session", sessions), ("new tab", tabs))
    }


def moves(browser, url: str, count: int) -> dict[str, list[float]]:
    """Milliseconds from a key press on the slider, or a click on the button, until the number has changed."""
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    page.goto(url)
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=120_000)
    thumb = page.locator('.st-key-floor_slider input[type="range"]')
    button = page.locator(".st-key-floor_button button")
    times: dict[str, list[float]] = {"slider": [], "click": []}
    for k in range(2 * count):
        kind = "slider" if k % 2 == 0 else "click"
        before = page.evaluate(METRIC)
        started = time.perf_counter()
        if kind == "slider":
            thumb.press("ArrowRight" if k % 4 == 0 else "ArrowLeft")
        else:
            button.click()
        page.wait_for_function(f"(before) => ({METRIC})() !== before", arg=before, timeout=60_000)
        times[kind].append((time.perf_counter() - started) * 1000)
    page.close()
    return times


def print_rows(what: str, figures: dict[str, dict[str, float]]) -> None:
    for kind, phases in figures.items():
        cells = ", ".join(f"{phase} {phases[phase]:.2f} s" for phase in PHASES)
        print(f"  {what}, {kind}: {cells}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visits", type=int, default=7)
    parser.add_argument("--moves", type=int, default=20, help="slider moves and clicks timed")
    parser.add_argument("--url", help="also time the dashboard's Audit page and a profile link on this warehouse")
    parser.add_argument("--supplier", type=int, default=1, help="the supplier id whose profile link is opened")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        proc, base = start_script(Path(tmp), HELLO)
        try:
            print(f"Medians of {args.visits} visits, from navigation; Chromium and the server on this machine.")
            print_rows("a one-line Streamlit page", measure(browser, base, args.visits))
        finally:
            stop_app(proc)
        proc, base = start_script(Path(tmp), MOVES)
        try:
            for kind, ms in moves(browser, base, args.moves).items():
                ms.sort()
                p95 = ms[int(0.95 * (len(ms) - 1))]
                median = statistics.median(ms)
                print(f"  a {kind} in a fragment changing one number: median {median:.0f} ms, p95 {p95:.0f} ms")
        finally:
            stop_app(proc)
        if args.url:
            proc, base = start_app(args.url, f"sqlite:///{tmp}/app.sqlite")
            try:
                print_rows("the dashboard's Audit page", measure(browser, f"{base}/audit", args.visits))
                profile = f"{base}/supplier?supplier={args.supplier}"
                print_rows(f"supplier {args.supplier}'s profile by link", measure(browser, profile, args.visits))
            finally:
                stop_app(proc)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
