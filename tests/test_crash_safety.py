"""A refresh killed with SIGKILL at chosen moments: the published snapshot stays readable and
consistent, and the next refresh ends with the same marts as a run never interrupted.

Everything is real: ``posaudit refresh`` runs as a subprocess on a generated landing zone, is
killed when its progress output (plain timestamped lines) reaches a step, and the reference is
the session's uninterrupted warehouse built from the same files.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from posaudit.pipeline.warehouse import Warehouse
from tests.helpers.cli import Built, run_cli
from tests.helpers.paths import POSAUDIT, ROOT
from tests.helpers.rows import scalar

pytestmark = pytest.mark.slow

RAW_TABLES = (
    "pos_journal_v1", "pos_journal_cn", "cn_pos_statement", "wechat_bill", "alipay_bill",
    "adyen_sdr", "bank_statement_cn", "terminal_events", "error_report", "ref_terminals",
    "ref_fee_contracts",
)
_DATE = re.compile(r"(?<!\d)(20\d\d)-?(\d\d)-?(\d\d)(?!\d)")


def day_of(name: str) -> str:
    """The latest date in a landing file's name ('' for files without one: reference data)."""
    days = ["".join(m.groups()) for m in _DATE.finditer(name)]
    return max(days, default="")


def stage(source: Path, target: Path, *, until: str) -> int:
    """Copy the files of days up to ``until`` (and the undated ones) that are not there yet,
    keeping their mtimes, so ingest sees them in the generator's order."""
    copied = 0
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        rel = path.relative_to(source)
        dest = target / rel
        if day_of(path.name) <= until and not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
            copied += 1
    return copied


# --- what "consistent" and "the same marts" mean -------------------------------------------------


def check_snapshot(path: Path) -> str:
    """Open a published snapshot read-only and check it is whole; returns its last run's id."""
    with duckdb.connect(str(path), read_only=True) as con:
        last = con.execute("select run_id, outcome, snapshot_id from audit.refresh_runs "
                           "order by started_at desc limit 1").fetchone()
        assert last is not None and last[1].startswith("PUBLISHED"), last
        assert last[2] == path.stem == last[0], last
        raw = sum(scalar(con, f"select count(*) from raw.{t}")
                  for t in RAW_TABLES)
        manifest = scalar(con, "select coalesce(sum(rows_loaded), 0) from raw.file_manifest "
                               "where status = 'LOADED'")
        assert raw == manifest, (raw, manifest)  # nothing loaded twice, nothing half-loaded
        ties = con.execute("""
            select (select sum(settled_gross) from main.mart_reconciliation_daily)
                       = (select sum(gross_amount) from main.fct_settlement_lines),
                   (select sum(fee_amount) from main.mart_reconciliation_daily)
                       = (select sum(fee_amount) from main.fct_settlement_lines),
                   (select count(*) from main.mart_reconciliation_daily
                     where net_amount <> settled_gross - fee_amount) = 0
        """).fetchone()
        assert ties == (True, True, True), ties
    return str(last[0])


MART_QUERIES = {
    "fct_exceptions": "select exception_type, root_cause, count(*), sum(exposure_amount) "
                      "from main.fct_exceptions group by all order by all",
    "fct_transactions": "select match_status, count(*), sum(amount) "
                        "from main.fct_transactions group by all order by all",
    "mart_reconciliation_daily": (
        "select settlement_date, acquirer, merchant_id, terminal_transactions, terminal_total, "
        "settled_gross, fee_amount, net_amount, bank_deposit_amount, unexplained_residual "
        "from main.mart_reconciliation_daily order by all"),
    "file_manifest": "select status, count(*), sum(rows_loaded) from main.fct_file_manifest "
                     "group by all order by all",
    "loaded_files": "select file_name, sha256, rows_loaded from main.fct_file_manifest "
                    "where status = 'LOADED' order by all",
}


def marts(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {name: con.execute(sql).fetchall() for name, sql in MART_QUERIES.items()}


# --- killing a refresh at a step ---------------------------------------------------------------


@dataclass(frozen=True)
class Killed:
    phase: str
    output: str
    seconds: float


def refresh_killed_at(landing: Path, warehouse: Path, trigger: str) -> Killed:
    """Start a refresh and SIGKILL it as soon as a progress line contains ``trigger``."""
    started = time.monotonic()
    proc = subprocess.Popen(
        # --verbose: a line per landing file, so that a kill can land inside ingest.
        [str(POSAUDIT), "refresh", "--landing", str(landing), "--warehouse", str(warehouse),
         "--verbose"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
        env={**os.environ, "POSAUDIT_PROGRESS": "plain"},
    )
    assert proc.stdout is not None
    seen: list[str] = []
    for line in proc.stdout:
        seen.append(line)
        if trigger in line:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=120)
    output = "".join(seen)
    assert proc.returncode == -signal.SIGKILL, f"not killed at {trigger!r}:\n{output[-3000:]}"
    return Killed(trigger, output, time.monotonic() - started)


@dataclass(frozen=True)
class Staged:
    landing: Path
    warehouse: Path
    first_killed: Killed


@pytest.fixture(scope="module")
def staged(generated_landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Staged:
    """A landing zone holding the first half of the days: its first refresh is killed in
    dbt build, the second completes; then the other days arrive."""
    root = tmp_path_factory.mktemp("crash")
    landing, warehouse = root / "landing", root / "wh"
    days = sorted({day_of(p.name) for p in generated_landing.rglob("*") if p.is_file()} - {""})
    stage(generated_landing, landing, until=days[len(days) // 2 - 1])
    first_killed = refresh_killed_at(landing, warehouse, "dbt build: ")
    assert Warehouse.at(warehouse).current_id() is None
    nothing = run_cli("sql", "--warehouse", str(warehouse), "select 1")
    assert nothing.returncode == 3 and "no published snapshot" in nothing.stderr
    run_cli("refresh", "--landing", str(landing), "--warehouse", str(warehouse), check=True)
    stage(generated_landing, landing, until=days[-1])
    return Staged(landing, warehouse, first_killed)


# Progress lines in plain mode: `ingest: LOADED …` per file (with --verbose),
# `dbt build: 120/438 nodes …` every few seconds, `publish: copying …` just before the snapshot
# copy.
PHASES = ("ingest: LOADED", "dbt build: ", "publish: copying")


def test_sigkill_at_each_step_keeps_the_snapshot_and_the_next_refresh_completes(
        staged: Staged, built: Built) -> None:
    landing, warehouse = staged.landing, staged.warehouse
    wh = Warehouse.at(warehouse)
    first = wh.current_id()
    assert first is not None
    killed: list[Killed] = []
    for trigger in PHASES:
        killed.append(refresh_killed_at(landing, warehouse, trigger))
        current = wh.current_id()
        # Killed before the pointer switch (or, at publish, maybe just after it).
        assert current == first or trigger.startswith("publish"), (trigger, current)
        assert check_snapshot(wh.current_snapshot()) == current
        assert os.readlink(wh.current_link) == f"snapshots/{current}.duckdb"
        shown = run_cli("sql", "--warehouse", str(warehouse), "--csv",
                        "select count(*) as n from fct_exceptions")
        assert shown.returncode == 0, shown.stderr
        assert (warehouse / "refresh.lock").read_text(), "the dead run's holder text stays"

    done = run_cli("refresh", "--landing", str(landing), "--warehouse", str(warehouse),
                   env={"POSAUDIT_PROGRESS": "plain"}, check=True)
    assert "stale lock cleared" in done.stdout, done.stdout[-2000:]
    final = wh.current_snapshot()
    assert check_snapshot(final) == final.stem
    assert marts(final) == marts(Warehouse.at(built.warehouse).current_snapshot())
    assert not list(wh.snapshots_dir.glob("*.partial"))
    assert not (warehouse / "refresh.lock").read_text()

    # Every killed run is on record as INTERRUPTED (or published, if it got that far).
    with duckdb.connect(str(final), read_only=True) as con:
        outcomes = dict(con.execute("select run_id, outcome from fct_refresh_runs").fetchall())
    dead = [o for o in outcomes.values() if o == "INTERRUPTED"]
    assert len(dead) >= len(PHASES), outcomes  # the first run's kill, and every phase's
    assert outcomes[final.stem] in ("PUBLISHED", "PUBLISHED_WITH_WARNINGS")
    for snap in wh.list_snapshots():  # a copy no one published was removed
        assert snap.outcome and snap.outcome.startswith("PUBLISHED"), snap
