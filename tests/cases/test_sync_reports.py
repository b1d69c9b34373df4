"""The sync's joining rules on a small real snapshot file (a DuckDB database with the two marts
the sync reads): file reports stored once, an unlinked report stays an open case of its own,
a report and its exception end up in one case whichever comes first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from posaudit.cases import lifecycle as lc
from posaudit.cases import roles, trail
from posaudit.cases.reports import Filing, ReportInput, Transaction, get_report, submit_report
from posaudit.cases.reports import file_report as file_form_report
from posaudit.cases.store import Store
from posaudit.cases.sync import sync

Who = Callable[[str], lc.Actor]

EXCEPTIONS_DDL = """
create table fct_exceptions (
    exception_id varchar, exception_type varchar, merchant_id varchar, terminal_id varchar,
    trace_no varchar, order_no varchar, business_date date, amount decimal(18, 2),
    exposure_amount decimal(18, 2), exposure_direction varchar, root_cause varchar)
"""
REPORTS_DDL = """
create table fct_error_reports (
    report_id varchar, source varchar, source_kind varchar, reported_at timestamp,
    reporter_name varchar, reporter_role varchar, merchant_id varchar, terminal_id varchar,
    txn_time timestamp, trace_no varchar, rrn varchar, amount decimal(18, 2), currency varchar,
    error_type varchar, description varchar, evidence_ref varchar, link_status varchar,
    exception_id varchar, journal_line_id varchar)
"""


def exception(exception_id: str, trace_no: str) -> dict[str, Any]:
    return {"exception_id": exception_id, "exception_type": "DUPLICATE_CHARGE",
            "merchant_id": "560290054115226", "terminal_id": "33181265", "trace_no": trace_no,
            "order_no": None, "business_date": "2026-10-01", "amount": Decimal("52.45"),
            "exposure_amount": Decimal("52.45"), "exposure_direction": "CUSTOMER_OVERCHARGED",
            "root_cause": "OPERATOR_ERROR"}


def file_report(report_id: str, line: int, exception_id: str | None) -> dict[str, Any]:
    return {"report_id": report_id, "source": f"file:reports/er.csv:{line}",
            "source_kind": "FILE", "reported_at": datetime(2026, 10, 2, 9, 0),
            "reporter_name": "李强", "reporter_role": "店长", "merchant_id": "560290054115226",
            "terminal_id": "33181265", "txn_time": datetime(2026, 10, 1, 11, 42, 25),
            "trace_no": "373030", "rrn": None, "amount": Decimal("52.45"), "currency": "CNY",
            "error_type": "重复扣款", "description": "扣款两次", "evidence_ref": None,
            "link_status": "LINKED_EXCEPTION" if exception_id else "UNLINKED",
            "exception_id": exception_id, "journal_line_id": "J1" if exception_id else None}


def form_row(report_id: str, exception_id: str | None) -> dict[str, Any]:
    return {**file_report(report_id, 0, exception_id), "source": "form", "source_kind": "FORM"}


@pytest.fixture
def snapshot(tmp_path: Path) -> Callable[..., Path]:
    """A snapshot file holding the given exceptions and reports; each call a new file."""
    count = iter(range(1000))

    def make(exceptions: list[dict[str, Any]], reports: list[dict[str, Any]]) -> Path:
        path = tmp_path / f"snap{next(count)}.duckdb"
        with duckdb.connect(str(path)) as con:
            for ddl, table, rows in ((EXCEPTIONS_DDL, "fct_exceptions", exceptions),
                                     (REPORTS_DDL, "fct_error_reports", reports)):
                con.execute(ddl)
                for row in rows:
                    cols = list(row)
                    con.execute(f"insert into {table} ({', '.join(cols)}) values "
                                f"({', '.join('?' for _ in cols)})", list(row.values()))
        return path

    return make


def form_input() -> ReportInput:
    return ReportInput(reporter_name="王丽", reporter_role=None, merchant_id=None,
                       terminal_id="33181265", txn_time=datetime(2026, 10, 1, 11, 42),
                       trace_no="373030", rrn=None, amount=Decimal("52.45"),
                       error_type="重复扣款", description="扣款两次", evidence_ref=None)


def actions(store: Store, case_id: str) -> list[str]:
    return [r["action"] for r in lc.case_trail(store, case_id)]


def test_file_reports_are_stored_once(store: Store, snapshot: Callable[..., Path]) -> None:
    snap = snapshot([exception("E1", "373030")],
                    [file_report("ER-1", 2, "E1"), file_report("ER-2", 3, None)])
    first = sync(store, snap)
    assert len(first.reports_stored) == 2 and len(first.opened) == 2
    again = sync(store, snap)
    assert (again.opened, again.reports_stored, again.linked) == ([], [], [])
    # A later file repeating a report id (a renamed correction) adds nothing either.
    renamed = snapshot([exception("E1", "373030")], [file_report("ER-1", 9, "E1")])
    assert sync(store, renamed).reports_stored == []
    stored = get_report(store, "ER-1")
    assert stored is not None and stored["source"] == "file:reports/er.csv:2"
    assert stored["reporter"] == "posaudit" and stored["reporter_name"] == "李强"
    assert trail.verify(store) == []


def test_an_unlinked_report_stays_an_open_case(store: Store,
                                               snapshot: Callable[..., Path]) -> None:
    result = sync(store, snapshot([], [file_report("ER-9", 2, None)]))
    (case_id,) = result.opened
    case = lc.get_case(store, case_id)
    assert case is not None
    assert case["state"] == lc.OPEN and case["report_id"] == "ER-9"
    assert case["exception_id"] is None and case["title"].startswith("REPORT 重复扣款")
    assert actions(store, case_id) == ["open"]


def test_a_file_report_joins_its_exceptions_case(store: Store,
                                                 snapshot: Callable[..., Path]) -> None:
    result = sync(store, snapshot([exception("E1", "373030")], [file_report("ER-1", 2, "E1")]))
    (case_id,) = result.opened  # one case: the exception's, which the report joined
    case = lc.get_case(store, case_id)
    assert case is not None and case["exception_id"] == "E1"
    assert actions(store, case_id) == ["open", "link"]
    link = lc.case_trail(store, case_id)[1]
    assert link["reference"] == "ER-1" and link["actor"] == "posaudit"
    assert link["from_state"] == link["to_state"] == lc.OPEN
    stored = get_report(store, "ER-1")
    assert stored is not None and stored["case_id"] == case_id
    assert trail.verify(store) == []


def test_an_exception_found_later_joins_the_form_reports_case(
        store: Store, who: Who, snapshot: Callable[..., Path]) -> None:
    report_id, case_id = submit_report(store, form_input(), who("olga"),
                                       known_terminals={"33181265"},
                                       now=datetime(2026, 10, 2, 9, 0))
    lc.act(store, case_id, "assign", who("olga"))
    # First refresh: the data do not show the error yet.
    assert sync(store, snapshot([], [form_row(report_id, None)])).opened == []
    # Next refresh: the exception appears, linked to the report.
    result = sync(store, snapshot([exception("E1", "373030")], [form_row(report_id, "E1")]))
    assert result.opened == [] and result.linked == [(case_id, "E1")]
    case = lc.get_case(store, case_id)
    assert case is not None
    assert case["exception_id"] == "E1" and case["state"] == lc.INVESTIGATING
    assert actions(store, case_id) == ["open", "assign", "link"]
    assert len(lc.list_cases(store)) == 1
    assert sync(store, snapshot([exception("E1", "373030")],
                                [form_row(report_id, "E1")])).linked == []
    assert trail.verify(store) == []


def test_a_form_report_after_the_exceptions_case_is_linked_both_ways(
        store: Store, who: Who, snapshot: Callable[..., Path]) -> None:
    (exception_case,) = sync(store, snapshot([exception("E1", "373030")], [])).opened
    report_id, report_case = submit_report(store, form_input(), who("olga"),
                                           known_terminals={"33181265"},
                                           now=datetime(2026, 10, 2, 9, 0))
    snap = snapshot([exception("E1", "373030")], [form_row(report_id, "E1")])
    result = sync(store, snap)
    assert result.opened == []
    assert set(result.linked) == {(exception_case, report_id), (report_case, "E1")}
    # The exception stays with its own case; the report's case only names it.
    case = lc.get_case(store, report_case)
    assert case is not None and case["exception_id"] is None
    assert actions(store, exception_case) == ["open", "link"]
    assert actions(store, report_case) == ["open", "link"]
    assert sync(store, snap).linked == []
    assert trail.verify(store) == []


def test_a_closed_report_case_is_not_reopened_by_its_exception(
        store: Store, who: Who, snapshot: Callable[..., Path]) -> None:
    report_id, report_case = submit_report(store, form_input(), who("olga"),
                                           known_terminals={"33181265"},
                                           now=datetime(2026, 10, 2, 9, 0))
    olga = who("olga")
    lc.act(store, report_case, "assign", olga)
    lc.act(store, report_case, "record_refund", olga, amount="52.45", reference="RF-1")
    lc.act(store, report_case, "close", olga)
    result = sync(store, snapshot([exception("E1", "373030")], [form_row(report_id, "E1")]))
    (exception_case,) = result.opened
    case = lc.get_case(store, report_case)
    assert case is not None and case["exception_id"] is None
    assert set(result.linked) == {(exception_case, report_id), (report_case, "E1")}
    assert trail.verify(store) == []


def test_a_snapshot_without_reports_still_syncs_exceptions(store: Store,
                                                           tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(EXCEPTIONS_DDL)
        row = exception("E1", "373030")
        con.execute(f"insert into fct_exceptions values ({', '.join('?' for _ in row)})",
                    list(row.values()))
    assert len(sync(store, path).opened) == 1


def test_who_may_link(store: Store, who: Who) -> None:
    case_id = lc.open_case(store, lc.SYSTEM, title="ONE_SIDED T1 1", amount="10")
    assert roles.may(roles.SYSTEM, "link") and roles.may(roles.OPERATOR, "link")
    with store.write() as conn, pytest.raises(lc.ActionRefused, match="who may not link"):
        lc.link(conn, case_id, who("aud"), exception_id="E1")
    with store.write() as conn:
        row = lc.link(conn, case_id, who("olga"), exception_id="E1", reason="same voucher")
    assert row["action"] == "link" and row["reference"] == "E1"
    case = lc.get_case(store, case_id)
    assert case is not None and case["exception_id"] == "E1"
    assert trail.verify(store) == []


def write_off(store: Store, who: Who, case_id: str) -> None:
    lc.act(store, case_id, "assign", who("olga"))
    lc.act(store, case_id, "propose_write_off", who("olga"), amount="52.45",
           reason="customer unreachable")
    lc.act(store, case_id, "approve_write_off", who("anna"))


def test_a_file_report_about_a_written_off_transaction_joins_its_case_and_says_so(
        store: Store, who: Who, snapshot: Callable[..., Path]) -> None:
    (case_id,) = sync(store, snapshot([exception("E1", "373030")], [])).opened
    write_off(store, who, case_id)
    result = sync(store, snapshot([exception("E1", "373030")], [file_report("ER-7", 4, "E1")]))
    assert result.opened == []  # no silent second case
    assert result.joined == [("ER-7", case_id, lc.WRITTEN_OFF)]
    assert f"report ER-7 is about a transaction that already has case {case_id} " \
           "(WRITTEN_OFF): it joined that case" in result.summary()
    stored = get_report(store, "ER-7")
    assert stored is not None and stored["case_id"] == case_id
    last = lc.case_trail(store, case_id)[-1]
    assert (last["action"], last["reference"], last["to_state"]) == (
        "link", "ER-7", lc.WRITTEN_OFF)
    assert "WRITTEN_OFF" in last["reason"]
    case = lc.get_case(store, case_id)
    assert case is not None and case["state"] == lc.WRITTEN_OFF
    assert trail.verify(store) == []


def test_a_second_report_on_the_same_transaction_joins_the_first_reports_case(
        store: Store, snapshot: Callable[..., Path]) -> None:
    # No exception on the transaction: the reports are linked to its journal line only.
    first = {**file_report("ER-1", 2, None), "link_status": "LINKED_TRANSACTION",
             "journal_line_id": "J9"}
    (case_id,) = sync(store, snapshot([], [first])).opened
    second = {**file_report("ER-2", 3, None), "link_status": "LINKED_TRANSACTION",
              "journal_line_id": "J9"}
    result = sync(store, snapshot([], [first, second]))
    assert result.opened == [] and result.joined == [("ER-2", case_id, lc.OPEN)]
    stored = get_report(store, "ER-2")
    assert stored is not None and stored["case_id"] == case_id
    assert actions(store, case_id) == ["open", "link"]
    assert trail.verify(store) == []


def test_a_form_report_about_a_case_already_followed_joins_it(
        store: Store, who: Who, snapshot: Callable[..., Path]) -> None:
    (case_id,) = sync(store, snapshot([exception("E1", "373030")], [])).opened
    write_off(store, who, case_id)
    filing = file_report_form(store, who, Transaction(exception_ids=["E1"]))
    assert (filing.case_id, filing.joined_state) == (case_id, lc.WRITTEN_OFF)
    assert len(lc.list_cases(store)) == 1
    # The same form sent again: the same report, still in the same case.
    again = file_report_form(store, who, Transaction(exception_ids=["E1"]),
                             report_id=filing.report_id)
    assert again == filing
    # A report filed since the last refresh (not in the snapshot yet) is found by its keys.
    (other,) = sync(store, snapshot([], [file_report("ER-5", 2, None)])).opened
    other_case = lc.get_case(store, other)
    assert other_case is not None
    by_keys = file_report_form(store, who, Transaction(), terminal="33181266")
    assert not by_keys.joined  # another terminal: a case of its own
    assert file_report_form(store, who, Transaction()).case_id == case_id  # the oldest
    assert trail.verify(store) == []


def file_report_form(store: Store, who: Who, about: Transaction, *, terminal: str = "33181265",
                     report_id: str | None = None) -> Filing:
    report = form_input()
    report = ReportInput(**{**report.__dict__, "terminal_id": terminal})
    return file_form_report(store, report, who("olga"), known_terminals={"33181265", "33181266"},
                            now=datetime(2026, 10, 2, 9, 0), report_id=report_id, about=about)
