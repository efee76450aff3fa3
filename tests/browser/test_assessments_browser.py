"""The Assessments page and the profile's badge history in headless Chromium, on the seeded demo warehouse.

An admin (local demo mode) runs and publishes the assessment at the 1st on or before the data's end; the
runs table lists it, a second run at that date is refused and records nothing, and the published feed has
the contract's columns. Then a supplier profile shows the published badge, the live standing and the timeline.
Screenshots: screenshots/assessments.png and screenshots/badge_history.png.
"""

import csv
import io

import pytest
from sqlalchemy import create_engine, text

from devtools.browser import start_app, stop_app, wait_for_app

FEED_HEADER = [
    "supplier_id",
    "badge",
    "ta_amount_usd",
    "deals_12m",
    "value_12m_usd",
    "response_rate_30d",
    "median_response_hours_30d",
]


@pytest.fixture(scope="module")
def feeds(tmp_path_factory):
    return tmp_path_factory.mktemp("feeds")


@pytest.fixture(scope="module")
def assess_app(demo_warehouse, feeds, tmp_path_factory):
    """A dashboard of its own (an empty app database; feeds written to a temporary folder)."""
    app_db = f"sqlite:///{tmp_path_factory.mktemp('assess_appdb') / 'app.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRUST_PUBLISH_DIR", str(feeds))
        proc, base_url = start_app(demo_warehouse, app_db)
    yield base_url, app_db
    stop_app(proc)


def _no_exception(page) -> None:
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()


def _run_count(app_db: str) -> int:
    engine = create_engine(app_db)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM assessment_runs")).scalar_one()
    engine.dispose()
    return count


def test_run_publish_refuse_and_read_the_history(page, assess_app, feeds, screenshots):
    base_url, app_db = assess_app
    page.goto(f"{base_url}/assessments")
    wait_for_app(page)
    _no_exception(page)
    assert page.get_by_text("No assessment has been recorded for this warehouse yet").count() == 1

    form = page.locator('[data-testid="stForm"]')
    form.get_by_text("Publish the storefront feed").click()
    form.get_by_role("button", name="Run assessment").click()
    page.get_by_text("Recorded run 1").wait_for(timeout=60_000)
    wait_for_app(page)
    _no_exception(page)
    assert _run_count(app_db) == 1
    written = list(feeds.glob("storefront-*.csv"))
    assert len(written) == 1
    rows = list(csv.reader(io.StringIO(written[0].read_text())))
    assert rows[0] == FEED_HEADER
    ids = [int(row[0]) for row in rows[1:]]
    assert ids == sorted(ids) and len(ids) == 300  # every demo supplier, ordered by id

    # The first run: every holder counts as gained; its tile equals the holders in the feed.
    holders = sum(row[1] == "qualified" for row in rows[1:])
    gained = page.locator('[data-testid="stMetric"]').filter(has_text="Gained the badge")
    assert gained.locator('[data-testid="stMetricValue"]').inner_text().strip() == f"{holders:,}"
    page.screenshot(path=screenshots / "assessments.png", full_page=True)

    # The same date again (Publish still ticked, no supersede): refused, nothing recorded or written.
    button = form.get_by_role("button", name="Run assessment")
    if not button.is_visible():  # the expander closes once runs exist
        page.locator('[data-testid="stExpander"]').filter(has_text="Run an assessment").locator("summary").click()
    button.click()
    page.get_by_text("is already assessed").wait_for(timeout=120_000)
    assert _run_count(app_db) == 1 and len(list(feeds.glob("storefront-*.csv"))) == 1


def test_the_profile_shows_published_live_and_the_timeline(page, assess_app, feeds, screenshots):
    """After the run above (this module's server): a badge holder in the published feed, on its profile."""
    base_url, _ = assess_app
    written = sorted(feeds.glob("storefront-*.csv"))
    assert written, "the first test publishes the feed"
    rows = list(csv.DictReader(io.StringIO(written[0].read_text())))
    holder = next(row for row in rows if row["badge"] == "qualified")
    page.goto(f"{base_url}/suppliers?supplier={holder['supplier_id']}")
    wait_for_app(page)
    _no_exception(page)
    published = page.locator('[data-testid="stMetric"]').filter(has_text="Published badge")
    assert published.locator('[data-testid="stMetricValue"]').inner_text().strip() == "Qualified"
    assert page.get_by_text("Storefront trust card, as buyers see it: published").is_visible()
    timeline = page.locator(".st-key-badge_timeline")
    timeline.scroll_into_view_if_needed()
    chart = timeline.locator('[data-testid="stVegaLiteChart"]')  # a Vega-Lite chart: no plotly.js to load
    assert chart.count() == 1
    chart.locator("canvas, svg.marks").first.wait_for(timeout=60_000)  # drawn, not only placed
    page.screenshot(path=screenshots / "badge_history.png", full_page=True)
