"""Start the dashboard and drive Chromium: shared by tests/browser and bench/bench_browser.py (no pytest here).

Nothing leaves the machine: the server listens on 127.0.0.1 with usage statistics off, and Chromium runs
headless with background networking disabled.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


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
