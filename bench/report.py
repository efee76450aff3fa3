"""Every goal of issue 14 measured in one run, printed as one Markdown table (for the README).

    python -m bench.report --url duckdb:///PATH [--processes 2] [--sessions 30] [--minutes 2] [--visits 5]
                           [--app-db URL] [--skip browser,soak,cli,uptake,warm]

Steps, each reusing the bench module named:
1. uptake (bench_uptake): one scorecard and the 25-date uptake history straight from the warehouse, then
   through the serving layer: cold (computed and kept), warm (read), and at a new as-of date.
2. cli (bench_cli): `python -m queries scorecard` warm and cold against one plain DuckDB COPY query.
3. browser (bench_browser, bench_whatif): one Streamlit process on a warmed serving layer (as serve.sh
   starts); each page's first visit after the start, then --visits new sessions in a new browser (median,
   p90; and when the server's script run ended) and --visits new tabs of a browser that has the app's
   scripts cached (median); a search,
   a filter, a supplier profile by link and a new as-of date; 20 slider moves (median, p95).
4. soak (soak): scripts/serve.sh with --processes behind nginx (app database on a throwaway PostgreSQL),
   --sessions websocket sessions for --minutes; p95, errors, and the processes' memory before, at peak
   and after.
Loopback only; the machine's other load shows in the figures, so the scale and time are printed.
"""

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bench.soak import disconnected_ttl, percentile, rss_mb
from data.schema import claims, inquiries, orders, suppliers
from warehouse.connection import describe, resolve_url, warehouse_engine

REPO = Path(__file__).resolve().parent.parent
ROWS: list[tuple[str, str, str, str]] = []  # (figure, measured, goal, met)


def row(figure: str, measured: str, goal: str = "", met: bool | None = None) -> None:
    mark = "" if met is None else ("yes" if met else "no")
    ROWS.append((figure, measured, goal, mark))
    print(f"  {figure}: {measured}" + (f"   (goal {goal}: {mark})" if goal else ""), flush=True)


def p90(values: list[float]) -> float:
    return percentile(values, 0.9)


def warehouse_facts(url: str) -> tuple[str, date]:
    from queries.freshness import default_as_of, fetch_freshness

    engine = warehouse_engine(url)
    with engine.connect() as conn:
        sizes = [
            conn.execute(select(func.count()).select_from(t)).scalar() for t in (suppliers, orders, inquiries, claims)
        ]
        as_of = default_as_of(fetch_freshness(conn))
    engine.dispose()
    scale = f"{sizes[0]:,} suppliers, {sizes[1]:,} orders, {sizes[2]:,} inquiries, {sizes[3]:,} claims"
    return scale, as_of


def seconds(run) -> tuple[float, object]:
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def uptake_step(url: str, as_of: date, serving_dir: Path) -> None:
    from queries import serving
    from queries.scorecard import fetch_features
    from queries.uptake import fetch_history_features, month_starts

    def points(at: date) -> tuple[date, ...]:
        return tuple(sorted({*month_starts(at, 24), at.replace(year=at.year - 1)}))

    engine = warehouse_engine(url)
    with engine.connect() as conn:
        one, _ = seconds(lambda: fetch_features(conn, as_of))
        many, _ = seconds(lambda: fetch_history_features(conn, points(as_of)))
        version = serving.fetch_data_version(conn)
    row("one scorecard from the warehouse", f"{one:.2f} s")
    row("uptake history (25 as-of dates) from the warehouse", f"{many:.2f} s = {many / one:.2f}× one scorecard")
    os.environ["TRUST_SERVING_DIR"] = str(serving_dir)
    cold, _ = seconds(lambda: serving.history_features(url, points(as_of), version, engine.connect))
    warm, _ = seconds(lambda: serving.history_features(url, points(as_of), version, engine.connect))
    new_day = as_of + timedelta(days=1)
    fresh, _ = seconds(lambda: serving.history_features(url, points(new_day), version, engine.connect))
    row("uptake history, serving layer, first time in a refresh", f"{cold:.2f} s = {cold / one:.2f}× one scorecard")
    row(
        "uptake history, serving layer, read",
        f"{warm:.2f} s = {warm / one:.2f}× one scorecard",
        "≤ 3×",
        warm / one <= 3,
    )
    row(
        "uptake history at a new as-of date (2 new dates computed)",
        f"{fresh:.2f} s = {fresh / one:.2f}× one scorecard",
        "≤ 3×",
        fresh / one <= 3,
    )
    engine.dispose()


def cli_step(url: str, as_of: date) -> None:
    from bench.bench_cli import measure

    times = measure(url, as_of, repeat=3)
    plain = statistics.median(times["plain_sql"])
    warm = statistics.median(times["cli_warm"])
    cold = statistics.median(times["cli_cold"])
    row("plain DuckDB COPY of the scorecard aggregation (median of 3)", f"{plain:.2f} s")
    row(
        "`python -m queries scorecard`, snapshot in place",
        f"{warm:.2f} s = {warm / plain:.2f}×",
        "≤ 0.6×",
        warm / plain <= 0.6,
    )
    row("`python -m queries scorecard`, first run in a refresh", f"{cold:.2f} s = {cold / plain:.2f}×")


def interaction(page, act, timeout_ms: float = 600_000) -> float:
    """Seconds from `act(page)` until the rerun it starts has finished drawing."""
    from devtools.browser import wait_for_app

    started = time.perf_counter()
    act(page)
    try:
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="running"]', timeout=3_000)
    except Exception:  # the rerun may already be over
        pass
    wait_for_app(page, timeout=timeout_ms)
    return time.perf_counter() - started


def typed(selector: str, value: str):
    """An action typing `value` into the input at `selector` and pressing Enter."""

    def act(page) -> None:
        box = page.locator(selector)
        box.fill(value)
        box.press("Enter")

    return act


def browser_step(url: str, as_of: date, serving_dir: Path, visits: int, app_db: str | None = None) -> None:
    from playwright.sync_api import sync_playwright

    from bench.bench_browser import PAGES, busiest_supplier, time_page, time_page_phases
    from bench.bench_profile import open_by_row
    from bench.bench_whatif import slider_moves
    from devtools.browser import launch_chromium, start_app, stop_app, wait_for_app

    supplier = busiest_supplier(url)
    os.environ["TRUST_SERVING_DIR"] = str(serving_dir)
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        proc, base = start_app(url, app_db or f"sqlite:///{Path(tmp) / 'app.sqlite'}")
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                firsts, news, tabs = [], [], []
                cached_browser = browser.new_context(viewport={"width": 1440, "height": 1000})
                for label, path in PAGES:
                    link = f"{base}/{path.format(supplier=supplier)}"
                    first, status = time_page(browser, link, 600)
                    again = [time_page_phases(browser, link, 600) for _ in range(visits)]
                    tab = [time_page_phases(browser, link, 600, cached_browser) for _ in range(visits)]
                    firsts.append(first)
                    news.extend(drawn for drawn, _, _ in again)
                    tabs.extend(drawn for drawn, _, _ in tab)
                    bad = {s for _, _, s in again + tab} - {"ok"}
                    row(
                        f"{label}: first visit / new session median, p90 (script done) / new tab median",
                        f"{first:.2f} s ({status}) / {statistics.median(d for d, _, _ in again):.2f} s, "
                        f"{p90([d for d, _, _ in again]):.2f} s ({statistics.median(s for _, s, _ in again):.2f} s)"
                        f" / {statistics.median(d for d, _, _ in tab):.2f} s" + (f" ({', '.join(bad)})" if bad else ""),
                    )
                cached_browser.close()
                row("first visit after a start, worst page", f"{max(firsts):.2f} s", "≤ 2.5 s", max(firsts) <= 2.5)
                row(
                    "first render in a new session, every page: median, p90",
                    f"{statistics.median(news):.2f} s, {p90(news):.2f} s",
                    "≤ 1.5 s, ≤ 2.0 s",
                    statistics.median(news) <= 1.5 and p90(news) <= 2.0,
                )
                row(
                    "first render in a new tab of a browser that has the app cached, every page: median, p90",
                    f"{statistics.median(tabs):.2f} s, {p90(tabs):.2f} s",
                    "≤ 1.5 s, ≤ 2.0 s",
                    statistics.median(tabs) <= 1.5 and p90(tabs) <= 2.0,
                )
                context = browser.new_context(viewport={"width": 1440, "height": 1000})
                page = context.new_page()
                page.goto(f"{base}/suppliers")
                wait_for_app(page, timeout=600_000)
                search, filters = [], []
                for k in range(visits):
                    search.append(interaction(page, typed(".st-key-search input", str(10 + k))))
                    filters.append(interaction(page, typed(".st-key-min_deals input", str(k % 3 + 1))))
                typed(".st-key-search input", "")(page)  # every row back, for the row clicks
                interaction(page, typed(".st-key-min_deals input", "0"))
                selects = [open_by_row(page, k % 5, 600_000)[1] for k in range(visits)]  # to the trust card
                profiles = [
                    time_page(browser, f"{base}/suppliers?supplier={supplier - k}", 600)[0] for k in range(visits)
                ]
                row("supplier search: median, p90", f"{statistics.median(search):.2f} s, {p90(search):.2f} s")
                row(
                    "supplier filter (min deals): median, p90",
                    f"{statistics.median(filters):.2f} s, {p90(filters):.2f} s",
                )
                row(
                    "selecting a supplier (a row of Supplier vetting → its trust card): median, p90",
                    f"{statistics.median(selects):.2f} s, {p90(selects):.2f} s",
                )
                row(
                    "a supplier's profile by link (a new session's page load): median, p90",
                    f"{statistics.median(profiles):.2f} s, {p90(profiles):.2f} s",
                )
                other = as_of - timedelta(days=40)
                new_as_of = [time_page(browser, f"{base}/?as_of={other - timedelta(days=k)}", 600)[0] for k in range(3)]
                new_as_of += [
                    time_page(browser, f"{base}/uptake?as_of={other - timedelta(days=5 + k)}", 600)[0] for k in range(2)
                ]
                row(
                    "a new as-of date (overview ×3, uptake ×2), worst",
                    f"{max(new_as_of):.2f} s",
                    "≤ 2 s",
                    max(new_as_of) <= 2,
                )
                _, moves = slider_moves(page, base, 20)
                median, p95 = statistics.median(moves), percentile(moves, 0.95)
                row(
                    "slider → updated count (20 moves)",
                    f"median {median:.0f} ms, p95 {p95:.0f} ms",
                    "≤ 150 / 250 ms",
                    median <= 150 and p95 <= 250,
                )
                tabs_clicked = [
                    interaction(page, lambda p, name=name: p.get_by_role("tab", name=name, exact=True).click())
                    for name in ("Lose", "Rules", "Gain") * visits
                ]
                row(
                    "a Policy lab tab: median, p90",
                    f"{statistics.median(tabs_clicked):.2f} s, {p90(tabs_clicked):.2f} s",
                )
                interactions = search + filters + selects + tabs_clicked
                row(
                    "select / search / filter / tab, p90", f"{p90(interactions):.2f} s", "≤ 1 s", p90(interactions) <= 1
                )
                context.close()
                browser.close()
        finally:
            stop_app(proc)


def _backend_pids(ports: list[int]) -> list[int]:
    """The Streamlit processes listening on `ports` (by their command lines)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            words = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in b" ".join(words) and b"--server.port" in words:
            if int(words[words.index(b"--server.port") + 1]) in ports:
                pids.append(int(entry.name))
    return pids


def soak_step(url: str, serving_dir: Path, processes: int, sessions: int, minutes: float) -> None:
    import urllib.request

    from bench.soak import soak
    from devtools.browser import free_port
    from devtools.pgserver import PgServer

    pg = PgServer().start()
    port, backend = free_port(), free_port()
    ports = [backend + i for i in range(1, processes + 1)]
    env = {
        **os.environ,
        "TRUST_WAREHOUSE_URL": url,
        "TRUST_APP_DB_URL": pg.create_database("soak_app"),
        "TRUST_SERVING_DIR": str(serving_dir),
    }
    serve = [str(REPO / "scripts" / "serve.sh"), "--processes", str(processes), "--port", str(port)]
    proc = subprocess.Popen(
        [*serve, "--backend-port", str(backend)], cwd=REPO, env=env, stdout=subprocess.DEVNULL, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and len(_backend_pids(ports)) < processes:
            time.sleep(0.5)
        for n in range(200):  # every process answers through nginx
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=5):
                    pass
                if n > 20:
                    break
            except OSError:
                time.sleep(0.5)
        pids = _backend_pids(ports)
        # The start: each process has drawn the Policy lab once (imports done, today's features cached).
        warm_up = base.replace("http://", "ws://") + "/_stcore/stream"
        asyncio.run(soak(warm_up, 2 * processes, 1.0, 1.0))
        before = sum(rss_mb(pid) for pid in pids)
        stats = asyncio.run(soak(base.replace("http://", "ws://") + "/_stcore/stream", sessions, minutes * 60, 1.0))
        # A closed session is kept for server.disconnectedSessionTTL (120 s by default) in case its browser
        # reconnects; memory is read once the processes have dropped them.
        time.sleep(disconnected_ttl() + 10)
        after = sum(rss_mb(pid) for pid in pids)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        pg.stop()
    moves = stats["moves"]
    p50, p95 = percentile(moves, 0.5), percentile(moves, 0.95)
    label = f"soak: {sessions} sessions × {minutes:g} min, 1 s think, {processes} processes behind nginx"
    row(f"{label}: moves, p50, p95", f"{len(moves)} moves, {p50:.2f} s, {p95:.2f} s", "p95 ≤ 1 s", p95 <= 1)
    row("soak errors", str(stats["errors"]), "0", stats["errors"] == 0 and bool(moves))
    grown = after / before - 1 if before else float("nan")
    row(
        "soak: the processes' memory after a first visit → after the sessions closed",
        f"{before:.0f} MB → {after:.0f} MB ({grown:+.0%})",
        "within 20 %",
        abs(grown) <= 0.2,
    )


def warm_step(url: str, serving_dir: Path) -> None:
    from queries.serving import warm

    os.environ["TRUST_SERVING_DIR"] = str(serving_dir)
    took, _ = seconds(lambda: warm(url))
    row("serving layer warm-up at a refresh (features ×2 + 25-date history)", f"{took:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None, help="a DuckDB warehouse URL (default: $TRUST_WAREHOUSE_URL)")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--visits", type=int, default=5, help="new sessions per page, and repeats of each interaction")
    parser.add_argument(
        "--app-db", default=None, help="app database URL for the browser step (default: a new, empty SQLite file)"
    )
    parser.add_argument("--skip", default="", help="comma-separated steps to leave out: uptake, cli, browser, soak")
    args = parser.parse_args(argv)
    url = resolve_url(args.url)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}

    scale, as_of = warehouse_facts(url)
    started = datetime.now(UTC)
    print(f"{describe(url)}: {scale}; as-of {as_of}; {os.cpu_count()} cores; {started:%Y-%m-%d %H:%M} UTC", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-report-serving-") as tmp:
        serving_dir = Path(tmp)
        steps = {
            "uptake": lambda: uptake_step(url, as_of, serving_dir / "uptake"),
            "warm": lambda: warm_step(url, serving_dir / "app"),
            "cli": lambda: cli_step(url, as_of),
            "browser": lambda: browser_step(url, as_of, serving_dir / "app", args.visits, args.app_db),
            "soak": lambda: soak_step(url, serving_dir / "app", args.processes, args.sessions, args.minutes),
        }
        for name, step in steps.items():
            if name in skip:
                continue
            try:
                step()
            except Exception as exc:  # a timeout is a figure too: note it, go on with the other steps
                row(f"{name} step stopped", f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}")

    print()
    print(f"Measured {started:%Y-%m-%d} on {os.cpu_count()} shared cores, {describe(url)}: {scale}.")
    print()
    print("| figure | measured | goal | met |")
    print("|---|---|---|---|")
    for figure, measured, goal, met in ROWS:
        print(f"| {figure} | {measured} | {goal} | {met} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
