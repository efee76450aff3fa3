"""More views as links in headless Chromium: the uptake page's tab, and a Policy lab backtest with a what-if.

Set the state by hand, open the page's URL in a fresh browser context (no cookies, storage or session:
only the URL carries the view), then compare the widget values and the numbers shown: the uptake tiles and
the category breakdown's CSV; the backtest's series and trade-off charts (their plotted values).
Uses the shared fixtures of tests/browser/conftest.py (a seeded demo warehouse, `streamlit run app.py`).
"""

import csv
import io
import json

from tests.browser.test_url_state_browser import SLOW, _open, _settle, fresh

# The plotted values of every chart in the backtest's results, by chart key (series, trade-off, flips).
BACKTEST_CHARTS = """() => [...document.querySelectorAll('[class*="st-key-bt_"] .js-plotly-plot')].map((el) => {
    const key = [...el.closest('[class*="st-key-bt_"]').classList].find((c) => c.startsWith('st-key-bt_'));
    return [key, el.data.map((t) => [t.name, t.x, t.y])];
})"""


def _tiles(page) -> list[str]:
    return page.locator('[data-testid="stMetric"]').all_inner_texts()


def _selected_tab(page) -> str:
    return page.locator('[role="tab"][aria-selected="true"]').inner_text().strip()


def _csv(page, button: str) -> list[list[str]]:
    with page.expect_download() as download:
        page.get_by_role("button", name=button).click()
    return list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))


def test_the_uptake_tab_reopens_from_its_url(browser, app_url):
    with fresh(browser) as page:
        _open(page, f"{app_url}/uptake")
        assert _selected_tab(page) == "By country (the rollout)"
        assert "tab=" not in page.url  # the default tab stays out of the link
        page.get_by_role("tab", name="By category").click()
        _settle(page, "tab=By+category")
        url, tiles = page.url, _tiles(page)
        rows = _csv(page, "Download by category (CSV)")
    assert len(rows) > 2 and rows[0][0] == "category"

    with fresh(browser) as page:
        _open(page, url)
        assert _selected_tab(page) == "By category"
        assert _tiles(page) == tiles
        assert _csv(page, "Download by category (CSV)") == rows


def _choose(page, key: str, option: str) -> None:
    page.locator(f".st-key-{key}").click()
    page.get_by_role("option", name=option, exact=True).click()


def _charts(page) -> dict:
    page.locator(".st-key-bt_tradeoff .js-plotly-plot").wait_for(timeout=SLOW)
    return {key: json.dumps(traces) for key, traces in page.evaluate(BACKTEST_CHARTS)}


def test_a_backtest_with_a_what_if_reopens_from_its_url(browser, app_url):
    with fresh(browser) as page:
        _open(page, f"{app_url}/policy_lab")
        thumb = page.locator('.st-key-lab_min_orders_6m input[type="range"]')
        thumb.focus()
        for _ in range(2):
            thumb.press("ArrowRight")  # 3 → 5 covered deals
        _settle(page, "min_orders_6m=5")
        months = page.locator('.st-key-bt_months input[type="range"]')
        months.focus()
        for _ in range(6):
            months.press("ArrowLeft")  # 12 → 6 monthly A0s (inside the form: nothing reruns yet)
        _choose(page, "bt_threshold", "Minimum covered deals, 6 months")
        a0 = page.get_by_role("combobox", name="A0 (a past monthly assessment)")
        newest = a0.input_value()
        page.locator(".st-key-bt_a0").click()
        second = page.get_by_role("option").nth(1)
        older = second.inner_text().strip()
        second.click()
        page.get_by_role("button", name="Run backtest").click()
        _settle(page, "bt_run=true")
        charts = _charts(page)
        url, tiles = page.url, _tiles(page)
    assert older < newest
    assert f"bt_a0={older}" in url and "bt_months=6" in url and "bt_threshold=min_orders_6m" in url
    assert "min_orders_6m=5" in url
    assert {"st-key-bt_series_0", "st-key-bt_series_3", "st-key-bt_tradeoff", "st-key-bt_flips"} <= set(charts)

    with fresh(browser) as page:
        _open(page, url)
        assert page.locator('.st-key-lab_min_orders_6m input[type="range"]').input_value() == "5"
        assert page.locator('.st-key-bt_months input[type="range"]').input_value() == "6"
        assert page.get_by_role("combobox", name="Threshold to sweep").input_value() == (
            "Minimum covered deals, 6 months"
        )
        assert page.get_by_role("combobox", name="A0 (a past monthly assessment)").input_value() == older
        assert _charts(page) == charts  # the same backtest, run once for the link
        assert _tiles(page) == tiles  # and the same what-if
        assert page.url == url
