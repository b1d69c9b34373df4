"""Read-only SQL on the published snapshot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, overload

import duckdb
import polars as pl

from posaudit.pipeline.warehouse import NoSnapshotError, Warehouse

# A publish switches CURRENT and may then prune the snapshot a reader had just been pointed
# at; each retry reads the pointer again and lands on the new snapshot.
ATTEMPTS = 3

T = TypeVar("T")


def _read_only(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


@overload
def open_current(warehouse: Warehouse) -> tuple[Path, duckdb.DuckDBPyConnection]: ...
@overload
def open_current(warehouse: Warehouse, opener: Callable[[Path], T]) -> tuple[Path, T]: ...
def open_current(warehouse: Warehouse,
                 opener: Callable[[Path], Any] = _read_only) -> tuple[Path, Any]:
    """The current snapshot's path and what ``opener`` makes of it (by default a read-only
    connection)."""
    for attempt in range(1, ATTEMPTS + 1):
        named = warehouse.current_id()
        try:
            path = warehouse.current_snapshot()
            return path, opener(path)
        except (duckdb.IOException, NoSnapshotError):
            if attempt == ATTEMPTS or warehouse.current_id() == named:
                raise  # no publish under our feet: a real problem
    raise AssertionError("unreachable")


def connect_snapshot(warehouse: Warehouse) -> duckdb.DuckDBPyConnection:
    _, con = open_current(warehouse)
    # Analysts query the warehouse, not the machine: no files, no extensions, no network.
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def query(warehouse: Warehouse, sql: str) -> pl.DataFrame:
    with connect_snapshot(warehouse) as con:
        return con.sql(sql).pl()
