"""What a writer (refresh, ingest, rollback) does first, under the warehouse lock: finish
what a killed writer left, and after a rollback put the build database back on the snapshot
readers see.

A writer killed at any moment leaves three kinds of debris, and nothing else: half-written
files (``*.partial``, ``*.tmp``), a snapshot copy it never switched to, and a run record that
still says RUNNING. The lock file names the dead holder (its run and step), so the next writer
settles exactly that run. Nothing needs replaying: ingest commits each window's rows with
their manifest rows, and dbt rebuilds the models from the raw tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any

import duckdb

from posaudit.pipeline.lock import Holder, WarehouseLock
from posaudit.pipeline.run_record import (
    INTERRUPTED,
    RUNNING,
    RUNS_TABLE,
    ensure_runs_table,
    insert_run,
    manifest_rows,
    record_inside,
)
from posaudit.pipeline.warehouse import PUBLISH, Warehouse, read_json, write_json


def prepare(warehouse: Warehouse, say: Callable[[str], None], lock: WarehouseLock, *,
            rebuild: bool = False) -> dict[str, Any]:
    """What ingest and refresh do first, under the lock: ``recover``, then, after a rollback
    (or with ``rebuild``), make the build database a copy of the current snapshot, and give
    every run record its row in audit.refresh_runs. Returns what was done, for the record."""
    done = recover(warehouse, say, lock)
    done.update(prepare_build(warehouse, say, rebuild=rebuild))
    return done


def prepare_build(warehouse: Warehouse, say: Callable[[str], None], *,
                  rebuild: bool = False) -> dict[str, Any]:
    """The part of ``prepare`` that writes to the build database (a refresh with nothing new
    skips it): the rebuild after a rollback, and the run history."""
    done: dict[str, Any] = {}
    target = _rebuild_target(warehouse, rebuild)
    if target is not None:
        say(f"rebuilding the build database from snapshot {target}"
            + (" (readers were rolled back to it)" if not rebuild else ""))
        release_dbt_connection()
        warehouse.restore_build(target)
        done["rebuilt_from"] = target
    _sync_run_history(warehouse)
    return done


def recover(warehouse: Warehouse, say: Callable[[str], None],
            lock: WarehouseLock) -> dict[str, Any]:
    """Clear what a killed writer left: its lock text, its RUNNING record (and a snapshot copy
    it never published), half-written files, a symlink it did not get to switch."""
    done: dict[str, Any] = {}
    if lock.stale is not None:
        say(lock.stale.describe())
        holder = lock.stale.holder
        done["stale_lock"] = asdict(holder) if holder else "unreadable"
        if holder and holder.command == "refresh" and holder.run_id:
            note = _settle_dead_run(warehouse, holder)
            if note:
                say(note)
                done["settled_run"] = holder.run_id
    removed = warehouse.sweep_leftovers()
    if removed:
        names = [str(p.relative_to(warehouse.root)) for p in removed]
        say(f"removed {len(removed)} half-written file(s) of an interrupted run: "
            + ", ".join(names))
        done["removed"] = names
    if warehouse.repair_pointers():
        say("current.duckdb points at the CURRENT snapshot again")
    return done


def _rebuild_target(warehouse: Warehouse, forced: bool) -> str | None:
    if not forced:
        return warehouse.pending_rebuild()
    current = warehouse.current_id()
    if current is None:
        raise ValueError("--rebuild-from-snapshot: nothing is published yet to rebuild from")
    return current


def _settle_dead_run(warehouse: Warehouse, holder: Holder) -> str | None:
    """Finish the record of a refresh that died holding the lock."""
    run_id, step = holder.run_id or "", holder.step
    path = warehouse.run_record_path(run_id)
    # Killed before its first record was written: the lock text is all there is.
    record = read_json(path) or {"run_id": run_id, "outcome": RUNNING,
                                 "started_at": holder.started_at, "host": holder.host,
                                 "pid": holder.pid, "user": holder.user}
    if record.get("outcome") != RUNNING:
        return None  # it had finished; only the lock text was left
    if warehouse.current_id() == run_id:
        # It published and died before its bookkeeping: the record inside the snapshot is it.
        record = (record_inside(warehouse.snapshot_path(run_id), run_id)
                  or read_json(warehouse.snapshot_record_path(run_id)) or record)
        if not any(e.get("action") == PUBLISH and e.get("snapshot_id") == run_id
                   for e in warehouse.publications()):
            warehouse.log_publication(PUBLISH, run_id, previous=None,
                                      note="recorded by the next writer: the publishing run "
                                           "was interrupted after the switch")
        write_json(warehouse.snapshot_record_path(run_id), record)
        write_json(path, record)
        return f"run {run_id} had published its snapshot before it was interrupted"
    if warehouse.snapshot_path(run_id).exists():
        warehouse.discard_snapshot(run_id)  # a copy it never published
    record.update(outcome=INTERRUPTED, exit_code=None, snapshot_id=None,
                  interrupted_in=step, settled_at=datetime.now().isoformat(timespec="seconds"))
    write_json(path, record)
    if warehouse.build_db.exists():
        # It may have stored its record (as PUBLISHED) just before it died.
        with duckdb.connect(str(warehouse.build_db)) as con:
            ensure_runs_table(con)
            record["files"] = record.get("files") or manifest_rows(con, run_id)
            insert_run(con, record)
            con.execute("CHECKPOINT")
        write_json(path, record)
    return f"run {run_id} was interrupted{f' in {step}' if step else ''}: recorded as INTERRUPTED"


def _sync_run_history(warehouse: Warehouse) -> None:
    """Every run record file has its row in audit.refresh_runs (a killed run, or runs after the
    snapshot a rebuild went back to)."""
    ids = {p.stem for p in warehouse.runs_dir.glob("*.json")}
    if not ids or not warehouse.build_db.exists():
        return
    with duckdb.connect(str(warehouse.build_db)) as con:
        ensure_runs_table(con)
        have = {r[0] for r in con.execute(f"SELECT run_id FROM {RUNS_TABLE}").fetchall()}
        todo = sorted(ids - have)
        for run_id in todo:
            record = read_json(warehouse.run_record_path(run_id))
            if record is None:
                continue
            if record.get("outcome") == RUNNING:  # we hold the lock: its writer is gone
                record.update(outcome=INTERRUPTED, exit_code=None, snapshot_id=None)
                write_json(warehouse.run_record_path(run_id), record)
            if not record.get("files"):
                record["files"] = manifest_rows(con, run_id)
            insert_run(con, record)
        if todo:
            con.execute("CHECKPOINT")


def release_dbt_connection() -> None:
    """dbt-duckdb keeps its database open between invocations in one process; a rebuild or a
    compaction replaces the file underneath, so that handle must be closed first."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    env = getattr(DuckDBConnectionManager, "_ENV", None)
    if env is not None:
        env.close()
        DuckDBConnectionManager.close_all_connections()
