"""An exception's evidence in plain words: the root-cause evidence (rule, condition, whether it
was met, the terminal events it used) and the one-line detail, as sentences in the reader's
language from the locale files.

Plain Python (no Streamlit): the page renders what these functions return.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeGuard

import pandas as pd

from posaudit.dashboards import display, i18n

# Conditions of the root_cause_rules seed that have their own sentences.
CONDITIONS = ("always", "fault_nearby", "sign_in_failed_earlier_same_day")

# A row as the page has it: a frame's row, or any mapping of column to value.
Row: TypeAlias = "Mapping[str, Any] | pd.Series[Any]"


@dataclass(frozen=True)
class Event:
    """A terminal event as the evidence lists it: ``"TYPE yyyy-mm-dd hh:mm:ss"``."""

    kind: str
    at: str


def parse(raw: object) -> dict[str, Any] | None:
    """The evidence object (JSON text or already a mapping); None when it is not one."""
    if isinstance(raw, Mapping):
        return dict(raw)
    if not isinstance(raw, str | bytes):
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def events(evidence: Mapping[str, Any]) -> list[Event]:
    listed = evidence.get("events") or []
    out = []
    for item in listed if isinstance(listed, list) else []:
        kind, _, at = str(item).partition(" ")
        out.append(Event(kind, at.strip()))
    return out


def _tr(lang: str) -> Callable[..., str]:
    return lambda key, **values: i18n.t(lang, key, **values)


def events_text(found: Sequence[Event], lang: str) -> str:
    t = _tr(lang)
    return t("exf.evidence.separator").join(
        t("exf.evidence.event", kind=display.term(lang, "event_type", e.kind), at=e.at)
        for e in found)


def cause_sentence(evidence: Mapping[str, Any], *, exception_type: str, root_cause: str,
                   lang: str) -> str:
    """Why the cause was chosen, in one sentence: the condition, whether it held, the events."""
    t = _tr(lang)
    kind = display.term(lang, "exception_type", exception_type)
    cause = display.term(lang, "root_cause", root_cause)
    condition = evidence.get("condition")
    if condition == "always":
        return t("exf.evidence.always", type=kind, cause=cause)
    if condition in CONDITIONS:
        found = events(evidence)
        if evidence.get("condition_met"):
            return t(f"exf.evidence.{condition}.met", cause=cause,
                     events=events_text(found, lang) or display.NOTHING)
        return t(f"exf.evidence.{condition}.not_met", cause=cause)
    if condition is None:
        return t("exf.evidence.no_rule", type=kind, cause=cause)
    return t("exf.evidence.other", condition=str(condition), cause=cause)


def _has(row: Row | None, *columns: str) -> TypeGuard[Row]:
    return row is not None and all(not display.is_nothing(row.get(c)) for c in columns)


def detail_sentence(exc: Row, lang: str, *, journal: Row | None = None,
                    settlement: Row | None = None, related: Row | None = None,
                    deposit: Row | None = None) -> str | None:
    """The exception's detail line rebuilt from its rows in ``lang``: the journal line, the
    settlement line, the related journal line and the day's deposit check, as the page has
    them. None when a figure it needs is missing (the page then shows the stored line)."""
    t = _tr(lang)
    kind = str(exc.get("exception_type"))
    amount, day = display.amount, _when
    if kind == "DUPLICATE_CHARGE" and _has(related, "trace_no", "txn_time"):
        return t("exf.detail.DUPLICATE_CHARGE", trace=related["trace_no"],
                 terminal=related.get("terminal_id") or display.NOTHING,
                 time=_when(related["txn_time"]))
    if kind == "AMOUNT_MISMATCH" and _has(journal, "amount", "settled_gross_amount"):
        return t("exf.detail.AMOUNT_MISMATCH", amount=amount(journal["amount"]),
                 settled=amount(abs(float(journal["settled_gross_amount"]))))
    if kind == "LATE_SETTLEMENT" and _has(journal, "expected_settlement_date", "settlement_date"):
        return t("exf.detail.LATE_SETTLEMENT", promised=day(journal["expected_settlement_date"]),
                 settled=day(journal["settlement_date"]),
                 days=display.count(journal.get("days_late")))
    if kind == "MISSING_IN_SETTLEMENT" and _has(journal, "expected_settlement_date"):
        return t("exf.detail.MISSING_IN_SETTLEMENT",
                 expected=day(journal["expected_settlement_date"]),
                 acquirer=journal.get("acquirer") or display.NOTHING)
    if kind == "VOID_SETTLED" and _has(journal, "voided_at", "settlement_date"):
        return t("exf.detail.VOID_SETTLED", voided=_when(journal["voided_at"]),
                 settled=day(journal["settlement_date"]))
    if kind == "ONE_SIDED" and _has(journal, "settlement_date"):
        code = journal.get("resp_code")
        seen = (t("exf.detail.response", code=code) if not display.is_nothing(code)
                else t("exf.detail.no_response"))
        if journal.get("is_reversed"):
            seen += t("exf.detail.reversed")
        return t("exf.detail.ONE_SIDED", seen=seen, settled=day(journal["settlement_date"]))
    if kind == "REFUND_EXCEEDS_ORIGINAL" and journal is not None:
        if _has(related, "amount"):
            return t("exf.detail.REFUND_EXCEEDS_ORIGINAL", original=amount(related["amount"]),
                     excess=amount(exc.get("exposure_amount")))
        return t("exf.detail.REFUND_NO_ORIGINAL", rrn=journal.get("orig_rrn") or display.NOTHING)
    if kind == "FEE_MISMATCH" and _has(settlement, "fee_amount", "expected_fee_amount"):
        return t("exf.detail.FEE_MISMATCH", charged=amount(settlement["fee_amount"]),
                 contract=amount(settlement["expected_fee_amount"]),
                 rate=display.rate(settlement.get("contract_rate"), 3))
    if kind == "UNMATCHED_SETTLEMENT" and _has(settlement, "gross_amount"):
        return t("exf.detail.UNMATCHED_SETTLEMENT", line=display.count(settlement.get("line_no")),
                 txn_type=display.term(lang, "txn_type", settlement.get("txn_type")),
                 gross=amount(settlement["gross_amount"]))
    if kind == "DEPOSIT_MISMATCH" and _has(deposit, "payout_amount", "net_amount"):
        return t("exf.detail.DEPOSIT_MISMATCH", paid=amount(deposit["payout_amount"]),
                 net=amount(deposit["net_amount"]))
    if kind == "MISSING_DEPOSIT" and _has(deposit, "net_amount", "settlement_date"):
        late = deposit.get("credited_on")
        payout = (t("exf.detail.paid_late", day=day(late)) if not display.is_nothing(late)
                  else t("exf.detail.no_payout"))
        return t("exf.detail.MISSING_DEPOSIT", net=amount(deposit["net_amount"]),
                 day=day(deposit["settlement_date"]), payout=payout,
                 covered=day(deposit.get("bank_covered_through")))
    return None


def _when(value: object) -> str:
    """A date, or a terminal's local time (the journal's clock: nothing to convert)."""
    return display.local_time(value, display.merchant_zone())
