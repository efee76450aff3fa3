"""Soak: many concurrent sessions moving the Policy lab's sliders, without a browser; prints figures.

Each session speaks Streamlit's own protocol on /_stcore/stream: it sends a BackMsg rerun_script (the
Policy lab page), then, in a loop for a bounded time, a fragment rerun with the minimum-orders slider
moved, and reads ForwardMsgs until script_finished. Reported: errors, p50/p95 slider-to-update latency,
and the server's RSS before the sessions, at its peak and after they have closed. Optionally 1-2 real
Chromium sessions run alongside for end-to-end latency. Loopback only.

    python -m bench.soak [--sessions 30] [--minutes 2] [--think 1.0] [--chromium 1] [--url URL]
"""

import argparse
import asyncio
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Common_pb2 import DoubleArray
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates

from devtools.browser import start_app, stop_app
from warehouse.connection import resolve_url

SLIDER_KEY = "lab_min_orders_6m"
FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}


def disconnected_ttl() -> float:
    """Seconds Streamlit keeps a disconnected session (server.disconnectedSessionTTL)."""
    from streamlit import config

    return float(config.get_option("server.disconnectedSessionTTL"))


def rss_mb(pid: int) -> float:
    """Resident memory of process `pid` in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Peak(threading.Thread):
    """Samples a process's RSS every `every` seconds and keeps the peak."""

    def __init__(self, pid: int, every: float = 0.25):
        super().__init__(daemon=True)
        self.pid, self.every, self.peak, self.done = pid, every, 0.0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(self.every)


def rerun(client_state: ClientState) -> bytes:
    msg = BackMsg()
    msg.rerun_script.CopyFrom(client_state)
    return msg.SerializeToString()


async def run_until_finished(ws, sent: bytes, timeout: float, seen: dict) -> tuple[float, int]:
    """Send `sent`, read until script_finished; (seconds, exceptions shown). Notes ids into `seen`."""
    started = time.perf_counter()
    await ws.send(sent)
    exceptions = 0
    while True:
        msg = ForwardMsg()
        msg.ParseFromString(await asyncio.wait_for(ws.recv(), timeout))
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            seen["page_script_hash"] = msg.new_session.page_script_hash or seen.get("page_script_hash", "")
        elif kind == "navigation" and msg.navigation.page_script_hash:
            seen["page_script_hash"] = msg.navigation.page_script_hash
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            which = element.WhichOneof("type")
            if which == "exception":
                exceptions += 1
            elif which == "metric" and element.metric.label == "Qualified suppliers":
                seen.setdefault("qualified", set()).add(element.metric.body)
            elif which == "slider" and element.slider.id.endswith(SLIDER_KEY):
                seen["slider_id"], seen["fragment_id"] = element.slider.id, msg.delta.fragment_id
        elif kind == "script_finished":
            if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                continue
            if msg.script_finished not in FINISHED:
                exceptions += 1
            return time.perf_counter() - started, exceptions


async def session(ws_url: str, deadline: float, think: float, stats: dict, number: int) -> None:
    """One user: open the Policy lab, then move the slider between 2 and 6 until `deadline`."""
    rng = random.Random(number)
    seen: dict = {}
    try:
        async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None, open_timeout=60) as ws:
            first, errors = await run_until_finished(ws, rerun(ClientState(page_name="policy_lab")), 600, seen)
            stats["first"].append(first)
            stats["errors"] += errors
            if "slider_id" not in seen:
                stats["errors"] += 1
                stats["notes"].append(f"session {number}: no {SLIDER_KEY} slider on the first render")
                return
            value = 3
            while time.perf_counter() < deadline:
                await asyncio.sleep(rng.uniform(0.5, 1.5) * think)
                value = rng.choice([v for v in (2, 3, 4, 5, 6) if v != value])
                state = ClientState(
                    page_script_hash=seen.get("page_script_hash", ""),
                    fragment_id=seen["fragment_id"],
                    widget_states=WidgetStates(
                        widgets=[WidgetState(id=seen["slider_id"], double_array_value=DoubleArray(data=[value]))]
                    ),
                )
                took, errors = await run_until_finished(ws, rerun(state), 300, seen)
                stats["moves"].append(took)
                stats["errors"] += errors
            stats["qualified"] |= seen.get("qualified", set())
    except Exception as exc:  # a dropped connection or a timeout is a soak failure to count, not to hide
        stats["errors"] += 1
        stats["notes"].append(f"session {number}: {type(exc).__name__}: {exc}"[:200])


def chromium_sessions(base_url: str, count: int, moves: int, out: list) -> None:
    """`count` headless Chromium pages moving the slider `moves` times each (ms per move into `out`)."""
    from playwright.sync_api import sync_playwright

    from bench.bench_whatif import slider_moves
    from devtools.browser import launch_chromium

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for _ in range(count):
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            out.extend(slider_moves(page, base_url, moves)[1])
            page.close()
        browser.close()


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * (len(values) - 1) + 0.5))] if values else float("nan")


async def soak(ws_url: str, sessions: int, seconds: float, think: float) -> dict:
    stats = {"first": [], "moves": [], "errors": 0, "notes": [], "qualified": set()}
    deadline = time.perf_counter() + seconds
    await asyncio.gather(*(session(ws_url, deadline, think, stats, n) for n in range(sessions)))
    return stats


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between two slider moves")
    parser.add_argument("--chromium", type=int, default=0, help="real Chromium sessions alongside (0-2)")
    parser.add_argument("--url", help="warehouse URL (default: TRUST_WAREHOUSE_URL or the demo warehouse)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        proc, base_url = start_app(resolve_url(args.url), f"sqlite:///{tmp}/app.sqlite")
        try:
            time.sleep(1)
            before = rss_mb(proc.pid)
            peak = Peak(proc.pid)
            peak.start()
            browser_ms: list[float] = []
            browser = None
            if args.chromium:
                browser = threading.Thread(
                    target=chromium_sessions, args=(base_url, min(args.chromium, 2), 20, browser_ms), daemon=True
                )
                browser.start()
            started = time.perf_counter()
            ws_url = base_url.replace("http://", "ws://") + "/_stcore/stream"
            stats = asyncio.run(soak(ws_url, args.sessions, args.minutes * 60, args.think))
            wall = time.perf_counter() - started
            if browser:
                browser.join()
            time.sleep(disconnected_ttl() + 10)  # the server keeps a closed session that long, for a reconnect
            peak.done.set()
            peak.join()
            after = rss_mb(proc.pid)
        finally:
            stop_app(proc)

    moves = stats["moves"]
    print(f"sessions {args.sessions} × {args.minutes:g} min (think {args.think:g} s), wall {wall:.0f} s")
    print(
        f"first render of the Policy lab: median {statistics.median(stats['first']):.2f} s, "
        f"max {max(stats['first']):.2f} s"
        if stats["first"]
        else "first render: none"
    )
    print(
        f"slider moves {len(moves)}: p50 {percentile(moves, 0.5) * 1000:.0f} ms, "
        f"p95 {percentile(moves, 0.95) * 1000:.0f} ms, max {max(moves, default=float('nan')) * 1000:.0f} ms"
    )
    if browser_ms:
        print(
            f"Chromium slider → update: {len(browser_ms)} moves, p50 {percentile(browser_ms, 0.5):.0f} ms, "
            f"p95 {percentile(browser_ms, 0.95):.0f} ms"
        )
    # Proof the moves reached the server: the what-if's qualified count took several values.
    print(
        f"distinct 'Qualified suppliers' values seen: {len(stats['qualified'])} "
        f"({', '.join(sorted(stats['qualified']))})"
    )
    print(f"errors {stats['errors']}")
    for note in stats["notes"][:10]:
        print(f"  {note}")
    print(f"server RSS: before {before:.0f} MB, peak {peak.peak:.0f} MB, after close {after:.0f} MB")


if __name__ == "__main__":
    main()
