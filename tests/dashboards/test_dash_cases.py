"""The Cases page and the case history of the Exceptions page, through AppTest on a case store
of their own: actions land in the trail, refusals are shown, bulk actions report each case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from posaudit.cases import lifecycle
from posaudit.dashboards import casework, display
from tests.helpers.dashboard_app import PAGES, case_store, metrics

pytestmark = pytest.mark.slow


def open_cases(root: Path, kind: str) -> list[str]:
    cases = casework.load_cases(case_store(root))
    return list(cases[(cases["kind"] == kind) & (cases["state"] == "OPEN")]["case_id"])


def show_case(at: AppTest, case_id: str) -> AppTest:
    at.text_input(key="case_f_text").input(case_id).run()
    return at.selectbox(key="case_pick").set_value(case_id).run()


def act(at: AppTest, action: str, **inputs: str) -> AppTest:
    at.selectbox(key="case_action").set_value(action).run()
    for key, value in inputs.items():
        widget = at.text_area(key=f"case_{key}") if key == "reason" else \
            at.text_input(key=f"case_{key}")
        widget.input(value)
    return at.button(key="case_apply").click().run()


def listed(at: AppTest) -> list[str]:
    """The case ids of the list as shown."""
    frame = next((d.value for d in at.dataframe if "kind" in d.value.columns), None)
    return [] if frame is None else sorted(frame["case_id"])


def trail(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in reversed(at.dataframe) if "from_state" in d.value.columns)


def test_an_action_is_recorded_in_the_trail(make_case_app: Callable[..., AppTest],
                                            case_warehouse: Path) -> None:
    case_id = open_cases(case_warehouse, "AMOUNT_MISMATCH")[0]
    at = show_case(make_case_app(user="olga"), case_id)
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="case_action").options == ["Assign / start investigating",
                                                       "Comment"]
    act(at, "assign", assignee="alice", reason="acquirer query sent")
    assert not at.exception
    assert [s.value for s in at.success] == [
        "Recorded in the trail: Assign / start investigating, Open → Investigating."]
    last = trail(at).iloc[-1]
    # Codes read as terms; the codes stay beside them.
    assert (last["actor"], last["action_code"], last["from_state_code"], last["to_state_code"],
            last["reason"]) == ("olga", "assign", "OPEN", "INVESTIGATING", "acquirer query sent")
    assert (last["action"], last["to_state"]) == ("Assign / start investigating", "Investigating")
    case = lifecycle.get_case(case_store(case_warehouse), case_id)
    assert case is not None and (case["state"], case["assignee"]) == ("INVESTIGATING", "alice")
    assert at.query_params["case"] == case_id
    # The state moved on, and with it the offered actions.
    assert "Freeze funds" in at.selectbox(key="case_action").options


def test_a_refused_action_is_shown_and_changes_nothing(
        make_case_app: Callable[..., AppTest], case_warehouse: Path) -> None:
    store = case_store(case_warehouse)
    case_id = open_cases(case_warehouse, "VOID_SETTLED")[0]
    lifecycle.act(store, case_id, "assign", lifecycle.Actor("olga", "operator"))
    at = show_case(make_case_app(user="olga"), case_id)
    before = len(lifecycle.case_trail(store, case_id))

    act(at, "record_refund", amount="12.30")  # no voucher
    assert [e.value for e in at.error] == [
        "Refused: a reference (the refund or recovery voucher) is required"]
    act(at, "record_refund", amount="twelve", reference="RF-1")
    assert any("is not a number" in e.value for e in at.error)

    # Someone else froze the funds meanwhile: the freeze offered on screen is now refused.
    at.selectbox(key="case_action").set_value("freeze_funds").run()
    lifecycle.act(store, case_id, "freeze_funds", lifecycle.Actor("bob", "approver"))
    at.button(key="case_apply").click().run()
    assert [e.value for e in at.error] == ["Refused: allowed only in INVESTIGATING"]
    assert len(lifecycle.case_trail(store, case_id)) == before + 1  # only bob's freeze
    assert not at.exception


def test_bulk_actions_act_on_every_listed_case_and_list_the_refusals(
        make_case_app: Callable[..., AppTest], case_warehouse: Path) -> None:
    store = case_store(case_warehouse)
    targets = open_cases(case_warehouse, "ONE_SIDED")
    assert len(targets) >= 3
    at = make_case_app(user="olga")
    at.selectbox(key="case_f_kind").set_value("ONE_SIDED").run()
    at.multiselect(key="case_f_state").select("OPEN").run()
    assert at.query_params["ckind"] == "ONE_SIDED" and at.query_params["cstate"] == "OPEN"
    assert listed(at) == sorted(targets)

    at.selectbox(key="bulk_action").set_value("assign").run()
    at.text_area(key="bulk_reason").input("batch from the morning review")
    assert at.button(key="bulk_apply").disabled  # not before it is confirmed
    at.checkbox(key="bulk_confirm").check().run()
    at.button(key="bulk_apply").click().run()
    assert not at.exception, [e.value for e in at.exception]
    n = len(targets)
    assert [s.value for s in at.success] == [
        f"Assign / start investigating: done on {n} of {n} cases."]
    for case_id in targets:
        rows = lifecycle.case_trail(store, case_id)
        assert (rows[-1]["action"], rows[-1]["actor"], rows[-1]["to_state"],
                rows[-1]["reason"]) == ("assign", "olga", "INVESTIGATING",
                                        "batch from the morning review")

    # The same cases, now investigating: closing them is refused case by case, with why.
    at.multiselect(key="case_f_state").unselect("OPEN").select("INVESTIGATING").run()
    at.selectbox(key="bulk_action").set_value("close").run()
    at.checkbox(key="bulk_confirm").check().run()
    at.button(key="bulk_apply").click().run()
    assert [w.value for w in at.warning] == [f"Close: done on 0 of {n} cases."]
    refused = at.dataframe[-1].value
    assert sorted(refused["case_id"]) == sorted(targets)
    assert set(refused["reason"]) == {"allowed only in REFUNDED, RECOVERED, WRITTEN_OFF"}


def test_filters_narrow_the_list(make_case_app: Callable[..., AppTest],
                                 case_warehouse: Path) -> None:
    all_cases = casework.load_cases(case_store(case_warehouse))
    one = all_cases[all_cases["kind"] == "DUPLICATE_CHARGE"].iloc[0]
    at = make_case_app(user="aud")
    at.text_input(key="case_f_text").input(str(one["exception_id"])).run()
    assert listed(at) == [one["case_id"]]
    assert at.query_params["q"] == one["exception_id"]
    at.text_input(key="case_f_text").input("").run()
    at.selectbox(key="case_f_assignee").set_value(casework.UNASSIGNED).run()
    assert listed(at) == sorted(all_cases[all_cases["assignee"].isna()]["case_id"])


def test_the_exceptions_page_shows_the_live_case_and_opens_it(
        make_case_app: Callable[..., AppTest], case_warehouse: Path) -> None:
    store = case_store(case_warehouse)
    cases = casework.load_cases(store)
    case = cases[cases["kind"] == "AMOUNT_MISMATCH"].iloc[0]
    lifecycle.act(store, case["case_id"], "assign", lifecycle.Actor("olga", "operator"),
                  reason="checking the acquirer file")
    at = make_case_app("exceptions", user="aud", exception=case["exception_id"])
    assert not at.exception, [e.value for e in at.exception]
    assert any(f"Case {case['case_id']}: Investigating, assignee olga" in m.value
               for m in at.markdown)
    history = next(d.value for d in at.dataframe if "from_state" in d.value.columns)
    assert list(history["action_code"]) == ["open", "assign"]
    assert history.iloc[-1]["reason"] == "checking the acquirer file"
    at.button(key="exc_open_case").click().run()
    assert not at.exception
    assert at.title[0].value == PAGES["cases"][1]
    assert at.selectbox(key="case_pick").value == case["case_id"]
    at.button(key="case_open_exception").click().run()  # and back to the exception
    assert at.title[0].value == PAGES["exceptions"][1]
    assert at.selectbox(key="exc_pick").value == case["exception_id"]


def queue_shown(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "sla_status" in d.value.columns)


def test_the_list_is_a_work_queue(make_case_app: Callable[..., AppTest],
                                  case_warehouse: Path) -> None:
    store = case_store(case_warehouse)
    olga = lifecycle.Actor("olga", "operator")
    mine = open_cases(case_warehouse, "ONE_SIDED")[:2]
    for case_id in mine:
        lifecycle.act(store, case_id, "assign", olga)
    closed = open_cases(case_warehouse, "AMOUNT_MISMATCH")[0]
    lifecycle.act(store, closed, "assign", olga)
    lifecycle.act(store, closed, "record_recovery", olga, amount="1.00", reference="RC-1")
    lifecycle.act(store, closed, "close", olga)

    at = make_case_app(user="olga")
    assert not at.exception, [e.value for e in at.exception]
    shown = queue_shown(at)
    # What a worker sorts by and acts on first; identifiers after the business columns.
    assert list(shown.columns[:6]) == ["priority", "state", "sla_status", "sla_due", "assignee",
                                       "amount"]
    assert list(shown.columns[-3:]) == ["case_id", "exception_id", "report_id"]
    assert closed not in set(shown["case_id"])  # closed cases only on request
    breached = list(shown["sla_status"] == "Breached")
    assert breached == sorted(breached, reverse=True)  # every breach before the rest
    # Within the open breaches: exposure × age, largest first — not the opening second.
    working = shown[(shown["sla_status"] == "Breached") & shown["state"].isin(
        ["Open", "Investigating", "Funds frozen"])]
    scores = [int(p.replace(",", "")) for p in working["priority"]]
    assert len(scores) > 10 and scores == sorted(scores, reverse=True)
    # The priority counts from the exception's business date.
    top = casework.load_cases(store).set_index("case_id").loc[working.iloc[0]["case_id"]]
    started = datetime.fromisoformat(str(top["since"]))
    age = (datetime.now(display.merchant_zone()).replace(tzinfo=None) - started).days
    assert abs(scores[0] - float(top["amount"]) * age) <= float(top["amount"]) * 1.01

    at.toggle(key="case_f_mine").set_value(True).run()
    assert listed(at) == sorted(mine)
    assert set(queue_shown(at)["assignee"]) == {"olga"}
    assert at.query_params["mine"] == "1"
    at.toggle(key="case_f_mine").set_value(False).run()
    at.toggle(key="case_f_closed").set_value(True).run()
    assert queue_shown(at).iloc[-1]["case_id"] == closed  # closed ones last

    # One case: its priority, age and SLA beside its state.
    show_case(at, str(working.iloc[0]["case_id"]))
    facts = metrics(at)
    # (it grows as the case ages, between two runs too)
    assert abs(int(facts["Priority"].replace(",", "")) - scores[0]) <= scores[0] / 1000
    assert facts["SLA"] == "Breached"
    assert facts["SLA due (Asia/Shanghai)"] == working.iloc[0]["sla_due"]
    # The list converts the store's UTC stamp once, as the detail does.
    opened = pd.Timestamp(working.iloc[0]["opened_at"]).floor("s")
    assert facts["Opened (Asia/Shanghai)"] == str(opened)
