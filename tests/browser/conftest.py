"""Real-browser fixtures: a seeded demo warehouse, `streamlit run app.py` on a free local port, headless Chromium.

Nothing leaves the machine: the server listens on 127.0.0.1, usage statistics are off, and Chromium runs
with background networking disabled. Screenshots go to `screenshots/` at the repository root (gitignored).
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DEMO_SUPPLIERS = 300  # enough for every page to have content; generated in a couple of seconds

playwright_sync = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_server(base_url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    """Until Streamlit's health endpoint answers ok, or fail with the server's output."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{proc.stdout.read()}")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"streamlit did not answer on {base_url} within {timeout:.0f} s")


def start_app(warehouse_url: str, app_db_url: str) -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` on 127.0.0.1 and a free port; returns the process and its base URL."""
    port = free_port()
    env = {**os.environ, "TRUST_WAREHOUSE_URL": warehouse_url, "TRUST_APP_DB_URL": app_db_url}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(base_url, proc)
    except Exception:
        stop_app(proc)
        raise
    return proc, base_url


def stop_app(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def wait_for_app(page, timeout: float = 60_000) -> None:
    """Until the script has finished running, no spinner shows and the page has a heading."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stSpinner"]')
             && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')
             && !document.querySelector('[data-testid="stSkeleton"]')
             && document.querySelector('[data-testid="stMain"] [data-testid="stHeading"]')""",
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory) -> str:
    """A seeded demo warehouse of DEMO_SUPPLIERS suppliers in a DuckDB file."""
    url = f"duckdb:///{tmp_path_factory.mktemp('browser') / 'demo.duckdb'}"
    subprocess.run(
        [sys.executable, "-m", "data.generate", "--url", url, "--suppliers", str(DEMO_SUPPLIERS)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    return url


@pytest.fixture(scope="session")
def app_url(demo_warehouse, tmp_path_factory):
    """The base URL of a running dashboard on the demo warehouse; stopped after the session."""
    app_db = f"sqlite:///{tmp_path_factory.mktemp('appdb') / 'app.sqlite'}"
    proc, base_url = start_app(demo_warehouse, app_db)
    yield base_url
    stop_app(proc)


@pytest.fixture(scope="session")
def browser():
    with playwright_sync.sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1600}, accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
