"""Dashboard login: the users file's passwords, single sign-on mapped to roles, and what each
role may do on the case pages (with a users file every page needs a login; where login is
optional, reading needs none)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from posaudit.cases import roles
from posaudit.dashboards import auth
from tests.helpers.dashboard_app import APP, PAGES, login

pytestmark = pytest.mark.slow

OIDC = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback",
                 "cookie_secret": "not-a-secret", "client_id": "posaudit",
                 "client_secret": "not-a-secret",
                 "server_metadata_url": "https://id.example.com/.well-known/openid-configuration"}}


def captions(at: AppTest) -> str:
    return " | ".join(c.value for c in at.caption)


def pick_first_case(at: AppTest) -> str:
    pick = at.selectbox(key="case_pick")
    pick.set_value(pick.options[1]).run()
    return str(at.selectbox(key="case_pick").value)


def buttons(at: AppTest) -> set[str]:
    return {str(b.key) for b in at.button}


def test_role_for_email_maps_known_addresses_and_reads_only_otherwise() -> None:
    users = {"ops@example.com": {"role": "operator"},
             "alice": {"role": "approver", "email": "Alice@Example.com"},
             "odd@example.com": {"role": "superuser"}}
    assert auth.role_for_email(users, "OPS@example.com") == roles.OPERATOR
    assert auth.role_for_email(users, "alice@example.com") == roles.APPROVER
    assert auth.role_for_email(users, "stranger@example.com") == roles.AUDITOR
    assert auth.role_for_email(users, "odd@example.com") == roles.AUDITOR
    assert auth.role_for_email(users, None) == roles.AUDITOR


def test_authenticate_checks_name_and_password(users_template: Path) -> None:
    found = auth.authenticate(users_template, " olga ", "pw-olga")
    assert found is not None and (found.name, found.role) == ("olga", roles.OPERATOR)
    assert found.may("record_refund") and not found.may("approve_write_off")
    assert auth.authenticate(users_template, "olga", "pw-alice") is None
    assert auth.authenticate(users_template, "nobody", "pw-nobody") is None
    assert auth.authenticate(users_template, "olga", "") is None
    assert not auth.ANONYMOUS.may("comment")


def test_a_good_password_logs_in_and_logout_ends_it(
        make_case_app: Callable[..., AppTest]) -> None:
    at = make_case_app(user="olga")
    assert not at.exception, [e.value for e in at.exception]
    assert "Logged in as olga (operator)" in captions(at)
    assert "auth_password" not in at.session_state or not at.session_state["auth_password"]
    pick_first_case(at)
    assert {"case_apply", "bulk_apply", "auth_logout"} <= buttons(at)
    at.button(key="auth_logout").click().run()
    # Logged out, the page is the login page again: nothing of the case store shows.
    assert at.title[0].value == "posaudit: log in"
    assert not at.dataframe
    assert "case_apply" not in buttons(at) and "bulk_apply" not in buttons(at)
    assert at.text_input(key="auth_name") is not None


def test_logout_where_login_is_optional_leaves_the_cases_readable(
        login_optional: None, make_case_app: Callable[..., AppTest]) -> None:
    at = make_case_app(user="olga")
    assert "Logged in as olga (operator)" in captions(at)
    at.button(key="auth_logout").click().run()
    assert "Read-only: log in (sidebar) to act on cases." in captions(at)
    assert "case_apply" not in buttons(at) and "bulk_apply" not in buttons(at)
    assert at.text_input(key="auth_name") is not None


def test_roles_are_named_in_the_page_language(make_case_app: Callable[..., AppTest]) -> None:
    at = make_case_app(user="aud", lang="zh")
    assert "已登录：aud（审计员）" in captions(at)
    pick_first_case(at)
    assert "您的角色（审计员）" in captions(at)


def test_a_wrong_password_is_refused(make_case_app: Callable[..., AppTest]) -> None:
    at = make_case_app()
    login(at, "olga", "pw-alice")
    assert any("Unknown user or wrong password." in e.value for e in at.error)
    assert "Logged in" not in captions(at)
    assert at.text_input(key="auth_password").value == ""  # the password is not kept
    login(at, "olga")
    assert not at.error and "Logged in as olga (operator)" in captions(at)


def test_an_auditor_sees_no_action_buttons(make_case_app: Callable[..., AppTest]) -> None:
    at = make_case_app(user="aud")
    assert "Logged in as aud (auditor)" in captions(at)
    pick_first_case(at)
    assert not at.exception
    assert "case_apply" not in buttons(at) and "bulk_apply" not in buttons(at)
    assert "Your role (auditor) has no action" in captions(at)


def test_where_login_is_optional_nobody_logged_in_reads_cases_but_cannot_act(
        login_optional: None, make_case_app: Callable[..., AppTest]) -> None:
    at = make_case_app()
    pick_first_case(at)
    assert not at.exception
    assert at.dataframe, "the case list and trail are readable"
    assert "case_apply" not in buttons(at)
    assert "Log in with a role that may act on cases to act here." in captions(at)


def test_without_a_users_file_the_case_pages_say_how_to_create_users(
        make_case_app: Callable[..., AppTest], case_warehouse: Path) -> None:
    roles.users_path(case_warehouse).unlink()
    at = make_case_app()
    assert not at.exception
    assert any("there is no users file" in i.value for i in at.info)
    assert any("posaudit cases users add NAME --role operator --password-stdin" in c.value
               for c in at.code)
    assert "auth_submit" not in buttons(at)
    assert "No users yet: case pages are read-only." in captions(at)
    at.switch_page(PAGES["overview"][0]).run()  # with nobody to log in, reading is open
    assert not at.exception and at.metric


def _sso_app(case_warehouse: Path, user: dict[str, object]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets.update(OIDC)
    at.user = user
    at.run()
    at.switch_page(PAGES["cases"][0]).run()
    return at


def test_single_sign_on_maps_the_email_to_a_role(
        make_case_app: Callable[..., AppTest], case_warehouse: Path) -> None:
    make_case_app()  # the environment points at the case warehouse
    roles.add_user(roles.users_path(case_warehouse), "ops@example.com", roles.OPERATOR)
    at = _sso_app(case_warehouse, {"is_logged_in": True, "email": "ops@example.com",
                                   "name": "Ops"})
    assert not at.exception, [e.value for e in at.exception]
    assert "Logged in as ops@example.com (operator)" in captions(at)
    assert "auth_submit" not in buttons(at)  # no password form beside single sign-on
    pick_first_case(at)
    assert "case_apply" in buttons(at)
    at.button(key="auth_logout").click().run()
    assert not at.exception
    assert "auth_oidc" in buttons(at) and "case_apply" not in buttons(at)

    # Single sign-on requires a login on every page; an account the users file does not name
    # is signed in but not admitted.
    stranger = _sso_app(case_warehouse, {"is_logged_in": True, "email": "who@example.com"})
    assert not stranger.exception
    assert any("who@example.com is signed in, but is not a user of this dashboard" in w.value
               for w in stranger.warning)
    assert not stranger.dataframe and "auth_logout" in buttons(stranger)

    out = _sso_app(case_warehouse, {"is_logged_in": False})
    assert "auth_oidc" in buttons(out) and "auth_submit" not in buttons(out)
    assert not out.dataframe and out.title[0].value == "posaudit: log in"


def test_where_login_is_optional_an_unknown_sso_address_reads_only(
        login_optional: None, make_case_app: Callable[..., AppTest],
        case_warehouse: Path) -> None:
    make_case_app()  # the environment points at the case warehouse
    stranger = _sso_app(case_warehouse, {"is_logged_in": True, "email": "who@example.com"})
    assert "Logged in as who@example.com (auditor)" in captions(stranger)
    pick_first_case(stranger)
    assert "case_apply" not in buttons(stranger)
