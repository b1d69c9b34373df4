"""The case store as a dbt source: ``cases.cases``, ``cases.case_actions``, ``cases.reports``.

Before dbt builds, the refresh brings the build database's copy of the store up to date. The
store is read in one SQLite read transaction: in WAL mode it sees the store as of its first
read, so an action committed meanwhile is either wholly in the copy or wholly out of it (a
case never without its trail row). No store yet: empty tables with the store's columns, so
that the sources always resolve. Columns are copied as the store keeps them (text, seq an
integer); staging types them.

The copy grows with what is new, not with the history: every change to a case or a report is
written with a trail row in the same transaction (lifecycle, reports, sync), so the trail rows
after the last one copied name every case and report that changed. The copy is rebuilt whole
when that last row is no longer the store's (another store, a restored backup) or the
store's columns changed.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from posaudit.cases.store import SCHEMA, Store

SCHEMA_NAME = "cases"
TABLES = ("cases", "case_actions", "reports")
KEYS = {"cases": "case_id", "case_actions": "action_id", "reports": "report_id"}
_TYPES = {"integer": ("BIGINT", pl.Int64), "text": ("VARCHAR", pl.String)}

Columns = dict[str, list[tuple[str, str]]]


@dataclass(frozen=True)
class StoreRead:
    """Rows read from the store: everything (``after_seq`` None) or what changed after a seq."""

    rows: dict[str, list[tuple[object, ...]]]
    after_seq: int | None


def store_columns() -> Columns:
    """Each table's (column, declared type), from the store's own schema."""
    with sqlite3.connect(":memory:") as mem:
        mem.executescript(SCHEMA)
        return {t: [(r[1], r[2].lower()) for r in mem.execute(f"pragma table_info({t})")]
                for t in TABLES}


def export_cases(con: duckdb.DuckDBPyConnection, store_path: Path) -> dict[str, int]:
    """Bring the build database's ``cases`` schema up to date with the store, in one DuckDB
    transaction; returns the rows the copy holds per table."""
    columns = store_columns()
    con.execute("begin transaction")
    try:
        con.execute(f"create schema if not exists {SCHEMA_NAME}")
        read = _read_store(store_path, columns, _copied_through(con, columns))
        for table, cols in columns.items():
            if read.after_seq is None:
                _replace(con, table, cols, read.rows[table])
            else:
                _merge(con, table, cols, read.rows[table])
        counts = {t: _count(con, t) for t in TABLES}
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return counts


def _copied_through(con: duckdb.DuckDBPyConnection, columns: Columns) -> tuple[int, str] | None:
    """(seq, hash) of the last trail row in the copy, or None when the copy must be rebuilt
    (missing, empty, or with other columns than the store's)."""
    for table, cols in columns.items():
        have = [r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_schema = ? "
            "and table_name = ? order by ordinal_position", [SCHEMA_NAME, table]).fetchall()]
        if have != [c for c, _ in cols]:
            return None
    # fetchall, not fetchone: an unfinished result would block the connection's next use.
    last = con.execute(f"select seq, hash from {SCHEMA_NAME}.case_actions "
                       "order by seq desc limit 1").fetchall()
    return (int(last[0][0]), str(last[0][1])) if last else None


def _read_store(path: Path, columns: Columns, anchor: tuple[int, str] | None) -> StoreRead:
    """One read transaction: everything, or what changed after ``anchor`` when the store
    still holds that trail row unchanged."""
    if not path.exists():
        return StoreRead({t: [] for t in TABLES}, None)
    with Store(path).read() as conn:
        conn.executescript(SCHEMA)  # adds tables an older store lacks; a no-op otherwise
        conn.execute("begin")  # deferred: a read snapshot from the first select to commit
        try:
            after = _still_there(conn, anchor)
            return StoreRead({t: _select(conn, t, cols, after) for t, cols in columns.items()},
                             after)
        finally:
            conn.execute("commit")


def _still_there(conn: sqlite3.Connection, anchor: tuple[int, str] | None) -> int | None:
    if anchor is None:
        return None
    row = conn.execute("select hash from case_actions where seq = ?", (anchor[0],)).fetchone()
    return anchor[0] if row is not None and row[0] == anchor[1] else None


def _select(conn: sqlite3.Connection, table: str, cols: list[tuple[str, str]],
            after: int | None) -> list[tuple[object, ...]]:
    sql = f"select {', '.join(c for c, _ in cols)} from {table}"
    if after is None:
        return [tuple(r) for r in conn.execute(sql)]
    where = ("seq > ?" if table == "case_actions" else
             "case_id in (select case_id from case_actions where seq > ?)")
    return [tuple(r) for r in conn.execute(f"{sql} where {where}", (after,))]


def _frame(cols: list[tuple[str, str]], rows: list[tuple[object, ...]]) -> pl.DataFrame:
    schema = {c: _TYPES.get(t, _TYPES["text"])[1] for c, t in cols}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _replace(con: duckdb.DuckDBPyConnection, table: str, cols: list[tuple[str, str]],
             rows: list[tuple[object, ...]]) -> None:
    ddl = ", ".join(f'"{c}" {_TYPES.get(t, _TYPES["text"])[0]}' for c, t in cols)
    con.execute(f"create or replace table {SCHEMA_NAME}.{table} ({ddl})")
    _merge(con, table, cols, rows)


def _merge(con: duckdb.DuckDBPyConnection, table: str, cols: list[tuple[str, str]],
           rows: list[tuple[object, ...]]) -> None:
    """Rows in, replacing those with the same key (a case's state changes; trail rows and
    reports never do, so for them this only adds)."""
    if not rows:
        return
    key = KEYS[table]
    con.register("_case_rows", _frame(cols, rows).to_arrow())
    try:
        con.execute(f"delete from {SCHEMA_NAME}.{table} "
                    f"where {key} in (select {key} from _case_rows)")
        con.execute(f"insert into {SCHEMA_NAME}.{table} by name select * from _case_rows")
    finally:
        con.unregister("_case_rows")


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    rows = con.execute(f"select count(*) from {SCHEMA_NAME}.{table}").fetchall()
    return int(rows[0][0])
