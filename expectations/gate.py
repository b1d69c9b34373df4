"""The publication gate: from check results to publish, publish with warnings, or refuse.

A file refused by a critical incoming check keeps holding publication back on later runs for
as long as it stays in the landing zone unchanged: ingest skips a file it has seen, so without
this a second refresh would quietly publish without it. Correcting it (new content) or
removing it from the landing zone releases the gate. A file quarantined by a warning stands
the same way as a warning on every later run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import duckdb

from posaudit.expectations.core import CRITICAL, FAILED, PASSED, WARNING, CheckResult

SUITE = "gate.landing"
CHECK = "no_critical_quarantine_outstanding"
STANDING_CHECK = "no_quarantined_file_outstanding"


@dataclass
class GateDecision:
    critical: list[CheckResult] = field(default_factory=list)
    warnings: list[CheckResult] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.critical)

    @property
    def has_warnings(self) -> bool:
        return bool(self.warnings)


def decide(results: Iterable[CheckResult]) -> GateDecision:
    decision = GateDecision()
    for r in results:
        if not r.failed:
            continue
        (decision.critical if r.severity == CRITICAL else decision.warnings).append(r)
    return decision


def outstanding_quarantines(con: duckdb.DuckDBPyConnection, landing: Path,
                            run_id: str) -> list[CheckResult]:
    """Files quarantined by a critical check (in this run or an earlier one) that are still
    in the landing zone with the same content: one FAILED result each, or one PASSED."""
    out = [CheckResult(
        SUITE, CHECK, CRITICAL, FAILED,
        observed=f"quarantined {_when(seen_in, run_id)} by {check}",
        expected=_EXPECTED_CRITICAL, batch=None, file_name=name, line_no=line, field=fld,
        detail=f"{error} — correct the file (new content replaces it) or remove it",
    ) for name, check, line, fld, error, seen_in in _still_in_landing(
        con, landing, "error_severity = ?", [CRITICAL])]
    if not out:
        out.append(CheckResult(SUITE, CHECK, CRITICAL, PASSED, observed="0 files",
                               expected=_EXPECTED_CRITICAL))
    return out


def standing_quarantines(con: duckdb.DuckDBPyConnection, landing: Path,
                         run_id: str) -> list[CheckResult]:
    """Files quarantined in an earlier run by a warning check, or because they did not parse,
    that are still in the landing zone with the same content: one FAILED warning each. Ingest
    skips a file it has seen, so without this the run after the one that quarantined a file
    would publish without a word about it (and exit 0 where that run exited 1)."""
    return [CheckResult(
        SUITE, STANDING_CHECK, WARNING, FAILED,
        observed=f"quarantined {_when(seen_in, run_id)} by {check}",
        expected="no quarantined file left uncorrected in the landing zone", batch=None,
        file_name=name, line_no=line, field=fld,
        detail=f"{error} — correct the file (new content replaces it) or remove it",
    ) for name, check, line, fld, error, seen_in in _still_in_landing(
        con, landing, "coalesce(error_severity, ?) <> ? and run_id <> ?",
        [WARNING, CRITICAL, run_id])]


_EXPECTED_CRITICAL = "no file refused by a critical check left uncorrected in the landing zone"


class _Quarantined(NamedTuple):
    file_name: str
    error_check: str
    error_line: int | None
    error_field: str | None
    error: str
    run_id: str


def _still_in_landing(con: duckdb.DuckDBPyConnection, landing: Path, where: str,
                      params: list[object]) -> list[_Quarantined]:
    """Quarantined manifest rows (``where``) whose file is still in the landing zone with the
    same content."""
    rows = con.cursor().execute(
        "select file_name, sha256, error_check, error_line, error_field, error, run_id "
        f"from raw.file_manifest where status = 'QUARANTINED' and {where} "
        "order by file_name", params,
    ).fetchall()
    out = []
    for name, sha, check, line, fld, error, run_id in rows:
        path = landing / name
        if path.is_file() and _sha256(path) == sha:
            out.append(_Quarantined(name, check, line, fld, error, run_id))
    return out


def _when(seen_in: object, run_id: str) -> str:
    return "in this run" if seen_in == run_id else f"in run {seen_in}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
