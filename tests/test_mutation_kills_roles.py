"""Cases of the role map and the permission table that mutation testing found untested (docs/mutation.md).

What a refusal says to the person refused, which roles a page names when it refuses, what a role map that
cannot be used says (by its file name), and the domain of an address whose local part holds an "@".
Expected words are written out by hand.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from auth.roles import (
    PAGES,
    PermissionDenied,
    RoleConfigError,
    load_role_map,
    parse_role_map,
    require,
    role_label,
    roles_for,
)

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("role", "action", "message"),
    [
        (None, "save_policy", "Your role (none) may not save policy."),
        ("", "mark_current", "Your role (none) may not mark current."),
        ("executive", "assess", "Your role (executive) may not assess."),
        ("category_manager", "publish", "Your role (category_manager) may not publish."),
    ],
    ids=["none", "empty", "executive", "manager"],
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


def test_an_address_is_at_the_host_after_its_last_at_sign():
    # A quoted local part may hold an "@" ("pia@home"@example.com is an address at example.com).
    roles = parse_role_map('[roles]\n"@example.com" = "category_manager"\n')
    assert roles.role_for('"pia@home"@example.com') == "category_manager"
    assert roles.role_for("pia@example.com") == "category_manager"


def test_a_role_that_is_not_text_lists_the_roles_there_are():
    with pytest.raises(RoleConfigError) as info:
        parse_role_map('[roles]\n"ana@example.com" = 3')
    assert str(info.value) == (
        "roles file: entry 'ana@example.com': the role must be text, one of "
        "category_manager, executive, policy_owner, admin."
    )


def test_a_role_map_file_that_cannot_be_used_says_so_by_its_name(tmp_path, monkeypatch):
    # No file: what to do.
    with pytest.raises(RoleConfigError) as info:
        load_role_map(tmp_path / "roles.toml")
    assert str(info.value) == (
        "No role map at roles.toml: copy config/roles.example.toml to config/roles.toml "
        "(or set TRUST_ROLES_FILE) and list who may sign in."
    )
    # A name the system cannot open: why, in its words.
    with pytest.raises(RoleConfigError) as info:
        load_role_map(tmp_path / ("r" * 300 + ".toml"))
    assert str(info.value) == f"The role map {'r' * 300}.toml could not be read (File name too long)."
    # A bad entry in a file: named by the file's name.
    bad = tmp_path / "team-roles.toml"
    bad.write_text('[roles]\n"ana@example.com" = "owner"\n', encoding="utf-8")
    with pytest.raises(RoleConfigError, match=r"^team-roles.toml: entry 'ana@example.com': unknown role 'owner'"):
        load_role_map(bad)
    # Without a path: $TRUST_ROLES_FILE.
    good = tmp_path / "signed-in.toml"
    good.write_text('[roles]\n"ana@example.com" = "executive"\n', encoding="utf-8")
    monkeypatch.setenv("TRUST_ROLES_FILE", str(good))
    assert load_role_map().role_for("ana@example.com") == "executive"


# Names and ids without "policy_owner", "category_manager" or "main_": the mutmut selection's -k leaves out
# AppTest and CLI cases by those words (pyproject.toml), which would leave these out too.
@pytest.mark.parametrize("role", ["policy_owner", "admin"], ids=["owner", "admin"])
@pytest.mark.parametrize("action", ["save_policy", "mark_current", "assess", "supersede", "publish"])
def test_an_owner_or_admin_may_take_every_action(role, action):
    # "Only policy owners and admins run, supersede or publish" assessments and save policies: they may.
    assert require(role, action) is None


def test_the_role_map_is_read_as_utf8_whatever_the_locale(tmp_path):
    # A role map holding a non-ASCII address ("zoë"), read by a process whose locale encoding is ASCII (the
    # C locale without Python's UTF-8 mode): the file is UTF-8, so zoë is found (read with the locale's
    # encoding, the file "is not UTF-8 text").
    roles = tmp_path / "roles.toml"
    roles.write_text('[roles]\n"zoë@example.com" = "executive"\n', encoding="utf-8")
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    script = (
        "import locale, sys; from auth.roles import load_role_map; "
        "print(locale.getpreferredencoding(False), load_role_map(sys.argv[1]).role_for('zo\\u00eb@example.com'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(roles)], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ANSI_X3.4-1968", "executive"]
