"""``posaudit refresh``: ingest → dbt build → publish, with a run record.

Exit codes (PRODUCT.md): 0 published, 1 published with warnings, 2 refused to publish,
3 usage or input error.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path

import duckdb

from ingest.cardsafe import load_card_key, scrub
from ingest.landing import IngestReport, ingest_landing, new_run_id
from posaudit.dbt_runner import DbtOutcome, project_dir, run_dbt
from posaudit.warehouse import Warehouse

EXIT_OK, EXIT_WARN, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2, 3
PACKAGES = ("duckdb", "polars", "dbt-core", "dbt-duckdb", "great-expectations", "streamlit")


@dataclass
class RefreshResult:
    run_id: str
    exit_code: int
    outcome: str
    snapshot_id: str | None
    timings: dict[str, float] = field(default_factory=dict)
    ingest: IngestReport | None = None
    dbt: DbtOutcome | None = None
    messages: list[str] = field(default_factory=list)


def duckdb_config() -> dict[str, str]:
    """The same bounds as dbt's profile, so ingest and build share one memory budget."""
    return {"memory_limit": os.environ.get("POSAUDIT_MEMORY_LIMIT", "4GB"),
            "preserve_insertion_order": "false"}


def run_ingest(landing: Path, warehouse: Warehouse, run_id: str,
               progress: Callable[[str], None] | None = None) -> IngestReport:
    warehouse.ensure()
    key = load_card_key(warehouse.root)
    with duckdb.connect(str(warehouse.build_db), config=duckdb_config()) as con:
        report = ingest_landing(landing, con, key, run_id=run_id, progress=progress)
        con.execute("CHECKPOINT")
    return report


def refresh(landing: Path, warehouse: Warehouse,
            progress: Callable[[str], None] | None = None) -> RefreshResult:
    say = progress or (lambda _m: None)
    run_id = new_run_id()
    timings: dict[str, float] = {}
    result = RefreshResult(run_id=run_id, exit_code=EXIT_REFUSED, outcome="FAILED",
                           snapshot_id=None, timings=timings)
    started = datetime.now()

    t = time.perf_counter()
    result.ingest = run_ingest(landing, warehouse, run_id, progress)
    timings["ingest"] = round(time.perf_counter() - t, 3)
    say(result.ingest.summary())

    t = time.perf_counter()
    # Unit tests check the models' logic, not the data: CI runs them (tests/), refreshes don't.
    result.dbt = run_dbt(warehouse, ["build", "--exclude-resource-type", "unit_test"])
    timings["dbt_build"] = round(time.perf_counter() - t, 3)
    if not result.dbt.success:
        failed = ", ".join(str(n["name"]) for n in result.dbt.failures) or result.dbt.error
        result.messages.append(f"dbt build failed ({failed}): the last snapshot stays published")
        result.outcome = "REFUSED"
        _write_record(warehouse, result, landing, started)
        return result

    warnings = result.ingest.count("QUARANTINED") + len(result.dbt.warnings)
    result.exit_code = EXIT_WARN if warnings else EXIT_OK
    result.outcome = "PUBLISHED_WITH_WARNINGS" if warnings else "PUBLISHED"
    if result.ingest.count("QUARANTINED"):
        result.messages.append(
            f"{result.ingest.count('QUARANTINED')} file(s) quarantined: "
            "see file_manifest where status = 'QUARANTINED'"
        )
    result.snapshot_id = run_id
    _write_record(warehouse, result, landing, started, into_build=True)
    t = time.perf_counter()
    warehouse.publish(run_id)
    timings["publish"] = round(time.perf_counter() - t, 3)
    _write_record(warehouse, result, landing, started)
    return result


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("posaudit", *PACKAGES):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    try:
        out["git_commit"] = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=project_dir(), capture_output=True, text=True,
            timeout=5,
        ).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError, FileNotFoundError):
        out["git_commit"] = "unknown"
    return out


def _record(result: RefreshResult, landing: Path, started: datetime) -> dict[str, object]:
    ingest = result.ingest
    return {
        "run_id": result.run_id,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now().isoformat(timespec="seconds"),
        "landing": str(landing),
        "outcome": result.outcome,
        "exit_code": result.exit_code,
        "snapshot_id": result.snapshot_id,
        "timings": result.timings,
        "versions": _versions(),
        "files": [asdict(o) for o in ingest.outcomes] if ingest else [],
        "files_unchanged": ingest.skipped_unchanged if ingest else 0,
        "dbt": result.dbt.nodes if result.dbt else [],
        "messages": [scrub(m) for m in result.messages],
    }


def _write_record(warehouse: Warehouse, result: RefreshResult, landing: Path,
                  started: datetime, *, into_build: bool = False) -> None:
    record = _record(result, landing, started)
    text = json.dumps(record, ensure_ascii=False, indent=2, default=str)
    (warehouse.runs_dir / f"{result.run_id}.json").write_text(text, encoding="utf-8")
    if into_build:
        # dbt (in this process) may still hold the database: connect as it did, no settings.
        with duckdb.connect(str(warehouse.build_db)) as con:
            con.execute("CREATE SCHEMA IF NOT EXISTS audit")
            con.execute(
                "CREATE TABLE IF NOT EXISTS audit.refresh_runs (run_id VARCHAR, started_at "
                "TIMESTAMP, finished_at TIMESTAMP, outcome VARCHAR, exit_code INTEGER, "
                "snapshot_id VARCHAR, timings JSON, versions JSON, record JSON)"
            )
            con.execute(
                "INSERT INTO audit.refresh_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [record["run_id"], record["started_at"], record["finished_at"],
                 record["outcome"], record["exit_code"], record["snapshot_id"],
                 json.dumps(record["timings"]), json.dumps(record["versions"]), text],
            )
            con.execute("CHECKPOINT")
