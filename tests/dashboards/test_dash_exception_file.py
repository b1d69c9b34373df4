"""An exception's file on the Exceptions page, through AppTest on the session's snapshot: the
related transactions, the bank side and the evidence in plain words, each against SQL over the
warehouse."""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from posaudit.dashboards import display, i18n
from tests.helpers.rows import one_row

pytestmark = pytest.mark.slow


def frame_with(at: AppTest, *columns: str) -> pd.DataFrame:
    """The one table on the page that has ``columns``."""
    found = [d.value for d in at.dataframe if set(columns) <= set(d.value.columns)]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def page_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def open_file(make_app: Callable[..., AppTest], exception_id: str, lang: str = "en") -> AppTest:
    at = make_app("exceptions", exception=exception_id, lang=lang)
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="exc_pick").value == exception_id
    return at


def test_a_duplicate_charge_shows_both_charges(make_app: Callable[..., AppTest],
                                               snapshot: duckdb.DuckDBPyConnection) -> None:
    exception_id, later, earlier = one_row(
        snapshot,
        "select exception_id, journal_line_id, related_journal_line_id from fct_exceptions "
        "where exception_type = 'DUPLICATE_CHARGE' order by exception_id limit 1")
    traces = dict(snapshot.execute(
        "select journal_line_id, trace_no from fct_transactions where journal_line_id in (?, ?)",
        [later, earlier]).fetchall())
    assert len(traces) == 2
    related = frame_with(open_file(make_app, exception_id), "role", "journal_line_id")
    rows = {r.journal_line_id: r for r in related.itertuples()}
    assert set(rows) == {later, earlier}
    assert rows[earlier].role == i18n.t("en", "exf.role.DUPLICATE_CHARGE")
    assert rows[later].role == i18n.t("en", "exf.role.this")
    assert {rows[i].trace_no for i in rows} == set(traces.values())


@pytest.mark.parametrize("kind", ["VOID_SETTLED", "REFUND_EXCEEDS_ORIGINAL", "ONE_SIDED"])
def test_the_void_the_original_or_the_reversal_is_a_row(make_app: Callable[..., AppTest],
                                                        snapshot: duckdb.DuckDBPyConnection,
                                                        kind: str) -> None:
    exception_id, related_id, related_type = one_row(
        snapshot,
        "select e.exception_id, e.related_journal_line_id, t.txn_type from fct_exceptions e "
        "join fct_transactions t on t.journal_line_id = e.related_journal_line_id "
        "where e.exception_type = ? order by e.exception_id limit 1", [kind])
    related = frame_with(open_file(make_app, exception_id), "role", "journal_line_id")
    row = related[related["journal_line_id"] == related_id]
    assert list(row["role"]) == [i18n.t("en", f"exf.role.{kind}")]
    assert list(row["txn_type"]) == [display.term("en", "txn_type", related_type)]


def test_a_missing_deposit_shows_the_expected_payout_and_the_bank_lines_of_the_day(
        make_app: Callable[..., AppTest], snapshot: duckdb.DuckDBPyConnection) -> None:
    exception_id, merchant, day, net = one_row(
        snapshot,
        "select exception_id, merchant_id, business_date, amount from fct_exceptions "
        "where exception_type = 'MISSING_DEPOSIT' and recovered_amount = 0 "
        "order by exception_id limit 1")
    # The day's lines of the statements that carry the merchant's payouts, to the due day.
    due = one_row(snapshot, "select payout_due_by from intermediate.int_settlement_deposits_daily "
                            "where merchant_id = ? and settlement_date = ?", [merchant, day])[0]
    expected_lines = {r[0] for r in snapshot.execute(
        "select bank_line_id from staging.stg_bank__statement_lines where txn_date between ? "
        "and ? and file_id in (select file_id from staging.stg_bank__statement_lines "
        "where payout_merchant_id = ?)", [day, due, merchant]).fetchall()}
    assert expected_lines, "the demo's statements hold lines on a missing deposit's days"
    at = open_file(make_app, exception_id)
    text = page_text(at)
    assert (f"{i18n.t('en', 'exf.field.net_amount')}: **{display.amount(net)}**") in text
    assert f"{i18n.t('en', 'exf.field.payout_amount')}: **{display.NOTHING}**" in text
    lines = frame_with(at, "bank_line_id")
    assert set(lines["bank_line_id"]) == expected_lines
    assert set(lines["is_this_payout"]) == {i18n.t("en", "exf.no")}  # no payout came


def test_a_deposit_mismatch_marks_the_payout_among_the_bank_lines(
        make_app: Callable[..., AppTest], snapshot: duckdb.DuckDBPyConnection) -> None:
    exception_id, merchant, day = one_row(
        snapshot,
        "select exception_id, merchant_id, business_date from fct_exceptions "
        "where exception_type = 'DEPOSIT_MISMATCH' order by exception_id limit 1")
    payout_lines = {r[0] for r in snapshot.execute(
        "select bank_line_id from staging.stg_bank__statement_lines "
        "where payout_merchant_id = ? and payout_settlement_date = ?", [merchant, day]).fetchall()}
    lines = frame_with(open_file(make_app, exception_id), "bank_line_id")
    marked = set(lines.loc[lines["is_this_payout"] == i18n.t("en", "exf.yes"), "bank_line_id"])
    assert marked == payout_lines and marked


@pytest.mark.parametrize("lang, words", [
    ("en", "The terminal logged a fault close to the transaction"),
    ("zh", "终端在交易前后记录了故障"),
])
def test_the_evidence_reads_as_a_sentence_with_the_raw_json_kept(
        make_app: Callable[..., AppTest], snapshot: duckdb.DuckDBPyConnection, lang: str,
        words: str) -> None:
    exception_id, first_event = one_row(
        snapshot,
        "select exception_id, root_cause_evidence -> 'events' ->> 0 from fct_exceptions "
        "where root_cause_evidence ->> 'condition' = 'fault_nearby' "
        "and (root_cause_evidence ->> 'condition_met')::boolean order by exception_id limit 1")
    kind, _, at_time = first_event.partition(" ")
    at = open_file(make_app, exception_id, lang)
    sentence = [m.value for m in at.markdown if words in m.value]
    assert len(sentence) == 1
    assert at_time in sentence[0] and display.term(lang, "event_type", kind) in sentence[0]
    assert at.json and at.json[0].value  # the raw evidence stays in its expander


def test_the_detail_line_is_translated(make_app: Callable[..., AppTest],
                                       snapshot: duckdb.DuckDBPyConnection) -> None:
    exception_id, detail = one_row(
        snapshot, "select exception_id, detail from fct_exceptions "
                  "where exception_type = 'MISSING_DEPOSIT' order by exception_id limit 1")
    text = page_text(open_file(make_app, exception_id, "zh"))
    assert detail not in text
    assert "净结算额" in text and "银行流水截至" in text
