"""Who is using the dashboard, and what they may do with cases.

Two ways in. When ``st.secrets`` has an ``[auth]`` section, ``st.login`` signs people in with the
configured OpenID Connect provider and ``st.user`` says who they are; their e-mail is looked up
in the users file (a user named by that e-mail, or one whose entry carries it as ``email``) for
a role, and anyone else is an auditor (read-only). Otherwise a name and password are checked
against the users file (``roles.check_password``) and remembered in the session.

Reading pages need no login. Acting on cases needs a login with a role ``roles.may`` allows;
without a users file nobody can log in and every case page is read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from dashboards import i18n
from dashboards.connection import warehouse
from posaudit.cases import lifecycle, roles

SESSION_KEY = "auth_user"
LOGIN_FAILED = "auth_failed"
NAME_WIDGET, PASSWORD_WIDGET = "auth_name", "auth_password"
OIDC, PASSWORD, NOBODY = "oidc", "password", "none"


@dataclass(frozen=True)
class Identity:
    name: str | None  # None: nobody is logged in
    role: str
    method: str

    @property
    def logged_in(self) -> bool:
        return self.name is not None

    def may(self, action: str) -> bool:
        return self.logged_in and roles.may(self.role, action)

    def actor(self) -> lifecycle.Actor:
        if self.name is None:
            raise ValueError("nobody is logged in")
        return lifecycle.Actor(self.name, self.role)


ANONYMOUS = Identity(None, roles.AUDITOR, NOBODY)


def users_file() -> Path:
    return roles.users_path(warehouse().root)


def add_user_command() -> str:
    """The command that creates a dashboard user for this warehouse (posaudit.cases.cli)."""
    # The password comes from standard input, not the command line (shell history, ps).
    return (f"posaudit cases users add NAME --role operator --password-stdin "
            f"--warehouse {warehouse().root}")


def oidc_settings() -> Mapping[str, Any] | None:
    try:
        section = st.secrets.get("auth")
    except FileNotFoundError:  # no secrets file at all (Streamlit's error subclasses it)
        return None
    return section if isinstance(section, Mapping) and section else None


def oidc_provider(settings: Mapping[str, Any]) -> str | None:
    """``st.login``'s provider argument: none when ``[auth]`` itself names the client, else
    the first ``[auth.<provider>]`` section."""
    if "client_id" in settings:
        return None
    return next((k for k, v in settings.items() if isinstance(v, Mapping)), None)


def role_for_email(users: Mapping[str, Mapping[str, Any]], email: str | None) -> str:
    """The role the users file gives an e-mail address; an unknown address reads only."""
    wanted = (email or "").strip().lower()
    if not wanted:
        return roles.AUDITOR
    for name, entry in users.items():
        if wanted in (name.lower(), str(entry.get("email", "")).lower()):
            role = entry.get("role")
            return str(role) if role in roles.ROLES else roles.AUDITOR
    return roles.AUDITOR


def authenticate(path: Path, name: str, password: str) -> Identity | None:
    """The user, when the name and password match the users file."""
    name = name.strip()
    if not name or not password or not roles.check_password(path, name, password):
        return None
    return Identity(name, roles.role_of(path, name), PASSWORD)


def current() -> Identity:
    """The identity of this session (no widgets)."""
    if oidc_settings() is not None:
        return _oidc_identity()
    saved = st.session_state.get(SESSION_KEY)
    if not saved:
        return ANONYMOUS
    # The users file decides on every run: a removed user or a changed role applies at once.
    try:
        role = roles.role_of(users_file(), saved)
    except (roles.UnknownUserError, ValueError):
        st.session_state.pop(SESSION_KEY, None)
        return ANONYMOUS
    return Identity(saved, role, PASSWORD)


def _oidc_identity() -> Identity:
    user = st.user.to_dict()
    if not user.get("is_logged_in"):
        return ANONYMOUS
    email = str(user.get("email") or "") or None
    name = email or str(user.get("sub") or user.get("name") or "")
    return Identity(name, role_for_email(roles.load_users(users_file()), email), OIDC)


def sidebar(lang: str) -> Identity:
    """The login (or who is logged in, and a logout) in the sidebar; returns the identity."""
    who = current()
    box = st.sidebar.container(border=True)
    if who.logged_in:
        box.caption(i18n.t(lang, "auth.logged_in", name=who.name,
                           role=i18n.t(lang, f"role.{who.role}")))
        if who.method == OIDC:
            box.button(i18n.t(lang, "auth.logout"), key="auth_logout", on_click=st.logout)
        else:
            box.button(i18n.t(lang, "auth.logout"), key="auth_logout", on_click=_logout)
        return who
    settings = oidc_settings()
    if settings is not None:
        if box.button(i18n.t(lang, "auth.login_oidc"), key="auth_oidc"):
            provider = oidc_provider(settings)
            if provider:
                st.login(provider)
            else:
                st.login()
        return who
    if not users_file().exists():
        box.caption(i18n.t(lang, "auth.no_users"))
        return who
    with box.form("auth_form", border=False):
        st.markdown(f"**{i18n.t(lang, 'auth.login')}**")
        st.text_input(i18n.t(lang, "auth.name"), key=NAME_WIDGET)
        st.text_input(i18n.t(lang, "auth.password"), type="password", key=PASSWORD_WIDGET)
        st.form_submit_button(i18n.t(lang, "auth.login"), key="auth_submit", on_click=_login)
    if st.session_state.get(LOGIN_FAILED):
        box.error(i18n.t(lang, "auth.failed"))
    return who


def _login() -> None:
    found = authenticate(users_file(), st.session_state.get(NAME_WIDGET, ""),
                         st.session_state.get(PASSWORD_WIDGET, ""))
    # The password never stays in the session, whatever the outcome.
    st.session_state[PASSWORD_WIDGET] = ""
    st.session_state[LOGIN_FAILED] = found is None
    if found is not None:
        st.session_state[SESSION_KEY] = found.name


def _logout() -> None:
    st.session_state.pop(SESSION_KEY, None)
    st.session_state[LOGIN_FAILED] = False
