"""``posaudit cases`` end to end in subprocesses, on a store and on a real warehouse."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from posaudit.cases import lifecycle as lc
from posaudit.cases import trail
from posaudit.cases.store import Store
from posaudit.cases.sync import sync_from_warehouse
from posaudit.pipeline.warehouse import Warehouse
from tests.helpers.cli import Built

ROOT = Path(__file__).resolve().parents[2]


def cases(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "posaudit.cases", "cases", *args],
                          capture_output=True, text=True, cwd=ROOT, input=stdin, timeout=120)


def test_cli_round_trip(tmp_path: Path) -> None:
    w = str(tmp_path / "W")
    for name, role in (("olga", "operator"), ("anna", "approver"), ("abel", "approver"),
                       ("aud", "auditor")):
        assert cases("users", "add", name, "--role", role, "--warehouse", w).returncode == 0
    store = Store.at(w)
    ids = [lc.open_case(store, lc.SYSTEM, title=f"ONE_SIDED T{i}", amount="20") for i in range(3)]

    listed = cases("list", "--warehouse", w, "--json")
    assert listed.returncode == 0
    assert {c["case_id"] for c in json.loads(listed.stdout)} == set(ids)

    case = ids[0]
    steps = [("assign",), ("freeze_funds",), ("propose_write_off", "--amount", "20",
                                              "--reason", "card closed")]
    for action, *extra in steps:
        done = cases("act", case, action, "--actor", "anna", "--warehouse", w, *extra)
        assert done.returncode == 0, done.stderr
    own = cases("act", case, "approve_write_off", "--actor", "anna", "--warehouse", w)
    assert own.returncode == 3
    assert f"case {case}: approve_write_off refused in state FUNDS_FROZEN" in own.stderr
    by_auditor = cases("act", case, "comment", "--actor", "aud", "--reason", "x",
                       "--warehouse", w)
    assert by_auditor.returncode == 3 and "auditor" in by_auditor.stderr
    stranger = cases("act", case, "comment", "--actor", "mallory", "--reason", "x",
                     "--warehouse", w)
    assert stranger.returncode == 3 and "not a user" in stranger.stderr
    assert cases("act", case, "approve_write_off", "--actor", "abel",
                 "--warehouse", w).returncode == 0
    assert cases("act", case, "close", "--actor", "olga", "--warehouse", w).returncode == 0

    shown = cases("show", case, "--warehouse", w)
    assert shown.returncode == 0
    assert "CLOSED" in shown.stdout and "approve_write_off" in shown.stdout
    assert "FUNDS_FROZEN->WRITTEN_OFF" in shown.stdout
    closed = cases("list", "--state", "CLOSED", "--warehouse", w)
    assert case in closed.stdout and ids[1] not in closed.stdout

    bulk = cases("act", "assign", "--state", "OPEN", "--actor", "olga", "--warehouse", w)
    assert bulk.returncode == 0, bulk.stderr
    assert {c["state"] for c in lc.list_cases(store)} == {"CLOSED", "INVESTIGATING"}

    assert cases("verify", "--warehouse", w).returncode == 0
    conn = sqlite3.connect(store.path)
    conn.execute("drop trigger case_actions_no_update")
    conn.execute("update case_actions set actor = 'olga' where action = 'approve_write_off'")
    conn.commit()
    conn.close()
    broken = cases("verify", "--warehouse", w)
    assert broken.returncode == 2
    assert "EDITED" in broken.stdout and case in broken.stdout


def test_users_add_reads_a_password_from_stdin(tmp_path: Path) -> None:
    from posaudit.cases import roles

    users = tmp_path / "people.json"
    done = cases("users", "add", "anna", "--role", "approver", "--password-stdin",
                 "--warehouse", str(tmp_path / "W"), "--users", str(users), stdin="s3cret\n")
    assert done.returncode == 0, done.stderr
    assert roles.check_password(users, "anna", "s3cret")
    assert "s3cret" not in users.read_text()


@pytest.mark.slow
def test_sync_opens_one_case_per_exception(built: Built, tmp_path: Path) -> None:
    source = Warehouse.at(built.warehouse)
    snapshot = source.current_snapshot()
    with duckdb.connect(str(snapshot), read_only=True) as con:
        row = con.execute("select count(*), count(distinct exception_id) "
                          "from fct_exceptions").fetchone()
        unlinked = con.execute("select count(*) from fct_error_reports "
                               "where link_status <> 'LINKED_EXCEPTION'").fetchone()
    assert row is not None and unlinked is not None
    total, distinct = row
    assert total > 0 and total == distinct

    store = Store.at(tmp_path / "W")  # a store of its own: the shared warehouse stays as it is
    opened = sync_from_warehouse(store, snapshot)
    # Reports about an exception join its case; the others are open items of their own.
    assert len(opened) == total + unlinked[0]
    assert sync_from_warehouse(store, snapshot) == []  # idempotent
    rows = lc.list_cases(store)
    assert {r["state"] for r in rows} == {"OPEN"}
    assert sum(1 for r in rows if r["exception_id"]) == total
    assert {r["opened_by"] for r in rows} == {"posaudit"}
    assert trail.verify(store) == []


@pytest.mark.slow
def test_cli_sync_reads_the_current_snapshot(built: Built, tmp_path: Path) -> None:
    w = tmp_path / "W"
    source = Warehouse.at(built.warehouse)
    # A copy of the published pointers and snapshot: enough for readers, the original untouched.
    snap_id = source.current_id()
    assert snap_id is not None
    (w / "snapshots").mkdir(parents=True)
    shutil.copyfile(source.current_snapshot(), w / "snapshots" / f"{snap_id}.duckdb")
    (w / "CURRENT").write_text(snap_id + "\n")
    first = cases("sync", "--warehouse", str(w))
    assert first.returncode == 0, first.stderr
    count = int(first.stdout.split()[0])
    assert count > 0
    again = cases("sync", "--warehouse", str(w))
    assert again.stdout.startswith("0 case(s) opened")
    listed = json.loads(cases("list", "--json", "--warehouse", str(w)).stdout)
    assert len(listed) == count
    types = {r["title"].split()[0] for r in listed}
    one_type = sorted(types)[0]
    bulk = cases("act", "comment", "--all-open-of-type", one_type, "--reason", "batch review",
                 "--actor", "posaudit", "--warehouse", str(w))
    # The system actor may only open cases: every one is refused, and the exit code says so.
    assert bulk.returncode == 2 and "system, who may not comment" in bulk.stderr
    assert cases("users", "add", "olga", "--role", "operator",
                 "--warehouse", str(w)).returncode == 0
    bulk = cases("act", "assign", "--all-open-of-type", one_type, "--actor", "olga",
                 "--warehouse", str(w))
    assert bulk.returncode == 0, bulk.stderr
    taken = [r for r in lc.list_cases(Store.at(w)) if r["state"] == "INVESTIGATING"]
    assert taken and {r["title"].split()[0] for r in taken} == {one_type}
    assert {r["assignee"] for r in taken} == {"olga"}
    assert cases("verify", "--warehouse", str(w)).returncode == 0
