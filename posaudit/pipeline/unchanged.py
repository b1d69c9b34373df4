"""Whether a refresh has anything to do. When nothing it depends on changed since the current
snapshot was published, that snapshot stays current: nothing is ingested, built, checked,
copied or written to the build database.

Nothing new means all of:

- the landing zone lists the same files with the same sizes and modification times as when
  the current snapshot's run started (a new, changed or removed file is something new; what
  ingest then loads it decides by content);
- the same dbt project (``build_window.code_fingerprint``) and the same data-quality and
  alerting policies;
- the case store's trail ends where the snapshot's copy of it ends, or where the snapshot's own
  case sync left it (case actions reach the marts; the cases a publish opens for its
  exceptions are not news);
- the current snapshot is the build database's last publication (no rollback or rebuild since)
  and the build database has not moved on from it (no refused, failed, interrupted or
  ingest-only run since);
- neither ``--full`` nor ``--rebuild-from-snapshot``.

The first two are the ``inputs`` a refresh records in its run record; the others are read from
the warehouse itself.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from posaudit.cases.store import cases_path
from posaudit.ingest.landing import landing_files
from posaudit.pipeline.build_window import code_fingerprint
from posaudit.pipeline.warehouse import PUBLISH, REBUILD, Warehouse, read_json
from posaudit.resources import project_dir

# What the run record's ``inputs`` name, and how a difference is told.
CHANGED = {
    "landing": "the landing zone has new, changed or removed files",
    "code": "the models, macros, seeds or project settings changed",
    "dq_config": "the data-quality policy changed",
    "alerts_config": "the alerting policy changed",
}


@dataclass(frozen=True)
class Verdict:
    """``record``: the current snapshot's run record when nothing is new (else None);
    ``reason``: what is new."""

    record: dict[str, Any] | None
    reason: str

    @property
    def unchanged(self) -> bool:
        return self.record is not None


def inputs(landing: Path, dq_config: object, alerts_config: object) -> dict[str, str]:
    """Fingerprints of what a build depends on besides the warehouse itself."""
    return {
        "landing": landing_fingerprint(landing),
        "code": code_fingerprint(project_dir()),
        "dq_config": policy_fingerprint(dq_config),
        "alerts_config": policy_fingerprint(alerts_config),
    }


def landing_fingerprint(landing: Path) -> str:
    """SHA-256 over every landing file ingest would look at: name, size, modification time
    (what ingest itself compares before it reads a file)."""
    digest = hashlib.sha256()
    for path, name, _folder in landing_files(landing):
        stat = path.stat()
        digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def policy_fingerprint(config: object) -> str:
    """SHA-256 of a policy's effective settings (not of the file it came from, nor where)."""
    text = json.dumps(_canonical(config), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.compare and f.name != "source"}
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        # Set order follows string hashing, which differs between processes.
        return sorted((_canonical(v) for v in value), key=json.dumps)
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # dates, decimals


def judge(warehouse: Warehouse, now: Mapping[str, str], *, full: bool = False,
          rebuild: bool = False) -> Verdict:
    """Is there anything new for a refresh since the current snapshot? Reads only."""
    if full:
        return Verdict(None, "--full asked for")
    if rebuild:
        return Verdict(None, "--rebuild-from-snapshot asked for")
    current = warehouse.current_id()
    if current is None:
        return Verdict(None, "nothing is published yet")
    built = next((e for e in reversed(warehouse.publications())
                  if e.get("action") in (PUBLISH, REBUILD)), None)
    if built is None or (built.get("action"), built.get("snapshot_id")) != (PUBLISH, current):
        return Verdict(None, "the current snapshot is not the build database's last "
                             "publication (a rollback or a rebuild since)")
    record = read_json(warehouse.snapshot_record_path(current))
    if record is None or not str(record.get("outcome", "")).startswith("PUBLISHED"):
        return Verdict(None, f"snapshot {current} has no run record")
    before = record.get("inputs")
    if not before:
        return Verdict(None, f"snapshot {current}'s run record names no inputs to compare")
    changed = [CHANGED[k] for k in CHANGED if before.get(k) != now.get(k)]
    if changed:
        return Verdict(None, changed[0])
    snapshot = warehouse.snapshot_path(current)
    if _build_state(warehouse.build_db) != _build_state(snapshot):
        return Verdict(None, "the build database moved on from the current snapshot (a run "
                             "that did not publish, or posaudit ingest)")
    # The snapshot's own case sync (cases opened for its exceptions, after it was copied) is
    # not news: only actions after that sync are.
    store = store_end(cases_path(warehouse.root))
    synced = record.get("cases_synced_through")
    if store != _copied_end(snapshot) and (not synced or store != tuple(synced)):
        return Verdict(None, "cases changed since the current snapshot was built")
    return Verdict(record, "nothing new")


def _build_state(db: Path) -> tuple[object, ...] | None:
    """The last build planned and what the manifest holds: a build database that moved on
    differs from the snapshot it published in one or the other."""
    if not db.exists():
        return None
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            last = con.execute("select run_id, state from raw.build_window "
                               "order by planned_at desc limit 1").fetchall()
            files = con.execute("select count(*), max(run_id), max(first_seen_at) "
                                "from raw.file_manifest").fetchall()
    except duckdb.Error:
        return None
    return (*(last[0] if last else (None, None)), *files[0])


def store_end(path: Path) -> tuple[int, str] | None:
    """The case store's last trail row (seq, hash); every change to a case writes one."""
    if not path.exists():
        return None
    # Read-only: looking must not create the store or change its journal mode.
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
            row = conn.execute("select seq, hash from case_actions "
                               "order by seq desc limit 1").fetchone()
    except sqlite3.Error:
        return None
    return (int(row[0]), str(row[1])) if row else None


def _copied_end(snapshot: Path) -> tuple[int, str] | None:
    """The last trail row of the case store's copy inside a snapshot."""
    try:
        with duckdb.connect(str(snapshot), read_only=True) as con:
            rows = con.execute("select seq, hash from cases.case_actions "
                               "order by seq desc limit 1").fetchall()
    except duckdb.Error:
        return None
    return (int(rows[0][0]), str(rows[0][1])) if rows else None
