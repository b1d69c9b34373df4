"""Where a refresh's run record is kept: ``audit.refresh_runs`` in the build database (so each
snapshot carries the history up to its own run), plus what a record says about the code.

The record's JSON files (``runs/<id>.json``, ``snapshots/<id>.json``) are written with
``warehouse.write_json``; what goes into a record is ``refresh``'s business.
"""

from __future__ import annotations

import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb

from posaudit.pipeline.warehouse import Warehouse
from posaudit.resources import project_dir

RUNS_TABLE = "audit.refresh_runs"
PACKAGES = ("duckdb", "polars", "dbt-core", "dbt-duckdb", "great-expectations", "streamlit")

# Outcomes. RUNNING is only ever on disk while the run goes on; a killed run's is turned into
# INTERRUPTED by the next writer. UNCHANGED: nothing new, the current snapshot stays.
RUNNING, INTERRUPTED, FAILED = "RUNNING", "INTERRUPTED", "FAILED"
UNCHANGED = "UNCHANGED"
PUBLISHED, PUBLISHED_WITH_WARNINGS, REFUSED = "PUBLISHED", "PUBLISHED_WITH_WARNINGS", "REFUSED"

MANIFEST_FIELDS = ("file_name", "folder", "size_bytes", "sha256", "layout", "encoding", "status",
                   "rows_read", "rows_loaded", "rows_rejected", "error", "error_check",
                   "duplicate_of", "superseded_by", "loaded_at")


def ensure_runs_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS audit")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {RUNS_TABLE} (run_id VARCHAR, started_at TIMESTAMP, "
        "finished_at TIMESTAMP, outcome VARCHAR, exit_code INTEGER, snapshot_id VARCHAR, "
        "timings JSON, versions JSON, record JSON)"
    )
    con.execute(f"ALTER TABLE {RUNS_TABLE} ADD COLUMN IF NOT EXISTS checks JSON")


def insert_run(con: duckdb.DuckDBPyConnection, record: dict[str, Any]) -> None:
    """One row per run: a later record of the same run replaces the earlier one."""
    text = json.dumps(record, ensure_ascii=False, indent=2, default=str)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {RUNS_TABLE} WHERE run_id = ?", [record["run_id"]])
        con.execute(
            f"INSERT INTO {RUNS_TABLE} BY NAME SELECT ? AS run_id, ? AS started_at, "
            "? AS finished_at, ? AS outcome, ? AS exit_code, ? AS snapshot_id, "
            "?::JSON AS timings, ?::JSON AS versions, ?::JSON AS record, ?::JSON AS checks",
            [record["run_id"], record.get("started_at"), record.get("finished_at"),
             record.get("outcome"), record.get("exit_code"), record.get("snapshot_id"),
             json.dumps(record.get("timings") or {}), json.dumps(record.get("versions") or {}),
             text, json.dumps(record.get("data_quality") or {}, default=str)],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def store_in_build(warehouse: Warehouse, record: dict[str, Any]) -> None:
    # dbt (in this process) may still hold the database: connect as it did, no settings.
    with duckdb.connect(str(warehouse.build_db)) as con:
        ensure_runs_table(con)
        insert_run(con, record)
        con.execute("CHECKPOINT")


def manifest_rows(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict[str, Any]]:
    """The landing files a run decided: their manifest rows (size, SHA-256, rows, status)."""
    try:
        cur = con.execute(f"SELECT {', '.join(MANIFEST_FIELDS)} FROM raw.file_manifest "
                          "WHERE run_id = ? ORDER BY file_name", [run_id])
    except duckdb.CatalogException:
        return []
    return [dict(zip(MANIFEST_FIELDS, row, strict=True)) for row in cur.fetchall()]


def record_inside(snapshot: Path, run_id: str) -> dict[str, Any] | None:
    """The record a snapshot carries for ``run_id`` (None: not there, or it does not open)."""
    try:
        with duckdb.connect(str(snapshot), read_only=True) as con:
            row = con.execute(f"SELECT record FROM {RUNS_TABLE} WHERE run_id = ?",
                              [run_id]).fetchone()
    except duckdb.Error:
        return None
    return json.loads(row[0]) if row else None


def verify_published_copy(path: Path, run_id: str) -> None:
    """A copy is published only if it opens read-only and carries this run's record as
    published (so it holds everything up to the last checkpoint)."""
    record = record_inside(path, run_id)
    if record is None or not str(record.get("outcome")).startswith(PUBLISHED):
        raise RuntimeError(f"snapshot copy {path.name} is incomplete (no record of run "
                           f"{run_id}): nothing was published")


def verify_readable(path: Path) -> None:
    """A snapshot about to be published again must still open and hold its run records."""
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute(f"SELECT count(*) FROM {RUNS_TABLE}").fetchone()


def versions() -> dict[str, Any]:
    """Python, the packages that shape the results, and the code's git commit."""
    out: dict[str, Any] = {"python": platform.python_version()}
    for pkg in ("posaudit", *PACKAGES):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    commit = _git("rev-parse", "HEAD")
    out["git_commit"] = (commit or "").strip() or "unknown"
    status = _git("status", "--porcelain", "--untracked-files=no")
    # True: the code that ran differs from that commit (tracked files edited).
    out["git_dirty"] = None if status is None else bool(status.strip())
    return out


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=project_dir(), capture_output=True,
                              text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None
