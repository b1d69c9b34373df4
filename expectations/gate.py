"""The publication gate: from check results to publish, publish with warnings, or refuse.

A file refused by a critical incoming check keeps holding publication back on later runs for
as long as it stays in the landing zone unchanged: ingest skips a file it has seen, so without
this a second refresh would quietly publish without it. Correcting it (new content) or
removing it from the landing zone releases the gate.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from expectations.core import CRITICAL, FAILED, PASSED, CheckResult

SUITE = "gate.landing"
CHECK = "no_critical_quarantine_outstanding"


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
    rows = con.cursor().execute(
        "select file_name, sha256, error_check, error_line, error_field, error, run_id "
        "from raw.file_manifest where status = 'QUARANTINED' and error_severity = ? "
        "order by file_name", [CRITICAL],
    ).fetchall()
    out: list[CheckResult] = []
    for name, sha, check, line, fld, error, seen_in in rows:
        path = landing / name
        if not path.is_file() or _sha256(path) != sha:
            continue
        when = "in this run" if seen_in == run_id else f"in run {seen_in}"
        out.append(CheckResult(
            SUITE, CHECK, CRITICAL, FAILED,
            observed=f"quarantined {when} by {check}",
            expected="no file refused by a critical check left uncorrected in the landing zone",
            batch=None, file_name=name, line_no=line, field=fld,
            detail=f"{error} — correct the file (new content replaces it) or remove it",
        ))
    if not out:
        out.append(CheckResult(SUITE, CHECK, CRITICAL, PASSED, observed="0 files",
                               expected="no file refused by a critical check left uncorrected "
                                        "in the landing zone"))
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
