"""Real-browser fixtures: `streamlit run app.py` on the session's demo warehouse (tests/conftest.py) on a free
local port, headless Chromium.

Screenshots go to `screenshots/` at the repository root: the committed set `<page>-1440.png` / `<page>-390.png`
(test_screenshots_browser.py); the other tests' shots stay ignored. The helpers live in devtools/browser.py.
"""

from pathlib import Path

import pytest

from devtools.browser import CHROMIUM, REPO, launch_chromium, start_app, stop_app

SCREENSHOTS = REPO / "screenshots"

# Never skip: without Playwright or Chromium the browser suite must fail (scripts/test.sh installs both).
import playwright.sync_api as playwright_sync  # noqa: E402

assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}: apt-get install chromium"


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
