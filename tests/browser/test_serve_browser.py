"""scripts/run.sh's launcher (serve.py: app.py behind auth.network.LocalGuard) serves the dashboard to a real
browser: the pages render, navigation works and the websocket stays up through the guard."""

import os
import subprocess
import sys

import pytest

from devtools.browser import REPO, free_port, stop_app, wait_for_app, wait_for_server


@pytest.fixture(scope="module")
def served(demo_warehouse, tmp_path_factory):
    port = free_port()
    env = {
        **os.environ,
        "TRUST_WAREHOUSE_URL": demo_warehouse,
        "TRUST_APP_DB_URL": f"sqlite:///{tmp_path_factory.mktemp('serve') / 'app.sqlite'}",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.address", "127.0.0.1", "--server.port",
         str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(base_url, proc)
        yield base_url
    finally:
        stop_app(proc)


def test_the_guarded_launcher_serves_every_page(page, served):
    page.goto(served)
    wait_for_app(page)
    assert page.get_by_role("heading", name="Trade Assurance trust").first.is_visible()
    assert page.get_by_text("Warehouse: DuckDB · demo.duckdb").is_visible()
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Supplier vetting").click()
    wait_for_app(page)
    assert "/suppliers" in page.url
    assert page.get_by_role("heading", name="Supplier vetting").first.is_visible()
    assert not page.get_by_text("The warehouse could not be reached").count()
