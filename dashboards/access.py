"""Who may see what: whether every page needs a login, and what the viewer may read.

``POSAUDIT_DASHBOARD_LOGIN`` (``posaudit dashboard --login``) is ``required``, ``optional`` or
``auto``, the default: auto requires a login as soon as anyone can log in — a users file beside
the warehouse, or single sign-on in Streamlit's secrets. A value nobody meant requires one too.

Where a login is required, only a logged-in user the users file names is admitted (a single
sign-on account it does not name is not). Where it is optional, a visitor nobody logged in
reads as an auditor does. Transaction-level reading (the SQL page, every export) also needs a
role that ``roles.grants`` it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from posaudit.cases import roles
from posaudit.dashboard_server import LOGIN_ENV
from posaudit.dashboards import auth

AUTO, OPTIONAL = "auto", "optional"


class AccessDenied(PermissionError):
    pass


def login_required(setting: str | None, *, users_file: bool, single_sign_on: bool) -> bool:
    mode = (setting or AUTO).strip().lower()
    if mode == OPTIONAL:
        return False
    if mode == AUTO:
        return users_file or single_sign_on
    return True


@dataclass(frozen=True)
class Viewer:
    who: auth.Identity
    login_required: bool

    @property
    def admitted(self) -> bool:
        """May see the pages at all."""
        if not self.login_required:
            return True
        return self.who.logged_in and self.who.registered

    def may(self, permission: str) -> bool:
        return self.admitted and roles.grants(self.who.role, permission)

    def require(self, permission: str) -> None:
        if self.may(permission):
            return
        who = (f"{self.who.name} ({self.who.role})" if self.who.logged_in
               else "nobody logged in")
        raise AccessDenied(f"{permission} refused: {who}; roles with it: "
                           f"{', '.join(roles_granting(permission))}")


# A viewer who may do nothing: the default wherever nobody has asked who is looking.
NOBODY = Viewer(auth.ANONYMOUS, login_required=True)


def roles_granting(permission: str) -> list[str]:
    return [role for role in roles.ROLES if roles.grants(role, permission)]


def viewer() -> Viewer:
    """This session's viewer (no widgets)."""
    return Viewer(auth.current(), login_required(
        os.environ.get(LOGIN_ENV), users_file=auth.users_file().exists(),
        single_sign_on=auth.oidc_settings() is not None))
