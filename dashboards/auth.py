"""Who is using the dashboard, and what they may do with cases.

Two ways in. When ``st.secrets`` has an ``[auth]`` section, ``st.login`` signs people in with the
configured OpenID Connect provider and ``st.user`` says who they are; their e-mail is looked up
in the users file (a user named by that e-mail, or one whose entry carries it as ``email``) for
a role, and anyone else is an unregistered auditor (``Identity.registered`` is false: admitted
only where login is optional). Otherwise a name and password are checked against the users
file (``roles.check_password``) and remembered in the session; failed attempts are throttled
per user name and per client (``login_throttle``).

Whether pages need a login at all is ``access``'s question. Acting on cases needs a login with
a role ``roles.may`` allows; without a users file nobody can log in with a password.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from posaudit.cases import lifecycle, roles
from posaudit.dashboards import i18n, login_throttle
from posaudit.dashboards.connection import warehouse
from posaudit.dashboards.login_throttle import LoginThrottle

SESSION_KEY = "auth_user"
LOGIN_FAILED = "auth_failed"  # the message key of the last refused attempt, if any
CLIENT_KEY = "auth_client"
NAME_WIDGET, PASSWORD_WIDGET = "auth_name", "auth_password"
OIDC, PASSWORD, NOBODY = "oidc", "password", "none"


@dataclass(frozen=True)
class Identity:
    name: str | None  # None: nobody is logged in
    role: str
    method: str
    # False for a single sign-on user the users file does not name.
    registered: bool = True

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


def _entry_for_email(users: Mapping[str, Mapping[str, Any]],
                     email: str | None) -> Mapping[str, Any] | None:
    wanted = (email or "").strip().lower()
    if not wanted:
        return None
    return next((entry for name, entry in users.items()
                 if wanted in (name.lower(), str(entry.get("email", "")).lower())), None)


def role_for_email(users: Mapping[str, Mapping[str, Any]], email: str | None) -> str:
    """The role the users file gives an e-mail address; an unknown address reads only."""
    entry = _entry_for_email(users, email)
    role = entry.get("role") if entry is not None else None
    return str(role) if role in roles.ROLES else roles.AUDITOR


def authenticate(path: Path, name: str, password: str) -> Identity | None:
    """The user, when the name and password match the users file."""
    name = name.strip()
    if not name or not password or not roles.check_password(path, name, password):
        return None
    return Identity(name, roles.role_of(path, name), PASSWORD)


@dataclass(frozen=True)
class Attempt:
    found: Identity | None
    retry_at: float | None = None  # set when the name or the client is locked out


def attempt(path: Path, throttle: LoginThrottle, name: str, password: str,
            client: str) -> Attempt:
    """A password login under the throttle: refused unchecked while the name or the client is
    locked; a failure counts against both, a success clears the name's count."""
    user, origin = login_throttle.user_key(name), login_throttle.client_key(client)
    locked = throttle.locked_until([user, origin])
    if locked is not None:
        return Attempt(None, locked)
    found = authenticate(path, name, password)
    if found is None:
        # The client's count stays: logging into one's own account must not buy more guesses
        # at someone else's.
        return Attempt(None, throttle.failed({user: login_throttle.PER_USER,
                                              origin: login_throttle.PER_CLIENT}))
    throttle.forget(user)
    return Attempt(found)


def client_address(ip: object, forwarded_for: object) -> str | None:
    """Who is on the other end: the connection's address, or, when it comes from this machine
    (Streamlit reports no address for loopback: the reverse proxy), the address the nearest
    proxy appended to X-Forwarded-For; a client can forge the earlier entries, not that one."""
    if isinstance(ip, str) and ip:
        return ip
    if isinstance(forwarded_for, str) and forwarded_for.strip():
        return forwarded_for.split(",")[-1].strip() or None
    return None


def _client() -> str:
    address = client_address(st.context.ip_address, st.context.headers.get("X-Forwarded-For"))
    if address is not None:
        return address
    # No address (a browser on this machine): the session, which a new tab renews.
    return "session:" + st.session_state.setdefault(CLIENT_KEY, uuid.uuid4().hex)


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
    users = roles.load_users(users_file())
    return Identity(name, role_for_email(users, email), OIDC,
                    registered=_entry_for_email(users, email) is not None)


def sidebar(lang: str, *, explain_no_users: bool = False) -> Identity:
    """The login (or who is logged in, and a logout) in the sidebar; returns the identity.
    With nobody to log in, a note that says so where ``explain_no_users``, else nothing."""
    who = current()
    if who.logged_in:
        box = st.sidebar.container(border=True)
        box.caption(i18n.t(lang, "auth.logged_in", name=who.name,
                           role=i18n.t(lang, f"role.{who.role}")))
        logout_button(box, lang, who)
    elif oidc_settings() is not None or users_file().exists():
        login_form(st.sidebar.container(border=True), lang)
    elif explain_no_users:
        st.sidebar.container(border=True).caption(i18n.t(lang, "auth.no_users"))
    return who


def logout_button(box: DeltaGenerator, lang: str, who: Identity) -> None:
    box.button(i18n.t(lang, "auth.logout"), key="auth_logout",
               on_click=st.logout if who.method == OIDC else _logout)


def login_form(box: DeltaGenerator, lang: str) -> None:
    """Single sign-on's button when it is configured, else the name and password form."""
    settings = oidc_settings()
    if settings is not None:
        if box.button(i18n.t(lang, "auth.login_oidc"), key="auth_oidc"):
            provider = oidc_provider(settings)
            if provider:
                st.login(provider)
            else:
                st.login()
        return
    with box.form("auth_form", border=False):
        st.markdown(f"**{i18n.t(lang, 'auth.login')}**")
        st.text_input(i18n.t(lang, "auth.name"), key=NAME_WIDGET)
        st.text_input(i18n.t(lang, "auth.password"), type="password", key=PASSWORD_WIDGET)
        st.form_submit_button(i18n.t(lang, "auth.login"), key="auth_submit", on_click=_login)
    refused = st.session_state.get(LOGIN_FAILED)
    if refused:
        key, values = refused
        box.error(i18n.t(lang, key, **values))


def _login() -> None:
    s = st.session_state
    path, store = users_file(), login_throttle.throttle_path(warehouse().root)
    try:
        tried = attempt(path, LoginThrottle(store), s.get(NAME_WIDGET, ""),
                        s.get(PASSWORD_WIDGET, ""), _client())
    except (sqlite3.Error, OSError) as exc:
        # Without its count of failures the throttle cannot hold: refuse rather than let
        # guesses through unlimited.
        tried = Attempt(None)
        s[LOGIN_FAILED] = ("auth.throttle_unavailable", {"path": store, "error": exc})
    else:
        s[LOGIN_FAILED] = _refusal(tried)
    # The password never stays in the session, whatever the outcome.
    s[PASSWORD_WIDGET] = ""
    if tried.found is not None:
        s[SESSION_KEY] = tried.found.name


def _refusal(tried: Attempt) -> tuple[str, dict[str, object]] | None:
    if tried.found is not None:
        return None
    if tried.retry_at is None:
        return ("auth.failed", {})
    at = datetime.fromtimestamp(tried.retry_at).strftime("%H:%M:%S")
    return ("auth.locked", {"time": at})


def _logout() -> None:
    st.session_state.pop(SESSION_KEY, None)
    st.session_state[LOGIN_FAILED] = None
