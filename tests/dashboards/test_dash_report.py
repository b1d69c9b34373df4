"""The error report form: every field's problem shown under it, a valid report filed as a
case (by a logged-in user, or by staff without an account where login is optional), the same
form never filed twice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from posaudit.cases import lifecycle
from posaudit.cases.reports import (
    ReportInput,
    get_report,
    known_terminals,
    validate_report,
)
from posaudit.dashboards import auth, casework, queries, reporting
from posaudit.pipeline.warehouse import Warehouse
from tests.helpers.cli import Built
from tests.helpers.dashboard_app import case_store, release_connections

pytestmark = pytest.mark.slow

TEXT = {"name": "rep_name", "role": "rep_role", "merchant": "rep_merchant",
        "terminal": "rep_terminal", "trace": "rep_trace", "rrn": "rep_rrn",
        "amount": "rep_amount", "evidence": "rep_evidence"}


def fill(at: AppTest, *, when: datetime | None = None, kind: str | None = None,
         description: str = "", **fields: str) -> AppTest:
    for name, value in fields.items():
        at.text_input(key=TEXT[name]).input(value)
    if when is not None:
        at.date_input(key="rep_date").set_value(when.date())
        at.time_input(key="rep_time").set_value(when.time())
    if kind is not None:
        at.selectbox(key="rep_type").set_value(kind)
    at.text_area(key="rep_desc").input(description)
    return at.button(key="rep_submit").click().run()


def a_terminal(root: Path) -> str:
    cases = casework.load_cases(case_store(root))
    title = cases[cases["kind"] == "DUPLICATE_CHARGE"].iloc[0]["title"]
    return str(title.split()[1])  # "DUPLICATE_CHARGE <terminal> <trace>"


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def test_every_problem_is_shown_and_nothing_is_filed(
        login_optional: None, make_case_app: Callable[..., AppTest],
        case_warehouse: Path) -> None:
    before = len(casework.load_cases(case_store(case_warehouse)))
    at = make_case_app("report")
    assert not at.exception, [e.value for e in at.exception]
    fill(at, merchant="12345", terminal="NOT-A-TERMINAL", trace="12", rrn="1",
         amount="12.345")
    shown = errors(at)
    expected = validate_report(ReportInput(
        reporter_name="", reporter_role=None, merchant_id="12345",
        terminal_id="NOT-A-TERMINAL", txn_time=datetime(2026, 10, 1), trace_no="12", rrn="1",
        amount=reporting.parse_amount("12.345"), error_type="", description="",
        evidence_ref=None), {"some terminal"}, datetime(2026, 10, 2))
    expected["txn_time"] = "Please give the date and time of the transaction."
    assert set(expected) == {"reporter_name", "merchant_id", "terminal_id", "trace_no", "rrn",
                             "amount", "error_type", "description", "txn_time"}
    assert sorted(shown) == sorted(expected.values())
    assert not at.success
    assert len(casework.load_cases(case_store(case_warehouse))) == before

    # A time in the future and an amount that is no number, each said in its place.
    fill(at, name="王丽", terminal=a_terminal(case_warehouse), trace="123456", rrn="",
         merchant="", amount="abc", kind="OTHER", description="till froze",
         when=reporting.local_now() + timedelta(days=2))
    assert sorted(errors(at)) == sorted(["The transaction time is in the future.",
                                         "Please give the amount in yuan, e.g. 88.50."])


def test_where_login_is_optional_staff_without_an_account_file_a_report(
        login_optional: None, make_case_app: Callable[..., AppTest],
        case_warehouse: Path) -> None:
    terminal = a_terminal(case_warehouse)
    at = make_case_app("report")
    fill(at, name="王丽", role="收银员", terminal=terminal, trace="373030", amount="¥1,052.45",
         evidence="IMG_1.jpg", kind="DUPLICATE_CHARGE", when=datetime(2026, 10, 1, 11, 42),
         description="顾客反映同一笔消费被扣款两次")
    assert not at.exception, [e.value for e in at.exception]
    assert not errors(at)
    report_id, case_id, joined = at.session_state["rep_filed"]
    assert joined is None  # no case followed this transaction yet
    assert at.success[0].value == f"Report {report_id} filed: case {case_id} is open."
    store = case_store(case_warehouse)
    report = get_report(store, report_id)
    assert report is not None
    assert (report["reporter_name"], report["reporter"], report["amount"], report["terminal_id"],
            report["txn_time"], report["case_id"]) == (
        "王丽", "posaudit", "1052.45", terminal, "2026-10-01 11:42:00", case_id)
    first = lifecycle.case_trail(store, case_id)[0]
    assert (first["action"], first["to_state"], first["reason"]) == (
        "open", "OPEN", "reported by 王丽 (收银员)")
    assert at.text_input(key="rep_name").value == ""  # a fresh form for the next report

    at.button(key="rep_open_case").click().run()
    assert at.selectbox(key="case_pick").value == case_id
    assert not at.exception


def test_a_logged_in_user_reports_under_their_own_name(
        make_case_app: Callable[..., AppTest], case_warehouse: Path) -> None:
    at = make_case_app("report", user="olga")
    assert at.text_input(key="rep_name_fixed").value == "olga"
    assert at.text_input(key="rep_name_fixed").disabled
    fill(at, terminal=a_terminal(case_warehouse), amount="8.80", kind="ONE_SIDED",
         when=datetime(2026, 10, 2, 9, 5), description="customer paid, till says timeout")
    assert not errors(at), errors(at)
    _, case_id, _ = at.session_state["rep_filed"]
    case = lifecycle.get_case(case_store(case_warehouse), case_id)
    assert case is not None and case["opened_by"] == "olga"


def test_the_same_form_sent_twice_files_one_report(case_warehouse: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSAUDIT_WAREHOUSE", str(case_warehouse))
    values = reporting.FormValues(reporter_name="李强", terminal_id=a_terminal(case_warehouse),
                                  txn_date=date(2026, 10, 1), txn_clock=time(11, 58),
                                  amount="104.87", error_type="ONE_SIDED",
                                  description="timeout at the till")
    def send(form: reporting.FormValues, session: str = "s1") -> reporting.Filed:
        return reporting.file_report(lambda: case_store(case_warehouse), form, auth.ANONYMOUS,
                                     terminals={values.terminal_id}, session_nonce=session,
                                     missing_time="-")

    first, again = send(values), send(values)
    assert first == again and first.case_id and not first.errors
    other = send(replace(values, amount="104.88"))
    elsewhere = send(values, session="s2")
    assert len({first.case_id, other.case_id, elsewhere.case_id}) == 3


def test_the_form_knows_the_same_terminals_as_the_case_store(built: Built) -> None:
    snap = Warehouse.at(built.warehouse).current_snapshot()
    release_connections()
    expected = known_terminals(snap)
    with duckdb.connect(str(snap), read_only=True) as con:
        ours = {str(r[0]) for r in con.execute(queries.KNOWN_TERMINALS).fetchall()}
    assert ours == expected and ours


def written_off_exception(root: Path, snapshot: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """A duplicate charge logged by its terminal, whose case is written off."""
    row = snapshot.execute("""
        select exception_id, terminal_id, trace_no, txn_time, amount from main.fct_exceptions
        where exception_type = 'DUPLICATE_CHARGE' and journal_line_id is not null
          and trace_no is not null and txn_time is not null
        order by exception_id limit 1""").fetchone()
    assert row is not None
    exc = dict(zip(("exception_id", "terminal_id", "trace_no", "txn_time", "amount"), row,
                   strict=True))
    store = case_store(root)
    case = casework.case_for_exception(store, str(exc["exception_id"]))
    assert case is not None
    olga, alice = lifecycle.Actor("olga", "operator"), lifecycle.Actor("alice", "approver")
    lifecycle.act(store, case["case_id"], "assign", olga)
    lifecycle.act(store, case["case_id"], "propose_write_off", olga, amount=exc["amount"],
                  reason="customer cannot be reached")
    lifecycle.act(store, case["case_id"], "approve_write_off", alice)
    return {**exc, "case_id": case["case_id"]}


def test_a_report_about_a_written_off_transaction_warns_and_links_to_its_case(
        make_case_app: Callable[..., AppTest], case_warehouse: Path,
        snapshot: duckdb.DuckDBPyConnection) -> None:
    exc = written_off_exception(case_warehouse, snapshot)
    store = case_store(case_warehouse)
    before = len(casework.load_cases(store))
    at = make_case_app("report", user="olga")
    when = exc["txn_time"]
    assert isinstance(when, datetime)
    fill(at, terminal=str(exc["terminal_id"]), trace=str(exc["trace_no"]),
         amount=str(exc["amount"]), kind="DUPLICATE_CHARGE", when=when.replace(second=0),
         description="charged twice, says the customer")
    assert not at.exception, [e.value for e in at.exception]
    assert not errors(at), errors(at)
    report_id, case_id, joined = at.session_state["rep_filed"]
    assert (case_id, joined) == (exc["case_id"], "WRITTEN_OFF")
    assert [w.value for w in at.warning] == [
        f"Report {report_id} filed. This transaction already has case {case_id} (Written off): "
        "the report joined that case (a row in its trail) instead of opening a second one."]
    assert not at.success
    assert len(casework.load_cases(store)) == before  # no second case
    report = get_report(store, report_id)
    assert report is not None and report["case_id"] == case_id
    last = lifecycle.case_trail(store, case_id)[-1]
    assert (last["action"], last["reference"], last["actor"], last["to_state"]) == (
        "link", report_id, "olga", "WRITTEN_OFF")

    at.button(key="rep_open_case").click().run()
    assert not at.exception
    assert at.selectbox(key="case_pick").value == case_id
