"""What a refresh knows about its run as it goes (``RefreshResult``), and its exit codes:
0 published, 1 published with warnings, 2 refused to publish, 3 usage or input error (a
warehouse locked by another writer is one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # types only: the CLI reads the exit codes without importing GX or dbt
    from posaudit.expectations.core import CheckResult
    from posaudit.expectations.marts import Span
    from posaudit.ingest.landing import IngestReport
    from posaudit.pipeline.build_window import Window
    from posaudit.pipeline.dbt_runner import DbtOutcome

EXIT_OK, EXIT_WARN, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2, 3

# Shown on the terminal when a run is refused or warns; all of them are in dq_check_results.
SHOWN_FAILURES = 20


@dataclass
class RefreshResult:
    run_id: str
    exit_code: int
    outcome: str
    snapshot_id: str | None
    timings: dict[str, float] = field(default_factory=dict)
    # Per step, CPU seconds (user + system, every thread and waited-for child) per wall
    # second: 2.0 keeps both cores of a 2-core machine busy.
    cpu_use: dict[str, float] = field(default_factory=dict)
    ingest: IngestReport[CheckResult] | None = None
    dbt: DbtOutcome | None = None
    checks: list[CheckResult] = field(default_factory=list)
    data_docs: Path | None = None
    messages: list[str] = field(default_factory=list)
    # Every landing file this run decided: its manifest row (size, SHA-256, rows, status).
    files: list[dict[str, Any]] = field(default_factory=list)
    # Cheap figures of the built marts, for `posaudit snapshots`.
    facts: dict[str, Any] = field(default_factory=dict)
    # What the run found and repaired before it started (posaudit.pipeline.refresh.prepare).
    recovery: dict[str, Any] = field(default_factory=dict)
    published_at: str | None = None
    # Python, packages and git commit: looked up once per run.
    versions: dict[str, Any] = field(default_factory=dict)
    # What the dbt build recomputed (``build_window``): FULL or INCREMENTAL from a date.
    window: Window | None = None
    # Fingerprints of the landing zone, the dbt project and the policies (``unchanged``).
    inputs: dict[str, str] = field(default_factory=dict)
    # What makes the exit code 1: repeated as they are by a rerun with nothing new.
    warnings: list[str] = field(default_factory=list)
    # The days the anomaly checks looked at.
    anomaly_span: Span | None = None
    # UNCHANGED: the snapshot that stays current.
    standing_snapshot: str | None = None
    # The case store's last trail row (seq, hash) after this run's case sync.
    cases_synced_through: tuple[int, str] | None = None
