"""Check results in the warehouse: ``audit.dq_check_results``, one row per check per batch.

The table lives in the build database and is appended to by every run, published or not, so
each snapshot carries the history of every check of every run up to it. dbt exposes it as the
``fct_dq_check_results`` view.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import duckdb
import polars as pl

from posaudit.expectations.core import CheckResult
from posaudit.ingest.cardsafe import scrub_card_like

SCHEMA = "audit"
TABLE = f"{SCHEMA}.dq_check_results"

COLUMNS: list[tuple[str, str]] = [
    ("run_id", "VARCHAR NOT NULL"),
    ("checked_at", "TIMESTAMP NOT NULL"),
    ("stage", "VARCHAR NOT NULL"),
    ("suite", "VARCHAR NOT NULL"),
    ("check_name", "VARCHAR NOT NULL"),
    ("severity", "VARCHAR NOT NULL"),
    ("status", "VARCHAR NOT NULL"),
    ("observed", "VARCHAR"),
    ("expected", "VARCHAR"),
    ("batch", "VARCHAR"),
    ("file_name", "VARCHAR"),
    ("line_no", "INTEGER"),
    ("field", "VARCHAR"),
    ("detail", "VARCHAR"),
]


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    cols = ", ".join(f"{n} {t}" for n, t in COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} ({cols})")


def write_results(con: duckdb.DuckDBPyConnection, run_id: str, stage: str,
                  results: Sequence[CheckResult], checked_at: datetime | None = None) -> int:
    """Append ``results``; text is scrubbed of anything card-like on the way in."""
    ensure_table(con)
    if not results:
        return 0
    at = checked_at or datetime.now()
    frame = pl.DataFrame(
        [
            {
                "run_id": run_id, "checked_at": at, "stage": stage, "suite": r.suite,
                "check_name": r.check, "severity": r.severity, "status": r.status,
                "observed": _clean(r.observed), "expected": _clean(r.expected),
                "batch": r.batch, "file_name": r.file_name, "line_no": r.line_no,
                "field": r.field, "detail": _clean(r.detail),
            }
            for r in results
        ],
        schema={
            "run_id": pl.String, "checked_at": pl.Datetime("us"), "stage": pl.String,
            "suite": pl.String, "check_name": pl.String, "severity": pl.String,
            "status": pl.String, "observed": pl.String, "expected": pl.String,
            "batch": pl.String, "file_name": pl.String, "line_no": pl.Int32,
            "field": pl.String, "detail": pl.String,
        },
    )
    con.register("_dq_results", frame.to_arrow())
    try:
        con.execute(f"INSERT INTO {TABLE} BY NAME SELECT * FROM _dq_results")
    finally:
        con.unregister("_dq_results")
    return frame.height


def _clean(text: str | None) -> str | None:
    return scrub_card_like(text)[:2000] if text else text
