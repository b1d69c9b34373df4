"""Who gets in where: with a users file every page needs a login and an anonymous visitor sees
the login form and nothing else (no figure, no table, no download, no query run); logged in,
the pages render; the SQL page and the downloads are for roles that may read transaction-level
data; failed logins lock the name out across sessions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from posaudit.dashboards import access
from posaudit.pipeline.warehouse import Warehouse
from tests.helpers.dashboard_app import PAGES, login

pytestmark = pytest.mark.slow

LOGIN_TITLE = "posaudit: log in"
# What the login page is made of: nothing that carries data.
LOGIN_PAGE_ELEMENTS = {"main", "sidebar", "event", "flex_container", "form", "title", "caption",
                       "markdown", "text_input", "button", "selectbox", "error", "warning"}


def element_types(at: AppTest) -> set[str]:
    found: set[str] = set()

    def walk(node: object) -> None:
        for child in getattr(node, "children", {}).values():
            found.add(str(child.type))
            walk(child)

    walk(at._tree)
    return found


def downloads(at: AppTest) -> list[str]:
    return [str(b.proto.label) for b in at.get("download_button")]


def dashboard_has_the_snapshot_open(root: Path) -> bool:
    """Whether this process holds the dashboard's connection to the snapshot: DuckDB refuses
    another configuration on a file one connection already has open."""
    try:
        duckdb.connect(str(Warehouse.at(root).current_snapshot()), read_only=True).close()
    except duckdb.ConnectionException:
        return True
    return False


def test_the_login_setting() -> None:
    required = access.login_required
    assert not required(None, users_file=False, single_sign_on=False)
    assert required(None, users_file=True, single_sign_on=False)
    assert required("auto", users_file=False, single_sign_on=True)
    assert required("required", users_file=False, single_sign_on=False)
    assert not required("optional", users_file=True, single_sign_on=True)
    assert required("nonsense", users_file=False, single_sign_on=False)  # fails closed


@pytest.mark.parametrize("page", list(PAGES))
def test_an_anonymous_visitor_sees_only_the_login_form(
        make_case_app: Callable[..., AppTest], case_warehouse: Path, page: str) -> None:
    at = make_case_app(page)
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == [LOGIN_TITLE]
    assert {"auth_name", "auth_password", "auth_submit"} <= {
        str(w.key) for w in [*at.text_input, *at.button]}
    assert element_types(at) <= LOGIN_PAGE_ELEMENTS, element_types(at) - LOGIN_PAGE_ELEMENTS
    assert not at.dataframe and not at.metric and not downloads(at)
    assert not any("Snapshot" in c.value for c in at.caption)
    assert not dashboard_has_the_snapshot_open(case_warehouse), "a query ran"


def test_the_login_page_speaks_the_links_language(
        make_case_app: Callable[..., AppTest]) -> None:
    at = make_case_app("sql", lang="zh")
    assert [t.value for t in at.title] == ["posaudit：登录"]
    login(at, "aud")
    assert at.title[0].value == "SQL 查询" and not at.exception


@pytest.mark.parametrize("page", list(PAGES))
def test_an_auditor_logged_in_sees_every_page(
        make_case_app: Callable[..., AppTest], case_warehouse: Path, page: str) -> None:
    at = make_case_app(page, user="aud")
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == PAGES[page][1]
    assert any("Snapshot" in c.value for c in at.caption)
    assert "Logged in as aud (auditor)" in [c.value for c in at.sidebar.caption]
    if page == "overview":
        assert at.metric and "Download the workpaper (Excel)" in downloads(at)
        assert {"CSV", "Excel"} <= set(downloads(at))
        assert dashboard_has_the_snapshot_open(case_warehouse)  # the check above can fail


def test_an_auditor_runs_sql(make_case_app: Callable[..., AppTest]) -> None:
    at = make_case_app("sql", user="aud")
    at.text_area(key="sql_text").input("select count(*) as n from fct_exceptions").run()
    at.button(key="sql_run").click().run()
    assert not at.error and at.dataframe
    assert {"CSV", "Excel"} <= set(downloads(at))


def test_an_operator_gets_no_sql_and_no_downloads(
        make_case_app: Callable[..., AppTest]) -> None:
    at = make_case_app("sql", user="olga")
    assert not at.exception, [e.value for e in at.exception]
    assert [w.value for w in at.warning] == [
        "Your role (operator) may not query transaction-level data: this page is for "
        "auditor / approver / administrator."]
    assert not at.text_area and "sql_run" not in {str(b.key) for b in at.button}
    assert not at.dataframe and "sql_history" not in at.session_state

    at.switch_page(PAGES["overview"][0]).run()
    assert not at.exception and at.metric  # the page itself is readable
    assert not downloads(at)
    assert "Downloads are for roles that may read transaction-level data; yours (operator) " \
           "may not." in [c.value for c in at.caption]
    at.switch_page(PAGES["exceptions"][0]).run()
    assert not at.exception and at.dataframe and not downloads(at)


def test_five_wrong_passwords_lock_the_name_for_every_session(
        make_case_app: Callable[..., AppTest]) -> None:
    at = make_case_app("overview")
    for _ in range(4):
        login(at, "olga", "wrong")
        assert [e.value for e in at.error] == ["Unknown user or wrong password."]
    login(at, "olga", "wrong")
    locked = [e.value for e in at.error]
    assert len(locked) == 1 and locked[0].startswith(
        "Too many failed logins for this name or from this address: try again after ")
    login(at, "olga")  # the right password, too soon
    assert [e.value for e in at.error] == locked
    assert [t.value for t in at.title] == [LOGIN_TITLE]

    other = make_case_app("overview", lang="zh")  # another session: the name stays locked
    login(other, "olga")
    assert next(e.value for e in other.error).startswith("该用户名或该地址登录失败次数过多")
    assert [t.value for t in other.title] == ["posaudit：登录"]
    login(other, "aud")  # another name is not locked
    assert other.title[0].value == "总览"
