"""A refresh's run record (``runs/<run_id>.json``, also stored in the snapshot): what was
decided, built, checked and published, and a few figures of the built marts."""

from __future__ import annotations

import os
import socket
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from posaudit.expectations.core import CheckResult
from posaudit.ingest.cardsafe import scrub
from posaudit.pipeline.dbt_runner import DbtOutcome
from posaudit.pipeline.refresh_result import RefreshResult
from posaudit.pipeline.run_record import RUNNING, manifest_rows, versions
from posaudit.pipeline.warehouse import Warehouse


def input_files(warehouse: Warehouse, run_id: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(warehouse.build_db)) as con:
        return manifest_rows(con, run_id)


FACTS = {
    "fct_transactions": "SELECT count(*) FROM main.fct_transactions",
    "fct_exceptions": "SELECT count(*) FROM main.fct_exceptions",
    "exposure_amount": "SELECT sum(exposure_amount) FROM main.fct_exceptions",
    "files_loaded": "SELECT count(*) FROM main.fct_file_manifest WHERE status = 'LOADED'",
}


def facts(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, sql in FACTS.items():
        try:
            row = con.execute(sql).fetchone()
        except duckdb.Error:  # a mart that a model change renamed: the listing just omits it
            continue
        out[name] = row[0] if row else None
    return out


def checks_summary(results: list[CheckResult]) -> dict[str, object]:
    counts: dict[str, int] = {}
    for r in results:
        key = f"{r.status.lower()}_{r.severity}" if r.failed else "passed"
        counts[key] = counts.get(key, 0) + 1
    return {
        "counts": counts,
        "failed": [asdict(r) for r in results if r.failed][:500],
    }


def dbt_summary(dbt: DbtOutcome | None) -> dict[str, Any] | None:
    if dbt is None:
        return None
    statuses: dict[str, int] = {}
    for n in dbt.nodes:
        statuses[str(n["status"])] = statuses.get(str(n["status"]), 0) + 1
    return {"success": dbt.success, "error": dbt.error and scrub(dbt.error),
            "nodes": len(dbt.nodes), "statuses": statuses}


def compose_record(result: RefreshResult, *, started: datetime, landing: Path,
                   warehouse: Warehouse, user: str, dq_config: str,
                   interim: bool = False) -> dict[str, Any]:
    """The run record; ``interim``: as it stands while the run goes on (outcome RUNNING)."""
    ingest = result.ingest
    timings = dict(result.timings)
    timings["total"] = round((datetime.now() - started).total_seconds(), 3)
    outcome = RUNNING if interim else result.outcome
    result.versions = result.versions or versions()
    return {
        "run_id": result.run_id,
        "started_at": started.isoformat(timespec="milliseconds"),
        "finished_at": (None if outcome == RUNNING
                        else datetime.now().isoformat(timespec="milliseconds")),
        "published_at": result.published_at,
        "landing": str(landing),
        "warehouse": str(warehouse.root),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "user": user,
        "outcome": outcome,
        "exit_code": None if outcome == RUNNING else result.exit_code,
        "snapshot_id": None if interim else result.snapshot_id,
        "timings": timings,
        "cpu_use": dict(result.cpu_use),
        "versions": result.versions,
        "files": result.files,
        "files_unchanged": ingest.skipped_unchanged if ingest else 0,
        "ignored": ingest.ignored if ingest else [],
        "dbt": result.dbt.nodes if result.dbt else [],
        "dbt_summary": dbt_summary(result.dbt),
        "data_quality": {
            "config": dq_config,
            "data_docs": str(result.data_docs) if result.data_docs else None,
            "anomaly_span": ([d.isoformat() for d in result.anomaly_span]
                             if result.anomaly_span else None),
            **checks_summary(result.checks),
        },
        "facts": result.facts,
        "build": asdict(result.window) if result.window else None,
        "recovery": result.recovery,
        "inputs": result.inputs,
        "standing_snapshot": result.standing_snapshot,
        "cases_synced_through": result.cases_synced_through,
        "warnings": [scrub(m) for m in result.warnings],
        "messages": [scrub(m) for m in result.messages],
    }
