"""Publication: snapshots and their records, keep-K pruning, rollback, the warehouse lock, the
run record, readers across a publish, and what a refresh prints.

Real DuckDB files throughout; the flows marked slow run ``posaudit refresh`` with dbt.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import duckdb
import pytest

from posaudit.ingest.landing import new_run_id
from posaudit.pipeline.lock import Holder, WarehouseBusyError, WarehouseLock
from posaudit.pipeline.progress import Console
from posaudit.pipeline.warehouse import Warehouse, keep_from
from posaudit.sql import open_current, query
from tests.helpers.cli import Built, copy_warehouse, run_cli, run_id_of
from tests.helpers.paths import POSAUDIT, ROOT
from tests.helpers.rows import scalar


@pytest.fixture
def wh(built: Built, tmp_path: Path) -> Warehouse:
    return copy_warehouse(built, tmp_path / "wh")


def publish_new(wh: Warehouse, keep: int = 5) -> str:
    """Publish the build database as it is under a new id (what a refresh's last step does)."""
    snap = new_run_id()
    wh.publish(snap, keep=keep, record={"run_id": snap, "outcome": "PUBLISHED",
                                        "facts": {"fct_exceptions": 1}})
    time.sleep(0.01)  # distinct mtimes order snapshots published within one second
    return snap


# --- snapshots, keep K, rollback (library and CLI, no dbt) --------------------------------------


def test_keep_k_prunes_the_oldest_snapshots_and_their_records(wh: Warehouse) -> None:
    published = [publish_new(wh, keep=2) for _ in range(4)]
    assert wh.snapshot_ids() == published[-2:]
    assert sorted(p.stem for p in wh.snapshots_dir.glob("*.json")) == sorted(published[-2:])
    assert wh.current_id() == published[-1]
    assert os.readlink(wh.current_link) == f"snapshots/{published[-1]}.duckdb"


def test_the_current_snapshot_and_its_rollback_target_are_never_pruned(wh: Warehouse) -> None:
    first = wh.current_id()
    a, b, c = (publish_new(wh) for _ in range(3))
    wh.rollback(to=a)
    wh.prune(1)  # the newest, the current one (rolled back to) and the one before it stay
    assert {first, a, c} <= set(wh.snapshot_ids()) and b not in wh.snapshot_ids()
    publish_new(wh, keep=1)  # keeps the new one and the one before it, whatever K says
    assert len(wh.snapshot_ids()) == 2
    assert wh.previous_of(wh.current_id()) in wh.snapshot_ids()
    assert a not in wh.snapshot_ids() and b not in wh.snapshot_ids()
    with pytest.raises(ValueError):
        wh.discard_snapshot(wh.current_id() or "")
    assert c in wh.snapshot_ids()


def test_keep_comes_from_the_option_or_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSAUDIT_KEEP_SNAPSHOTS", raising=False)
    assert keep_from(None) == 5
    monkeypatch.setenv("POSAUDIT_KEEP_SNAPSHOTS", "3")
    assert keep_from(None) == 3
    assert keep_from(7) == 7
    with pytest.raises(ValueError):
        keep_from(0)


def test_rollback_republishes_the_previous_snapshot_and_records_it(wh: Warehouse) -> None:
    first = wh.current_id()
    second = publish_new(wh)
    done = run_cli("rollback", "--warehouse", str(wh.root))
    assert done.returncode == 0, done.stderr
    assert wh.current_id() == first
    assert os.readlink(wh.current_link) == f"snapshots/{first}.duckdb"
    entry = wh.publications()[-1]
    assert (entry["action"], entry["snapshot_id"], entry["previous"]) == (
        "rollback", first, second)
    assert {"at", "user", "host", "pid"} <= set(entry)
    # The build database is ahead of what readers see: the next writer starts from `first`.
    assert wh.pending_rebuild() == first
    forward = run_cli("rollback", "--warehouse", str(wh.root), "--to", second)
    assert forward.returncode == 0 and wh.current_id() == second
    assert wh.pending_rebuild() is None  # readers are back on what the build continues from
    unknown = run_cli("rollback", "--warehouse", str(wh.root), "--to", "no-such-snapshot")
    assert unknown.returncode == 3 and "does not exist" in unknown.stderr


def test_snapshots_lists_each_with_its_outcome_and_facts(wh: Warehouse) -> None:
    newest = publish_new(wh)
    table = run_cli("snapshots", "--warehouse", str(wh.root))
    assert table.returncode == 0, table.stderr
    rows = [line for line in table.stdout.splitlines() if newest in line]
    assert rows[0].startswith("* ") and "PUBLISHED" in rows[0]
    listed = json.loads(run_cli("snapshots", "--warehouse", str(wh.root), "--json").stdout)
    assert [s["snapshot_id"] for s in listed] == wh.snapshot_ids()
    assert [s["snapshot_id"] for s in listed if s["current"]] == [newest]
    assert all(s["size_bytes"] > 0 and s["created_at"] for s in listed)
    original = next(s for s in listed if not s["current"])
    assert original["outcome"].startswith("PUBLISHED")
    assert original["facts"]["fct_exceptions"] > 0  # from the real refresh's record
    path = run_cli("snapshots", "--warehouse", str(wh.root), "--current-path").stdout.strip()
    assert Path(path) == wh.snapshot_path(newest)


def test_analysts_open_the_current_snapshot_through_the_stable_link(wh: Warehouse) -> None:
    before = wh.current_snapshot()
    with duckdb.connect(str(wh.current_link), read_only=True) as con:
        n = scalar(con, "select count(*) from fct_exceptions")
        with pytest.raises(duckdb.Error):
            con.execute("create table t as select 1")
    assert n > 0
    publish_new(wh)
    assert wh.current_link.resolve() != before  # a new open follows the switch
    with duckdb.connect(str(wh.current_link), read_only=True) as con:
        assert scalar(con, "select count(*) from fct_exceptions") == n


def test_a_reader_keeps_its_open_snapshot_across_publish_and_prune(wh: Warehouse) -> None:
    old = wh.current_snapshot()
    reader = duckdb.connect(str(old), read_only=True)
    count = "select count(*) from fct_transactions"
    n = scalar(reader, count)
    for _ in range(3):
        publish_new(wh, keep=1)
    assert not old.exists()  # pruned from under the reader
    assert scalar(reader, count) == n
    reader.close()
    path, con = open_current(wh)
    with con:
        assert path == wh.current_snapshot() and path != old
    assert query(wh, count).item() == n


def test_leftovers_of_a_killed_writer_are_swept(wh: Warehouse) -> None:
    snap = wh.current_id()
    partial = wh.snapshots_dir / "20990101T000000-dead.duckdb.partial"
    partial.write_bytes(b"half a copy")
    orphan = wh.snapshots_dir / "20990101T000000-gone.json"
    orphan.write_text("{}")
    for leftover in (wh.root / "CURRENT.tmp", wh.runs_dir / "x.json.tmp"):
        leftover.write_text("half")
    removed = {p.name for p in wh.sweep_leftovers()}
    assert removed == {partial.name, orphan.name, "CURRENT.tmp", "x.json.tmp"}
    assert wh.current_id() == snap and wh.snapshot_record_path(snap or "").exists()


# --- the lock -------------------------------------------------------------------------------------


def test_the_lock_names_its_holder_and_refuses_a_second_writer(tmp_path: Path) -> None:
    path = tmp_path / "refresh.lock"
    with WarehouseLock.acquire(path, "refresh", "R1") as lock:
        assert lock.stale is None
        lock.at_step("dbt build")
        with pytest.raises(WarehouseBusyError) as busy:
            WarehouseLock.acquire(path, "ingest")
        holder = busy.value.holder
        assert holder is not None
        assert (holder.pid, holder.run_id, holder.step) == (os.getpid(), "R1", "dbt build")
        assert f"pid {os.getpid()} on {socket.gethostname()}" in str(busy.value)
    assert path.read_text() == ""  # released normally
    with WarehouseLock.acquire(path, "refresh") as again:
        assert again.stale is None


def dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_a_stale_lock_is_reported_and_cleared(wh: Warehouse, built: Built) -> None:
    gone = Holder(pid=dead_pid(), host=socket.gethostname(), user="cron", command="refresh",
                  started_at="2026-11-28T03:00:00", run_id="20261128T030000-dead",
                  step="dbt build")
    wh.lock_path.write_text(json.dumps(asdict(gone)))
    done = run_cli("ingest", "--landing", str(built.landing), "--warehouse", str(wh.root),
                   env={"POSAUDIT_PROGRESS": "plain"})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "stale lock cleared" in done.stdout and f"pid {gone.pid}" in done.stdout
    assert wh.lock_path.read_text() == ""
    record = json.loads(wh.run_record_path(gone.run_id or "").read_text())
    assert (record["outcome"], record["interrupted_in"]) == ("INTERRUPTED", "dbt build")
    with duckdb.connect(str(wh.build_db), read_only=True) as con:
        outcome = con.execute("select outcome from audit.refresh_runs where run_id = ?",
                              [gone.run_id]).fetchone()
    assert outcome == ("INTERRUPTED",)


def _died_holding_the_lock(wh: Warehouse, run_id: str, step: str) -> None:
    """What a refresh killed in ``step`` leaves: its holder text and its RUNNING record."""
    gone = Holder(pid=dead_pid(), host=socket.gethostname(), user="cron", command="refresh",
                  started_at="2026-11-28T03:00:00", run_id=run_id, step=step)
    wh.lock_path.write_text(json.dumps(asdict(gone)))
    wh.run_record_path(run_id).write_text(json.dumps(
        {"run_id": run_id, "outcome": "RUNNING", "started_at": "2026-11-28T03:00:00"}))


def test_a_copy_renamed_but_never_switched_to_is_discarded(wh: Warehouse, built: Built) -> None:
    current = wh.current_id()
    dead = "20261128T030000-dead"
    shutil.copyfile(wh.build_db, wh.snapshot_path(dead))  # killed between rename and switch
    _died_holding_the_lock(wh, dead, "publish")
    done = run_cli("ingest", "--landing", str(built.landing), "--warehouse", str(wh.root))
    assert done.returncode == 0, done.stderr[-2000:]
    assert not wh.snapshot_path(dead).exists() and wh.current_id() == current
    assert json.loads(wh.run_record_path(dead).read_text())["outcome"] == "INTERRUPTED"


def test_a_run_killed_after_the_switch_counts_as_published(wh: Warehouse, built: Built) -> None:
    dead = "20261128T030000-dead"
    # Killed right after CURRENT moved: no log line, no record beside, symlink not switched.
    shutil.copyfile(wh.current_snapshot(), wh.snapshot_path(dead))
    with duckdb.connect(str(wh.snapshot_path(dead))) as con:
        con.execute("update audit.refresh_runs set run_id = ?, snapshot_id = ? where run_id = "
                    "(select max(run_id) from audit.refresh_runs)", [dead, dead])
    wh.current_pointer.write_text(dead + "\n")
    _died_holding_the_lock(wh, dead, "publish")
    done = run_cli("ingest", "--landing", str(built.landing), "--warehouse", str(wh.root))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "had published its snapshot" in done.stdout
    assert wh.current_id() == dead
    assert os.readlink(wh.current_link) == f"snapshots/{dead}.duckdb"
    assert json.loads(wh.run_record_path(dead).read_text())["outcome"].startswith("PUBLISHED")
    assert wh.snapshot_record_path(dead).exists()
    assert ("publish", dead) in [(e["action"], e["snapshot_id"]) for e in wh.publications()]


@pytest.mark.slow
def test_a_second_writer_exits_at_once_and_readers_never_fail(wh: Warehouse,
                                                              built: Built) -> None:
    before = wh.current_id()
    # --full: the landing zone holds nothing new, and a refresh with nothing new publishes
    # nothing; this one must build and publish while the others knock.
    first = subprocess.Popen(
        [str(POSAUDIT), "refresh", "--landing", str(built.landing), "--warehouse", str(wh.root),
         "--full"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
        env={**os.environ, "POSAUDIT_PROGRESS": "plain"})
    deadline = time.monotonic() + 60
    while '"refresh"' not in (wh.lock_path.read_text() if wh.lock_path.exists() else ""):
        assert time.monotonic() < deadline and first.poll() is None
        time.sleep(0.05)
    for command in (["refresh", "--landing", str(built.landing)],
                    ["ingest", "--landing", str(built.landing)], ["rollback"]):
        t = time.monotonic()
        second = run_cli(*command, "--warehouse", str(wh.root))
        assert second.returncode == 3, second.stdout + second.stderr
        assert time.monotonic() - t < 20  # at once: no waiting for the lock
        assert f"pid {first.pid} on {socket.gethostname()}" in second.stderr
        assert "`posaudit refresh`" in second.stderr and "this run did nothing" in second.stderr
    seen, errors, reads = set(), [], 0
    while first.poll() is None:
        try:
            path, con = open_current(wh)
            with con:
                con.execute("select count(*) from fct_exceptions").fetchone()
            seen.add(path.stem)
            reads += 1
        except duckdb.Error as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)
        time.sleep(0.05)
    out = first.stdout.read() if first.stdout else ""
    assert first.returncode == 0, out[-3000:]
    assert errors == [] and reads > 10
    after = wh.current_id()
    assert after != before and {before, after} <= seen


# --- rollback, then refresh (real dbt) -----------------------------------------------------------


@pytest.mark.slow
def test_the_refresh_after_a_rollback_continues_from_the_rolled_back_snapshot(
        wh: Warehouse, landing_copy: Path) -> None:
    count = "select count(*) from fct_transactions"
    original = wh.current_id()
    n = query(wh, count).item()
    journal = next(p for p in sorted((landing_copy / "terminal").iterdir())
                   if p.read_bytes().startswith(b"merchant_id,"))
    lines = journal.read_bytes().rstrip(b"\n").split(b"\n")
    journal.write_bytes(b"\n".join(lines[:-1]) + b"\n")  # a correction: one line fewer
    corrected = run_cli("refresh", "--landing", str(landing_copy), "--warehouse", str(wh.root),
                        check=True)
    assert query(wh, count).item() == n - 1
    assert run_cli("rollback", "--warehouse", str(wh.root)).returncode == 0
    assert wh.current_id() == original and query(wh, count).item() == n

    again = run_cli("refresh", "--landing", str(landing_copy), "--warehouse", str(wh.root),
                    env={"POSAUDIT_PROGRESS": "plain"}, check=True)
    assert f"rebuilding the build database from snapshot {original}" in again.stdout
    # The correction was loaded again from the landing zone: nothing lost, nothing twice.
    assert query(wh, count).item() == n - 1
    actions = [(e["action"], e["snapshot_id"]) for e in wh.publications()][-4:]
    assert actions == [("publish", run_id_of(corrected.stdout)), ("rollback", original),
                       ("rebuild", original), ("publish", run_id_of(again.stdout))]
    runs = dict(query(wh, "select run_id, outcome from fct_refresh_runs").iter_rows())
    assert runs[run_id_of(corrected.stdout)] == "PUBLISHED"  # history kept across the rebuild


# --- the run record ---------------------------------------------------------------------------


def test_the_run_record_is_the_evidence_pack(built: Built) -> None:
    wh = Warehouse.at(built.warehouse)
    run_id = run_id_of(built.first.stdout)
    record = json.loads(wh.run_record_path(run_id).read_text(encoding="utf-8"))
    assert record["outcome"] == "PUBLISHED" and record["exit_code"] == 0
    assert record["snapshot_id"] == run_id and record["published_at"]
    assert {"prepare", "ingest", "dbt_build", "checks", "data_docs", "publish",
            "total"} <= set(record["timings"])
    versions = record["versions"]
    assert re.fullmatch(r"[0-9a-f]{40}|unknown", versions["git_commit"])
    assert "git_dirty" in versions
    assert {"python", "duckdb", "polars", "dbt-core", "dbt-duckdb",
            "great-expectations"} <= set(versions)
    files = {f["file_name"]: f for f in record["files"]}
    assert len(files) == sum(1 for p in built.landing.rglob("*") if p.is_file()
                             and p.relative_to(built.landing).parts[0] != p.name)
    name, entry = next((n, f) for n, f in sorted(files.items()) if f["status"] == "LOADED")
    data = (built.landing / name).read_bytes()
    assert entry["size_bytes"] == len(data)
    assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert entry["rows_read"] >= entry["rows_loaded"] > 0
    assert record["dbt"] and record["dbt_summary"]["success"]
    assert all({"name", "status", "seconds"} <= set(n) for n in record["dbt"])
    assert record["data_quality"]["counts"]["passed"] > 0
    assert record["facts"]["fct_exceptions"] > 0

    current = wh.current_id() or ""
    beside = json.loads(wh.snapshot_record_path(current).read_text(encoding="utf-8"))
    assert beside == json.loads(wh.run_record_path(current).read_text(encoding="utf-8"))
    with duckdb.connect(str(wh.current_snapshot()), read_only=True) as con:
        inside = json.loads(scalar(
            con,
            "select record from fct_refresh_runs where run_id = ?", [current]))
    assert inside["outcome"] == beside["outcome"] and inside["files"] == beside["files"]


# --- terminal output --------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_output_is_timestamped_lines() -> None:
    out = io.StringIO()
    console = Console.for_stream(out, mode="auto")
    console("starting")
    with console.step("dbt build", unit="nodes", quiet=True) as step:
        step.advance("OK stg_x", total=2)
        step.advance("OK fct_y")
    lines = out.getvalue().splitlines()
    assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ", line) for line in lines), lines
    assert lines[-1].endswith("dbt build: 2/2 nodes (100%) in 0.0s")
    assert "\r" not in out.getvalue()


def test_a_terminal_gets_a_redrawn_bar() -> None:
    out = _Terminal()
    console = Console.for_stream(out, mode="auto")
    with console.step("dbt build", total=4, unit="nodes") as step:
        step.advance("OK stg_x")
        console("WARN a test")
    text = out.getvalue()
    assert "\r\x1b[K" in text and "█" in text and "1/4 nodes" in text
    assert "WARN a test\n" in text and not re.search(r"^\d{4}-", text, re.M)
