"""Read-only SQL on the published snapshot."""

from __future__ import annotations

import duckdb
import polars as pl

from posaudit.warehouse import Warehouse


def connect_snapshot(warehouse: Warehouse) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(warehouse.current_snapshot()), read_only=True)
    # Analysts query the warehouse, not the machine: no files, no extensions, no network.
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def query(warehouse: Warehouse, sql: str) -> pl.DataFrame:
    with connect_snapshot(warehouse) as con:
        return con.sql(sql).pl()
