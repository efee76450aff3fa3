"""Cases of the role map and the permission table that mutation testing found untested (docs/mutation.md).

What a refusal says to the person refused, which roles a page names when it refuses, and the domain of an
address whose local part holds an "@". Expected words are written out by hand.
"""

import pytest

from auth.roles import PAGES, PermissionDenied, RoleConfigError, parse_role_map, require, role_label, roles_for


@pytest.mark.parametrize(
    ("role", "action", "message"),
    [
        (None, "save_policy", "Your role (none) may not save policy."),
        ("", "mark_current", "Your role (none) may not mark current."),
        ("executive", "assess", "Your role (executive) may not assess."),
        ("category_manager", "publish", "Your role (category_manager) may not publish."),
    ],
)
def test_a_refused_action_says_which_role_may_not_do_what(role, action, message):
    with pytest.raises(PermissionDenied) as info:
        require(role, action)
    assert str(info.value) == message


def test_the_roles_that_may_open_a_page_are_named_in_role_order_and_words():
    assert roles_for("policy_lab") == ("policy_owner", "admin")
    assert roles_for("overview") == ("category_manager", "executive", "policy_owner", "admin")
    assert roles_for("suppliers") == ("category_manager", "admin")
    assert {page: len(roles_for(page)) for page in PAGES}["audit"] == 2  # policy owners and admins
    assert [role_label(r) for r in roles_for("uptake")] == ["executive", "policy owner", "admin"]
    assert role_label("category_manager") == "category manager"


def test_an_unknown_role_lists_the_roles_there_are():
    with pytest.raises(RoleConfigError) as info:
        parse_role_map('[roles]\n"ana@example.com" = "owner"', source="roles.toml")
    assert str(info.value) == (
        "roles.toml: entry 'ana@example.com': unknown role 'owner'; "
        "expected one of category_manager, executive, policy_owner, admin."
    )


def test_an_address_is_at_the_domain_after_its_last_at_sign():
    # A quoted local part may hold an "@" ("pia@home"@example.com is an address at example.com).
    roles = parse_role_map('[roles]\n"@example.com" = "category_manager"\n')
    assert roles.role_for('"pia@home"@example.com') == "category_manager"
    assert roles.role_for("pia@example.com") == "category_manager"
