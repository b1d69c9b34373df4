"""Typed reads of one DuckDB row: a query the test expects a row from fails on the spot,
naming the query, instead of indexing ``None``."""

from __future__ import annotations

from typing import Any

import duckdb


def one_row(con: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> tuple[Any, ...]:
    """The first row of ``sql``; the query must return one."""
    row = con.execute(sql, params).fetchone()
    assert row is not None, f"no row from: {sql}"
    return row


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> Any:
    """The first column of the first row of ``sql``."""
    return one_row(con, sql, params)[0]
