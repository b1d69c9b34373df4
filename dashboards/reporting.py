"""The error report form's logic, without Streamlit: what was typed becomes a report, the
reporter is decided, and the report is validated and filed through ``posaudit.cases.reports``.

Who files: a logged-in user reports under their own name; anyone else types a name, since store
staff without accounts must be able to report. The case is opened by the user when their role
may open cases, else by the system account on the reporter's behalf; the trail's first row
and the report keep the reporter's name either way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

import pandas as pd

from posaudit.cases import lifecycle
from posaudit.cases.lifecycle import Actor
from posaudit.cases.reports import (
    LOCAL,
    ReportInput,
    ReportInvalid,
    Transaction,
    validate_report,
)
from posaudit.cases.reports import file_report as store_report
from posaudit.cases.store import Store
from posaudit.dashboards.auth import Identity

# What staff most often notice at the till (docs/exceptions.md), then anything else.
ERROR_TYPES = ("DUPLICATE_CHARGE", "ONE_SIDED", "VOID_SETTLED", "AMOUNT_MISMATCH",
               "REFUND_EXCEEDS_ORIGINAL", "MISSING_IN_SETTLEMENT", "OTHER")
FIELDS = ("reporter_name", "reporter_role", "merchant_id", "terminal_id", "txn_time",
          "trace_no", "rrn", "amount", "error_type", "description", "evidence_ref",
          "currency")
# Separators and currency signs people type into an amount.
_AMOUNT_NOISE = str.maketrans("", "", ",，  ¥￥元")


@dataclass(frozen=True)
class FormValues:
    reporter_name: str = ""
    reporter_role: str = ""
    merchant_id: str = ""
    terminal_id: str = ""
    txn_date: date | None = None
    txn_clock: time | None = None
    trace_no: str = ""
    rrn: str = ""
    amount: str = ""
    error_type: str = ""
    description: str = ""
    evidence_ref: str = ""


def parse_amount(text: str) -> Decimal:
    """The typed amount; NaN when it is no number, so that validation names the problem."""
    try:
        return Decimal((text or "").translate(_AMOUNT_NOISE))
    except InvalidOperation:
        return Decimal("NaN")


def reporter(identity: Identity, typed_name: str) -> tuple[str, Actor]:
    """(the reporter's name, who opens the case)."""
    if identity.name is not None:
        actor = identity.actor() if identity.may("open") else lifecycle.SYSTEM
        return identity.name, actor
    return typed_name.strip(), lifecycle.SYSTEM


def to_report(values: FormValues, reporter_name: str, now: datetime) -> ReportInput:
    # A missing date or time is reported separately (see check); ``now`` only stands in.
    moment = (datetime.combine(values.txn_date, values.txn_clock)
              if values.txn_date and values.txn_clock else now)
    return ReportInput(reporter_name=reporter_name, reporter_role=values.reporter_role or None,
                       merchant_id=values.merchant_id or None, terminal_id=values.terminal_id,
                       txn_time=moment, trace_no=values.trace_no or None,
                       rrn=values.rrn or None, amount=parse_amount(values.amount),
                       error_type=values.error_type, description=values.description,
                       evidence_ref=values.evidence_ref or None)


def check(values: FormValues, reporter_name: str, terminals: Collection[str], now: datetime,
          missing_time: str) -> dict[str, str]:
    """Every field's problem (field → message); ``missing_time`` is the message for a
    transaction date or time left empty."""
    errors = validate_report(to_report(values, reporter_name, now), terminals, now)
    if values.txn_date is None or values.txn_clock is None:
        errors["txn_time"] = missing_time
    return errors


def form_report_id(session_nonce: str, values: FormValues, reporter_name: str) -> str:
    """The id a form's report is filed under: the same content sent again from the same
    session (a double click, a resend before the page updated) is the same report."""
    content = json.dumps({"session": session_nonce, "reporter": reporter_name,
                          **asdict(values)}, sort_keys=True, default=str, ensure_ascii=False)
    return "R-" + hashlib.sha256(content.encode("utf-8")).hexdigest()[:12].upper()


def local_now() -> datetime:
    """Beijing wall-clock time without a zone, as reports keep their times."""
    return datetime.now(LOCAL).replace(tzinfo=None)


# Runs one of the page's queries on the snapshot: (sql, parameters) -> rows.
Query = Callable[[str, list[object]], pd.DataFrame]


def transaction_of(values: FormValues, query: Query, transaction_sql: str,
                   reports_sql: str | None) -> Transaction:
    """What the snapshot knows of the transaction a form's report is about: its exceptions
    and the reports already linked to it (``reports_sql`` None: a snapshot without
    fct_error_reports). Nothing when the form does not name a transaction well enough."""
    if not (values.terminal_id.strip() and values.txn_date and values.txn_clock):
        return Transaction()
    amount = parse_amount(values.amount)
    found = query(transaction_sql, [
        values.terminal_id.strip(), values.rrn.strip(), values.trace_no.strip(),
        None if amount.is_nan() else str(amount),
        datetime.combine(values.txn_date, values.txn_clock)])
    if found.empty:
        return Transaction()
    line, orphan = found.iloc[0]["journal_line_id"], found.iloc[0]["orphan_exception_id"]
    exceptions = [str(e) for e in found["exception_id"].dropna()]
    reports: list[str] = []
    if reports_sql is not None:
        line_id = None if pd.isna(line) else str(line)
        orphan_id = None if pd.isna(orphan) else str(orphan)
        reports = [str(r) for r in query(reports_sql, [line_id, orphan_id, orphan_id])
                   ["report_id"]]
    return Transaction(exception_ids=exceptions, report_ids=reports)


@dataclass(frozen=True)
class Filed:
    report_id: str | None
    case_id: str | None
    errors: dict[str, str]
    joined_state: str | None = None  # the state of the case the report joined, if it did


def file_report(open_store: Callable[[], Store], values: FormValues, identity: Identity, *,
                terminals: Collection[str], session_nonce: str, missing_time: str,
                now: datetime | None = None,
                about: Callable[[], Transaction] = Transaction) -> Filed:
    """Validate, then store the report with its case — a new one, or the one already following
    its transaction (``about``, asked only for a valid report); the store is opened only for a
    valid report. The same form sent twice from one session files one report
    (form_report_id)."""
    moment = now or local_now()
    name, actor = reporter(identity, values.reporter_name)
    report_id = form_report_id(session_nonce, values, name)
    errors = check(values, name, terminals, moment, missing_time)
    if errors:
        return Filed(None, None, errors)
    try:
        filing = store_report(open_store(), to_report(values, name, moment), actor,
                              known_terminals=terminals, now=moment, report_id=report_id,
                              about=about())
    except ReportInvalid as exc:
        return Filed(None, None, exc.errors)
    return Filed(filing.report_id, filing.case_id, {}, filing.joined_state)
