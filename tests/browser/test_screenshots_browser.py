"""Screenshots of every page at a laptop's and a phone's width: screenshots/<page>-1440.png and <page>-390.png.

Committed (issue 11), so a change to how a page reads shows in review. They are taken on a server of their own:
the seeded demo warehouse of tests/browser/conftest.py and an app database holding two assessments (the later
one published) and one saved policy, so every page has its record to show and no other test's clicks leak in.
Each page is opened in a fresh context, the viewport grown to the page's whole height, then shot.
"""

import os
import subprocess
import sys
from datetime import date

import pytest
from sqlalchemy import create_engine, text

from devtools.browser import REPO, start_app, stop_app, wait_for_app

SLOW = 180_000  # ms: the shared test machine can be very busy
WIDTHS = (1440, 390)
PAGES = (  # file name, path
    ("overview", ""),
    ("suppliers", "suppliers"),
    ("supplier", "supplier?supplier={supplier}"),
    ("uptake", "uptake"),
    ("policy_lab", "policy_lab"),
    ("assessments", "assessments"),
    ("audit", "audit"),
)
ASSESSED = (date(2026, 10, 1), date(2026, 11, 1))  # the demo's data end is 2026-11-01
SAVE_POLICY = """
from policy import Policy
from store import policies
from warehouse.connection import warehouse_key
policies.save_policy(warehouse_key({url!r}), "Stricter deals", "screenshots", "Five covered deals in six months.",
                     Policy(min_orders_6m=5))
"""
# The height of everything the page drew (Streamlit scrolls inside its main area, not the document).
CONTENT_HEIGHT = """() => Math.max(...['stMain', 'stAppViewContainer', 'stMainBlockContainer', 'stSidebar']
    .map((id) => document.querySelector(`[data-testid="${id}"]`))
    .filter(Boolean)
    .map((el) => el.scrollHeight))"""


@pytest.fixture(scope="module")
def shots_app(demo_warehouse, tmp_path_factory):
    """(base URL, the supplier to show): a server on the demo warehouse with its own recorded history."""
    folder = tmp_path_factory.mktemp("shots")
    app_db = f"sqlite:///{folder / 'app.sqlite'}"
    env = {**os.environ, "TRUST_APP_DB_URL": app_db, "TRUST_WAREHOUSE_URL": demo_warehouse}
    for as_of, publish in zip(ASSESSED, (False, True), strict=True):
        command = [sys.executable, "-m", "queries", "assess", "--as-of", f"{as_of}", "--actor", "screenshots"]
        subprocess.run(command + (["--publish", str(folder)] if publish else []), cwd=REPO, env=env, check=True)
    subprocess.run([sys.executable, "-c", SAVE_POLICY.format(url=demo_warehouse)], cwd=REPO, env=env, check=True)
    engine = create_engine(demo_warehouse, connect_args={"read_only": True})
    with engine.connect() as conn:  # the busiest supplier with claims: every part of the profile has content
        supplier = conn.execute(
            text(
                "SELECT o.supplier_id FROM orders o JOIN claims c USING (order_id) "
                "GROUP BY o.supplier_id ORDER BY count(*) DESC, o.supplier_id LIMIT 1"
            )
        ).scalar_one()
    engine.dispose()
    proc, base_url = start_app(demo_warehouse, app_db)
    yield base_url, supplier
    stop_app(proc)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("name", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_screenshot(browser, shots_app, screenshots, name, path, width):
    base_url, supplier = shots_app
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{base_url}/{path.format(supplier=supplier)}")
        wait_for_app(page, timeout=SLOW)
        errors = page.locator('[data-testid="stException"]')
        assert errors.count() == 0, errors.first.inner_text()
        page.set_viewport_size({"width": width, "height": min(page.evaluate(CONTENT_HEIGHT) + 40, 16_000)})
        page.wait_for_timeout(1500)  # charts and tables lay themselves out again at the new height
        wait_for_app(page, timeout=SLOW)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{name} at {width} px is {overflow} px wider than the screen"
        page.screenshot(path=screenshots / f"{name}-{width}.png", full_page=True, animations="disabled")
    finally:
        context.close()
