"""An exception's file as an auditor reads it: the few fields of each side that matter first,
the related journal lines with their roles, which bank day to show, and the time window of
the terminal's events. Plain Python (no Streamlit): the Exceptions page renders these.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeAlias

import pandas as pd

from posaudit.dashboards import display

# A row as the page has it: a frame's row, or any mapping of column to value.
Row: TypeAlias = "Mapping[str, Any] | pd.Series[Any]"
Translate = Callable[..., str]

# How each field reads: an amount, a time, a date, a code of a glossary kind, yes/no, or text.
AMOUNT, TIME, YES_NO, TEXT = "amount", "time", "yes_no", "text"
FIELD_KINDS: dict[str, str] = {
    "amount": AMOUNT, "gross_amount": AMOUNT, "fee_amount": AMOUNT, "net_amount": AMOUNT,
    "payout_amount": AMOUNT, "deposit_difference": AMOUNT, "credit_amount": AMOUNT,
    "debit_amount": AMOUNT, "settled_gross_amount": AMOUNT,
    "txn_time": TIME, "settlement_date": TIME, "credited_on": TIME, "payout_due_by": TIME,
    "bank_covered_through": TIME, "txn_date": TIME, "expected_settlement_date": TIME,
    "voided_at": TIME, "business_date": TIME,
    "txn_type": "term:txn_type", "match_status": "term:match_status",
    "is_approved": YES_NO, "is_bank_due": YES_NO, "is_this_payout": YES_NO,
}

# The fields an auditor reads first on each side; the rest go in an expander.
TERMINAL_KEYS = ("amount", "txn_time", "txn_type", "is_approved", "resp_code", "match_status",
                 "terminal_id", "batch_no", "trace_no", "rrn", "order_no")
SETTLEMENT_KEYS = ("gross_amount", "fee_amount", "net_amount", "settlement_date", "txn_time",
                   "match_status", "acquirer", "terminal_id", "trace_no", "rrn", "order_no")
BANK_KEYS = ("net_amount", "payout_amount", "credited_on", "payout_due_by",
             "deposit_difference", "bank_covered_through", "merchant_id", "acquirer")

# Columns of the related-lines and bank-lines tables, money and status before the long ids.
RELATED_COLUMNS = ("role", "txn_time", "txn_type", "amount", "match_status", "terminal_id",
                   "trace_no", "rrn", "settlement_date", "journal_line_id",
                   "settlement_line_id")
SETTLEMENT_LINE_COLUMNS = ("settlement_date", "txn_type", "gross_amount", "fee_amount",
                           "net_amount", "match_status", "txn_time", "acquirer", "trace_no",
                           "rrn", "settlement_line_id", "journal_line_id")
BANK_LINE_COLUMNS = ("is_this_payout", "txn_date", "txn_time", "credit_amount",
                     "debit_amount", "summary", "counterparty_name", "memo", "serial_no",
                     "line_no", "bank_line_id")


def value_text(field: str, value: object, lang: str, t: Translate) -> str:
    """One field's value as it reads on screen."""
    kind = FIELD_KINDS.get(field, TEXT)
    if display.is_nothing(value):
        return display.NOTHING
    if kind == AMOUNT:
        return display.amount(value)
    if kind == TIME:
        return display.local_time(value, display.merchant_zone())
    if kind == YES_NO:
        return t("exf.yes") if bool(value) else t("exf.no")
    if kind.startswith("term:"):
        return display.term(lang, kind.removeprefix("term:"), value)
    return str(value)


def key_fields(row: Row, fields: Sequence[str], lang: str, t: Translate
               ) -> list[tuple[str, str]]:
    """(label, value) for the fields of ``fields`` the row has, in that order."""
    return [(t(f"exf.field.{f}"), value_text(f, row.get(f), lang, t)) for f in fields
            if f in row]


def shown_frame(df: pd.DataFrame, columns: Sequence[str], lang: str, t: Translate
                ) -> pd.DataFrame:
    """A table for reading: the chosen columns (those present), each value as it reads."""
    present = [c for c in columns if c in df.columns]
    return pd.DataFrame({c: [value_text(c, v, lang, t) for v in df[c]] for c in present})


def with_roles(lines: pd.DataFrame, exc: Row, t: Translate) -> pd.DataFrame:
    """The related journal lines with what each one is to the exception."""
    own, related = exc.get("journal_line_id"), exc.get("related_journal_line_id")
    kind = str(exc.get("exception_type"))

    def role(line_id: object) -> str:
        if line_id == own:
            return t("exf.role.this")
        if line_id == related:
            return t(f"exf.role.{kind}")
        return display.NOTHING

    return lines.assign(role=[role(i) for i in lines["journal_line_id"]])


def bank_day(exc: Row, journal: Row | None, settlement: Row | None
             ) -> tuple[str, date] | None:
    """The merchant number and settlement day whose payout the exception's money travels in:
    the exception's own for the deposit types, else its settlement line's, else the day the
    journal line was due to settle."""
    candidates: list[tuple[object, object]] = []
    if exc.get("exception_type") in ("MISSING_DEPOSIT", "DEPOSIT_MISMATCH"):
        candidates.append((exc.get("merchant_id"), exc.get("business_date")))
    if settlement is not None:
        candidates.append((settlement.get("merchant_id"), settlement.get("settlement_date")))
    if journal is not None:
        candidates.append((journal.get("settled_merchant_id"), journal.get("settlement_date")))
        candidates.append((journal.get("settlement_merchant_id"),
                           journal.get("expected_settlement_date")))
    for merchant, day in candidates:
        if not display.is_nothing(merchant) and not display.is_nothing(day):
            return str(merchant), _as_date(day)
    return None


def bank_window(day: date, payouts: pd.DataFrame) -> tuple[date, date]:
    """From the settlement day to the last day its payout was due (the day itself when the
    warehouse has no deposit check for it)."""
    due = payouts["payout_due_by"].dropna() if "payout_due_by" in payouts else pd.Series()
    return day, max([day, *(_as_date(d) for d in due)])


def nearby_days(business_date: object, reach: int = 1) -> tuple[date, date]:
    """The business days searched first for an exception's related lines: a duplicate's first
    charge, a void or a reversal falls on the same day or the one beside it (across midnight),
    and reading a few days' row groups is what keeps a large journal fast."""
    day = _as_date(business_date)
    return day - timedelta(days=reach), day + timedelta(days=reach)


def spanning(days: tuple[date, date], times: Sequence[object]) -> tuple[date, date]:
    """``days`` widened to the business days of ``times`` (the related lines' local times):
    a settlement line carries its journal line's business date."""
    dates = [_as_date(v) for v in times if not display.is_nothing(v)]
    return min([days[0], *dates]), max([days[1], *dates])


def lacks(found: pd.DataFrame, column: str, wanted: Sequence[object]) -> bool:
    """Whether some wanted id (blanks aside) is not in ``found[column]``: then the search goes
    on over every day."""
    ids = {str(w) for w in wanted if not display.is_nothing(w)}
    have = set(found[column].astype(str)) if column in found else set()
    return not ids <= have


def timeline_window(exc: Row, times: Sequence[object]) -> tuple[datetime, datetime] | None:
    """The terminal's events to show: from the start of the exception's business day (a
    failed sign-in earlier that day counts as evidence) or the earliest related line, to an
    hour after the latest of them."""
    stamps = [pd.Timestamp(v if isinstance(v, datetime | str) else str(v))
              for v in [exc.get("txn_time"), *times] if not display.is_nothing(v)]
    if not stamps:
        return None
    day = exc.get("business_date")
    start = min(stamps) - timedelta(minutes=30)
    if not display.is_nothing(day):
        start = min(start, pd.Timestamp(_as_date(day)))
    end = max(stamps) + timedelta(hours=1)
    return start.to_pydatetime(), end.to_pydatetime()


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return pd.Timestamp(str(value)).date()
