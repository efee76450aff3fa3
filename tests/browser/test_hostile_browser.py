"""Hostile supplier names in real Chromium: the demo data names some suppliers `<script>alert(1)</script>`,
`<img src=x onerror="alert(1)">` and `[click](http://evil.example)`. On the Supplier vetting page and in the
profile they show as plain text: no script runs, no element or link is made from them.
"""

import pytest
from sqlalchemy import create_engine, text

from devtools.browser import wait_for_app

# Any alert() or a payload setting window.__pwned marks the page as compromised.
TRIPWIRE = "window.alert = window.confirm = window.prompt = () => { window.__pwned = 1; };"
HOSTILE = {
    "script": "<script>alert(1)</script>",
    "img": '<img src=x onerror="alert(1)">',
    "link": "[click](http://evil.example)",
}


@pytest.fixture(scope="module")
def hostile_suppliers(demo_warehouse) -> dict[str, tuple[int, str]]:
    """kind → (supplier_id, full name) of a demo supplier whose name holds that payload."""
    engine = create_engine(demo_warehouse, connect_args={"read_only": True})
    found = {}
    with engine.connect() as conn:
        for kind, payload in HOSTILE.items():
            found[kind] = tuple(
                conn.execute(
                    text(
                        "SELECT supplier_id, name FROM suppliers WHERE strpos(name, :p) > 0 "
                        "ORDER BY supplier_id LIMIT 1"
                    ),
                    {"p": payload},
                ).one()
            )
    engine.dispose()
    return found


@pytest.fixture
def guarded(page):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.add_init_script(TRIPWIRE)
    yield page, dialogs


def assert_inert(page, dialogs) -> None:
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []
    assert page.locator('a[href*="evil.example"]').count() == 0
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator('[data-testid="stMain"] script').count() == 0
    assert page.locator('[data-testid="stException"]').count() == 0


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_hostile_name_is_plain_text_in_the_profile(guarded, app_url, hostile_suppliers, kind):
    page, dialogs = guarded
    supplier_id, name = hostile_suppliers[kind]
    page.goto(f"{app_url}/suppliers?supplier={supplier_id}")
    wait_for_app(page)
    card = page.locator('[data-testid="stMain"] [data-testid="stText"]').filter(has_text=HOSTILE[kind])
    assert card.first.inner_text().strip() == name
    assert_inert(page, dialogs)


def test_searching_for_a_payload_shows_it_as_text(guarded, app_url, hostile_suppliers):
    page, dialogs = guarded
    page.goto(f"{app_url}/suppliers")
    wait_for_app(page)
    search = page.get_by_placeholder("Name or supplier id")
    search.fill('<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>[go](http://evil.example)')
    search.press("Enter")
    wait_for_app(page)
    message = page.locator('[data-testid="stAlert"]').filter(has_text="No supplier matches")
    assert "[go](http://evil.example)" in message.inner_text()
    search.fill(HOSTILE["img"])
    search.press("Enter")
    wait_for_app(page)
    # The search matches the one name that holds the payload; the table (a canvas) is drawn, no element.
    page.locator('[data-testid="stCaptionContainer"]').filter(has_text="1 of ").first.wait_for(timeout=20_000)
    assert_inert(page, dialogs)
