"""Views as links in headless Chromium: set a state, open its URL in a fresh browser, get the same view.

Uses the shared fixtures (a seeded demo warehouse of 300 suppliers, `streamlit run app.py`). A fresh
browser context has no cookies, storage or session: only the URL carries the view. Two more servers run
with TRUST_DEMO_ROLE set, for the access edges.
"""

import csv
import io
import os
import time
from contextlib import contextmanager

import pytest

from devtools.browser import start_app, stop_app, wait_for_app

# Every link text the sidebar navigation ever shows while the first page loads (a legacy page list of
# file names would flash here before st.navigation runs).
RECORD_NAV = """
window.__navSeen = new Set();
new MutationObserver(() => {
  document.querySelectorAll('[data-testid="stSidebarNav"] a, [data-testid="stSidebarNavItems"] a')
    .forEach((a) => window.__navSeen.add(a.innerText.trim().split('\\n').pop().trim()));
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


@contextmanager
def fresh(browser, width: int = 1440):
    """A new browser context (no cookies, no session) and a page in it."""
    context = browser.new_context(viewport={"width": width, "height": 1200}, accept_downloads=True)
    try:
        yield context.new_page()
    finally:
        context.close()


def _no_exception(page) -> None:
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()


SLOW = 180_000  # ms: the shared test machine can be very busy


def _open(page, url: str) -> None:
    page.goto(url)
    wait_for_app(page, timeout=SLOW)
    _no_exception(page)


def _rows(page, button: str) -> list[list[str]]:
    with page.expect_download() as download:
        page.get_by_role("button", name=button).click()
    return list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))


def _caption_count(page) -> str:
    return page.get_by_text(" suppliers. Select a row to open its profile.").first.inner_text()


def _settle(page, url_part: str) -> None:
    page.wait_for_url(f"**{url_part}**", timeout=SLOW)
    wait_for_app(page, timeout=SLOW)


def test_a_vetting_view_reopens_from_its_url(browser, app_url):
    with fresh(browser) as page:
        _open(page, f"{app_url}/suppliers")
        search = page.get_by_role("textbox", name="Search")
        search.fill("co")
        search.press("Enter")
        _settle(page, "search=co")
        deals = page.get_by_role("spinbutton", name="Min deals 12m")
        deals.fill("20")
        deals.press("Enter")
        _settle(page, "min_deals=20")
        page.get_by_text("Reverse", exact=True).click()
        _settle(page, "reverse=true")
        url = page.url
        count = _caption_count(page)
        rows = _rows(page, "Download this table (CSV)")
    assert "search=co" in url and "min_deals=20" in url and "reverse=true" in url
    assert "badge_filter" not in url and "sort=" not in url  # defaults stay out of the link
    assert 1 < len(rows) - 1 < 300

    with fresh(browser) as page:
        _open(page, url)
        assert page.get_by_role("textbox", name="Search").input_value() == "co"
        assert page.get_by_role("spinbutton", name="Min deals 12m").input_value() == "20"
        assert page.locator(".st-key-reverse input").is_checked()
        assert _caption_count(page) == count
        assert _rows(page, "Download this table (CSV)") == rows  # the same suppliers in the same order


def test_sort_badges_and_compare_picks_reopen_from_the_url(browser, app_url):
    ids = []
    with fresh(browser) as page:
        _open(page, f"{app_url}/suppliers")
        ids = [int(r[0]) for r in _rows(page, "Download this table (CSV)")[1:4]]
    url = f"{app_url}/suppliers?badge_filter=qualified&sort=deals_12m&compare={ids[0]},{ids[1]}"
    with fresh(browser) as page:
        _open(page, url)
        assert page.url == url  # nothing refused, nothing added
        badges = page.locator(".st-key-badge_filter").inner_text()
        assert "Qualified" in badges and "Not enrolled" not in badges
        assert page.get_by_role("combobox", name="Sort by").input_value() == "Covered deals, 12 months"
        picks = page.locator(".st-key-compare").inner_text()
        assert f"(#{ids[0]})" in picks and f"(#{ids[1]})" in picks
        table = _rows(page, "Download this table (CSV)")
        comparison = _rows(page, "Download comparison (CSV)")
    header = table[0]
    assert {r[header.index("badge")] for r in table[1:]} == {"qualified"}
    deals = [int(r[header.index("deals_12m")]) for r in table[1:]]
    assert deals == sorted(deals, reverse=True)
    assert comparison[0][1].endswith(f"(#{ids[0]})") and comparison[0][2].endswith(f"(#{ids[1]})")


def test_a_bad_value_in_the_link_is_named_and_dropped(browser, app_url):
    with fresh(browser) as page:
        _open(page, f"{app_url}/suppliers?min_deals=lots&search=co")
        warning = page.locator('[data-testid="stAlert"]').filter(has_text="Ignored min_deals=lots")
        assert warning.count() == 1
        page.wait_for_function("() => !location.search.includes('min_deals')")
        assert "search=co" in page.url
        _open(page, f"{app_url}/supplier?supplier=1.5")
        assert page.locator('[data-testid="stAlert"]').filter(has_text="Ignored supplier=1.5").count() == 1
        assert page.get_by_text("Storefront trust card").count() == 0  # #1 is not opened
        assert page.get_by_role("spinbutton", name="Supplier id").input_value() == ""


def test_selecting_a_row_opens_the_profile_at_the_top_and_the_link_back_keeps_the_view(browser, app_url):
    with fresh(browser) as page:
        _open(page, f"{app_url}/suppliers?search=co&min_deals=5")
        rows = _rows(page, "Download this table (CSV)")
        supplier_id, name = int(rows[1][0]), rows[1][1]
        grid = page.locator('[data-testid="stDataFrame"]').first
        box = grid.bounding_box()
        started = time.monotonic()
        page.mouse.click(box["x"] + 20, box["y"] + 35 + 35 / 2)  # the first row's selection marker
        _settle(page, f"supplier?supplier={supplier_id}")
        page.get_by_text("Storefront trust card, as a buyer sees it").wait_for(timeout=SLOW)
        print(f"\nrow selected → profile drawn: {time.monotonic() - started:.2f} s")
        assert page.locator('[data-testid="stMain"] h1').first.inner_text().strip() == "Supplier profile"
        card = page.get_by_text("Storefront trust card, as a buyer sees it")
        assert card.bounding_box()["y"] < 1200  # in the first screen, not below the table
        assert name in page.locator('[data-testid="stText"]').all_inner_texts()
        # Long money values are whole: none is cut with an ellipsis.
        values = page.locator('[data-testid="stMarkdown"] strong').all_inner_texts()
        assert any(v.startswith("$") for v in values) and not any("…" in v for v in values)
        page.get_by_role("link", name="Back to Supplier vetting").click()
        _settle(page, "suppliers?")
        assert page.get_by_role("textbox", name="Search").input_value() == "co"
        assert page.get_by_role("spinbutton", name="Min deals 12m").input_value() == "5"


def test_a_what_if_reopens_from_its_url(browser, app_url):
    with fresh(browser) as page:
        _open(page, f"{app_url}/policy_lab")
        thumb = page.locator('.st-key-lab_min_orders_6m input[type="range"]')
        thumb.focus()
        for _ in range(5):
            thumb.press("ArrowRight")  # 3 → 8 covered deals
        _settle(page, "min_orders_6m=8")
        claims = page.locator('.st-key-lab_max_claim_rate input[type="range"]')
        claims.focus()
        for _ in range(10):
            claims.press("ArrowRight")  # 5.0 % → 6.0 % in steps of 0.1 point: 0.06 in the link
        _settle(page, "max_claim_rate=0.06")
        url = page.url
        tiles = page.locator('[data-testid="stMetric"]').all_inner_texts()
    assert "min_orders_6m=8" in url and "max_claim_rate=0.06" in url
    assert "min_on_time_rate" not in url  # unchanged settings stay out of the link

    with fresh(browser) as page:
        _open(page, url)
        assert page.locator('.st-key-lab_min_orders_6m input[type="range"]').input_value() == "8"
        assert page.locator('.st-key-lab_max_claim_rate input[type="range"]').input_value() == "6"
        assert page.locator('[data-testid="stMetric"]').all_inner_texts() == tiles


# ---- access edges: servers with a fixed demo role ----------------------------------------------------------


@contextmanager
def server_as(role: str, demo_warehouse: str, app_db: str):
    before = os.environ.get("TRUST_DEMO_ROLE")
    os.environ["TRUST_DEMO_ROLE"] = role
    try:
        proc, base_url = start_app(demo_warehouse, app_db)
    finally:
        if before is None:
            os.environ.pop("TRUST_DEMO_ROLE")
        else:
            os.environ["TRUST_DEMO_ROLE"] = before
    try:
        yield base_url
    finally:
        stop_app(proc)


@pytest.fixture(scope="module")
def manager_url(demo_warehouse, tmp_path_factory):
    with server_as(
        "category_manager", demo_warehouse, f"sqlite:///{tmp_path_factory.mktemp('cm') / 'a.sqlite'}"
    ) as url:
        yield url


def test_a_fresh_server_never_shows_a_legacy_page_list(browser, manager_url):
    with fresh(browser) as page:
        page.add_init_script(RECORD_NAV)
        _open(page, manager_url)
        seen = set(page.evaluate("[...window.__navSeen]"))
    assert seen == {"Overview", "Supplier vetting", "Assessments"}  # never "app", "audit", "policy lab"…


def test_a_page_outside_the_role_says_who_may_see_it(browser, manager_url):
    with fresh(browser) as page:
        _open(page, f"{manager_url}/policy_lab")
        assert page.locator('[data-testid="stMain"] h1').first.inner_text().strip() == "Policy lab"
        alert = page.locator('[data-testid="stAlert"]').filter(has_text="is open to the").inner_text()
        assert "policy owner and admin roles" in alert and "category manager" in alert
        assert page.locator('[data-testid="stSlider"]').count() == 0
        assert page.url.endswith("/policy_lab")  # not silently sent to the Overview


def test_an_invalid_demo_role_is_a_clear_error(browser, demo_warehouse, tmp_path):
    with server_as("root", demo_warehouse, f"sqlite:///{tmp_path / 'a.sqlite'}") as url, fresh(browser) as page:
        page.add_init_script(RECORD_NAV)
        page.goto(f"{url}/policy_lab")
        page.wait_for_selector('[data-testid="stAlert"]', timeout=60_000)
        text = page.locator('[data-testid="stAlert"]').inner_text()
        seen = set(page.evaluate("[...window.__navSeen]"))
    assert (
        "TRUST_DEMO_ROLE: unknown role 'root'; expected one of category_manager, executive, policy_owner, admin" in text
    )
    assert seen == set()  # no page list of file names
    assert "redacted" not in text
