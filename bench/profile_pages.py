"""Where a page's rerun time goes: cProfile around AppTest runs of each page on a real warehouse.

    python -m bench.profile_pages --url duckdb:///PATH [--pages overview,uptake,audit,assessments]
                                  [--top 25] [--runs 3]

For each page: one run to fill the server-wide caches (as a first visit after a start), then `--runs`
fresh sessions, each run once (a first render in a new session) and timed, the last under cProfile;
prints the wall times and the functions with the most cumulative time in that profiled run, so the
per-rerun work (widget building, frame conversion, figure building, serialisation) shows. AppTest runs
the page script and marshals every element exactly as a server does; only the websocket is left out.
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

PAGES = {
    "overview": "app_pages/overview.py",
    "suppliers": "app_pages/suppliers.py",
    "uptake": "app_pages/uptake.py",
    "policy_lab": "app_pages/policy_lab.py",
    "assessments": "app_pages/assessments.py",
    "audit": "app_pages/audit.py",
}
APP = str(Path(__file__).resolve().parent.parent / "app.py")


def session(page: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=600)
    return at.switch_page(PAGES[page])


class ScriptProfiler:
    """Profiles the script's own thread: wraps the function Streamlit's ScriptRunner executes the page with."""

    def __init__(self) -> None:
        from streamlit.runtime.scriptrunner import script_runner

        self.module = script_runner
        self.original = script_runner.exec_func_with_error_handling
        self.profiler: cProfile.Profile | None = None
        self.seconds = 0.0
        script_runner.exec_func_with_error_handling = self.run

    def run(self, func, ctx):
        started = time.perf_counter()
        try:
            if self.profiler is None:
                return self.original(func, ctx)
            self.profiler.enable()
            try:
                return self.original(func, ctx)
            finally:
                self.profiler.disable()
        finally:
            self.seconds = time.perf_counter() - started


def profile_page(hook: ScriptProfiler, page: str, runs: int, top: int) -> None:
    session(page).run()  # fills the caches
    times = []
    for k in range(runs):
        at = session(page)
        hook.profiler = cProfile.Profile() if k == runs - 1 else None
        at.run()
        times.append(hook.seconds)
        if at.exception:
            print(f"  {page}: exception {at.exception[0].message}")
    profiler = hook.profiler
    hook.profiler = None
    print(f"\n=== {page}: new-session run {statistics.median(times):.3f} s median of {runs} ({times})")
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(top)
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:20000])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_pages", description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of the warehouse")
    parser.add_argument("--pages", default="overview,uptake,audit,assessments")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--app-db", help="app database URL with runs and saved policies (default: a new, empty one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="profile-pages-") as tmp:
        os.environ["TRUST_WAREHOUSE_URL"] = args.url
        os.environ["TRUST_APP_DB_URL"] = args.app_db or f"sqlite:///{Path(tmp) / 'app.sqlite'}"
        os.environ.setdefault("TRUST_SERVING_DIR", str(Path(tmp) / "serving"))
        hook = ScriptProfiler()
        for page in args.pages.split(","):
            profile_page(hook, page.strip(), args.runs, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
