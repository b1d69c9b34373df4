"""Error reports (the error transaction report form, docs/cases.md) in the case store.

A report is kept as filed in the ``reports`` table and becomes a case: ``submit_report`` (the
dashboard's form) validates it, stores it and opens an OPEN case for it in one write
transaction — unless the transaction it is about already has a case (``case_about``): then
the report joins that case, whatever its state, as a ``link`` row in its trail, and the filer
is told which case and in what state (one transaction, one case). Reports filed as landing
files (reports/) come in through the sync (posaudit.cases.sync), which stores them with
``store_report`` without the form's checks — a filed report is a fact, even an incomplete
one — and joins them to their transaction's case the same way.

Times on a report are local Beijing time, as everywhere in the warehouse (docs/formats.md); the
store's own clock (``stored_at``, the trail) is UTC.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from posaudit.cases import roles
from posaudit.cases.lifecycle import ActionRefused, Actor, insert_case, link, money, new_case_id
from posaudit.cases.lifecycle import now as utc_now
from posaudit.cases.store import Store
from posaudit.ingest.cardsafe import scrub_card_like

LOCAL = ZoneInfo("Asia/Shanghai")
FORM = "form"
FILE_PREFIX = "file:"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# DECIMAL(18, 2) holds up to 16 digits before the point.
MAX_AMOUNT = Decimal("9999999999999999.99")
MAX_TEXT = {"reporter_name": 100, "reporter_role": 100, "error_type": 100,
            "description": 4000, "evidence_ref": 500}
_TRACE_NO = re.compile(r"\d{6}")
_RRN = re.compile(r"[0-9A-Za-z]{12}")
_MERCHANT_ID = re.compile(r"[0-9A-Za-z]{15}")
_CURRENCY = re.compile(r"[A-Z]{3}")
COLUMNS = ("report_id", "source", "stored_at", "reported_at", "reporter", "reporter_name",
           "reporter_role", "merchant_id", "terminal_id", "txn_time", "trace_no", "rrn",
           "amount", "currency", "error_type", "description", "evidence_ref", "case_id")


@dataclass(frozen=True)
class ReportInput:
    """What the form asks: who reports, which transaction, how much, what happened."""

    reporter_name: str
    reporter_role: str | None
    merchant_id: str | None
    terminal_id: str
    txn_time: datetime
    trace_no: str | None
    rrn: str | None
    amount: Decimal
    error_type: str
    description: str
    evidence_ref: str | None
    currency: str = "CNY"


class ReportInvalid(ValueError):
    """A report the form must send back: ``errors`` maps each field to what is wrong."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


def local_naive(moment: datetime) -> datetime:
    """A time as local Beijing wall-clock time without a zone (naive input already is)."""
    return moment.astimezone(LOCAL).replace(tzinfo=None) if moment.tzinfo else moment


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def validate_report(report: ReportInput, known_terminals: Collection[str],
                    now: datetime) -> dict[str, str]:
    """Every problem of a report, field name → message; an empty dict: the report is valid."""
    errors: dict[str, str] = {}
    required = {"reporter_name": "Please give your name.",
                "error_type": "Please say what kind of error it is.",
                "description": "Please describe what happened."}
    for name, message in required.items():
        if _blank(getattr(report, name)):
            errors[name] = message
    for name, limit in MAX_TEXT.items():
        value = getattr(report, name)
        if name not in errors and value is not None and len(value.strip()) > limit:
            errors[name] = f"At most {limit} characters, please."
    terminal = (report.terminal_id or "").strip()
    if not terminal:
        errors["terminal_id"] = "Please give the terminal number (终端号)."
    elif not known_terminals:
        errors["terminal_id"] = "No terminals are known yet: the warehouse has not been refreshed."
    elif terminal not in known_terminals:
        errors["terminal_id"] = f"Terminal {terminal} is not a known terminal."
    if amount_error := _amount_error(report.amount):
        errors["amount"] = amount_error
    if not isinstance(report.txn_time, datetime):
        errors["txn_time"] = "Please give the date and time of the transaction."
    elif local_naive(report.txn_time) > local_naive(now):
        errors["txn_time"] = "The transaction time is in the future."
    checks = (("trace_no", _TRACE_NO, "The voucher number (凭证号) has 6 digits."),
              ("rrn", _RRN, "The reference number (参考号) has 12 letters or digits."),
              ("merchant_id", _MERCHANT_ID,
               "The merchant number (商户号) has 15 letters or digits."))
    for name, pattern, message in checks:
        value = getattr(report, name)
        if not _blank(value) and not pattern.fullmatch(value.strip()):
            errors[name] = message
    if not _CURRENCY.fullmatch((report.currency or "").strip().upper()):
        errors["currency"] = "The currency is a three-letter code such as CNY."
    return errors


def _amount_error(amount: object) -> str | None:
    try:
        value = Decimal(str(amount)) if amount is not None else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        return "Please give the amount in yuan, e.g. 88.50."
    if value <= 0:
        return "The amount must be greater than 0."
    if value != value.quantize(Decimal("0.01")):
        return "The amount has at most two decimal places (fen)."
    if value > MAX_AMOUNT:
        return "The amount is too large."
    return None


@dataclass(frozen=True)
class Transaction:
    """What the published snapshot knows of the transaction a report is about: its
    exceptions and the earlier reports linked to it (fct_error_reports)."""

    exception_ids: Sequence[str] = ()
    report_ids: Sequence[str] = ()


@dataclass(frozen=True)
class Filing:
    report_id: str
    case_id: str
    joined_state: str | None = None  # the existing case's state, when the report joined it

    @property
    def joined(self) -> bool:
        return self.joined_state is not None


def submit_report(store: Store, report: ReportInput, actor: Actor, *,
                  known_terminals: Collection[str], now: datetime | None = None,
                  source: str = FORM, report_id: str | None = None) -> tuple[str, str]:
    """Validate, store and open a case for one report; returns (report_id, case_id)."""
    filing = file_report(store, report, actor, known_terminals=known_terminals, now=now,
                         source=source, report_id=report_id)
    return filing.report_id, filing.case_id


def file_report(store: Store, report: ReportInput, actor: Actor, *,
                known_terminals: Collection[str], now: datetime | None = None,
                source: str = FORM, report_id: str | None = None,
                about: Transaction | None = None) -> Filing:
    """Validate and store one report, with a case of its own or joining the case that already
    follows its transaction (``about`` and the store's own reports, see ``case_about``).

    Raises ReportInvalid (with every field's problem) or ActionRefused (the actor's role may
    not open cases). Idempotent per (source, report_id): submitting the same report again
    (a form sent twice with the id it was given, a file report seen again) returns the case
    it already has; a report_id already used by another source is refused.
    """
    if not roles.may(actor.role, "open"):
        raise ActionRefused("-", "open", None,
                            f"{actor.name} is {actor.role}, who may not file reports")
    moment = local_naive(now or datetime.now(LOCAL))
    errors = validate_report(report, known_terminals, moment)
    if errors:
        raise ReportInvalid(errors)
    values = form_values(report)
    report_id = report_id or new_report_id()
    values |= {"report_id": report_id, "source": source,
               "reported_at": moment.strftime(TIME_FORMAT)}
    with store.write() as conn:
        existing = existing_report(conn, report_id, source)
        if existing is not None:
            case = _case(conn, existing[1])
            joined = case["state"] if case and case["report_id"] != report_id else None
            return Filing(*existing, joined_state=joined)
        case = case_about(conn, about or Transaction(), values)
        if case is None:
            case_id = open_report_case(conn, values, actor)
            store_report(conn, values, actor, case_id)
            return Filing(report_id, case_id)
        join_case(conn, values, actor, case)
    return Filing(report_id, str(case["case_id"]), joined_state=str(case["state"]))


def _case(conn: sqlite3.Connection, case_id: str) -> sqlite3.Row | None:
    return conn.execute("select * from cases where case_id = ?", (case_id,)).fetchone()


# A stored report about the same transaction: same terminal and RRN, or same terminal and
# voucher number within a day of the reported time (the warehouse's linking rules; reports
# filed since the last refresh are not in the snapshot yet).
_SAME_TRANSACTION = """
    select c.* from reports r join cases c on c.case_id = r.case_id
    where r.terminal_id = :terminal
      and ((:rrn is not null and r.rrn = :rrn)
           or (:trace is not null and r.trace_no = :trace
               and abs(julianday(r.txn_time) - julianday(:txn_time)) <= 1))
    order by c.opened_at, c.case_id
    limit 1
"""


def case_about(conn: sqlite3.Connection, about: Transaction,
               values: dict[str, Any] | None = None) -> sqlite3.Row | None:
    """The case already following a report's transaction: the case of one of its exceptions,
    else the oldest case of an earlier report about it — linked in the snapshot (``about``)
    or, given the report's ``values``, filed with the same keys (``_SAME_TRANSACTION``)."""
    def first(sql: str, ids: Sequence[str]) -> sqlite3.Row | None:
        if not ids:
            return None
        marks = ", ".join("?" for _ in ids)
        return conn.execute(sql.format(marks=marks), list(ids)).fetchone()

    found = first("select * from cases where exception_id in ({marks}) "
                  "order by opened_at, case_id limit 1", about.exception_ids)
    found = found or first("select c.* from reports r join cases c on c.case_id = r.case_id "
                           "where r.report_id in ({marks}) order by c.opened_at, c.case_id "
                           "limit 1", about.report_ids)
    if found is None and values is not None and values.get("terminal_id"):
        found = conn.execute(_SAME_TRANSACTION, {
            "terminal": values["terminal_id"], "rrn": values.get("rrn"),
            "trace": values.get("trace_no"), "txn_time": values.get("txn_time")}).fetchone()
    return found


def join_case(conn: sqlite3.Connection, values: dict[str, Any], actor: Actor,
              case: sqlite3.Row) -> None:
    """Keep a report under the case that already follows its transaction; the case's trail
    gets a ``link`` row naming the report and the state the case was in."""
    store_report(conn, values, actor, str(case["case_id"]))
    link(conn, str(case["case_id"]), actor, report_id=values["report_id"],
         reason=f"report {values['report_id']} ({values.get('source')}) is about the "
                f"transaction this case follows (case {case['state']})",
         payload={"report": {k: values.get(k) for k in COLUMNS
                             if k not in ("stored_at", "reporter", "case_id")},
                  "case_state": case["state"]})


def new_report_id() -> str:
    return "R-" + uuid.uuid4().hex[:12].upper()


def form_values(report: ReportInput) -> dict[str, str | None]:
    """The form's fields as stored: trimmed, empty as NULL, card-like numbers masked (a PAN is
    never stored, not even typed into a description), money and times as text."""

    def text(value: str | None) -> str | None:
        return None if _blank(value) else scrub_card_like(str(value).strip())

    return {
        "reporter_name": text(report.reporter_name),
        "reporter_role": text(report.reporter_role),
        "merchant_id": text(report.merchant_id),
        "terminal_id": text(report.terminal_id),
        "txn_time": local_naive(report.txn_time).strftime(TIME_FORMAT),
        "trace_no": text(report.trace_no),
        "rrn": text(report.rrn),
        "amount": money(report.amount),
        "currency": (text(report.currency) or "CNY").upper(),
        "error_type": text(report.error_type),
        "description": text(report.description),
        "evidence_ref": text(report.evidence_ref),
    }


def existing_report(conn: sqlite3.Connection, report_id: str,
                    source: str) -> tuple[str, str] | None:
    """(report_id, case_id) of a report already stored under this id and source, or None;
    the same id from another source is refused."""
    row = conn.execute("select source, case_id from reports where report_id = ?",
                       (report_id,)).fetchone()
    if row is None:
        return None
    if row["source"] != source:
        raise ReportInvalid({"report_id": f"Report {report_id} was already filed "
                                          f"({row['source']})."})
    return report_id, str(row["case_id"])


def report_title(values: dict[str, Any]) -> str:
    parts = ("REPORT", values.get("error_type"), values.get("terminal_id"),
             values.get("trace_no"))
    return " ".join(str(p) for p in parts if p)


def open_report_case(conn: sqlite3.Connection, values: dict[str, Any], actor: Actor) -> str:
    """An OPEN case for a report, inside the caller's write transaction; its first trail row
    records who reported it and the report as filed."""
    case_id = new_case_id()
    who = values.get("reporter_name") or "unknown"
    role = f" ({values['reporter_role']})" if values.get("reporter_role") else ""
    insert_case(conn, case_id, actor, title=report_title(values), amount=values.get("amount"),
                currency=values.get("currency") or "CNY", exception_id=None,
                report_id=values["report_id"], reason=f"reported by {who}{role}",
                payload={"report": {k: values.get(k) for k in COLUMNS
                                    if k not in ("stored_at", "reporter", "case_id")}})
    return case_id


def store_report(conn: sqlite3.Connection, values: dict[str, Any], actor: Actor,
                 case_id: str) -> None:
    """Keep one report as filed, tied to its case (the caller holds the write transaction)."""
    row = {k: values.get(k) for k in COLUMNS}
    row |= {"stored_at": utc_now(), "reporter": actor.name, "case_id": case_id}
    conn.execute(f"insert into reports ({', '.join(COLUMNS)}) "
                 f"values ({', '.join('?' for _ in COLUMNS)})", [row[c] for c in COLUMNS])


def get_report(store: Store, report_id: str) -> dict[str, Any] | None:
    with store.read() as conn:
        row = conn.execute("select * from reports where report_id = ?", (report_id,)).fetchone()
    return dict(row) if row else None


def known_terminals(snapshot_path: Path) -> set[str]:
    """Terminal numbers the published snapshot knows: the terminal register (reference/) and
    every terminal seen in the journals."""
    sql = """
        select terminal_id from staging.stg_reference__terminals where terminal_id is not null
        union
        select distinct terminal_id from main.fct_transactions where terminal_id is not null
    """
    with duckdb.connect(str(snapshot_path), read_only=True) as con:
        return {str(r[0]) for r in con.execute(sql).fetchall()}
