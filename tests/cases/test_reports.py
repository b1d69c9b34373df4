"""The report form's side of the case store: validation of every field, submission (report,
case and trail in one transaction), idempotency, and the terminals a snapshot knows."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from posaudit.cases import lifecycle as lc
from posaudit.cases import trail
from posaudit.cases.reports import (
    ReportInput,
    ReportInvalid,
    get_report,
    known_terminals,
    submit_report,
    validate_report,
)
from posaudit.cases.store import Store
from posaudit.pipeline.warehouse import Warehouse
from tests.helpers.cli import Built

Who = Callable[[str], lc.Actor]
NOW = datetime(2026, 10, 8, 12, 0, 0)  # local Beijing time
TERMINALS = frozenset({"33181265", "30924384"})


def report(**changes: Any) -> ReportInput:
    base = ReportInput(
        reporter_name="王丽", reporter_role="收银员", merchant_id="560290054115226",
        terminal_id="33181265", txn_time=datetime(2026, 10, 1, 11, 42, 25), trace_no="373030",
        rrn="627450756658", amount=Decimal("52.45"), error_type="重复扣款",
        description="顾客反映同一笔消费被扣款两次", evidence_ref="IMG_20261001_114225.jpg")
    return dataclasses.replace(base, **changes)


def test_a_complete_report_is_valid() -> None:
    assert validate_report(report(), TERMINALS, NOW) == {}
    # Optional fields may stay empty; a zone-aware time is read as local time.
    sparse = report(reporter_role=None, merchant_id=None, trace_no=None, rrn="",
                    evidence_ref=None, txn_time=datetime(2026, 10, 8, 3, 59, tzinfo=UTC))
    assert validate_report(sparse, TERMINALS, NOW) == {}


@pytest.mark.parametrize("changes,field,words", [
    ({"reporter_name": "  "}, "reporter_name", "your name"),
    ({"error_type": ""}, "error_type", "what kind of error"),
    ({"description": " "}, "description", "describe"),
    ({"description": "x" * 4001}, "description", "4000 characters"),
    ({"terminal_id": ""}, "terminal_id", "terminal number"),
    ({"terminal_id": "99999999"}, "terminal_id", "99999999 is not a known terminal"),
    ({"amount": Decimal("0")}, "amount", "greater than 0"),
    ({"amount": Decimal("-5.00")}, "amount", "greater than 0"),
    ({"amount": Decimal("1.005")}, "amount", "two decimal places"),
    ({"amount": Decimal("NaN")}, "amount", "amount in yuan"),
    ({"amount": Decimal("1e20")}, "amount", "too large"),
    ({"txn_time": NOW + timedelta(minutes=1)}, "txn_time", "in the future"),
    # 12:30 in Beijing is 04:30 UTC: after NOW (12:00 local) although 04:30 < 12:00.
    ({"txn_time": datetime(2026, 10, 8, 4, 30, tzinfo=UTC)}, "txn_time", "future"),
    ({"trace_no": "37303"}, "trace_no", "6 digits"),
    ({"rrn": "6274507566"}, "rrn", "12 letters or digits"),
    ({"merchant_id": "5602900"}, "merchant_id", "15 letters or digits"),
    ({"currency": "yuan"}, "currency", "three-letter code"),
])
def test_each_field_is_checked(changes: dict[str, Any], field: str, words: str) -> None:
    errors = validate_report(report(**changes), TERMINALS, NOW)
    assert list(errors) == [field]
    assert words in errors[field]


def test_every_problem_is_reported_at_once() -> None:
    bad = report(reporter_name="", description="", error_type="", terminal_id="nope",
                 amount=Decimal("-1"), txn_time=NOW + timedelta(days=1))
    assert set(validate_report(bad, TERMINALS, NOW)) == {
        "reporter_name", "description", "error_type", "terminal_id", "amount", "txn_time"}


def test_no_known_terminals_says_why() -> None:
    errors = validate_report(report(), set(), NOW)
    assert "not been refreshed" in errors["terminal_id"]


def test_submit_stores_the_report_and_opens_its_case(store: Store, who: Who) -> None:
    card_in_text = report(description="卡号 6228480402564890018 扣了两次")
    report_id, case_id = submit_report(store, card_in_text, who("olga"),
                                       known_terminals=TERMINALS, now=NOW)
    stored = get_report(store, report_id)
    assert stored is not None
    assert stored["source"] == "form" and stored["case_id"] == case_id
    assert stored["reporter"] == "olga" and stored["reporter_name"] == "王丽"
    assert stored["reported_at"] == "2026-10-08 12:00:00"
    assert stored["txn_time"] == "2026-10-01 11:42:25" and stored["amount"] == "52.45"
    # A card number typed into the description is never stored whole.
    assert "6228480402564890018" not in stored["description"]
    assert "622848*********0018" in stored["description"]
    case = lc.get_case(store, case_id)
    assert case is not None
    assert case["state"] == lc.OPEN and case["report_id"] == report_id
    assert case["exception_id"] is None and case["amount"] == "52.45"
    (opened,) = lc.case_trail(store, case_id)
    assert opened["action"] == "open" and opened["actor"] == "olga"
    assert opened["reason"] == "reported by 王丽 (收银员)"
    assert '"reporter_name": "王丽"' in opened["payload"]
    assert trail.verify(store) == []


def test_an_invalid_report_stores_nothing(store: Store, who: Who) -> None:
    with pytest.raises(ReportInvalid) as caught:
        submit_report(store, report(amount=Decimal("0"), terminal_id="nope"), who("olga"),
                      known_terminals=TERMINALS, now=NOW)
    assert set(caught.value.errors) == {"amount", "terminal_id"}
    assert lc.list_cases(store) == []
    with store.read() as conn:
        assert conn.execute("select count(*) from reports").fetchone()[0] == 0


def test_submission_is_idempotent_per_source_and_report_id(store: Store, who: Who) -> None:
    first = submit_report(store, report(), who("olga"), known_terminals=TERMINALS, now=NOW,
                          report_id="FORM-7")
    again = submit_report(store, report(), who("oscar"), known_terminals=TERMINALS, now=NOW,
                          report_id="FORM-7")
    assert again == first and len(lc.list_cases(store)) == 1
    # The same id from another source is another report: refused, not merged.
    with pytest.raises(ReportInvalid) as caught:
        submit_report(store, report(), who("olga"), known_terminals=TERMINALS, now=NOW,
                      source="file:reports/x.csv:2", report_id="FORM-7")
    assert "already filed (form)" in caught.value.errors["report_id"]
    # Without an id every submission is a new report.
    other, _ = submit_report(store, report(), who("olga"), known_terminals=TERMINALS, now=NOW)
    assert other.startswith("R-") and other != "FORM-7"


def test_an_auditor_may_not_file_a_report(store: Store, who: Who) -> None:
    with pytest.raises(lc.ActionRefused, match="aud is auditor"):
        submit_report(store, report(), who("aud"), known_terminals=TERMINALS, now=NOW)


def test_reports_are_kept_as_filed(store: Store, who: Who) -> None:
    report_id, _ = submit_report(store, report(), who("olga"), known_terminals=TERMINALS,
                                 now=NOW)
    with store.write() as conn, pytest.raises(sqlite3.IntegrityError, match="kept as filed"):
        conn.execute("update reports set amount = '1.00' where report_id = ?", (report_id,))
    with store.write() as conn, pytest.raises(sqlite3.IntegrityError, match="kept as filed"):
        conn.execute("delete from reports where report_id = ?", (report_id,))


@pytest.mark.slow
def test_known_terminals_are_the_snapshot_terminals(built: Built) -> None:
    snapshot = Warehouse.at(built.warehouse).current_snapshot()
    terminals = known_terminals(snapshot)
    with duckdb.connect(str(snapshot), read_only=True) as con:
        journal = {r[0] for r in con.execute(
            "select distinct terminal_id from fct_transactions").fetchall()}
    register = (built.landing / "reference" / "terminals.csv").read_text().splitlines()[1:]
    assert journal <= terminals
    assert {line.split(",")[0] for line in register} <= terminals
    assert "99999999" not in terminals
