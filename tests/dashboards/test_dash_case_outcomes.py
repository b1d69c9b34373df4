"""The case store's outcomes as the loss figures read them, and the version that keys their
cache: every recorded action moves it."""

from __future__ import annotations

from pathlib import Path

from posaudit.cases import lifecycle
from posaudit.cases.store import Store
from posaudit.dashboards import case_outcomes


def test_outcomes_list_the_money_actions_exactly_and_the_version_moves(tmp_path: Path) -> None:
    assert case_outcomes.version(None) == 0
    assert list(case_outcomes.outcomes(None).columns) == list(case_outcomes.COLUMNS)
    store = Store.at(tmp_path)
    alice, bob = lifecycle.Actor("alice", "approver"), lifecycle.Actor("bob", "approver")
    case = lifecycle.open_case(store, alice, title="dup", exception_id="E1", amount="10.10")
    lifecycle.open_case(store, alice, title="report only")  # no exception: not a loss figure
    seen = [case_outcomes.version(store)]
    for action, amount in (("assign", None), ("propose_write_off", "3.30"),
                           ("approve_write_off", None)):
        actor = bob if action == "approve_write_off" else alice
        lifecycle.act(store, case, action, actor, amount=amount, reason="r")
        seen.append(case_outcomes.version(store))
    assert seen == sorted(set(seen)), "each action moves the version"
    rows = case_outcomes.outcomes(store).to_dict("records")
    assert rows == [{"exception_id": "E1", "case_state": "WRITTEN_OFF",
                     "action": "approve_write_off", "amount": "3.30"}]
