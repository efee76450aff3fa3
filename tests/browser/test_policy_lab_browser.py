"""The Policy lab in headless Chromium: moving a slider with the keyboard updates the what-if at once.

Uses the shared fixtures of tests/browser/conftest.py (a seeded demo warehouse, `streamlit run app.py`,
Chromium). The screenshot lands in screenshots/policy_lab.png.
"""

from devtools.browser import wait_for_app


def _metric(page, label: str):
    return page.locator('[data-testid="stMetric"]').filter(has_text=label).first


def _value(page, label: str) -> str:
    return _metric(page, label).locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_moving_a_slider_changes_the_qualified_count(page, app_url, screenshots):
    page.goto(f"{app_url}/policy_lab")
    wait_for_app(page)
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
    wait_for_app(page)
    assert thumb.input_value() == "50"
    after = _value(page, "Qualified suppliers")
    assert int(after.replace(",", "")) < int(before.replace(",", ""))
    delta = _metric(page, "Qualified suppliers").locator('[data-testid="stMetricDelta"]').inner_text().strip()
    assert delta == f"-{int(before.replace(',', '')) - int(after.replace(',', '')):,}"
    lost = _value(page, "Lose the badge")
    assert lost == delta.lstrip("-")

    thumb.press("ArrowLeft")  # 49: still nobody with that many deals in the demo data
    wait_for_app(page)
    assert thumb.input_value() == "49"
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=screenshots / "policy_lab.png", full_page=True)
