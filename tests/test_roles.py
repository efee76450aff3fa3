"""Sign-in and roles: the role map file, the permission table, and the app in AppTest for each kind of user.

The warehouse is the Policy lab's tiny one (tests/test_app_policy_lab.py): 11 suppliers, 8 qualified at the
default policy on 2024-07-01. Sign-in is switched on the way Streamlit does it, by an [auth] secrets section
(AppTest.secrets), and the signed-in identity is AppTest.user.
"""

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from auth.roles import (
    PAGES,
    ROLES,
    PermissionDenied,
    RoleConfigError,
    can,
    can_see,
    load_role_map,
    parse_role_map,
    require,
)
from policy import Policy
from store import policies as store
from tests.apptest import APP, build_warehouse
from tests.test_app_policy_lab import lab_tables
from warehouse.connection import warehouse_key

REPO = Path(__file__).resolve().parent.parent
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "not-a-real-secret-for-tests"}
ROLE_MAP = """
[roles]
"Pia@Example.com" = "policy_owner"
"eve@example.com" = "executive"
"@example.com" = "category_manager"
"root@ops.example.org" = "admin"
"""

# ---- the role map ---------------------------------------------------------------------------------------


def test_an_address_wins_over_its_domain_and_case_does_not_matter():
    roles = parse_role_map(ROLE_MAP)
    assert roles.role_for("pia@example.com") == "policy_owner"
    assert roles.role_for(" PIA@EXAMPLE.COM ") == "policy_owner"
    assert roles.role_for("eve@example.com") == "executive"
    assert roles.role_for("someone@example.com") == "category_manager"
    assert roles.role_for("root@ops.example.org") == "admin"
    # Not the domain: a sub-domain, a look-alike, nothing at all.
    assert roles.role_for("x@ops.example.org") is None
    assert roles.role_for("x@example.com.evil.org") is None
    assert roles.role_for("x@notexample.com") is None
    assert roles.role_for("") is None and roles.role_for(None) is None and roles.role_for("example.com") is None


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[roles]\n"ana@example.com" = "superuser"', "'ana@example.com': unknown role 'superuser'"),
        ('[roles]\n"ana@example.com" = 3', "'ana@example.com': the role must be text"),
        ('[roles]\n"example.com" = "admin"', "'example.com': expected an e-mail address"),
        ('[roles]\n"ana at example" = "admin"', "'ana at example'"),
        ('[roles]\n"@" = "admin"', "'@'"),
        ('[users]\n"ana@example.com" = "admin"', "unknown section or key 'users'"),
        ('roles = "admin"', "expected a [roles] table"),
        ("[roles\n", "not valid TOML"),
    ],
)
def test_a_bad_entry_is_named(text, named):
    with pytest.raises(RoleConfigError, match="roles.toml") as info:
        parse_role_map(text, source="roles.toml")
    assert named in str(info.value)


def test_a_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(RoleConfigError, match="roles.example.toml"):
        load_role_map(tmp_path / "roles.toml")


def test_entries_differing_only_by_case_or_spaces_are_refused():
    text = '[roles]\n"pia@example.com" = "policy_owner"\n"Pia@Example.com " = "admin"\n'
    with pytest.raises(RoleConfigError, match=r"roles.toml: entry 'Pia@Example.com ': the same address"):
        parse_role_map(text, source="roles.toml")


def test_an_unreadable_role_map_is_named(tmp_path):
    with pytest.raises(RoleConfigError, match="The role map folder is a folder"):
        load_role_map(tmp_path.joinpath("folder").mkdir() or tmp_path / "folder")
    latin1 = tmp_path / "roles.toml"
    latin1.write_bytes('[roles]\n"jos\xe9@example.com" = "admin"\n'.encode("latin-1"))
    with pytest.raises(RoleConfigError, match="The role map roles.toml is not UTF-8 text"):
        load_role_map(latin1)


def test_the_shipped_example_is_valid():
    roles = load_role_map(REPO / "config" / "roles.example.toml")
    assert {roles.role_for(e) for e in ("ana.admin@example.com", "pia.policy@example.com", "x@example.com")} == {
        "admin",
        "policy_owner",
        "category_manager",
    }


# ---- the permission table -------------------------------------------------------------------------------

SEES = {
    "category_manager": {"overview", "suppliers", "assessments"},
    "executive": {"overview", "uptake", "assessments"},
    "policy_owner": {"overview", "policy_lab", "uptake", "assessments", "audit"},
    "admin": set(PAGES),
}


@pytest.mark.parametrize("role", [*ROLES, None, "", "Admin", "nobody"])
def test_pages_and_actions_by_role_default_deny(role):
    assert {p for p in PAGES if can_see(role, p)} == SEES.get(role, set())
    writes = role in ("policy_owner", "admin")
    for action in ("save_policy", "mark_current", "assess", "supersede", "publish"):
        assert can(role, action) is writes
        if not writes:
            with pytest.raises(PermissionDenied):
                require(role, action)
    assert not can(role, "drop_warehouse") and not can_see(role, "settings")


# ---- the app --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    return build_warehouse(tmp_path_factory.mktemp("roles") / "warehouse.duckdb", lab_tables())


@pytest.fixture
def make_app(warehouse, tmp_path, monkeypatch):
    """AppTest factory on the tiny warehouse at 2024-07-01, with an empty app database and the role map."""
    roles_file = tmp_path / "roles.toml"
    roles_file.write_text(ROLE_MAP)
    monkeypatch.setenv("TRUST_WAREHOUSE_URL", warehouse)
    monkeypatch.setenv("TRUST_APP_DB_URL", f"sqlite:///{tmp_path / 'app.sqlite'}")
    monkeypatch.setenv("TRUST_ROLES_FILE", str(roles_file))
    monkeypatch.delenv("TRUST_DEMO_ROLE", raising=False)
    st.cache_resource.clear()

    def make(user: dict | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=30)
        at.query_params["as_of"] = "2024-07-01"
        if user is not None:
            at.secrets["auth"] = AUTH
            at.user = user
        return at

    yield make
    st.cache_resource.clear()


def titles(at) -> list[str]:
    return [t.value for t in at.title]


def opens(at, page: str) -> str:
    """The title shown after asking for `page` (a page outside the role's navigation falls back to Overview)."""
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return titles(at)[0]


def not_in_navigation(at, page: str) -> bool:
    """True when the server did not register `page` for this user (AppTest mirrors st.navigation)."""
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(page)
    return True


def test_demo_mode_is_labelled_and_admin_sees_every_page(make_app):
    at = make_app().run()
    assert not at.exception, at.exception
    assert at.warning[0].value.startswith("Local demo mode — no sign-in configured; everyone is admin.")
    assert "configure [auth] sign-in first" in at.warning[0].value  # how to expose it safely
    assert opens(at, "app_pages/audit.py") == "Audit"
    assert opens(at, "app_pages/policy_lab.py") == "Policy lab"
    assert opens(at, "app_pages/suppliers.py") == "Supplier vetting"


def test_demo_role_limits_pages_and_links(make_app, monkeypatch):
    monkeypatch.setenv("TRUST_DEMO_ROLE", "executive")
    at = make_app().run()
    assert "everyone is executive" in at.warning[0].value
    assert [link.proto.page for link in at.page_link] == ["uptake"]
    assert opens(at, "app_pages/uptake.py") == "Program uptake"
    assert all(not_in_navigation(at, f"app_pages/{p}.py") for p in ("policy_lab", "suppliers", "audit"))


def test_a_misspelt_demo_role_is_refused_by_name(make_app, monkeypatch):
    monkeypatch.setenv("TRUST_DEMO_ROLE", "root")
    at = make_app().run()
    assert not at.exception and not at.metric
    assert "TRUST_DEMO_ROLE: unknown role 'root'" in at.error[0].value


def test_signed_out_sees_only_a_sign_in_button(make_app):
    at = make_app({"is_logged_in": False}).run()
    assert not at.exception, at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.metric and not at.dataframe and not at.sidebar.date_input
    assert all(not_in_navigation(at, f"app_pages/{p}.py") for p in PAGES)


def test_an_unknown_signed_in_user_sees_no_data(make_app):
    at = make_app({"is_logged_in": True, "email": "mallory@elsewhere.net"}).run()
    assert not at.exception, at.exception
    assert "mallory@elsewhere.net" in at.warning[0].value and "Ask an admin" in at.warning[0].value
    assert not at.metric and not at.dataframe and not at.sidebar.date_input
    assert all(not_in_navigation(at, f"app_pages/{p}.py") for p in PAGES)


def test_an_unverified_address_gets_no_role(make_app):
    """pia@example.com is a policy owner in the role map, but the identity provider has not verified it."""
    at = make_app({"is_logged_in": True, "email": "pia@example.com", "email_verified": False}).run()
    assert not at.exception, at.exception
    assert "Ask an admin" in at.warning[0].value
    assert not at.metric and not at.dataframe and not at.sidebar.date_input
    assert all(not_in_navigation(at, f"app_pages/{p}.py") for p in PAGES)


def test_a_broken_role_map_is_named_and_shows_no_data(make_app, tmp_path):
    (tmp_path / "roles.toml").write_text('[roles]\n"pia@example.com" = "owner"\n')
    at = make_app({"is_logged_in": True, "email": "pia@example.com"}).run()
    assert not at.metric
    assert "roles.toml: entry 'pia@example.com': unknown role 'owner'" in at.error[0].value


def test_a_category_manager_vets_suppliers_only(make_app):
    at = make_app({"is_logged_in": True, "email": "cm@example.com"}).run()
    assert not at.warning  # no demo banner when sign-in is configured
    assert any("Signed in as cm@example.com · category manager" in c.value for c in at.sidebar.caption)
    assert [link.proto.page for link in at.page_link] == ["suppliers"]
    assert opens(at, "app_pages/suppliers.py") == "Supplier vetting"
    assert all(not_in_navigation(at, f"app_pages/{p}.py") for p in ("policy_lab", "uptake", "audit"))


def test_a_policy_owner_saves_under_their_account_and_sees_the_audit(make_app):
    at = make_app({"is_logged_in": True, "email": "pia@example.com"}).run()
    assert opens(at, "app_pages/policy_lab.py") == "Policy lab"
    assert not [t for t in at.text_input if t.key == "lab_save_author"]  # the account is the author
    at.slider(key="lab_min_orders_6m").set_value(4).run()
    at.text_input(key="lab_save_name").input("Strict")
    at.button(key="FormSubmitter:lab_save_form-Save policy").click().run()
    assert not at.exception, at.exception
    at.selectbox(key="lab_pick").set_value("Strict")
    at.button(key="lab_mark_current").click().run()
    log = store.audit_log(warehouse_key())
    assert log["action"].to_list() == ["save", "mark_current"]
    assert log["actor"].to_list() == ["pia@example.com", "pia@example.com"]

    assert opens(at, "app_pages/audit.py") == "Audit"
    table = at.dataframe[0].value
    assert table["action"].to_list() == ["Marked as current", "Saved as new"]  # newest first, as labels
    assert at.get("download_button")[0].proto.label == "Download 2 changes (CSV)"


def test_writes_are_refused_on_the_server_when_the_role_changes_under_a_stale_page(make_app, monkeypatch):
    """The page was drawn for a policy owner; the role map then demotes them before they click."""
    store.save_policy(warehouse_key(), "Team", "ana", "", Policy(min_orders_6m=4))
    at = make_app().run()
    at.switch_page("app_pages/policy_lab.py").run()
    at.text_input(key="lab_actor").input("ana")
    at.text_input(key="lab_save_name").input("Mine")
    at.text_input(key="lab_save_author").input("ana")
    at.button(key="lab_mark_current").click()
    at.button(key="FormSubmitter:lab_save_form-Save policy").click()
    monkeypatch.setenv("TRUST_DEMO_ROLE", "executive")
    at.run()
    assert not at.exception, at.exception
    assert store.current_policy(warehouse_key())[0] == "PRODUCT.md default"
    assert store.audit_log(warehouse_key())["action"].to_list() == ["save"]
    # The control: the same clicks as admin do write.
    monkeypatch.setenv("TRUST_DEMO_ROLE", "admin")
    at.run()
    at.switch_page("app_pages/policy_lab.py").run()
    at.text_input(key="lab_actor").input("ana")
    at.text_input(key="lab_save_name").input("Mine")
    at.text_input(key="lab_save_author").input("ana")
    at.button(key="lab_mark_current").click()
    at.button(key="FormSubmitter:lab_save_form-Save policy").click().run()
    assert sorted(store.audit_log(warehouse_key())["action"].to_list()) == ["mark_current", "save", "save"]


def test_two_owners_editing_the_same_policy_the_second_is_told_of_the_conflict(make_app):
    store.save_policy(warehouse_key(), "Team", "ana", "", Policy(min_orders_6m=4))
    first, second = (make_app({"is_logged_in": True, "email": e}) for e in ("pia@example.com", "root@ops.example.org"))
    for at in (first, second):
        at.run()
        at.switch_page("app_pages/policy_lab.py").run()
        at.selectbox(key="lab_pick").set_value("Team")
        at.button(key="lab_load").click().run()
    first.slider(key="lab_min_orders_6m").set_value(5).run()
    first.button(key="FormSubmitter:lab_save_form-Save policy").click().run()
    first.button(key="FormSubmitter:lab_save_form-Save policy").click().run()  # a double click saves once
    second.slider(key="lab_min_orders_6m").set_value(6).run()
    second.button(key="FormSubmitter:lab_save_form-Save policy").click().run()
    assert not second.exception, second.exception
    errors = [e.value.replace("\\", "") for e in second.error]  # shown as plain text: Markdown escaped
    assert any("changed by pia@example.com" in e and "you edited version 1" in e for e in errors), errors
    assert store.load_policy(warehouse_key(), "Team").min_orders_6m == 5
    assert store.policy_version(warehouse_key(), "Team") == 2
    assert store.audit_log(warehouse_key())["actor"].to_list() == ["ana", "pia@example.com"]
