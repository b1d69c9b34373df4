"""Every allowed transition, refusals with their reasons, maker-checker, roles."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from posaudit.cases import lifecycle as lc
from posaudit.cases import trail
from posaudit.cases.store import Store

Who = Callable[[str], lc.Actor]


def _state(store: Store, case_id: str) -> str:
    case = lc.get_case(store, case_id)
    assert case is not None
    return str(case["state"])


def test_refund_path_through_every_state(store: Store, who: Who,
                                         new_case: Callable[[], str]) -> None:
    case = new_case()
    olga = who("olga")
    assert _state(store, case) == lc.OPEN
    lc.act(store, case, "assign", olga, assignee="olga")
    assert _state(store, case) == lc.INVESTIGATING
    stored = lc.get_case(store, case)
    assert stored is not None and stored["assignee"] == "olga"
    lc.act(store, case, "comment", olga, reason="customer called the store")
    lc.act(store, case, "freeze_funds", olga)
    assert _state(store, case) == lc.FUNDS_FROZEN
    lc.act(store, case, "notify_customer", olga)
    lc.act(store, case, "record_refund", olga, amount="88.50", reference="RF-1")
    assert _state(store, case) == lc.REFUNDED
    lc.act(store, case, "notify_customer", olga)
    lc.act(store, case, "close", olga)
    assert _state(store, case) == lc.CLOSED
    lc.act(store, case, "comment", who("root"), reason="reviewed")
    rows = lc.case_trail(store, case)
    assert [r["action"] for r in rows] == [
        "open", "assign", "comment", "freeze_funds", "notify_customer", "record_refund",
        "notify_customer", "close", "comment"]
    assert rows[5]["amount"] == "88.50" and rows[5]["reference"] == "RF-1"
    assert all(r["actor"] and r["at"] for r in rows)
    assert trail.verify(store) == []


@pytest.mark.parametrize("frozen", [False, True])
@pytest.mark.parametrize("action,target", [("record_refund", lc.REFUNDED),
                                           ("record_recovery", lc.RECOVERED)])
def test_resolution_from_investigating_or_frozen(store: Store, who: Who,
                                                  new_case: Callable[[], str], frozen: bool,
                                                  action: str, target: str) -> None:
    case = new_case()
    olga = who("olga")
    lc.act(store, case, "assign", olga)
    if frozen:
        lc.act(store, case, "freeze_funds", olga)
    lc.act(store, case, action, olga, amount="10", reference="V-9")
    assert _state(store, case) == target
    lc.act(store, case, "close", olga)
    assert _state(store, case) == lc.CLOSED


def test_write_off_needs_a_second_approver(store: Store, who: Who,
                                           new_case: Callable[[], str]) -> None:
    case = new_case()
    lc.act(store, case, "assign", who("anna"))
    lc.act(store, case, "propose_write_off", who("anna"), amount="88.50",
           reason="customer unreachable for 90 days")
    assert _state(store, case) == lc.INVESTIGATING

    with pytest.raises(lc.ActionRefused, match="anna proposed this write-off"):
        lc.act(store, case, "approve_write_off", who("anna"))
    with pytest.raises(lc.ActionRefused, match="oscar is operator, who may not "
                                               "approve_write_off"):
        lc.act(store, case, "approve_write_off", who("oscar"))
    assert _state(store, case) == lc.INVESTIGATING

    row = lc.act(store, case, "approve_write_off", who("abel"))
    assert row["to_state"] == lc.WRITTEN_OFF and row["amount"] == "88.50"
    lc.act(store, case, "close", who("olga"))
    assert _state(store, case) == lc.CLOSED
    assert trail.verify(store) == []


def test_admin_may_approve_and_proposal_lapses_on_state_change(
        store: Store, who: Who, new_case: Callable[[], str]) -> None:
    case = new_case()
    olga = who("olga")
    lc.act(store, case, "assign", olga)
    lc.act(store, case, "propose_write_off", olga, amount="5", reason="small")
    lc.act(store, case, "freeze_funds", olga)  # a state change: the proposal lapses
    with pytest.raises(lc.ActionRefused, match="no write-off has been proposed"):
        lc.act(store, case, "approve_write_off", who("root"))
    lc.act(store, case, "propose_write_off", olga, amount="5", reason="small")
    lc.act(store, case, "approve_write_off", who("root"))
    assert _state(store, case) == lc.WRITTEN_OFF


def test_refusals_name_case_action_state_and_why(store: Store, who: Who,
                                                 new_case: Callable[[], str]) -> None:
    case = new_case()
    olga = who("olga")
    with pytest.raises(lc.ActionRefused) as refused:
        lc.act(store, case, "freeze_funds", olga)
    message = str(refused.value)
    assert case in message and "freeze_funds" in message and "state OPEN" in message
    assert "allowed only in INVESTIGATING" in message

    with pytest.raises(lc.ActionRefused, match=r"state OPEN.*allowed only in REFUNDED"):
        lc.act(store, case, "close", olga)
    with pytest.raises(lc.ActionRefused, match="aud is auditor, who may not assign"):
        lc.act(store, case, "assign", who("aud"))
    lc.act(store, case, "assign", olga)
    with pytest.raises(lc.ActionRefused, match="amount greater than 0"):
        lc.act(store, case, "record_refund", olga, amount="0", reference="R")
    with pytest.raises(lc.ActionRefused, match="amount greater than 0"):
        lc.act(store, case, "record_refund", olga, reference="R")
    with pytest.raises(lc.ActionRefused, match="reference"):
        lc.act(store, case, "record_refund", olga, amount="3")
    with pytest.raises(lc.ActionRefused, match="a reason is required"):
        lc.act(store, case, "propose_write_off", olga, amount="3")
    with pytest.raises(lc.ActionRefused, match="no such case"):
        lc.act(store, "C-NOPE", "comment", olga, reason="x")
    with pytest.raises(lc.ActionRefused, match="unknown action"):
        lc.act(store, case, "delete", olga)
    with pytest.raises(ValueError, match="not a number"):
        lc.act(store, case, "record_refund", olga, amount="abc", reference="R")
    lc.act(store, case, "record_refund", olga, amount="3", reference="R")
    with pytest.raises(lc.ActionRefused, match="state REFUNDED"):
        lc.act(store, case, "record_recovery", olga, amount="3", reference="R")
    lc.act(store, case, "close", olga)
    with pytest.raises(lc.ActionRefused, match="state CLOSED"):
        lc.act(store, case, "assign", olga)
    # Refused actions leave no trace in the trail.
    assert [r["action"] for r in lc.case_trail(store, case)] == [
        "open", "assign", "record_refund", "close"]
    assert _state(store, case) == lc.CLOSED


def test_unknown_actor_is_refused(who: Who) -> None:
    with pytest.raises(ValueError, match="'mallory' is not a user"):
        who("mallory")
