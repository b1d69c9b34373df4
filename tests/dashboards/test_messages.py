"""The messages the report checks and the case store give, in the page's language: every one
they can give has its Chinese text (none falls through in English)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from posaudit.cases import lifecycle, roles
from posaudit.cases.lifecycle import Actor
from posaudit.cases.reports import MAX_AMOUNT, ReportInput, validate_report
from posaudit.cases.store import Store
from posaudit.dashboards import casework, messages
from tests.helpers.visible_text import english_words

NOW = datetime(2026, 10, 5, 12, 0)


def _report(**changes: object) -> ReportInput:
    base: dict[str, object] = dict(
        reporter_name="王芳", reporter_role=None, merchant_id=None, terminal_id="T0001",
        txn_time=datetime(2026, 10, 1, 11, 42), trace_no=None, rrn=None,
        amount=Decimal("52.45"), error_type="DUPLICATE_CHARGE", description="重复扣款",
        evidence_ref=None)
    # The fields differ in type; the test varies them by name.
    return ReportInput(**{**base, **changes})  # type: ignore[arg-type]  # mixed field types


def _report_messages() -> list[str]:
    bad = [_report(reporter_name=" ", error_type="", description=""),
           _report(description="x" * 5000), _report(terminal_id=""),
           _report(terminal_id="T9999"), _report(amount=Decimal("NaN")),
           _report(amount=Decimal("0")), _report(amount=Decimal("1.234")),
           _report(amount=MAX_AMOUNT * 10), _report(txn_time=datetime(2027, 1, 1)),
           _report(txn_time=None), _report(trace_no="12", rrn="x", merchant_id="1"),
           _report(currency="yuan")]
    out = [m for r in bad for m in validate_report(r, {"T0001"}, NOW).values()]
    out += validate_report(_report(), set(), NOW).values()
    return out


def _case_messages(tmp_path: Path) -> list[str]:
    store = Store.at(tmp_path)
    alice, bob = Actor("alice", roles.APPROVER), Actor("aud", roles.AUDITOR)
    case = lifecycle.open_case(store, alice, title="t", amount="10")
    tries = [(case, "close", alice, {}), (case, "comment", bob, {"reason": "x"}),
             (case, "comment", alice, {}), ("C-NONE", "comment", alice, {"reason": "x"})]
    out = [casework.act_once(store, c, a, who, **kw).message for c, a, who, kw in tries]
    lifecycle.act(store, case, "assign", alice)
    for action, kw in (("record_refund", {"reference": "R1"}), ("record_refund",
                                                                {"amount": "5"}),
                       ("approve_write_off", {}), ("record_refund", {"amount": "abc"})):
        out.append(casework.act_once(store, case, action, alice, **kw).message)
    lifecycle.act(store, case, "propose_write_off", alice, amount="5", reason="r")
    out.append(casework.act_once(store, case, "approve_write_off", alice).message)
    return out


def test_every_report_and_case_message_has_its_chinese_text(tmp_path: Path) -> None:
    said = [*_report_messages(), *_case_messages(tmp_path)]
    assert len(set(said)) >= 25
    untranslated = {m: messages.localize("zh", m) for m in said
                    if english_words(messages.localize("zh", m), ["alice", "aud", "abc"])}
    assert untranslated == {}
    assert messages.localize("en", "Terminal T9 is not a known terminal.") == \
        "Terminal T9 is not a known terminal."


def test_codes_inside_a_message_read_as_terms() -> None:
    assert messages.localize("zh", "aud is auditor, who may not comment") == \
        "aud 的角色为审计员，不能执行“备注”。"
    assert messages.localize("zh", "allowed only in INVESTIGATING, FUNDS_FROZEN") == \
        "仅在以下状态下可执行：调查中、资金已冻结。"
    assert messages.localize("zh", "Terminal T9 is not a known terminal.") == \
        "终端 T9 不是已知终端。"


def test_a_message_not_known_reads_as_it_came() -> None:
    assert messages.localize("zh", "Something new went wrong") == "Something new went wrong"
