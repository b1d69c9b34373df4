"""The Cases page's logic, without Streamlit: which cases to list, which actions a user may
take on a case, and acting on one case or many through ``posaudit.cases``.

The case store (SQLite, ``W/cases.sqlite``) is live and writable; the warehouse snapshot is not,
so case reads here go to the store, never through ``dashboards.queries``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from posaudit.cases import lifecycle, roles
from posaudit.cases.lifecycle import ActionRefused, Actor
from posaudit.cases.sla import BREACHED, DUE_SOON, NO_SLA, ON_TIME, SlaPolicy
from posaudit.cases.store import Store, cases_path
from posaudit.dashboards import display, i18n

# Actions that make sense for many cases at once: none needs a per-case amount or voucher,
# and a write-off approval stays a per-case decision.
BULK_ACTIONS = ("assign", "comment", "freeze_funds", "notify_customer", "close")
UNASSIGNED = "-"
TRAIL_COLUMNS = ("seq", "at", "actor", "role", "action", "from_state", "to_state", "amount",
                 "reference", "reason")
LIST_COLUMNS = ("case_id", "state", "kind", "assignee", "amount", "currency", "opened_at",
                "title", "exception_id", "report_id", "since")
# What the work queue adds to each case (see ``work_queue``).
QUEUE_COLUMNS = ("started", "age_days", "sla_due", "sla_status", "priority")
# States in which the money is still open; resolved ones only await closing.
WORKING = (lifecycle.OPEN, *lifecycle.ACTIVE)

# One read for the list: each case with what it is about, taken from its opening trail row
# (a detected exception's type, or the error type a report gave), and when the business knew
# of it: the exception's business date, else the report's time, else the opening.
_LIST_SQL = """
    select c.case_id, c.state,
           coalesce(json_extract(a.payload, '$.exception.exception_type'),
                    json_extract(a.payload, '$.report.error_type')) as kind,
           c.assignee, c.amount, c.currency, c.opened_at, c.title, c.exception_id, c.report_id,
           coalesce(json_extract(a.payload, '$.exception.business_date'),
                    json_extract(a.payload, '$.report.reported_at'), c.opened_at) as since
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


def local_starts(values: pd.Series, zone: ZoneInfo) -> pd.Series:
    """Cases' starts as the merchant's wall-clock times: a date or a local report time as it
    is, a zoned time (the store's UTC clock) converted to ``zone``; NaT when unreadable."""
    text = values.astype("string")
    zoned = text.str.contains(r"(?:[+-]\d{2}:?\d{2}|Z)$", regex=True).fillna(False).astype(bool)
    starts = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if (~zoned).any():
        starts[~zoned] = pd.to_datetime(text[~zoned], format="mixed", errors="coerce")
    if zoned.any():
        utc = pd.to_datetime(text[zoned], format="mixed", errors="coerce", utc=True)
        starts[zoned] = utc.dt.tz_convert(zone).dt.tz_localize(None)
    return starts


def work_queue(cases: pd.DataFrame, policy: SlaPolicy, now: datetime,
               zone: ZoneInfo) -> pd.DataFrame:
    """The cases in the order they should be worked, with their age, SLA and priority.

    ``now`` is the merchant's wall-clock time (naive). Priority = exposure (the case's amount)
    × age in days since the case's start. Order: SLA breaches first, then cases whose money is
    still open, then resolved cases awaiting closing, closed cases last; by priority within.
    Vectorised: the list may hold every case of a large warehouse.
    """
    out = cases.copy()
    starts = local_starts(out["since"], zone)
    ages = ((pd.Timestamp(now) - starts).dt.total_seconds() / 86400).clip(lower=0).fillna(0.0)
    # The SLA days of each (kind, state) pair, looked up once per pair.
    pairs = out["kind"].fillna("").astype(str) + "|" + out["state"].astype(str)
    days = {pair: policy.days_for(*pair.rsplit("|", 1)) for pair in pairs.unique()}
    allowed = pairs.map(days).astype("Float64")
    dues = starts + pd.to_timedelta(allowed.astype("float64"), unit="D")
    exposure = pd.to_numeric(out["amount"], errors="coerce").fillna(0.0).abs()
    out["started"] = starts
    out["age_days"] = ages.round(1)
    out["sla_due"] = dues
    late = (dues < pd.Timestamp(now)).fillna(False).astype(bool)
    soon = (dues - pd.Timedelta(days=policy.warn_days) <= pd.Timestamp(now)).fillna(False)
    out["sla_status"] = np.select([dues.isna(), late, soon.astype(bool)],
                                  [NO_SLA, BREACHED, DUE_SOON], ON_TIME)
    out["priority"] = (exposure * ages).round(2)
    rank = pd.DataFrame({
        "closed": out["state"] == lifecycle.CLOSED,
        "on_time": out["sla_status"] != BREACHED,
        "resolved": ~out["state"].isin(WORKING),
        "score": -out["priority"],
    })
    # Stable: ties keep the store's order (newest first, then case id).
    order = rank.sort_values(list(rank.columns), kind="stable").index
    return out.loc[order].reset_index(drop=True)


@dataclass(frozen=True)
class CaseFilter:
    states: tuple[str, ...] = ()
    assignee: str = ""  # "" all, UNASSIGNED none, else that person
    kind: str = ""
    text: str = ""
    mine: str = ""  # "my cases": only those assigned to this user
    include_closed: bool = True  # closed cases, unless a state filter names CLOSED


def filter_cases(cases: pd.DataFrame, wanted: CaseFilter) -> pd.DataFrame:
    keep = pd.Series(True, index=cases.index)
    if wanted.states:
        keep &= cases["state"].isin(wanted.states)
    elif not wanted.include_closed:
        keep &= cases["state"] != lifecycle.CLOSED
    if wanted.mine:
        keep &= cases["assignee"] == wanted.mine
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


def queue_view(queue: pd.DataFrame, lang: str, zone: ZoneInfo) -> pd.DataFrame:
    """The work queue as the page lists it: codes as terms, amounts and times as people read
    them; the case id stays as is (the list's key)."""
    view = pd.DataFrame({
        "priority": [display.count(round(p)) for p in queue["priority"]],
        "case_id": queue["case_id"],
        "state": [state_term(lang, s) for s in queue["state"]],
        "sla_status": [i18n.t(lang, f"cases.sla.{str(s).lower()}") for s in queue["sla_status"]],
        "sla_due": [display.local_time(d, zone, seconds=False) for d in queue["sla_due"]],
        "assignee": [a if isinstance(a, str) and a else display.NOTHING
                     for a in queue["assignee"]],
        "amount": [display.amount(a) for a in pd.to_numeric(queue["amount"], errors="coerce")],
        "age_days": [f"{a:,.1f}" for a in queue["age_days"]],
        "kind": [display.term(lang, "exception_type", k) for k in queue["kind"]],
        "title": queue["title"],
        # The store's own stamp: the table shows it in the merchant's zone (table_format).
        "opened_at": queue["opened_at"],
        "exception_id": queue["exception_id"],
        "report_id": queue["report_id"],
    })
    return view.fillna(display.NOTHING)


def state_term(lang: str, state: object) -> str:
    """A case state as the glossary's term (``code.case_state.*``), else the page's own label."""
    shown = display.term(lang, "case_state", state)
    if shown == str(state):
        return i18n.t(lang, f"state.{str(state).lower()}")
    return shown
