"""The dashboard's only door to the warehouse: the published snapshot, read-only.

One cached connection per snapshot (``st.cache_resource``) and a cursor per query, since a
DuckDB connection is not thread-safe. When a refresh publishes a new snapshot, the next
interaction opens it; sessions on the old one keep working.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import duckdb
import pandas as pd
import streamlit as st

from posaudit.warehouse import Warehouse

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


@st.cache_resource(max_entries=3)
def _connection(path: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(path, read_only=True)
    con.execute("SET enable_external_access = false")
    return con


def run(sql: str, params: list[object] | None = None) -> pd.DataFrame:
    snap = current_snapshot()
    cursor = _connection(snap.path).cursor()
    try:
        return cursor.execute(sql, params or []).df()
    finally:
        cursor.close()
