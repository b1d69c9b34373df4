"""Cases from a published snapshot: one case per definite exception and per filed report.

After each publish (and with ``posaudit cases sync``), in one write transaction:

1. every exception without a case gets one — or, when a report about it already has an
   unclosed case of its own (a form report filed before the data showed the error), joins
   that case;
2. every report of a report file (reports/) not yet in the store is stored
   (source ``file:<file name>:<line>``) and joins the case that already follows its
   transaction — its exception's case, else the case of an earlier report about the same
   transaction — whatever that case's state (``SyncResult.joined`` names those cases that
   were there before this sync, e.g. one already written off); only a report about a
   transaction without a case gets one of its own (an unlinked report is itself an open
   item);
3. a report whose exception has another case (it had one before the report was filed, or
   the report's case was closed) keeps its own case, and both cases note the other with a
   ``link`` action.

Links come from the snapshot's fct_error_reports (the warehouse's linking rules); every join
is a ``link`` action in the trail.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from posaudit.cases.lifecycle import CLOSED, SYSTEM, insert_case, link, money, new_case_id
from posaudit.cases.reports import (
    Transaction,
    case_about,
    join_case,
    open_report_case,
    store_report,
)
from posaudit.cases.store import Store

EXCEPTIONS = """
select exception_id, exception_type, merchant_id, terminal_id, trace_no, order_no,
       cast(business_date as varchar) as business_date, cast(amount as varchar) as amount,
       cast(exposure_amount as varchar) as exposure_amount, exposure_direction, root_cause
from fct_exceptions
order by business_date, exception_id
"""

# Every report with its link; file reports carry what the store keeps of them.
REPORTS = """
select report_id, source, source_kind,
       strftime(reported_at, '%Y-%m-%d %H:%M:%S') as reported_at, reporter_name, reporter_role,
       merchant_id, terminal_id, strftime(txn_time, '%Y-%m-%d %H:%M:%S') as txn_time, trace_no,
       rrn, cast(amount as varchar) as amount, currency, error_type, description, evidence_ref,
       link_status, exception_id, journal_line_id
from fct_error_reports
order by reported_at, report_id, source
"""


@dataclass
class SyncResult:
    opened: list[str] = field(default_factory=list)  # new case ids
    reports_stored: list[str] = field(default_factory=list)  # report ids
    linked: list[tuple[str, str]] = field(default_factory=list)  # (case id, what joined it)
    # (report id, case id, the case's state): reports that joined a case older than the sync
    joined: list[tuple[str, str, str]] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"cases: {len(self.opened)} opened, {len(self.reports_stored)} report(s) "
                 f"stored, {len(self.linked)} link(s)"]
        lines += [f"report {r} is about a transaction that already has case {c} ({s}): "
                  "it joined that case" for r, c, s in self.joined]
        return "\n".join(lines)


def sync_from_warehouse(store: Store, snapshot_path: Path) -> list[str]:
    """Sync (see the module); returns the new case ids."""
    return sync(store, snapshot_path).opened


def sync(store: Store, snapshot_path: Path) -> SyncResult:
    """Open and link cases for the snapshot's exceptions and file reports.

    Idempotent: the store's unique index on exception_id, the reports' primary key and the
    checks below, made inside the one write transaction, keep a second run (or two at once)
    from opening, storing or linking anything twice.
    """
    exceptions, reports = _read_snapshot(snapshot_path)
    result = SyncResult()
    about: dict[str, list[str]] = {}  # exception_id -> the reports about it
    on_line: dict[str, list[str]] = {}  # journal_line_id -> the reports about it
    for rep in reports:
        if rep["exception_id"]:
            about.setdefault(rep["exception_id"], []).append(rep["report_id"])
        if rep.get("journal_line_id"):
            on_line.setdefault(rep["journal_line_id"], []).append(rep["report_id"])
    with store.write() as conn:
        state = _State.load(conn)
        for exc in exceptions:
            _sync_exception(conn, state, exc, about.get(exc["exception_id"], []), result)
        for rep in reports:
            if rep["source_kind"] == "FILE" and rep["report_id"] not in state.report_case:
                earlier = [r for r in on_line.get(rep.get("journal_line_id") or "", [])
                           if r != rep["report_id"]]
                _store_file_report(conn, state, rep, earlier, result)
        for rep in reports:
            _note_separate_cases(conn, state, rep, result)
    return result


def _read_snapshot(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    with duckdb.connect(str(path), read_only=True) as con:
        exceptions = _rows(con, EXCEPTIONS)
        # A snapshot published before reports were linked has no fct_error_reports.
        has_reports = con.execute("select count(*) from information_schema.tables where "
                                  "table_schema = 'main' and table_name = 'fct_error_reports'"
                                  ).fetchone()
        reports = _rows(con, REPORTS) if has_reports and has_reports[0] else []
    return exceptions, reports


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


@dataclass
class _State:
    """What the store holds, kept current as the sync adds to it."""

    exception_case: dict[str, str]  # exception_id -> case_id
    report_case: dict[str, str]  # report_id -> case_id
    case_exception: dict[str, str | None]  # case_id -> exception_id
    case_opened: dict[str, str]  # case_id -> opened_at
    closed: set[str]  # case ids in state CLOSED
    links: set[tuple[str, str]]  # (case_id, linked exception or report id)

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> _State:
        cases = conn.execute("select case_id, exception_id, opened_at, state from cases"
                             ).fetchall()
        return cls(
            exception_case={r["exception_id"]: r["case_id"] for r in cases if r["exception_id"]},
            report_case={r[0]: r[1] for r in conn.execute(
                "select report_id, case_id from reports")},
            case_exception={r["case_id"]: r["exception_id"] for r in cases},
            case_opened={r["case_id"]: r["opened_at"] for r in cases},
            closed={r["case_id"] for r in cases if r["state"] == CLOSED},
            links={(r[0], r[1]) for r in conn.execute(
                "select case_id, reference from case_actions where action = 'link'")},
        )

    def add_link(self, case_id: str, ref: str, result: SyncResult) -> None:
        self.links.add((case_id, ref))
        result.linked.append((case_id, ref))


def _sync_exception(conn: sqlite3.Connection, state: _State, exc: dict[str, Any],
                    report_ids: list[str], result: SyncResult) -> None:
    exception_id = exc["exception_id"]
    if exception_id in state.exception_case:
        return
    # The oldest case of a stored report about this exception that has no exception yet and
    # is still being worked on (a closed case is not reopened: the exception gets its own).
    cases = {state.report_case[r] for r in report_ids if r in state.report_case}
    waiting = sorted(
        (c for c in cases if state.case_exception.get(c) is None and c not in state.closed),
        key=lambda c: (state.case_opened.get(c, ""), c))
    if waiting:
        case_id = waiting[0]
        link(conn, case_id, SYSTEM, exception_id=exception_id,
             reason="detected by the refresh; a report about it opened this case",
             payload={"exception": exc})
        state.add_link(case_id, exception_id, result)
    else:
        case_id = new_case_id()
        title = " ".join(str(exc[k]) for k in ("exception_type", "terminal_id", "trace_no")
                         if exc[k] is not None)
        insert_case(conn, case_id, SYSTEM, title=title,
                    amount=money(exc["exposure_amount"] or exc["amount"]), currency="CNY",
                    exception_id=exception_id, report_id=None,
                    reason="detected by the refresh", payload={"exception": exc})
        result.opened.append(case_id)
        state.case_opened[case_id] = ""
    state.exception_case[exception_id] = case_id
    state.case_exception[case_id] = exception_id


def _store_file_report(conn: sqlite3.Connection, state: _State, rep: dict[str, Any],
                       earlier: list[str], result: SyncResult) -> None:
    values = {k: rep.get(k) for k in (
        "report_id", "source", "reported_at", "reporter_name", "reporter_role", "merchant_id",
        "terminal_id", "txn_time", "trace_no", "rrn", "amount", "currency", "error_type",
        "description", "evidence_ref")}
    values["amount"] = money(values["amount"])
    exception_id = rep["exception_id"] or ""
    # The snapshot's links decide (it saw every report and transaction): the exception's case,
    # else the case of an earlier report on the same journal line.
    case = case_about(conn, Transaction(exception_ids=[exception_id] if exception_id else [],
                                        report_ids=earlier))
    if case is not None:
        case_id = str(case["case_id"])
        join_case(conn, values, SYSTEM, case)
        state.add_link(case_id, rep["report_id"], result)
        if case_id not in result.opened:
            result.joined.append((rep["report_id"], case_id, str(case["state"])))
    else:
        case_id = open_report_case(conn, values, SYSTEM)
        store_report(conn, values, SYSTEM, case_id)
        result.opened.append(case_id)
        state.case_exception[case_id] = None
        state.case_opened[case_id] = ""
    state.report_case[rep["report_id"]] = case_id
    result.reports_stored.append(rep["report_id"])


def _note_separate_cases(conn: sqlite3.Connection, state: _State, rep: dict[str, Any],
                         result: SyncResult) -> None:
    """A report and its exception in two cases: each case's trail names the other, once."""
    report_case = state.report_case.get(rep["report_id"])
    exception_case = state.exception_case.get(rep["exception_id"] or "")
    if not (report_case and exception_case) or report_case == exception_case:
        return
    if (exception_case, rep["report_id"]) not in state.links:
        link(conn, exception_case, SYSTEM, report_id=rep["report_id"],
             reason=f"report {rep['report_id']} is about this exception; it has its own "
                    f"case {report_case}",
             payload={"report_case_id": report_case})
        state.add_link(exception_case, rep["report_id"], result)
    if (report_case, rep["exception_id"]) not in state.links:
        link(conn, report_case, SYSTEM, exception_id=rep["exception_id"],
             reason=f"the report is about exception {rep['exception_id']}, followed up in "
                    f"case {exception_case}",
             payload={"exception_case_id": exception_case})
        state.add_link(report_case, rep["exception_id"], result)

