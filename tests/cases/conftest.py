"""A case store in a fresh warehouse folder, with one user of each role."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from posaudit.cases import lifecycle, roles
from posaudit.cases.store import Store

USERS = {"olga": roles.OPERATOR, "oscar": roles.OPERATOR, "anna": roles.APPROVER,
         "abel": roles.APPROVER, "aud": roles.AUDITOR, "root": roles.ADMIN}


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "W"
    for name, role in USERS.items():
        roles.add_user(roles.users_path(path), name, role)
    return path


@pytest.fixture
def store(warehouse: Path) -> Store:
    return Store.at(warehouse)


@pytest.fixture
def who(warehouse: Path) -> Callable[[str], lifecycle.Actor]:
    return lambda name: lifecycle.Actor.from_users(roles.users_path(warehouse), name)


@pytest.fixture
def new_case(store: Store) -> Callable[[], str]:
    return lambda: lifecycle.open_case(store, lifecycle.SYSTEM, title="DUPLICATE_CHARGE T1 42",
                                       amount="88.50", exception_id=None)
