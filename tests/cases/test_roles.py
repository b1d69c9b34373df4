"""The users file: roles and salted PBKDF2 password hashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from posaudit.cases import roles


def test_add_user_and_check_password(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    roles.add_user(path, "anna", roles.APPROVER, "correct horse")
    roles.add_user(path, "olga", roles.OPERATOR, "correct horse")
    data = json.loads(path.read_text())["users"]
    assert data["anna"]["role"] == "approver"
    assert "correct horse" not in path.read_text()
    assert data["anna"]["salt"] != data["olga"]["salt"]
    assert data["anna"]["hash"] != data["olga"]["hash"]
    assert roles.check_password(path, "anna", "correct horse")
    assert not roles.check_password(path, "anna", "wrong")
    assert not roles.check_password(path, "nobody", "correct horse")
    assert roles.role_of(path, "anna") == roles.APPROVER


def test_roles_decide_actions() -> None:
    assert not roles.may(roles.AUDITOR, "comment")
    assert roles.may(roles.OPERATOR, "record_refund")
    assert not roles.may(roles.OPERATOR, "approve_write_off")
    assert roles.may(roles.APPROVER, "approve_write_off")
    assert roles.may(roles.ADMIN, "approve_write_off")
    assert roles.may(roles.SYSTEM, "open") and not roles.may(roles.SYSTEM, "close")


def test_transaction_level_reading_is_granted_apart_from_actions() -> None:
    readers = [r for r in (*roles.ROLES, roles.SYSTEM) if roles.grants(r, roles.READ_TRANSACTIONS)]
    assert readers == [roles.AUDITOR, roles.APPROVER, roles.ADMIN]
    assert not roles.may(roles.AUDITOR, roles.READ_TRANSACTIONS)  # not a case action
    assert not any(roles.grants(r, "comment") for r in roles.ROLES)


def test_bad_roles_and_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="role must be one of"):
        roles.add_user(tmp_path / "u.json", "x", "boss")
    with pytest.raises(ValueError, match="cannot be a user name"):
        roles.add_user(tmp_path / "u.json", roles.SYSTEM_ACTOR, roles.ADMIN)
