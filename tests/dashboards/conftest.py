"""Dashboard fixtures: AppTest on the session's built warehouse, and a direct read-only
connection to the same snapshot for checking figures against the marts."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from posaudit.cases import roles
from posaudit.cases.store import Store, cases_path
from posaudit.cases.sync import sync_from_warehouse
from posaudit.dashboard_server import LOGIN_ENV
from posaudit.dashboards.connection import open_snapshot
from posaudit.pipeline.warehouse import Warehouse
from tests.helpers.cli import Built
from tests.helpers.dashboard_app import APP, PAGES, USERS, login, password, release_connections
from tests.helpers.serving import dashboard


@pytest.fixture(autouse=True)
def _release_connections() -> Iterator[None]:
    """Close the dashboard's cached connections after each test: other tests open the same
    snapshot with another configuration, which DuckDB refuses while one is open."""
    yield
    release_connections()


@pytest.fixture
def make_app(built: Built, monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    monkeypatch.setenv("POSAUDIT_WAREHOUSE", str(built.warehouse))
    monkeypatch.delenv(LOGIN_ENV, raising=False)  # the session's warehouse has no users

    def make(page: str = "overview", **params: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=120)
        at.query_params.update(params)
        at.run()
        if page != "overview":
            at.switch_page(PAGES[page][0])
            at.query_params.update(params)
            at.run()
        return at

    return make


@pytest.fixture
def snapshot(built: Built) -> Iterator[duckdb.DuckDBPyConnection]:
    path = Warehouse.at(built.warehouse).current_snapshot()
    # The dashboard's own configuration: DuckDB shares one instance per file and setting.
    with open_snapshot(str(path), []) as con:
        yield con


@pytest.fixture(scope="session")
def users_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The users file, hashed once per session (PBKDF2 is slow on purpose)."""
    path = tmp_path_factory.mktemp("users") / "users.json"
    for name, role in USERS.items():
        roles.add_user(path, name, role, password(name))
    return path


@pytest.fixture
def case_warehouse(built: Built, users_template: Path, tmp_path: Path) -> Path:
    """A warehouse of its own for tests that write cases: the session's published snapshot
    (linked, never written) with a copy of its case store and the test users."""
    source = Warehouse.at(built.warehouse)
    snap = source.current_snapshot()
    wh = Warehouse.at(tmp_path / "warehouse")
    wh.snapshots_dir.mkdir(parents=True)
    wh.snapshot_path(snap.stem).symlink_to(snap)
    wh.current_pointer.write_text(snap.stem + "\n")
    shutil.copy(users_template, roles.users_path(wh.root))
    original = cases_path(source.root)
    if original.exists():
        with closing(sqlite3.connect(original)) as src, \
                closing(sqlite3.connect(cases_path(wh.root))) as dst:
            src.backup(dst)  # a consistent copy, WAL included
    else:  # a refresh that does not open cases itself
        release_connections()
        sync_from_warehouse(Store.at(wh.root), snap)
    return wh.root


@pytest.fixture
def make_case_app(case_warehouse: Path,
                  monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    """The app on the case warehouse: its users file makes every page need a login (unless
    a test asks for ``login_optional``)."""
    monkeypatch.setenv("POSAUDIT_WAREHOUSE", str(case_warehouse))

    def make(page: str = "cases", user: str | None = None, **params: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=120)
        at.query_params.update(params)
        at.run()
        at.switch_page(PAGES[page][0])
        at.query_params.update(params)
        at.run()
        if user is not None:
            login(at, user)
        return at

    return make


@pytest.fixture
def login_optional(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading needs no login even though the case warehouse has a users file."""
    monkeypatch.setenv(LOGIN_ENV, "optional")


@pytest.fixture
def server(case_warehouse: Path, tmp_path: Path) -> Iterator[str]:
    """`posaudit dashboard` on the case warehouse (every page needs a login); its URL."""
    with dashboard(case_warehouse, tmp_path / "dashboard.log") as (_, url):
        yield url
