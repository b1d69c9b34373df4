"""Acceptance: a duplicate charge worked through the dashboard from OPEN to CLOSED by an
operator and an approver, a write-off its proposer cannot approve, and — after the next
refresh — the refund counted as recovered in mart_loss_assessment."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from posaudit.cases import lifecycle, roles, trail
from posaudit.pipeline.warehouse import Warehouse
from tests.helpers.cli import Built, run_cli
from tests.helpers.dashboard_app import (
    APP,
    PAGES,
    case_store,
    duplicate_charge_cases,
    login,
    release_connections,
)

pytestmark = pytest.mark.slow


def app(root: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("POSAUDIT_WAREHOUSE", str(root))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    return at.switch_page(PAGES["cases"][0]).run()


def as_user(at: AppTest, name: str) -> AppTest:
    if any(b.key == "auth_logout" for b in at.button):
        at.button(key="auth_logout").click().run()
    login(at, name)
    assert any(f"Logged in as {name}" in c.value for c in at.caption)
    return at


def show(at: AppTest, case_id: str) -> AppTest:
    at.text_input(key="case_f_text").input(case_id).run()
    return at.selectbox(key="case_pick").set_value(case_id).run()


def act(at: AppTest, action: str, **inputs: str) -> str:
    """Take an action through the form; returns what the page said (success or refusal)."""
    at.selectbox(key="case_action").set_value(action).run()
    for key, value in inputs.items():
        (at.text_area if key == "reason" else at.text_input)(key=f"case_{key}").input(value)
    at.button(key="case_apply").click().run()
    assert not at.exception, [e.value for e in at.exception]
    said = [s.value for s in at.success] + [e.value for e in at.error]
    assert len(said) == 1, said
    return said[0]


def offered(at: AppTest) -> list[str]:
    box = [s for s in at.selectbox if s.key == "case_action"]
    return list(box[0].options) if box else []


def refund_through_the_dashboard(at: AppTest, case_id: str, amount: Decimal) -> None:
    as_user(at, "olga")
    show(at, case_id)
    assert act(at, "assign", reason="customer complaint at the till") == \
        "Recorded in the trail: Assign / start investigating, Open → Investigating."
    assert act(at, "freeze_funds", reason="hold the second charge") == \
        "Recorded in the trail: Freeze funds, Investigating → Funds frozen."
    assert act(at, "notify_customer") == \
        "Recorded in the trail: Customer told (the case stays Funds frozen)."
    assert act(at, "record_refund", amount=str(amount), reference="RF-20261005-01") == \
        "Recorded in the trail: Record refund, Funds frozen → Refunded."
    assert "Approve write-off" not in offered(at)
    as_user(at, "alice")
    show(at, case_id)
    assert act(at, "close", reason="refund confirmed on the statement") == \
        "Recorded in the trail: Close, Refunded → Closed."


def write_off_through_the_dashboard(at: AppTest, case_id: str, amount: Decimal) -> None:
    as_user(at, "alice")
    show(at, case_id)
    act(at, "assign")
    assert act(at, "propose_write_off", amount=str(amount),
               reason="customer unreachable for 90 days") == \
        "Recorded in the trail: Propose write-off (the case stays Investigating)."
    assert any("awaits a second person's approval" in i.value for i in at.info)
    assert act(at, "approve_write_off") == \
        "Refused: alice proposed this write-off; a second person must approve it"
    as_user(at, "olga")
    show(at, case_id)
    assert "Approve write-off" not in offered(at)  # an operator may not approve at all
    as_user(at, "bob")
    show(at, case_id)
    assert act(at, "approve_write_off") == \
        "Recorded in the trail: Approve write-off, Investigating → Written off."


def test_a_duplicate_charge_is_refunded_and_closed_through_the_dashboard(
        case_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (case_id, _, exposure), = duplicate_charge_cases(case_warehouse, 1)
    at = app(case_warehouse, monkeypatch)
    refund_through_the_dashboard(at, case_id, exposure)
    store = case_store(case_warehouse)
    rows = lifecycle.case_trail(store, case_id)
    assert [(r["action"], r["actor"], r["from_state"], r["to_state"]) for r in rows] == [
        ("open", roles.SYSTEM_ACTOR, None, "OPEN"),
        ("assign", "olga", "OPEN", "INVESTIGATING"),
        ("freeze_funds", "olga", "INVESTIGATING", "FUNDS_FROZEN"),
        ("notify_customer", "olga", "FUNDS_FROZEN", "FUNDS_FROZEN"),
        ("record_refund", "olga", "FUNDS_FROZEN", "REFUNDED"),
        ("close", "alice", "REFUNDED", "CLOSED"),
    ]
    assert Decimal(rows[4]["amount"]) == exposure and rows[4]["reference"] == "RF-20261005-01"
    assert not trail.verify(store)
    shown = next(d.value for d in reversed(at.dataframe) if "from_state" in d.value.columns)
    assert list(shown["action_code"]) == [r["action"] for r in rows]  # beside their terms


def test_a_write_off_approved_by_its_proposer_is_refused(
        case_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (case_id, _, exposure), = duplicate_charge_cases(case_warehouse, 1)
    at = app(case_warehouse, monkeypatch)
    write_off_through_the_dashboard(at, case_id, exposure)
    case = lifecycle.get_case(case_store(case_warehouse), case_id)
    assert case is not None and case["state"] == lifecycle.WRITTEN_OFF
    approvals = [r for r in lifecycle.case_trail(case_store(case_warehouse), case_id)
                 if r["action"] == "approve_write_off"]
    assert [(r["actor"], Decimal(r["amount"])) for r in approvals] == [("bob", exposure)]


@pytest.fixture
def writable_warehouse(built: Built, users_template: Path, tmp_path: Path) -> Path:
    """A full copy of the session's warehouse that a refresh may write to."""
    root = tmp_path / "warehouse"
    shutil.copytree(built.warehouse, root, symlinks=True)
    shutil.copy(users_template, roles.users_path(root))
    return root


def loss(root: Path) -> dict[str, Decimal]:
    release_connections()
    snap = Warehouse.at(root).current_snapshot()
    with duckdb.connect(str(snap), read_only=True) as con:
        row = con.execute(
            "select sum(exposure_amount), sum(recovered_amount), sum(written_off_amount), "
            "sum(net_loss) from mart_loss_assessment "
            "where exception_type = 'DUPLICATE_CHARGE'").fetchone()
    assert row is not None
    return dict(zip(("exposure", "recovered", "written_off", "net_loss"), row, strict=True))


def test_the_next_refresh_counts_the_refund_as_recovered(
        writable_warehouse: Path, built: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    refunded, written_off = duplicate_charge_cases(writable_warehouse, 2)
    before = loss(writable_warehouse)
    at = app(writable_warehouse, monkeypatch)
    refund_through_the_dashboard(at, refunded[0], refunded[2])
    write_off_through_the_dashboard(at, written_off[0], written_off[2])
    release_connections()

    run_cli("refresh", "--landing", str(built.landing), "--warehouse",
            str(writable_warehouse), check=True)
    after = loss(writable_warehouse)
    assert after["exposure"] == before["exposure"]
    assert after["recovered"] - before["recovered"] == refunded[2]
    assert after["written_off"] - before["written_off"] == written_off[2]
    assert before["net_loss"] - after["net_loss"] == refunded[2] + written_off[2]
    # Still the same cases: the refresh's sync opened none twice.
    case = lifecycle.get_case(case_store(writable_warehouse), refunded[0])
    assert case is not None and case["state"] == lifecycle.CLOSED
