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


def lock_down(con: duckdb.DuckDBPyConnection, allowed: list[str]) -> None:
    """Analysts query the warehouse, not the machine: no files, no extensions, no network, and
    a configuration nobody can SET away afterwards. ``allowed``: folders still read (a snapshot
    built on Spark reads its marts' Parquet there: Warehouse.snapshot_data_dirs). DuckDB shares
    one instance per file and configuration: one already locked down stays as it is."""
    locked = con.execute("select current_setting('lock_configuration')").fetchone()
    if locked is not None and locked[0]:
        return
    folders = ", ".join(f"'{d}'" for d in allowed)
    con.execute(f"SET allowed_directories = [{folders}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def connect_snapshot(warehouse: Warehouse) -> duckdb.DuckDBPyConnection:
    _, con = open_current(warehouse)
    lock_down(con, warehouse.snapshot_data_dirs())
    return con


def query(warehouse: Warehouse, sql: str) -> pl.DataFrame:
    with connect_snapshot(warehouse) as con:
        return con.sql(sql).pl()
