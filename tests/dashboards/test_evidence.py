"""The evidence in plain words (dashboards.evidence) and the exception file's layout rules
(dashboards.exception_file), on hand-made rows."""

from __future__ import annotations

import json
import re
from datetime import date, datetime

import pandas as pd
import pytest

from posaudit.dashboards import display, evidence, i18n
from posaudit.dashboards import exception_file as exfile


def t_en(key: str, **values: object) -> str:
    return i18n.t("en", key, **values)


def fault_evidence(met: bool) -> dict[str, object]:
    return {"rule": "a fault nearby means a system fault", "condition": "fault_nearby",
            "condition_met": met,
            "events": ["ERROR 2026-10-01 10:05:30", "OFFLINE 2026-10-01 10:06:00"] if met else [],
            "detail": "earlier sale T1/000101 at 10:00:00"}


def test_the_evidence_reads_from_json_text_or_a_mapping() -> None:
    raw = fault_evidence(True)
    assert evidence.parse(json.dumps(raw)) == raw
    assert evidence.parse(raw) == raw
    assert evidence.parse("not json") is None
    assert evidence.parse("[1, 2]") is None
    assert evidence.parse(None) is None


def test_events_split_into_type_and_time() -> None:
    assert evidence.events(fault_evidence(True)) == [
        evidence.Event("ERROR", "2026-10-01 10:05:30"),
        evidence.Event("OFFLINE", "2026-10-01 10:06:00")]
    assert evidence.events({"events": None}) == []


@pytest.mark.parametrize("lang, met, words", [
    ("en", True, "The terminal logged a fault close to the transaction"),
    ("en", False, "The terminal logged no fault close to the transaction"),
    ("zh", True, "终端在交易前后记录了故障"),
    ("zh", False, "终端在交易前后没有记录故障"),
])
def test_a_fault_nearby_reads_as_a_sentence_with_its_events(lang: str, met: bool,
                                                            words: str) -> None:
    cause = "SYSTEM_FAULT" if met else "OPERATOR_ERROR"
    text = evidence.cause_sentence(fault_evidence(met), exception_type="DUPLICATE_CHARGE",
                                   root_cause=cause, lang=lang)
    assert words in text
    assert display.term(lang, "root_cause", cause) in text
    if met:  # each event as its glossary term with its time
        for kind, at in (("ERROR", "10:05:30"), ("OFFLINE", "10:06:00")):
            assert display.term(lang, "event_type", kind) in text and f"2026-10-01 {at}" in text
    else:
        assert "2026-10-01" not in text


@pytest.mark.parametrize("lang, met, words", [
    ("en", True, "failed to sign in earlier the same business day"),
    ("en", False, "did not fail to sign in earlier that business day"),
    ("zh", True, "同一业务日较早时签到失败"),
    ("zh", False, "没有签到失败"),
])
def test_a_sign_in_failure_earlier_that_day_reads_as_a_sentence(lang: str, met: bool,
                                                                words: str) -> None:
    found = {"condition": "sign_in_failed_earlier_same_day", "condition_met": met,
             "events": ["SIGN_IN_FAILED 2026-10-01 08:00:00"] if met else []}
    text = evidence.cause_sentence(found, exception_type="MISSING_IN_SETTLEMENT",
                                   root_cause="SYSTEM_FAULT", lang=lang)
    assert words in text
    assert ("2026-10-01 08:00:00" in text) is met


def test_always_no_rule_and_an_unknown_condition_each_have_a_sentence() -> None:
    always = evidence.cause_sentence({"condition": "always", "condition_met": True},
                                     exception_type="VOID_SETTLED",
                                     root_cause="ACQUIRER_OR_BANK", lang="en")
    assert always.startswith("Every ") and "whatever the terminal logged" in always
    assert "一律归因于" in evidence.cause_sentence(
        {"condition": "always"}, exception_type="VOID_SETTLED", root_cause="ACQUIRER_OR_BANK",
        lang="zh")
    assert "No rule covers" in evidence.cause_sentence(
        {"condition": None}, exception_type="X", root_cause="UNKNOWN", lang="en")
    assert "new_condition" in evidence.cause_sentence(
        {"condition": "new_condition"}, exception_type="X", root_cause="UNKNOWN", lang="en")


def test_every_sentence_key_is_in_both_locales() -> None:
    # t() falls back to the key itself: a key missing from the files would show as a key.
    keys = {"exf.evidence.always", "exf.evidence.no_rule", "exf.evidence.other",
            "exf.evidence.event", "exf.evidence.separator",
            *(f"exf.evidence.{c}.{m}" for c in evidence.CONDITIONS if c != "always"
              for m in ("met", "not_met"))}
    for kind in SAMPLES:
        keys.add(f"exf.detail.{kind}")
    for labels in (i18n.EN, i18n.ZH):
        assert sorted(keys - labels.keys()) == []


JOURNAL = {"amount": 100.0, "settled_gross_amount": -90.0, "expected_settlement_date":
           date(2026, 10, 2), "settlement_date": date(2026, 10, 4), "days_late": 2,
           "acquirer": "LAKALA", "voided_at": datetime(2026, 10, 1, 12, 5), "resp_code": None,
           "is_reversed": True, "orig_rrn": "000000000777"}
SETTLEMENT = {"fee_amount": 2.54, "expected_fee_amount": 0.46, "contract_rate": 0.0055,
              "line_no": 32, "txn_type": "SALE", "gross_amount": 35.0}
RELATED = {"terminal_id": "T1", "trace_no": "000101", "txn_time": datetime(2026, 10, 1, 10, 0),
           "amount": 177.0}
DEPOSIT = {"payout_amount": 3149.44, "net_amount": 3163.73, "settlement_date": date(2026, 10, 6),
           "credited_on": None, "bank_covered_through": date(2026, 10, 10)}
# Each type, and a figure its sentence must carry.
SAMPLES = {
    "DUPLICATE_CHARGE": "000101", "AMOUNT_MISMATCH": "90.00", "LATE_SETTLEMENT": "2026-10-04",
    "MISSING_IN_SETTLEMENT": "2026-10-02", "VOID_SETTLED": "2026-10-01 12:05:00",
    "ONE_SIDED": "2026-10-04", "REFUND_EXCEEDS_ORIGINAL": "177.00", "FEE_MISMATCH": "0.550 %",
    "UNMATCHED_SETTLEMENT": "35.00", "DEPOSIT_MISMATCH": "3,149.44",
    "MISSING_DEPOSIT": "3,163.73",
}


@pytest.mark.parametrize("kind", list(SAMPLES))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_type_has_a_detail_sentence_in_both_languages(kind: str, lang: str) -> None:
    text = evidence.detail_sentence({"exception_type": kind, "exposure_amount": 8.85}, lang,
                                    journal=JOURNAL, settlement=SETTLEMENT, related=RELATED,
                                    deposit=DEPOSIT)
    assert text is not None and SAMPLES[kind] in text
    if lang == "zh":  # nothing English but ids and codes the glossary turns into terms
        words = set(re.findall(r"[A-Za-z_]{2,}", text)) - {"LAKALA", "SALE", "T"}
        assert words == set(), text


def test_a_detail_needs_its_figures() -> None:
    dup = {"exception_type": "DUPLICATE_CHARGE"}
    assert evidence.detail_sentence(dup, "en") is None
    assert "T1" in (evidence.detail_sentence(dup, "en", related=RELATED) or "")
    assert evidence.detail_sentence({"exception_type": "MISSING_DEPOSIT"}, "en") is None
    assert evidence.detail_sentence({"exception_type": "NEW_TYPE"}, "en", journal=JOURNAL) is None


def test_the_detail_says_how_a_deposit_and_a_refund_stand() -> None:
    missing = {"exception_type": "MISSING_DEPOSIT"}
    assert "no payout deposited" in (evidence.detail_sentence(missing, "en", deposit=DEPOSIT)
                                     or "")
    late = {**DEPOSIT, "credited_on": date(2026, 10, 9)}
    assert "deposited late, on 2026-10-09" in (
        evidence.detail_sentence(missing, "en", deposit=late) or "")
    refund = {"exception_type": "REFUND_EXCEEDS_ORIGINAL", "exposure_amount": 8.85}
    assert "No original sale with reference number 000000000777" in (
        evidence.detail_sentence(refund, "en", journal=JOURNAL) or "")
    one_sided = evidence.detail_sentence({"exception_type": "ONE_SIDED"}, "en", journal=JOURNAL)
    assert one_sided is not None and "no response and sent a reversal" in one_sided


def test_fields_read_as_amounts_times_terms_and_yes_no() -> None:
    row = {"amount": 1234.5, "txn_time": pd.Timestamp("2026-10-01 10:00:00"),
           "is_approved": True, "trace_no": "000101", "rrn": None, "missing": 1}
    assert exfile.key_fields(row, ("amount", "txn_time", "is_approved", "trace_no", "rrn",
                                   "order_no"), "en", t_en) == [
        ("Amount (CNY)", "1,234.50"), ("Time", "2026-10-01 10:00:00"), ("Approved", "yes"),
        ("Trace number", "000101"), ("Reference number (RRN)", display.NOTHING)]
    assert exfile.value_text("match_status", "MATCHED", "zh", t_en) == display.term(
        "zh", "match_status", "MATCHED")


def test_related_lines_are_named_by_their_role() -> None:
    lines = pd.DataFrame({"journal_line_id": ["A", "B", "C"]})
    exc = {"exception_type": "DUPLICATE_CHARGE", "journal_line_id": "B",
           "related_journal_line_id": "A"}
    assert list(exfile.with_roles(lines, exc, t_en)["role"]) == [
        "First charge", "This exception", display.NOTHING]


def test_the_bank_day_is_the_deposits_own_else_the_settlement_lines_else_the_due_day() -> None:
    deposit = {"exception_type": "MISSING_DEPOSIT", "merchant_id": "M9",
               "business_date": pd.Timestamp("2026-10-06")}
    assert exfile.bank_day(deposit, None, None) == ("M9", date(2026, 10, 6))
    txn = {"exception_type": "AMOUNT_MISMATCH", "merchant_id": "M1"}
    line = {"merchant_id": "M2", "settlement_date": date(2026, 10, 3)}
    journal = {"settled_merchant_id": None, "settlement_date": None,
               "settlement_merchant_id": "M3", "expected_settlement_date": date(2026, 10, 2)}
    assert exfile.bank_day(txn, journal, line) == ("M2", date(2026, 10, 3))
    assert exfile.bank_day(txn, journal, None) == ("M3", date(2026, 10, 2))
    assert exfile.bank_day(txn, None, None) is None


def test_the_bank_window_runs_to_the_payout_due_day() -> None:
    due = pd.DataFrame({"payout_due_by": [pd.Timestamp("2026-10-07")]})
    assert exfile.bank_window(date(2026, 10, 6), due) == (date(2026, 10, 6), date(2026, 10, 7))
    assert exfile.bank_window(date(2026, 10, 6), pd.DataFrame()) == (date(2026, 10, 6),
                                                                     date(2026, 10, 6))


def test_the_timeline_runs_from_the_start_of_the_day_to_an_hour_after_the_last_line() -> None:
    exc = {"txn_time": pd.Timestamp("2026-10-02 10:00:00"),
           "business_date": pd.Timestamp("2026-10-02")}
    start, end = exfile.timeline_window(exc, [pd.Timestamp("2026-10-02 09:55:00")]) or (None,
                                                                                        None)
    assert (start, end) == (datetime(2026, 10, 2), datetime(2026, 10, 2, 11))
    # An original sale days before pulls the window back to it.
    start, _ = exfile.timeline_window(exc, [datetime(2026, 9, 28, 12, 0)]) or (None, None)
    assert start == datetime(2026, 9, 28, 11, 30)
    assert exfile.timeline_window({"txn_time": None}, []) is None
