"""Alerts in the warehouse: ``audit.alerts``, one row per alert ever raised.

Like ``audit.dq_check_results`` the table lives in the build database and is appended to by
every run, published or refused, so each snapshot carries every alert up to it; dbt exposes it
as the ``fct_alerts`` view. Its alert ids are what later runs dedupe against.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import duckdb
import polars as pl

from posaudit.alerts.model import Alert

SCHEMA = "audit"
TABLE = f"{SCHEMA}.alerts"

COLUMNS: list[tuple[str, str]] = [
    ("alert_id", "VARCHAR NOT NULL"),
    ("run_id", "VARCHAR NOT NULL"),
    ("run_outcome", "VARCHAR"),
    ("raised_at", "TIMESTAMP NOT NULL"),
    ("rule", "VARCHAR NOT NULL"),
    ("severity", "VARCHAR NOT NULL"),
    ("subject_type", "VARCHAR NOT NULL"),
    ("subject", "VARCHAR NOT NULL"),
    ("message", "VARCHAR NOT NULL"),
    ("value", "DECIMAL(38,6)"),
    ("threshold", "DECIMAL(38,6)"),
    ("webhook_status", "VARCHAR NOT NULL"),
    ("webhook_error", "VARCHAR"),
    ("email_status", "VARCHAR NOT NULL"),
    ("email_error", "VARCHAR"),
]

_POLARS: dict[str, pl.DataType] = {
    "raised_at": pl.Datetime("us"),
    "value": pl.Decimal(38, 6),
    "threshold": pl.Decimal(38, 6),
}


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    cols = ", ".join(f"{n} {t}" for n, t in COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} ({cols})")


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = con.cursor().execute(
        "select count(*) from information_schema.tables where table_schema = ? "
        "and table_name = ?", [schema, table]).fetchone()
    return bool(row and row[0])


def existing_ids(con: duckdb.DuckDBPyConnection, ids: Iterable[str]) -> set[str]:
    """Which of ``ids`` an earlier run already raised."""
    wanted = sorted(set(ids))
    if not wanted or not table_exists(con, SCHEMA, "alerts"):
        return set()
    rows = con.cursor().execute(
        f"select alert_id from {TABLE} where alert_id in (select unnest(?::VARCHAR[]))",
        [wanted]).fetchall()
    return {r[0] for r in rows}


def write_alerts(con: duckdb.DuckDBPyConnection, alerts: Sequence[Alert]) -> int:
    ensure_table(con)
    if not alerts:
        return 0
    names = [n for n, _ in COLUMNS]
    frame = pl.DataFrame(
        [{n: getattr(a, n) for n in names} for a in alerts],
        schema={n: _POLARS.get(n, pl.String) for n in names},
    )
    con.register("_alerts_new", frame.to_arrow())
    try:
        con.execute(f"INSERT INTO {TABLE} BY NAME SELECT * FROM _alerts_new")
    finally:
        con.unregister("_alerts_new")
    return frame.height
