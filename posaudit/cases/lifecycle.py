"""The case lifecycle: which action may move a case from which state, and the actions.

| action | from | to | needs |
|---|---|---|---|
| open | (new case) | OPEN |  |
| link | any | (unchanged) | an exception or report joins the case (``link``, not ``act``) |
| assign | OPEN | INVESTIGATING | assignee (default: the actor) |
| assign | INVESTIGATING, FUNDS_FROZEN | (unchanged) | assignee |
| comment | any | (unchanged) | reason (the text) |
| freeze_funds | INVESTIGATING | FUNDS_FROZEN |  |
| notify_customer | INVESTIGATING, FUNDS_FROZEN, REFUNDED | (unchanged) |  |
| record_refund | INVESTIGATING, FUNDS_FROZEN | REFUNDED | amount > 0, reference |
| record_recovery | INVESTIGATING, FUNDS_FROZEN | RECOVERED | amount > 0, reference |
| propose_write_off | INVESTIGATING, FUNDS_FROZEN | (unchanged) | amount > 0, reason |
| approve_write_off | INVESTIGATING, FUNDS_FROZEN + proposal | WRITTEN_OFF | another approver |
| close | REFUNDED, RECOVERED, WRITTEN_OFF | CLOSED |  |

A proposal stands until the case changes state; its approval must come from someone other than
its proposer (maker-checker) who holds the approver or admin role. Roles are in ``roles``.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from posaudit.cases import roles, trail
from posaudit.cases.store import Store

OPEN, INVESTIGATING, FUNDS_FROZEN = "OPEN", "INVESTIGATING", "FUNDS_FROZEN"
REFUNDED, RECOVERED, WRITTEN_OFF, CLOSED = "REFUNDED", "RECOVERED", "WRITTEN_OFF", "CLOSED"
STATES = (OPEN, INVESTIGATING, FUNDS_FROZEN, REFUNDED, RECOVERED, WRITTEN_OFF, CLOSED)
ACTIVE = (INVESTIGATING, FUNDS_FROZEN)
RESOLVED = (REFUNDED, RECOVERED, WRITTEN_OFF)

# action -> {from state: to state}; ``None`` as the target keeps the state.
TRANSITIONS: dict[str, dict[str, str | None]] = {
    "assign": {OPEN: INVESTIGATING, INVESTIGATING: None, FUNDS_FROZEN: None},
    "comment": dict.fromkeys(STATES),
    "freeze_funds": {INVESTIGATING: FUNDS_FROZEN},
    "notify_customer": dict.fromkeys((*ACTIVE, REFUNDED)),
    "record_refund": dict.fromkeys(ACTIVE, REFUNDED),
    "record_recovery": dict.fromkeys(ACTIVE, RECOVERED),
    "propose_write_off": dict.fromkeys(ACTIVE),
    "approve_write_off": dict.fromkeys(ACTIVE, WRITTEN_OFF),
    "close": dict.fromkeys(RESOLVED, CLOSED),
}
# ``link`` ties a detected exception or a filed report to an existing case; it changes no state
# and is not an ``act`` (it also sets the case's exception_id), see ``link``.
ACTIONS = ("open", "link", *TRANSITIONS)
NEEDS_AMOUNT = frozenset({"record_refund", "record_recovery", "propose_write_off"})
NEEDS_REFERENCE = frozenset({"record_refund", "record_recovery"})
NEEDS_REASON = frozenset({"comment", "propose_write_off"})


class ActionRefused(ValueError):
    """An action the case's state, the actor's role or the input does not allow."""

    def __init__(self, case_id: str, action: str, state: str | None, why: str) -> None:
        self.case_id, self.action, self.state, self.why = case_id, action, state, why
        super().__init__(f"case {case_id}: {action} refused in state {state or '-'}: {why}")


@dataclass(frozen=True)
class Actor:
    name: str
    role: str

    @classmethod
    def from_users(cls, users_file: Path, name: str) -> Actor:
        return cls(name, roles.role_of(users_file, name))


SYSTEM = Actor(roles.SYSTEM_ACTOR, roles.SYSTEM)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def money(value: Any) -> str | None:
    """A positive DECIMAL as text (SQLite has no decimal type), or None."""
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"amount {value!r} is not a number") from None
    if not amount.is_finite():
        raise ValueError(f"amount {value!r} is not a number")
    return str(amount.quantize(Decimal("0.01")))


def new_case_id() -> str:
    return "C-" + uuid.uuid4().hex[:12].upper()


def open_case(store: Store, actor: Actor, *, title: str, amount: Any = None,
              currency: str = "CNY", exception_id: str | None = None,
              report_id: str | None = None, reason: str | None = None,
              payload: dict[str, Any] | None = None) -> str:
    """A new case in state OPEN, with its first trail row; returns the case id."""
    case_id = new_case_id()
    if not roles.may(actor.role, "open"):
        raise ActionRefused(case_id, "open", None, f"{actor.name} is {actor.role}, "
                            "who may not open cases")
    with store.write() as conn:
        insert_case(conn, case_id, actor, title=title, amount=money(amount), currency=currency,
                     exception_id=exception_id, report_id=report_id, reason=reason,
                     payload=payload or {})
    return case_id


def insert_case(conn: sqlite3.Connection, case_id: str, actor: Actor, *, title: str,
                 amount: str | None, currency: str, exception_id: str | None,
                 report_id: str | None, reason: str | None, payload: dict[str, Any]) -> None:
    at = now()
    conn.execute("insert into cases (case_id, exception_id, report_id, opened_at, opened_by, "
                 "state, assignee, amount, currency, title) values (?,?,?,?,?,?,?,?,?,?)",
                 (case_id, exception_id, report_id, at, actor.name, OPEN, None, amount,
                  currency, title))
    trail.append(conn, _fields(case_id, at, actor, "open", None, OPEN, amount, None, reason,
                               {"exception_id": exception_id, "report_id": report_id,
                                "title": title, **payload}))


def act(store: Store, case_id: str, action: str, actor: Actor, *, amount: Any = None,
        reference: str | None = None, reason: str | None = None,
        assignee: str | None = None) -> dict[str, Any]:
    """Apply one action to one case in its own write transaction; returns the trail row."""
    if action not in TRANSITIONS:
        raise ActionRefused(case_id, action, None,
                            f"unknown action (one of {', '.join(TRANSITIONS)})")
    value = money(amount)
    with store.write() as conn:
        case = conn.execute("select * from cases where case_id = ?", (case_id,)).fetchone()
        if case is None:
            raise ActionRefused(case_id, action, None, "no such case")
        state = case["state"]

        def refuse(why: str) -> ActionRefused:
            return ActionRefused(case_id, action, state, why)

        if not roles.may(actor.role, action):
            raise refuse(f"{actor.name} is {actor.role}, who may not {action}")
        moves = TRANSITIONS[action]
        if state not in moves:
            allowed = ", ".join(moves) or "none"
            raise refuse(f"allowed only in {allowed}")
        if action in NEEDS_AMOUNT and (value is None or Decimal(value) <= 0):
            raise refuse("an amount greater than 0 is required")
        if action in NEEDS_REFERENCE and not (reference or "").strip():
            raise refuse("a reference (the refund or recovery voucher) is required")
        if action in NEEDS_REASON and not (reason or "").strip():
            raise refuse("a reason is required")
        payload: dict[str, Any] = {}
        if action == "assign":
            # Taking a case on is the common case: without an assignee, the actor takes it.
            assignee = (assignee or "").strip() or actor.name
            payload["assignee"] = assignee
            conn.execute("update cases set assignee = ? where case_id = ?", (assignee, case_id))
        if action == "approve_write_off":
            proposal = pending_proposal(conn, case_id)
            if proposal is None:
                raise refuse("no write-off has been proposed since the case last changed state")
            if proposal["actor"] == actor.name:
                raise refuse(f"{actor.name} proposed this write-off; a second person must "
                             "approve it")
            value = proposal["amount"]
            payload["proposal_seq"] = proposal["seq"]
        target = moves[state] or state
        if target != state:
            conn.execute("update cases set state = ? where case_id = ?", (target, case_id))
        return trail.append(conn, _fields(case_id, now(), actor, action, state, target, value,
                                          reference, reason, payload))


def link(conn: sqlite3.Connection, case_id: str, actor: Actor, *,
         exception_id: str | None = None, report_id: str | None = None,
         reason: str | None = None, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """An exception or a report joins a case, inside the caller's write transaction.

    An exception becomes the case's exception_id when the case has none (a report's case that
    the exception joins); one already tied to another case is only noted (see ``payload``).
    """
    case = conn.execute("select * from cases where case_id = ?", (case_id,)).fetchone()
    if case is None:
        raise ActionRefused(case_id, "link", None, "no such case")
    state = case["state"]
    if not roles.may(actor.role, "link"):
        raise ActionRefused(case_id, "link", state, f"{actor.name} is {actor.role}, "
                            "who may not link")
    if not (exception_id or report_id):
        raise ActionRefused(case_id, "link", state, "an exception or a report to link is needed")
    if exception_id and case["exception_id"] is None:
        other = conn.execute("select case_id from cases where exception_id = ?",
                             (exception_id,)).fetchone()
        if other is None:
            conn.execute("update cases set exception_id = ? where case_id = ?",
                         (exception_id, case_id))
    return trail.append(conn, _fields(case_id, now(), actor, "link", state, state, None,
                                      exception_id or report_id, reason,
                                      {"exception_id": exception_id, "report_id": report_id,
                                       **(payload or {})}))


def pending_proposal(conn: sqlite3.Connection, case_id: str) -> sqlite3.Row | None:
    """The last write-off proposal, unless the case has changed state since."""
    rows = conn.execute("select * from case_actions where case_id = ? order by seq desc",
                        (case_id,)).fetchall()
    for row in rows:
        if row["action"] == "propose_write_off":
            return row
        if row["from_state"] != row["to_state"]:
            return None
    return None


def _fields(case_id: str, at: str, actor: Actor, action: str, from_state: str | None,
            to_state: str, amount: str | None, reference: str | None, reason: str | None,
            payload: dict[str, Any]) -> dict[str, Any]:
    return {"action_id": uuid.uuid4().hex, "case_id": case_id, "at": at, "actor": actor.name,
            "role": actor.role, "action": action, "from_state": from_state,
            "to_state": to_state, "amount": amount, "reference": reference, "reason": reason,
            "payload": json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)}


def get_case(store: Store, case_id: str) -> dict[str, Any] | None:
    with store.read() as conn:
        row = conn.execute("select * from cases where case_id = ?", (case_id,)).fetchone()
    return dict(row) if row else None


def list_cases(store: Store, state: str | None = None) -> list[dict[str, Any]]:
    with store.read() as conn:
        if state:
            rows = conn.execute("select * from cases where state = ? order by opened_at, "
                                "case_id", (state,)).fetchall()
        else:
            rows = conn.execute("select * from cases order by opened_at, case_id").fetchall()
    return [dict(r) for r in rows]


def case_trail(store: Store, case_id: str) -> list[dict[str, Any]]:
    with store.read() as conn:
        rows = conn.execute("select * from case_actions where case_id = ? order by seq",
                            (case_id,)).fetchall()
    return [dict(r) for r in rows]
