"""The dashboard in headless Chromium: every page renders, search → profile → CSV, a copied URL reopens a profile.

Run with `python -m pytest -q tests/browser`; screenshots of every page land in `screenshots/`.
"""

import csv
import io

import pytest
from sqlalchemy import create_engine, text

from devtools.browser import wait_for_app

PAGES = [
    ("", "overview", "Trade Assurance trust"),
    ("suppliers", "supplier_vetting", "Supplier vetting"),
    ("supplier?supplier=1", "supplier_profile", "Supplier profile"),
    ("uptake", "program_uptake", None),
    ("policy_lab", "policy_lab", "Policy lab"),
    ("audit", "audit", "Audit"),
]
WIDTHS = (1440, 390)  # a laptop and a phone
TABLE_HEADER = [
    "supplier_id",
    "name",
    "country_code",
    "category",
    "badge",
    "deals_12m",
    "value_12m_usd",
    "response_rate_30d",
    "median_response_hours_30d",
    "on_time_rate_6m",
    "claims_12m",
    "refunds_12m_usd",
    "ta_amount_usd",
    "open_exposure_usd",
    "amount_left_usd",
]


@pytest.fixture(scope="module")
def demo_supplier(demo_warehouse) -> tuple[int, str, int]:
    """(id, name, suppliers whose name contains the name's first word) of a supplier with claims."""
    engine = create_engine(demo_warehouse, connect_args={"read_only": True})
    with engine.connect() as conn:
        supplier_id, name = conn.execute(
            text(
                "SELECT s.supplier_id, s.name FROM suppliers s JOIN orders o USING (supplier_id) "
                "JOIN claims c USING (order_id) ORDER BY s.supplier_id LIMIT 1"
            )
        ).one()
        matches = conn.execute(
            text("SELECT count(*) FROM suppliers WHERE strpos(lower(name), lower(:n)) > 0"), {"n": name}
        ).scalar_one()
    engine.dispose()
    return supplier_id, name, matches


def _no_exception(page) -> None:
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("path", "shot", "title"), PAGES, ids=[p[1] for p in PAGES])
def test_every_page_renders(browser, app_url, screenshots, path, shot, title, width):
    # Tall, so the screenshot holds the whole page (Streamlit scrolls inside its main area, not the document).
    context = browser.new_context(viewport={"width": width, "height": 3000})
    try:
        page = context.new_page()
        page.goto(f"{app_url}/{path}")
        wait_for_app(page, timeout=180_000)
        _no_exception(page)
        if title:
            assert page.locator('[data-testid="stMain"] h1').first.inner_text().strip() == title
        # Nothing wider than the screen but the tables and charts, which scroll inside themselves.
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} at {width} px is {overflow} px wider than the screen"
        page.screenshot(path=screenshots / f"{shot}_{width}.png", full_page=True)
    finally:
        context.close()


def test_overview_shows_the_headline_tiles(page, app_url):
    page.goto(app_url)
    wait_for_app(page)
    labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    assert [label.strip() for label in labels] == [
        "Suppliers",
        "Enrolled",
        "Qualified",
        "Trade Assurance Amount",
        "Open exposure",
    ]
    assert page.locator('[data-testid="stMetricValue"]').first.inner_text().strip() == "300"
    assert page.locator('[data-testid="stVegaLiteChart"]').count() == 1  # the badge mix (Vega-Lite)


def test_search_open_the_profile_and_download_the_csv(page, app_url, screenshots, demo_supplier, tmp_path):
    supplier_id, name, matches = demo_supplier
    page.goto(f"{app_url}/suppliers")
    wait_for_app(page)
    search = page.get_by_role("textbox", name="Search")
    search.fill(name)
    search.press("Enter")
    page.get_by_text(f"{matches:,} of 300 suppliers").wait_for()
    wait_for_app(page)

    with page.expect_download() as download:
        page.get_by_role("button", name="Download this table (CSV)").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert download.value.suggested_filename.startswith("suppliers_")
    assert rows[0] == TABLE_HEADER
    assert len(rows) - 1 == matches
    assert str(supplier_id) in [row[0] for row in rows[1:]]

    # Select the supplier's row: the grid is a canvas; its row-marker column is at the left edge.
    position = [int(row[0]) for row in rows[1:]].index(supplier_id)
    grid = page.locator('[data-testid="stDataFrame"]').first
    box = grid.bounding_box()
    header, row_height = 35, 35
    page.mouse.click(box["x"] + 20, box["y"] + header + row_height * position + row_height / 2)
    page.wait_for_url(f"**supplier={supplier_id}**")
    page.get_by_text("Storefront trust card, as a buyer sees it").wait_for(timeout=120_000)  # the profile page
    wait_for_app(page)
    _no_exception(page)
    assert name in page.locator('[data-testid="stText"]').all_inner_texts()
    assert page.get_by_text("Storefront trust card, as a buyer sees it").is_visible()
    page.screenshot(path=screenshots / "supplier_profile.png", full_page=True)

    with page.expect_download() as claims:
        page.get_by_role("button", name="Download claim history (CSV)").click()
    claim_rows = list(csv.reader(io.StringIO(claims.value.path().read_text(encoding="utf-8"))))
    assert claim_rows[0][:5] == ["filed_at", "order_id", "reason", "status", "refund_usd"]
    assert len(claim_rows) >= 2


def test_a_copied_url_reopens_the_profile(page, app_url, demo_supplier):
    supplier_id, name, _ = demo_supplier
    page.goto(f"{app_url}/suppliers?supplier={supplier_id}")
    wait_for_app(page)
    _no_exception(page)
    assert name in page.locator('[data-testid="stText"]').all_inner_texts()
    # The three trend charts, Vega-Lite (no plotly.js to load for a profile opened by link), each drawn.
    trends = page.locator('.st-key-profile_trends [data-testid="stVegaLiteChart"]')
    assert trends.count() == 3
    for k in range(3):
        trends.nth(k).locator("canvas, svg.marks").first.wait_for(timeout=60_000)
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 0


# Where the grid drew each header's text, in viewport coordinates (the grid is a canvas: glide draws with fillText).
HEADER_SPOTS = """
window.__spots = {};
const fillText = CanvasRenderingContext2D.prototype.fillText;
CanvasRenderingContext2D.prototype.fillText = function (text, x, y, ...rest) {
  const canvas = this.canvas, rect = canvas.getBoundingClientRect && canvas.getBoundingClientRect();
  if (rect && rect.width) {
    const p = this.getTransform().transformPoint(new DOMPoint(x, y)), scale = canvas.width / rect.width;
    window.__spots[String(text).trim()] = [rect.left + p.x / scale, rect.top + p.y / scale];  // viewport
  }
  return fillText.call(this, text, x, y, ...rest);
};
"""
COLUMN = """(head) => {
  const grid = document.querySelector('[data-testid="stDataFrame"]');
  const th = [...grid.querySelectorAll('th[aria-colindex]')].find(t => t.innerText.trim().endsWith(head));
  const col = th.getAttribute('aria-colindex');
  return [...grid.querySelectorAll(`td[aria-colindex="${col}"]`)].map(td => td.innerText.trim());
}"""


@pytest.mark.parametrize("head", ["Covered deal value, 12 months", "Covered deals, 12 months"])
def test_a_click_on_a_money_or_count_header_sorts_by_value(page, app_url, head):
    # Money and counts are drawn as text ("$1,066,369", "$10,250") but must sort as numbers: a first click on
    # the header puts the smallest first, a second the largest.
    page.add_init_script(HEADER_SPOTS)
    page.goto(f"{app_url}/suppliers?min_deals=1")
    wait_for_app(page)
    page.wait_for_function("(head) => window.__spots && head in window.__spots", arg=head)
    for arrow, descending in (("↑", False), ("↓", True)):
        x, y = page.evaluate("(head) => window.__spots[head]", head)
        page.mouse.click(x + 5, y)
        page.wait_for_function(
            "(arrow) => [...document.querySelectorAll('th[aria-colindex]')].some(t => t.innerText.includes(arrow))",
            arg=arrow,
        )
        cells = page.evaluate(COLUMN, head)
        values = [float(c.replace("$", "").replace(",", "")) for c in cells if c]
        assert len(values) >= 8, cells
        assert values == sorted(values, reverse=descending), cells
    assert len(set(values)) > 3, cells  # the largest: really different values
