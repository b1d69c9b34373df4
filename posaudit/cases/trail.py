"""The trail: append-only, hash-chained case actions.

Each row's ``hash`` is the SHA-256 of a canonical JSON of its fields (seq included) and the
previous row's hash; the first row links to ``GENESIS``. Triggers refuse UPDATE and DELETE, but
whoever can drop them can still change the file, so ``verify`` recomputes the whole chain.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from posaudit.cases.store import Store

GENESIS = "0" * 64
HASHED = ("seq", "action_id", "case_id", "at", "actor", "role", "action", "from_state",
          "to_state", "amount", "reference", "reason", "payload")


@dataclass(frozen=True)
class Problem:
    seq: int
    case_id: str
    kind: str  # EDITED, INSERTED, DELETED, STATE
    detail: str

    def __str__(self) -> str:
        return f"seq {self.seq} (case {self.case_id}): {self.kind}: {self.detail}"


def row_hash(fields: dict[str, Any], prev_hash: str) -> str:
    body = {k: fields.get(k) for k in HASHED}
    canonical = json.dumps({"fields": body, "prev_hash": prev_hash}, sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def append(conn: sqlite3.Connection, fields: dict[str, Any]) -> dict[str, Any]:
    """Add one action; the caller holds the write transaction, so seq and prev_hash are ours."""
    last = conn.execute("select seq, hash from case_actions order by seq desc limit 1").fetchone()
    seq = (last["seq"] + 1) if last else 1
    prev = last["hash"] if last else GENESIS
    row = {**fields, "seq": seq, "prev_hash": prev}
    row["hash"] = row_hash(row, prev)
    cols = [*HASHED, "prev_hash", "hash"]
    conn.execute(f"insert into case_actions ({', '.join(cols)}) "
                 f"values ({', '.join('?' for _ in cols)})", [row[c] for c in cols])
    return row


def verify(store: Store) -> list[Problem]:
    """Every problem in the trail, in seq order (an empty list: intact)."""
    problems: list[Problem] = []
    with store.read() as conn:
        rows = conn.execute("select * from case_actions order by seq").fetchall()
        states = conn.execute("select case_id, state from cases order by case_id").fetchall()
    prev_seq, prev_hash = 0, GENESIS
    for r in rows:
        row = dict(r)
        seq, case_id = row["seq"], row["case_id"]
        if row_hash(row, row["prev_hash"]) != row["hash"]:
            problems.append(Problem(seq, case_id, "EDITED",
                                    "its fields no longer match its hash"))
        gap = seq != prev_seq + 1
        if gap:
            problems.append(Problem(seq, case_id, "DELETED",
                                    f"seq {prev_seq + 1}..{seq - 1} missing before it"))
        # After a gap the chain is broken by the deletion itself: reported once, above.
        if row["prev_hash"] != prev_hash and not gap:
            problems.append(Problem(seq, case_id, "INSERTED",
                                    f"prev_hash does not link to seq {prev_seq}: a row was "
                                    "inserted or replaced here"))
        prev_seq, prev_hash = seq, row["hash"]
    problems += _state_problems(rows, states)
    return problems


def _state_problems(rows: list[sqlite3.Row], states: list[sqlite3.Row]) -> list[Problem]:
    """A case whose state is not where its trail ends: the chain cannot see its last row
    deleted, nor the cases table edited, but this can."""
    last: dict[str, sqlite3.Row] = {}
    for row in rows:
        last[row["case_id"]] = row
    problems = []
    for case in states:
        end = last.get(case["case_id"])
        if end is None:
            problems.append(Problem(0, case["case_id"], "STATE", "the case has no trail"))
        elif end["to_state"] != case["state"]:
            problems.append(Problem(end["seq"], case["case_id"], "STATE",
                                    f"the case is {case['state']} but its trail ends in "
                                    f"{end['to_state']} at seq {end['seq']}"))
    return problems
