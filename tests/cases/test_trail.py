"""Tamper evidence: triggers refuse changes; verify finds edits, insertions and deletions made
behind the triggers' back. Two people acting at once lose nothing."""

from __future__ import annotations

import multiprocessing
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from posaudit.cases import lifecycle as lc
from posaudit.cases import roles, trail
from posaudit.cases.store import Store

Who = Callable[[str], lc.Actor]


def _history(store: Store, who: Who, new_case: Callable[[], str]) -> list[str]:
    cases = [new_case(), new_case()]
    for case in cases:
        lc.act(store, case, "assign", who("olga"))
        lc.act(store, case, "comment", who("olga"), reason="looked at the voucher")
        lc.act(store, case, "record_refund", who("olga"), amount="12.30", reference="RF")
    assert trail.verify(store) == []
    return cases  # seq 1..8


def _tamper(store: Store, *sql: str) -> None:
    conn = sqlite3.connect(store.path)
    conn.execute("drop trigger case_actions_no_update")
    conn.execute("drop trigger case_actions_no_delete")
    for statement in sql:
        conn.execute(statement)
    conn.commit()
    conn.close()


def test_triggers_refuse_update_and_delete(store: Store, who: Who,
                                           new_case: Callable[[], str]) -> None:
    _history(store, who, new_case)
    conn = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("update case_actions set amount = '1.00' where seq = 4")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("delete from case_actions where seq = 4")
    conn.close()
    assert trail.verify(store) == []


def test_verify_names_an_edited_row(store: Store, who: Who,
                                    new_case: Callable[[], str]) -> None:
    cases = _history(store, who, new_case)
    _tamper(store, "update case_actions set amount = '1.00' where seq = 4")
    problems = trail.verify(store)
    assert [(p.seq, p.case_id, p.kind) for p in problems] == [(4, cases[0], "EDITED")]
    assert "seq 4" in str(problems[0]) and cases[0] in str(problems[0])


def test_verify_names_an_edit_that_recomputed_its_own_hash(
        store: Store, who: Who, new_case: Callable[[], str]) -> None:
    _history(store, who, new_case)
    with store.read() as conn:
        row = dict(conn.execute("select * from case_actions where seq = 3").fetchone())
    row["reason"] = "nothing to see"
    forged = trail.row_hash(row, row["prev_hash"])
    _tamper(store, f"update case_actions set reason = 'nothing to see', hash = '{forged}' "
                   "where seq = 3")
    problems = trail.verify(store)
    # The row itself now hashes right; the next row no longer links to it.
    assert [(p.seq, p.kind) for p in problems] == [(4, "INSERTED")]


def test_verify_names_a_deleted_row(store: Store, who: Who,
                                    new_case: Callable[[], str]) -> None:
    cases = _history(store, who, new_case)
    _tamper(store, "delete from case_actions where seq = 6")
    problems = trail.verify(store)
    assert [(p.seq, p.case_id, p.kind) for p in problems] == [(7, cases[1], "DELETED")]
    assert "seq 6..6 missing" in problems[0].detail


def test_verify_names_a_deleted_last_row_and_an_edited_case(
        store: Store, who: Who, new_case: Callable[[], str]) -> None:
    cases = _history(store, who, new_case)
    _tamper(store, "delete from case_actions where seq = 8",
            f"update cases set state = 'CLOSED' where case_id = '{cases[0]}'")
    problems = {(p.case_id, p.kind, p.detail) for p in trail.verify(store)}
    assert problems == {
        (cases[0], "STATE", "the case is CLOSED but its trail ends in REFUNDED at seq 5"),
        (cases[1], "STATE", "the case is REFUNDED but its trail ends in INVESTIGATING at seq 7"),
    }


def test_verify_names_an_inserted_row(store: Store, who: Who,
                                      new_case: Callable[[], str]) -> None:
    cases = _history(store, who, new_case)
    # Make room in the middle (move rows 5..8 up by 100), then slip a row in at seq 5.
    _tamper(store, "update case_actions set seq = seq + 100 where seq >= 5",
            "insert into case_actions (seq, action_id, case_id, at, actor, role, action, "
            "from_state, to_state, amount, reference, reason, payload, prev_hash, hash) "
            f"values (5, 'x', '{cases[0]}', '2026-01-01', 'mallory', 'admin', 'record_refund', "
            f"'REFUNDED', 'REFUNDED', '999.00', 'X', null, '{{}}', '{'0' * 64}', '{'1' * 64}')")
    kinds = {(p.seq, p.kind) for p in trail.verify(store)}
    assert (5, "INSERTED") in kinds and (5, "EDITED") in kinds
    # The renumbered rows no longer match their hashes (seq is hashed) and leave a gap.
    assert (105, "EDITED") in kinds and (105, "DELETED") in kinds


def test_verify_names_a_row_appended_with_a_forged_hash(store: Store, who: Who,
                                                         new_case: Callable[[], str]) -> None:
    cases = _history(store, who, new_case)
    with store.read() as conn:
        last = dict(conn.execute("select * from case_actions where seq = 8").fetchone())
    fake = {**last, "seq": 9, "action_id": "y", "amount": "500.00", "prev_hash": "f" * 64}
    fake["hash"] = trail.row_hash(fake, fake["prev_hash"])
    cols = [*trail.HASHED, "prev_hash", "hash"]
    conn = sqlite3.connect(store.path)
    conn.execute(f"insert into case_actions ({', '.join(cols)}) values "
                 f"({', '.join('?' for _ in cols)})", [fake[c] for c in cols])
    conn.commit()
    conn.close()
    problems = trail.verify(store)
    assert [(p.seq, p.case_id, p.kind) for p in problems] == [(9, cases[1], "INSERTED")]


def _comment_many(warehouse: str, case_id: str, name: str, n: int) -> None:
    store = Store.at(warehouse)
    actor = lc.Actor.from_users(roles.users_path(warehouse), name)
    for i in range(n):
        lc.act(store, case_id, "comment", actor, reason=f"{name} {i}")


def test_two_people_acting_at_once_lose_nothing(warehouse: Path, store: Store,
                                                new_case: Callable[[], str]) -> None:
    case = new_case()
    ctx = multiprocessing.get_context("spawn")  # separate interpreters, separate connections
    workers = [ctx.Process(target=_comment_many, args=(str(warehouse), case, name, 50))
               for name in ("olga", "oscar")]
    for w in workers:
        w.start()
    # A reader reads while they write (WAL).
    for _ in range(20):
        assert lc.get_case(store, case) is not None
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    rows = lc.case_trail(store, case)
    comments = [r["reason"] for r in rows if r["action"] == "comment"]
    assert len(comments) == 100
    assert sorted(comments) == sorted(f"{n} {i}" for n in ("olga", "oscar") for i in range(50))
    assert [r["seq"] for r in rows] == list(range(1, 102))
    assert trail.verify(store) == []
