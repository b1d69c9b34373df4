"""Who may do what, and the users file (``W/users.json`` or ``--users FILE``).

Two kinds of rights: case actions (``may``) and what a role may read beyond the dashboard's
pages (``grants``: ``read_transactions`` opens the SQL page and the exports).

``{"users": {"name": {"role": "operator", "salt": hex, "hash": hex}}}``: passwords are kept only
as salted PBKDF2-SHA256 hashes, for a later dashboard login.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any

from posaudit.pipeline.warehouse import write_json

AUDITOR, OPERATOR, APPROVER, ADMIN, SYSTEM = "auditor", "operator", "approver", "admin", "system"
ROLES = (AUDITOR, OPERATOR, APPROVER, ADMIN)
SYSTEM_ACTOR = "posaudit"
PBKDF2_ITERATIONS = 200_000

OPERATOR_ACTIONS = frozenset({
    "open", "link", "assign", "comment", "freeze_funds", "notify_customer", "record_refund",
    "record_recovery", "propose_write_off", "close",
})
ALLOWED: dict[str, frozenset[str]] = {
    AUDITOR: frozenset(),
    OPERATOR: OPERATOR_ACTIONS,
    APPROVER: OPERATOR_ACTIONS | {"approve_write_off"},
    ADMIN: OPERATOR_ACTIONS | {"approve_write_off"},
    # The sync opens cases for detected exceptions and filed reports and links one to the
    # other's case, nothing more.
    SYSTEM: frozenset({"open", "link"}),
}

# Transaction-level reading: any SELECT over every transaction (the dashboard's SQL page) and
# tables taken away as files (CSV, Excel, the audit workpaper). Auditors need it to audit;
# approvers and admins answer for write-offs; an operator works cases from the pages.
READ_TRANSACTIONS = "read_transactions"
PERMISSIONS = (READ_TRANSACTIONS,)
GRANTED: dict[str, frozenset[str]] = {
    AUDITOR: frozenset({READ_TRANSACTIONS}),
    OPERATOR: frozenset(),
    APPROVER: frozenset({READ_TRANSACTIONS}),
    ADMIN: frozenset({READ_TRANSACTIONS}),
    SYSTEM: frozenset(),
}


class UnknownUserError(ValueError):
    pass


def users_path(warehouse: str | Path) -> Path:
    return Path(warehouse).expanduser().resolve() / "users.json"


def load_users(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    users = data.get("users") if isinstance(data, dict) else None
    if not isinstance(users, dict):
        raise ValueError(f"{path}: expected {{\"users\": {{name: {{\"role\": ...}}}}}}")
    return users


def role_of(path: Path, actor: str) -> str:
    if actor == SYSTEM_ACTOR:
        return SYSTEM
    user = load_users(path).get(actor)
    if user is None:
        raise UnknownUserError(f"{actor!r} is not a user in {path} "
                               "(add one with `posaudit cases users add NAME --role ROLE`)")
    role = user.get("role")
    if role not in ROLES:
        raise ValueError(f"{path}: user {actor!r} has unknown role {role!r}")
    return str(role)


def may(role: str, action: str) -> bool:
    return action in ALLOWED.get(role, frozenset())


def grants(role: str, permission: str) -> bool:
    return permission in GRANTED.get(role, frozenset())


def add_user(path: Path, name: str, role: str, password: str | None = None) -> None:
    """Add or replace a user; the file is written whole or not at all."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if not name or name == SYSTEM_ACTOR:
        raise ValueError(f"{name!r} cannot be a user name")
    users = load_users(path)
    entry: dict[str, Any] = {"role": role}
    if password is not None:
        salt = os.urandom(16)
        entry |= {"salt": salt.hex(), "hash": _pbkdf2(password, salt).hex(),
                  "iterations": PBKDF2_ITERATIONS}
    users[name] = entry
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, {"users": users})


def check_password(path: Path, name: str, password: str) -> bool:
    user = load_users(path).get(name)
    if not user or "salt" not in user or "hash" not in user:
        return False
    digest = _pbkdf2(password, bytes.fromhex(user["salt"]),
                     int(user.get("iterations", PBKDF2_ITERATIONS)))
    return hmac.compare_digest(digest.hex(), user["hash"])


def _pbkdf2(password: str, salt: bytes, iterations: int = PBKDF2_ITERATIONS) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
