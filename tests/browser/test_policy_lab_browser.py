"""The Policy lab in headless Chromium: moving a slider with the keyboard updates the what-if at once.

Uses the shared fixtures of tests/browser/conftest.py (a seeded demo warehouse, `streamlit run app.py`,
Chromium). The screenshot lands in screenshots/policy_lab.png.
"""

from playwright.sync_api import expect

from devtools.browser import wait_for_app


def _metric(page, label: str):
    return page.locator('[data-testid="stMetric"]').filter(has_text=label).first


def _value(page, label: str) -> str:
    return _metric(page, label).locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_moving_a_slider_changes_the_qualified_count(page, app_url, screenshots):
    page.goto(f"{app_url}/policy_lab")
    wait_for_app(page, timeout=180_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    before = _value(page, "Qualified suppliers")
    assert before != "0", "the demo warehouse should have qualified suppliers under the default policy"

    # The slider thumb is a (visually hidden) range input that takes the keyboard.
    thumb = page.locator('.st-key-lab_min_orders_6m input[type="range"]')
    assert thumb.input_value() == "3"
    thumb.focus()
    thumb.press("End")  # 50 covered deals in 6 months: far stricter than the demo suppliers manage
    page.wait_for_function(
        """(before) => {
            const metric = [...document.querySelectorAll('[data-testid="stMetric"]')]
                .find((m) => m.innerText.includes('Qualified suppliers'));
            return metric && metric.querySelector('[data-testid="stMetricValue"]').innerText.trim() !== before;
        }""",
        arg=before,
        timeout=30_000,
    )
    wait_for_app(page, timeout=180_000)
    assert thumb.input_value() == "50"
    after = _value(page, "Qualified suppliers")
    assert int(after.replace(",", "")) < int(before.replace(",", ""))
    delta = _metric(page, "Qualified suppliers").locator('[data-testid="stMetricDelta"]').inner_text().strip()
    assert delta == f"-{int(before.replace(',', '')) - int(after.replace(',', '')):,}"
    lost = _value(page, "Lose the badge")
    assert lost == delta.lstrip("-")

    thumb.press("ArrowLeft")  # 49: still nobody with that many deals in the demo data
    wait_for_app(page, timeout=180_000)
    assert thumb.input_value() == "49"
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=screenshots / "policy_lab.png", full_page=True)


def test_a_downloaded_what_if_reads_back_and_imports_into_a_fresh_browser(browser, app_url, tmp_path):
    from policy import Policy

    context = browser.new_context(viewport={"width": 1440, "height": 1600}, accept_downloads=True)
    try:
        page = context.new_page()
        page.goto(f"{app_url}/policy_lab?min_orders_6m=7&min_on_time_rate=0.8")
        wait_for_app(page, timeout=180_000)
        with page.expect_download() as download:
            page.get_by_role("button", name="Download the what-if (JSON)").click()
        path = tmp_path / "whatif.json"
        download.value.save_as(path)
        tiles = page.locator('[data-testid="stMetric"]').all_inner_texts()
    finally:
        context.close()
    # The command line's reader takes the file as it is: the link's two settings, the rest the default.
    assert Policy.from_file(path) == Policy(min_orders_6m=7, min_on_time_rate=0.8)

    context = browser.new_context(viewport={"width": 1440, "height": 1600})
    try:
        page = context.new_page()
        page.goto(f"{app_url}/policy_lab")
        wait_for_app(page, timeout=180_000)
        page.locator('.st-key-lab_import input[type="file"]').set_input_files(str(path))
        page.get_by_text("into the sliders").first.wait_for(timeout=180_000)
        expect(page.locator('.st-key-lab_min_orders_6m input[type="range"]')).to_have_value("7", timeout=180_000)
        wait_for_app(page, timeout=180_000)
        assert page.locator('.st-key-lab_min_on_time_rate input[type="range"]').input_value() == "80"  # 0.8 in percent
        page.wait_for_url("**min_orders_6m=7**", timeout=60_000)  # the imported what-if is a link too
        assert page.locator('[data-testid="stMetric"]').all_inner_texts() == tiles
    finally:
        context.close()
