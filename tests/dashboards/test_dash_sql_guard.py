"""The SQL page's guard, without Streamlit: each forbidden kind is refused with its message,
a SELECT runs within its limits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from posaudit.dashboards import i18n, sql_guard
from posaudit.dashboards.connection import CONFIG, open_snapshot


@pytest.fixture
def cursor(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    path = tmp_path / "snap.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table fct_exceptions as "
                    "select range as n, 'ONE_SIDED' as exception_type from range(50)")
    with open_snapshot(str(path), []) as con:
        yield con.cursor()


@pytest.mark.parametrize(("sql", "kind"), [
    ("insert into fct_exceptions values (1, 'x')", "write"),
    ("update fct_exceptions set n = 0", "write"),
    ("delete from fct_exceptions", "write"),
    ("create table t as select 1", "write"),
    ("drop table fct_exceptions", "write"),
    ("attach '/tmp/other.duckdb' as other", "attach"),
    ("copy fct_exceptions to '/tmp/out.csv'", "copy"),
    ("select * from read_csv('/etc/passwd')", "files"),
    ("select * from read_parquet('/tmp/x.parquet')", "files"),
    ("select * from '/etc/passwd'", "files"),
    ("with f as (select * from glob('/*')) select * from f", "files"),
    ("pragma database_list", "settings"),
    ("set memory_limit = '64GB'", "settings"),
    ("load httpfs", "extension"),
    ("select 1; select 2", "multiple"),
    ("   ", "empty"),
])
def test_forbidden_queries_are_refused_with_their_message(
        cursor: duckdb.DuckDBPyConnection, sql: str, kind: str) -> None:
    refusal = sql_guard.check(sql)
    assert refusal is not None and refusal.kind == kind
    outcome = sql_guard.run(cursor, sql)
    assert not outcome.ok and outcome.frame is None
    assert outcome.refusal == refusal
    for lang in i18n.LANGUAGES:
        message = i18n.t(lang, f"sql.refused.{kind}", detail=refusal.detail)
        assert message != f"sql.refused.{kind}"
        assert refusal.detail in message


def test_a_select_runs_and_is_capped(cursor: duckdb.DuckDBPyConnection) -> None:
    outcome = sql_guard.run(cursor, "select * from fct_exceptions order by n desc -- newest",
                            sql_guard.Limits(rows=10))
    assert outcome.ok and outcome.truncated
    assert outcome.frame is not None
    assert list(outcome.frame["n"]) == list(range(49, 39, -1))
    small = sql_guard.run(cursor, "select count(*) as n from fct_exceptions;")
    assert small.ok and not small.truncated and small.frame is not None
    assert int(small.frame.iloc[0]["n"]) == 50


def test_a_runaway_query_is_stopped(cursor: duckdb.DuckDBPyConnection) -> None:
    outcome = sql_guard.run(cursor, "select count(*) from range(1000000000000) a",
                            sql_guard.Limits(seconds=0.5))
    assert outcome.refusal == sql_guard.Refusal("timeout", "0.5")
    assert "0.5 s" in i18n.t("en", "sql.refused.timeout", detail="0.5")


def test_the_connection_itself_refuses_what_the_parser_lets_through(
        cursor: duckdb.DuckDBPyConnection) -> None:
    # Settings cannot be changed even through a function; files stay out of reach.
    with pytest.raises(duckdb.Error):
        cursor.execute("set enable_external_access = true")
    outcome = sql_guard.run(cursor, "select current_setting('enable_external_access') as v")
    assert outcome.ok and outcome.frame is not None
    assert outcome.frame.iloc[0]["v"] in (False, "false")


def test_errors_come_back_as_messages(cursor: duckdb.DuckDBPyConnection) -> None:
    outcome = sql_guard.run(cursor, "select no_such_column from fct_exceptions")
    assert outcome.refusal is not None and outcome.refusal.kind == "error"
    assert "no_such_column" in outcome.refusal.detail


def test_a_query_over_the_memory_limit_is_stopped_with_its_message(tmp_path: Path) -> None:
    path = tmp_path / "small.duckdb"
    duckdb.connect(str(path)).close()
    config: dict[str, str | bool | int | float | list[str]] = {
        **CONFIG, "memory_limit": "32MB", "threads": 1, "temp_directory": ""}
    with duckdb.connect(str(path), read_only=True, config=config) as con:
        outcome = sql_guard.run(
            con.cursor(), "select string_agg(repeat('x', 1000), ',') from range(200000)",
            sql_guard.Limits(seconds=30))
    assert outcome.refusal == sql_guard.Refusal("memory")
    assert "memory" in i18n.t("en", "sql.refused.memory")
