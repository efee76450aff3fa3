"""The floor under every page time: how long Streamlit's own front end takes to show a one-line page.

    python -m bench.bench_floor [--visits 7] [--url duckdb:///PATH]

Serves a two-line script (`st.title`, `st.write`) with this repo's `.streamlit/config.toml`, by the same
`streamlit run` flags the other benchmarks use, and opens it in Chromium on this machine: in a new browser
context (nothing cached: a new session) and in a new tab of a context that has loaded it before (its scripts
cached). For each it prints the medians of: the HTML's DOMContentLoaded (the front end's JavaScript fetched
and run), the websocket opened, the heading drawn, and the script's run ended. None of this is the
dashboard's code, so no page of it can be drawn sooner on this machine. With `--url`, the dashboard's Audit
page (its lightest) and a supplier profile by link are timed the same way, side by side.
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
PHASES = ("DOMContentLoaded", "websocket open", "heading", "script ended")


def start_hello(folder: Path) -> tuple[subprocess.Popen, str]:
    (folder / ".streamlit").mkdir()
    shutil.copy(REPO / ".streamlit" / "config.toml", folder / ".streamlit" / "config.toml")
    (folder / "hello.py").write_text(HELLO)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "hello.py", "--server.address", "127.0.0.1"]
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


def print_rows(what: str, figures: dict[str, dict[str, float]]) -> None:
    for kind, phases in figures.items():
        cells = ", ".join(f"{phase} {phases[phase]:.2f} s" for phase in PHASES)
        print(f"  {what}, {kind}: {cells}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visits", type=int, default=7)
    parser.add_argument("--url", help="also time the dashboard's Audit page and a profile link on this warehouse")
    parser.add_argument("--supplier", type=int, default=1, help="the supplier id whose profile link is opened")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        proc, base = start_hello(Path(tmp))
        try:
            print(f"Medians of {args.visits} visits, from navigation; Chromium and the server on this machine.")
            print_rows("a one-line Streamlit page", measure(browser, base, args.visits))
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
