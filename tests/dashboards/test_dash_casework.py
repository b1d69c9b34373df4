"""The case pages' logic without Streamlit: offered actions, filters, amounts, reporters."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd

from posaudit.cases import lifecycle, roles
from posaudit.dashboards import casework, reporting
from posaudit.dashboards.auth import ANONYMOUS, PASSWORD, Identity


def test_actions_follow_the_state_and_the_role() -> None:
    offered = casework.allowed_actions
    assert offered("OPEN", roles.OPERATOR, proposal_pending=False) == ["assign", "comment"]
    assert offered("INVESTIGATING", roles.OPERATOR, proposal_pending=True) == [
        "assign", "comment", "freeze_funds", "notify_customer", "record_refund",
        "record_recovery", "propose_write_off"]  # an operator never approves
    assert "approve_write_off" not in offered("FUNDS_FROZEN", roles.APPROVER,
                                              proposal_pending=False)
    assert "approve_write_off" in offered("FUNDS_FROZEN", roles.APPROVER, proposal_pending=True)
    assert offered("REFUNDED", roles.ADMIN, proposal_pending=False) == [
        "comment", "notify_customer", "close"]
    assert offered("CLOSED", roles.APPROVER, proposal_pending=False) == ["comment"]
    assert offered("OPEN", roles.AUDITOR, proposal_pending=False) == []
    assert casework.bulk_actions(roles.AUDITOR) == []
    assert casework.bulk_actions(roles.OPERATOR) == list(casework.BULK_ACTIONS)


def test_filters_combine() -> None:
    cases = pd.DataFrame([
        {"case_id": "C-1", "state": "OPEN", "kind": "DUPLICATE_CHARGE", "assignee": None,
         "title": "DUPLICATE_CHARGE T1 000001", "exception_id": "e1", "report_id": None},
        {"case_id": "C-2", "state": "INVESTIGATING", "kind": "DUPLICATE_CHARGE",
         "assignee": "olga", "title": "DUPLICATE_CHARGE T2 000002", "exception_id": "e2",
         "report_id": None},
        {"case_id": "C-3", "state": "OPEN", "kind": "其他", "assignee": None,
         "title": "REPORT 其他 T1 999999", "exception_id": None, "report_id": "R-9"},
    ], columns=list(casework.LIST_COLUMNS))

    def ids(**wanted: Any) -> list[str]:
        return list(casework.filter_cases(cases, casework.CaseFilter(**wanted))["case_id"])

    assert ids() == ["C-1", "C-2", "C-3"]
    assert ids(states=("OPEN",)) == ["C-1", "C-3"]
    assert ids(assignee=casework.UNASSIGNED) == ["C-1", "C-3"]
    assert ids(assignee="olga") == ["C-2"]
    assert ids(kind="DUPLICATE_CHARGE", states=("OPEN",)) == ["C-1"]
    assert ids(text=" t1 ") == ["C-1", "C-3"]
    assert ids(text="r-9") == ["C-3"]
    assert casework.choices(cases, "assignee") == ["olga"]


def test_typed_amounts() -> None:
    assert reporting.parse_amount("¥1,052.45") == Decimal("1052.45")
    assert reporting.parse_amount(" 88.50 元") == Decimal("88.50")
    assert reporting.parse_amount("abc").is_nan()
    assert reporting.parse_amount("").is_nan()


def test_who_reports_and_who_opens_the_case() -> None:
    assert reporting.reporter(ANONYMOUS, " 王丽 ") == ("王丽", lifecycle.SYSTEM)
    olga = Identity("olga", roles.OPERATOR, PASSWORD)
    assert reporting.reporter(olga, "ignored") == ("olga", lifecycle.Actor("olga", "operator"))
    # An auditor reports under their own name; the system opens the case for them.
    aud = Identity("aud", roles.AUDITOR, PASSWORD)
    assert reporting.reporter(aud, "") == ("aud", lifecycle.SYSTEM)
