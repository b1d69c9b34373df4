"""``posaudit refresh``: ingest (with incoming checks) → dbt build → mart checks → publish,
with a run record.

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

from expectations.config import DQConfig
from expectations.core import CheckResult, DQContext
from expectations.gate import decide, outstanding_quarantines
from expectations.marts import run_mart_checks
from expectations.store import ensure_table, write_results
from ingest.cardsafe import load_card_key, scrub
from ingest.landing import IngestReport, ingest_landing, new_run_id
from posaudit.dbt_runner import DbtOutcome, project_dir, run_dbt
from posaudit.warehouse import NoSnapshotError, Warehouse

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
    checks: list[CheckResult] = field(default_factory=list)
    data_docs: Path | None = None
    messages: list[str] = field(default_factory=list)


def duckdb_config() -> dict[str, str]:
    """The same bounds as dbt's profile, so ingest and build share one memory budget."""
    return {"memory_limit": os.environ.get("POSAUDIT_MEMORY_LIMIT", "4GB"),
            "preserve_insertion_order": "false"}


def run_ingest(landing: Path, warehouse: Warehouse, run_id: str,
               progress: Callable[[str], None] | None = None, *,
               dq: DQContext | None = None, config: DQConfig | None = None) -> IngestReport:
    warehouse.ensure()
    key = load_card_key(warehouse.root)
    with duckdb.connect(str(warehouse.build_db), config=duckdb_config()) as con:
        report = ingest_landing(landing, con, key, run_id=run_id, progress=progress,
                                dq=dq, config=config)
        ensure_table(con)
        _ensure_runs_table(con)
        con.execute("CHECKPOINT")
    return report


# Shown on the terminal when a run is refused or warns; all of them are in dq_check_results.
SHOWN_FAILURES = 20


def refresh(landing: Path, warehouse: Warehouse,
            progress: Callable[[str], None] | None = None, *,
            dq_config: DQConfig | None = None) -> RefreshResult:
    say = progress or (lambda _m: None)
    config = dq_config or DQConfig.load()
    run_id = new_run_id()
    timings: dict[str, float] = {}
    result = RefreshResult(run_id=run_id, exit_code=EXIT_REFUSED, outcome="FAILED",
                           snapshot_id=None, timings=timings)
    started = datetime.now()
    warehouse.ensure()
    dq = DQContext(warehouse.dq_dir)

    t = time.perf_counter()
    result.ingest = run_ingest(landing, warehouse, run_id, progress, dq=dq, config=config)
    timings["ingest"] = round(time.perf_counter() - t, 3)
    result.checks.extend(result.ingest.checks)
    say(result.ingest.summary())

    t = time.perf_counter()
    # Unit tests check the models' logic, not the data: CI runs them (tests/), refreshes don't.
    result.dbt = run_dbt(warehouse, ["build", "--exclude-resource-type", "unit_test"])
    timings["dbt_build"] = round(time.perf_counter() - t, 3)
    if not result.dbt.success:
        failed = ", ".join(str(n["name"]) for n in result.dbt.failures) or result.dbt.error
        result.messages.append(f"dbt build failed ({failed}): the last snapshot stays published")
        result.outcome = "REFUSED"
        _finish_checks(warehouse, result, dq, landing)
        _write_record(warehouse, result, landing, started, config, into_build=True)
        return result

    t = time.perf_counter()
    say("checking the marts")
    # dbt (in this process) may still hold the database: connect as it did, no settings.
    with duckdb.connect(str(warehouse.build_db)) as con:
        result.checks += run_mart_checks(con, dq, config, run_id=run_id,
                                         previous=_previous_snapshot(warehouse), progress=say)
        result.checks += outstanding_quarantines(con, landing, run_id)
    timings["checks"] = round(time.perf_counter() - t, 3)
    timings["checks_total"] = round(timings["checks"] + result.ingest.check_seconds, 3)
    gate = decide(result.checks)
    _finish_checks(warehouse, result, dq, landing)

    if gate.refused:
        result.outcome = "REFUSED"
        result.exit_code = EXIT_REFUSED
        result.messages.append(
            f"refused to publish: {len(gate.critical)} critical data-quality failure(s); "
            "readers keep the last published snapshot"
        )
        result.messages += _shown(gate.critical)
        _write_record(warehouse, result, landing, started, config, into_build=True)
        return result

    quarantined = result.ingest.count("QUARANTINED")
    warned = quarantined or result.dbt.warnings or gate.has_warnings
    result.exit_code = EXIT_WARN if warned else EXIT_OK
    result.outcome = "PUBLISHED_WITH_WARNINGS" if warned else "PUBLISHED"
    if quarantined:
        result.messages.append(
            f"{quarantined} file(s) quarantined: see file_manifest where status = 'QUARANTINED'"
        )
    if gate.has_warnings:
        result.messages.append(f"{len(gate.warnings)} data-quality warning(s):")
        result.messages += _shown(gate.warnings)
    result.snapshot_id = run_id
    _write_record(warehouse, result, landing, started, config, into_build=True)
    t = time.perf_counter()
    warehouse.publish(run_id)
    timings["publish"] = round(time.perf_counter() - t, 3)
    _write_record(warehouse, result, landing, started, config)
    return result


def _previous_snapshot(warehouse: Warehouse) -> Path | None:
    try:
        return warehouse.current_snapshot()
    except NoSnapshotError:
        return None


def _shown(failures: list[CheckResult]) -> list[str]:
    lines = [f"  - {r.describe()}" for r in failures[:SHOWN_FAILURES]]
    if len(failures) > SHOWN_FAILURES:
        lines.append(f"  … and {len(failures) - SHOWN_FAILURES} more in dq_check_results")
    return lines


def _finish_checks(warehouse: Warehouse, result: RefreshResult, dq: DQContext,
                   landing: Path) -> None:
    """Store every check result in the build database and render the Data Docs."""
    with duckdb.connect(str(warehouse.build_db)) as con:
        if result.dbt is None or not result.dbt.success:
            result.checks += outstanding_quarantines(con, landing, result.run_id)
        write_results(con, result.run_id, "refresh", result.checks)
        con.execute("CHECKPOINT")
    t = time.perf_counter()
    try:
        result.data_docs = dq.build_docs()
    except Exception as exc:  # the docs are a view of the results, never a reason to fail
        result.messages.append(f"Data Docs could not be built: {type(exc).__name__}: {exc}")
    result.timings["data_docs"] = round(time.perf_counter() - t, 3)


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


def _checks_summary(results: list[CheckResult]) -> dict[str, object]:
    counts: dict[str, int] = {}
    for r in results:
        key = f"{r.status.lower()}_{r.severity}" if r.failed else "passed"
        counts[key] = counts.get(key, 0) + 1
    return {
        "counts": counts,
        "failed": [asdict(r) for r in results if r.failed][:500],
    }


def _record(result: RefreshResult, landing: Path, started: datetime,
            config: DQConfig) -> dict[str, object]:
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
        "data_quality": {
            "config": config.source,
            "data_docs": str(result.data_docs) if result.data_docs else None,
            **_checks_summary(result.checks),
        },
        "messages": [scrub(m) for m in result.messages],
    }


RUNS_TABLE = "audit.refresh_runs"


def _ensure_runs_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS audit")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {RUNS_TABLE} (run_id VARCHAR, started_at TIMESTAMP, "
        "finished_at TIMESTAMP, outcome VARCHAR, exit_code INTEGER, snapshot_id VARCHAR, "
        "timings JSON, versions JSON, record JSON)"
    )
    con.execute(f"ALTER TABLE {RUNS_TABLE} ADD COLUMN IF NOT EXISTS checks JSON")


def _write_record(warehouse: Warehouse, result: RefreshResult, landing: Path,
                  started: datetime, config: DQConfig, *, into_build: bool = False) -> None:
    record = _record(result, landing, started, config)
    text = json.dumps(record, ensure_ascii=False, indent=2, default=str)
    (warehouse.runs_dir / f"{result.run_id}.json").write_text(text, encoding="utf-8")
    if into_build:
        # dbt (in this process) may still hold the database: connect as it did, no settings.
        with duckdb.connect(str(warehouse.build_db)) as con:
            _ensure_runs_table(con)
            con.execute(
                f"INSERT INTO {RUNS_TABLE} BY NAME SELECT ? AS run_id, ? AS started_at, "
                "? AS finished_at, ? AS outcome, ? AS exit_code, ? AS snapshot_id, "
                "?::JSON AS timings, ?::JSON AS versions, ?::JSON AS record, ?::JSON AS checks",
                [record["run_id"], record["started_at"], record["finished_at"],
                 record["outcome"], record["exit_code"], record["snapshot_id"],
                 json.dumps(record["timings"]), json.dumps(record["versions"]), text,
                 json.dumps(record["data_quality"], default=str)],
            )
            con.execute("CHECKPOINT")
