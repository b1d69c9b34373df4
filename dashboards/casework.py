"""The Cases page's logic, without Streamlit: which cases to list, which actions a user may
take on a case, and acting on one case or many through ``posaudit.cases``.

The case store (SQLite, ``W/cases.sqlite``) is live and writable; the warehouse snapshot is not,
so case reads here go to the store, never through ``dashboards.queries``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from posaudit.cases import lifecycle, roles
from posaudit.cases.lifecycle import ActionRefused, Actor
from posaudit.cases.store import Store, cases_path

# Actions that make sense for many cases at once: none needs a per-case amount or voucher,
# and a write-off approval stays a per-case decision.
BULK_ACTIONS = ("assign", "comment", "freeze_funds", "notify_customer", "close")
UNASSIGNED = "-"
TRAIL_COLUMNS = ("seq", "at", "actor", "role", "action", "from_state", "to_state", "amount",
                 "reference", "reason")
LIST_COLUMNS = ("case_id", "state", "kind", "assignee", "amount", "currency", "opened_at",
                "title", "exception_id", "report_id")

# One read for the list: each case with what it is about, taken from its opening trail row
# (a detected exception's type, or the error type a report gave).
_LIST_SQL = """
    select c.case_id, c.state,
           coalesce(json_extract(a.payload, '$.exception.exception_type'),
                    json_extract(a.payload, '$.report.error_type')) as kind,
           c.assignee, c.amount, c.currency, c.opened_at, c.title, c.exception_id, c.report_id
    from cases c
    left join case_actions a on a.case_id = c.case_id and a.action = 'open'
    order by c.opened_at desc, c.case_id
"""


def existing_store(warehouse_root: Path) -> Store | None:
    """The warehouse's case store when it exists; viewing never creates one."""
    path = cases_path(warehouse_root)
    return Store(path) if path.exists() else None


def writable_store(warehouse_root: Path) -> Store:
    """The case store, created with its schema on first use (filing the first report)."""
    return Store.at(warehouse_root)


def load_cases(store: Store | None) -> pd.DataFrame:
    if store is None:
        return pd.DataFrame(columns=list(LIST_COLUMNS))
    with store.read() as conn:
        rows = [dict(r) for r in conn.execute(_LIST_SQL).fetchall()]
    return pd.DataFrame(rows, columns=list(LIST_COLUMNS))


@dataclass(frozen=True)
class CaseFilter:
    states: tuple[str, ...] = ()
    assignee: str = ""  # "" all, UNASSIGNED none, else that person
    kind: str = ""
    text: str = ""


def filter_cases(cases: pd.DataFrame, wanted: CaseFilter) -> pd.DataFrame:
    keep = pd.Series(True, index=cases.index)
    if wanted.states:
        keep &= cases["state"].isin(wanted.states)
    if wanted.assignee == UNASSIGNED:
        keep &= cases["assignee"].isna() | (cases["assignee"] == "")
    elif wanted.assignee:
        keep &= cases["assignee"] == wanted.assignee
    if wanted.kind:
        keep &= cases["kind"] == wanted.kind
    text = wanted.text.strip().lower()
    if text:
        haystack = cases[["case_id", "title", "kind", "exception_id", "report_id",
                          "assignee"]].fillna("").astype(str).agg(" ".join, axis=1).str.lower()
        keep &= haystack.str.contains(text, regex=False)
    return cases[keep].reset_index(drop=True)


def choices(cases: pd.DataFrame, column: str) -> list[str]:
    return sorted({str(v) for v in cases[column].dropna() if str(v)})


def allowed_actions(state: str, role: str, *, proposal_pending: bool,
                    candidates: Iterable[str] = lifecycle.TRANSITIONS) -> list[str]:
    """Actions offered for a case: its state allows them and the role may take them; an
    approval only once a write-off has been proposed."""
    return [a for a in candidates
            if state in lifecycle.TRANSITIONS[a] and roles.may(role, a)
            and (a != "approve_write_off" or proposal_pending)]


def bulk_actions(role: str) -> list[str]:
    return [a for a in BULK_ACTIONS if roles.may(role, a)]


def pending_proposal(store: Store, case_id: str) -> dict[str, Any] | None:
    with store.read() as conn:
        row = lifecycle.pending_proposal(conn, case_id)
    return dict(row) if row else None


def case_for_exception(store: Store | None, exception_id: str) -> dict[str, Any] | None:
    if store is None:
        return None
    with store.read() as conn:
        row = conn.execute("select * from cases where exception_id = ?",
                           (exception_id,)).fetchone()
    return dict(row) if row else None


def trail_frame(store: Store, case_id: str) -> pd.DataFrame:
    rows = lifecycle.case_trail(store, case_id)
    return pd.DataFrame(rows, columns=[*TRAIL_COLUMNS, "payload"])[list(TRAIL_COLUMNS)]


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str
    row: dict[str, Any] | None = None


def act_once(store: Store, case_id: str, action: str, actor: Actor, *, amount: str = "",
             reference: str = "", reason: str = "", assignee: str = "") -> Outcome:
    """One action on one case; a refusal (state, role, missing input, a bad amount) comes back
    as an Outcome to show, not as an exception."""
    try:
        row = lifecycle.act(store, case_id, action, actor, amount=amount.strip() or None,
                            reference=reference.strip() or None, reason=reason.strip() or None,
                            assignee=assignee.strip() or None)
    except ActionRefused as exc:
        return Outcome(False, exc.why)
    except ValueError as exc:  # an amount that is not a number
        return Outcome(False, str(exc))
    return Outcome(True, f"{action}: {row['from_state']} → {row['to_state']}", row)


@dataclass
class BulkResult:
    action: str
    done: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (case_id, why)

    @property
    def total(self) -> int:
        return len(self.done) + len(self.refused)


def act_many(store: Store, case_ids: Sequence[str], action: str, actor: Actor, *,
             reason: str = "", assignee: str = "") -> BulkResult:
    """The same action on each case, each in its own transaction and trail row: a refusal on
    one case does not undo or stop the others."""
    result = BulkResult(action)
    for case_id in case_ids:
        outcome = act_once(store, case_id, action, actor, reason=reason, assignee=assignee)
        if outcome.ok:
            result.done.append(case_id)
        else:
            result.refused.append((case_id, outcome.message))
    return result
