"""The case pages' logic without Streamlit: offered actions, filters, amounts, reporters."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from posaudit.cases import lifecycle, roles, sla
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


def test_the_work_queue_puts_breaches_first_then_exposure_times_age() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    now = datetime(2026, 10, 11, 12, 0)
    rows = [  # case, state, kind, amount, since (business date, report time or UTC opening)
        ("C-old-small", "INVESTIGATING", "ONE_SIDED", "10.00", "2026-10-01"),
        ("C-new-large", "OPEN", "ONE_SIDED", "5000.00", "2026-10-10"),
        ("C-mid", "OPEN", "ONE_SIDED", "100.00", "2026-10-09 12:00:00"),
        ("C-breached", "OPEN", "DUPLICATE_CHARGE", "1.00", "2026-10-07"),
        ("C-refunded", "REFUNDED", "ONE_SIDED", "9000.00", "2026-10-02"),
        ("C-closed", "CLOSED", "ONE_SIDED", "9999.00", "2026-09-01"),
        ("C-utc", "OPEN", None, "100.00", "2026-10-10T16:00:00.000+00:00"),
    ]
    cases = pd.DataFrame([{"case_id": c, "state": s, "kind": k, "assignee": None, "amount": a,
                           "currency": "CNY", "opened_at": "2026-10-11T00:00:00+00:00",
                           "title": c, "exception_id": None, "report_id": None, "since": since}
                          for c, s, k, a, since in rows], columns=list(casework.LIST_COLUMNS))
    policy = sla.parse({"sla": {"days": {"OPEN": 3, "INVESTIGATING": 20},
                                "kinds": {"DUPLICATE_CHARGE": {"OPEN": 1}}}}, "test")
    queue = casework.work_queue(cases, policy, now, zone)
    assert list(queue["case_id"]) == ["C-breached", "C-new-large", "C-mid", "C-old-small",
                                      "C-utc", "C-refunded", "C-closed"]
    by_id = queue.set_index("case_id")
    assert by_id.loc["C-new-large", "priority"] == 5000.00 * 1.5  # 1.5 days since its date
    assert by_id.loc["C-mid", "age_days"] == 2.0  # from the report's time, not the opening
    assert by_id.loc["C-utc", "age_days"] == 0.5  # 00:00 in Shanghai, from UTC 16:00
    assert by_id.loc["C-breached", "sla_status"] == sla.BREACHED
    assert by_id.loc["C-breached", "sla_due"] == datetime(2026, 10, 8)
    assert by_id.loc["C-mid", "sla_status"] == sla.DUE_SOON  # due 2026-10-12 12:00
    assert by_id.loc["C-old-small", "sla_status"] == sla.ON_TIME
    assert by_id.loc["C-closed", "sla_status"] == sla.NO_SLA

    view = casework.queue_view(queue, "zh", zone)
    first = view.iloc[0]
    assert list(view.columns[:5]) == ["priority", "case_id", "state", "sla_status", "sla_due"]
    assert (first["sla_status"], first["sla_due"], first["assignee"]) == (
        "已超时", "2026-10-08", "—")
    assert view.set_index("case_id").loc["C-new-large", "priority"] == "7,500"
    assert view.set_index("case_id").loc["C-new-large", "amount"] == "5,000.00"
    # Left as stored: the table converts it to the merchant's zone, once.
    assert view.set_index("case_id").loc["C-new-large", "opened_at"] == "2026-10-11T00:00:00+00:00"


def test_my_cases_and_closed_cases() -> None:
    cases = pd.DataFrame([
        {"case_id": "C-1", "state": "INVESTIGATING", "assignee": "olga"},
        {"case_id": "C-2", "state": "CLOSED", "assignee": "olga"},
        {"case_id": "C-3", "state": "OPEN", "assignee": None},
    ], columns=list(casework.LIST_COLUMNS))

    def ids(**wanted: Any) -> list[str]:
        return list(casework.filter_cases(cases, casework.CaseFilter(**wanted))["case_id"])

    assert ids(mine="olga") == ["C-1", "C-2"]
    assert ids(mine="olga", include_closed=False) == ["C-1"]
    assert ids(include_closed=False) == ["C-1", "C-3"]
    assert ids(include_closed=False, states=("CLOSED",)) == ["C-2"]  # asked for by name
