"""The dashboard's only door to the warehouse: the published snapshot, read-only.

One cached connection per snapshot (``st.cache_resource``) and a cursor per query, since a
DuckDB connection is not thread-safe. When a refresh publishes a new snapshot, the next
interaction opens it; sessions on the old one keep working.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
import pandas as pd
import streamlit as st

from posaudit.pipeline.warehouse import NoSnapshotError, Warehouse
from posaudit.sql import lock_down, open_current

WAREHOUSE_ENV = "POSAUDIT_WAREHOUSE"


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: str
    path: str


def warehouse() -> Warehouse:
    root = os.environ.get(WAREHOUSE_ENV)
    if not root:
        raise RuntimeError(f"set {WAREHOUSE_ENV} (posaudit dashboard does it for you)")
    return Warehouse.at(root)


def current_snapshot() -> Snapshot:
    path = warehouse().current_snapshot()
    return Snapshot(snapshot_id=path.stem, path=str(path))


# Pages and the analysts' SQL page share one connection per snapshot: a memory ceiling, and
# locked down like `posaudit sql` (no files but a Spark snapshot's own, no network).
CONFIG: dict[str, str | bool] = {"memory_limit": os.environ.get("POSAUDIT_DASHBOARD_MEMORY",
                                                                "2GB")}


def open_snapshot(path: str, allowed: list[str]) -> duckdb.DuckDBPyConnection:
    """A snapshot as the pages read it: read-only, CONFIG, locked down (``allowed``: the
    folders of its Spark-built marts, Warehouse.snapshot_data_dirs)."""
    con = duckdb.connect(path, read_only=True, config=dict(CONFIG))
    lock_down(con, allowed)
    return con


@st.cache_resource(max_entries=3)
def _connection(path: str) -> duckdb.DuckDBPyConnection:
    return open_snapshot(path, warehouse().snapshot_data_dirs())


def _cursor() -> duckdb.DuckDBPyConnection:
    # A publish can prune the snapshot just read from CURRENT before it is opened.
    _, cursor = open_current(warehouse(), lambda path: _connection(str(path)).cursor())
    return cursor


def cursor_on(snap: Snapshot) -> duckdb.DuckDBPyConnection:
    """A cursor on one given snapshot, so that a whole page reads the same one."""
    try:
        return _connection(snap.path).cursor()
    except (duckdb.IOException, NoSnapshotError):
        return _cursor()  # pruned since the page started: the current one


def run(sql: str, params: list[object] | None = None, snap: Snapshot | None = None,
        frames: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """``frames``: small frames the query reads by name, registered on its own cursor only
    (the snapshot stays read-only, and no other query sees them)."""
    cursor = cursor_on(snap) if snap is not None else _cursor()
    try:
        for name, frame in (frames or {}).items():
            cursor.register(name, frame)
        return cursor.execute(sql, params or []).df()
    finally:
        cursor.close()
