"""One definition of a card number, and what every guard does with it.

A card number is a run of 13-19 digits with no digit on either side, a card network's prefix
and a valid Luhn check digit. Free text (memos, remarks, descriptions) is masked where a card
number stands and the incoming checks report it while the file loads; identifiers with a
format (RRNs, order numbers, merchant numbers) are stored as they are, however card-like. The
properties hold for every scanner: ingest's masking, the incoming checks' columns, the privacy
scan.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posaudit.expectations.config import DQConfig
from posaudit.expectations.core import FAILED, PASSED, CheckResult, DQContext
from posaudit.expectations.incoming import prepare
from posaudit.ingest.cardsafe import (
    CardKey,
    find_card_numbers,
    is_card_number,
    luhn_valid,
    mask_card_column,
    mask_pan,
    scrub,
    scrub_card_like,
)
from posaudit.ingest.layouts import BY_NAME, Parsed
from posaudit.ingest.source import SourceFile
from posaudit.ingest.table import CARD_MASKED
from posaudit.pipeline.ingest_step import ingest_landing
from posaudit.privacy import scan_text
from tests.helpers.raw_docs import Doc, LandingZone
from tests.helpers.raw_settlement import bank_statement, cn_pos_statement
from tests.helpers.raw_terminal import error_report, pos_journal_v1
from tests.helpers.raw_values import MERCHANT, varchar_leaks
from tests.helpers.rows import scalar

KEY = CardKey(b"k" * 32)
DQ = DQContext()
# Prefixes of every card network the definition knows, including both ends of ranges.
NETWORKS = ("62", "4", "51", "55", "2221", "2720", "34", "37", "35", "30", "36", "38", "6011",
            "644", "649", "65")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def check_digit(body: str) -> str:
    return next(d for d in "0123456789" if luhn_valid(body + d))


@st.composite
def pans(draw: st.DrawFn) -> str:
    """A card number of any network and any length from 13 to 19 digits."""
    prefix = draw(st.sampled_from(NETWORKS))
    length = draw(st.integers(13, 19))
    body = prefix + draw(st.text("0123456789", min_size=length - len(prefix) - 1,
                                 max_size=length - len(prefix) - 1))
    return body + check_digit(body)


@st.composite
def rrns(draw: st.DrawFn) -> str:
    """A host's 12-digit RRN: any leading digit, Luhn-valid or not."""
    lead = draw(st.integers(0, 9))
    body = f"{lead}{draw(st.integers(0, 10**10 - 1)):010d}"
    return body + (check_digit(body) if draw(st.booleans()) else str(draw(st.integers(0, 9))))


def digits_of(width: int, card_like: bool) -> st.SearchStrategy[str]:
    """Numbers of ``width`` digits; card-like ones start like a card and pass Luhn."""
    if card_like:
        return st.builds(lambda p, rest: (p + rest)[: width - 1] + check_digit(
            (p + rest)[: width - 1]), st.sampled_from(NETWORKS),
            st.text("0123456789", min_size=width, max_size=width))
    return st.text("0123456789", min_size=width, max_size=width)


# Text around a number in a memo: Chinese, ASCII and full-width letters and punctuation, short
# digit groups; GBK-encodable, without the CSV separator or quotes.
WORDS = st.text(st.sampled_from(list(
    "卡号顾客称被扣款两次退款已付请核实刷银行尾号的货款结算 abcXYZ-_/:;()#.!?"
    "。，：；（）！？、【】《》ＡＢＣ\u30000123")), max_size=10)
NOT_A_DIGIT = st.sampled_from(list(" :：，。（）卡号#-ＡXx\u3000"))


@st.composite
def memos(draw: st.DrawFn, number: str) -> str:
    """``number`` hidden in free text, with no digit right beside it."""
    left, right = draw(WORDS), draw(WORDS)
    if left:
        left += draw(NOT_A_DIGIT)
    if right:
        right = draw(NOT_A_DIGIT) + right
    return f"{left}{number}{right}"


def parse(layout: str, doc: Doc, folder: str) -> Parsed:
    data = doc.data()
    src = SourceFile.from_bytes(data, f"{folder}/x.csv", folder)
    return BY_NAME[layout].parse(src, KEY)


def checked_rows(layout: str, parsed: Parsed) -> pl.DataFrame:
    """The incoming checks' columns for a parsed file (what the GX suites validate)."""
    return prepare(BY_NAME[layout], parsed, DQConfig(), date.today()).rows


# --- the definition -------------------------------------------------------------------------


@pytest.mark.parametrize("number,card", [
    ("4111111111111111", True),  # Visa, 16
    ("4222222222222", True),  # Visa, 13
    ("6228480402564890018", True),  # UnionPay, 19
    ("378282246310005", True),  # Amex, 15
    ("5555555555554444", True),  # Mastercard 51-55
    ("2223000048400011", True),  # Mastercard 2221-2720
    ("6011000990139424", True),  # Discover
    ("３７８２８２２４６３１０００５", True),  # typed in full-width digits
    ("468350986781", False),  # a 12-digit RRN that starts like Visa and passes Luhn
    ("4111111111111112", False),  # Luhn fails
    ("9111111111111119", False),  # Luhn passes, no card network starts with 9
    ("2200000000000004", False),  # 2200 is below the Mastercard range
    ("41111111111111111113", False),  # 20 digits
])
def test_one_definition_of_a_card_number(number: str, card: bool) -> None:
    assert is_card_number(number) is card
    text = f"备注:{number}。"
    assert (find_card_numbers(text) == [number]) is card
    assert (scrub_card_like(text) == f"备注:{mask_pan(number)}。") is card
    assert bool(scan_text("t", text)) is card


def test_a_digit_beside_the_run_makes_it_another_number() -> None:
    # 17 digits holding a card number inside: the run is what is judged, not a part of it.
    assert find_card_numbers("x 14111111111111111 x") == []
    assert find_card_numbers("4111111111111111-6228480402564890018") == [
        "4111111111111111", "6228480402564890018"]


def test_a_number_the_text_labels_as_a_merchant_number_is_kept() -> None:
    # 412345678901233 starts like a Visa card and passes Luhn: after 商户号 it is a merchant
    # number (a payout memo); the same digits standing alone are masked.
    memo = "POS结算 20261001 商户号:412345678901233"
    assert is_card_number("412345678901233")
    assert find_card_numbers(memo) == []
    assert scrub_card_like(memo) == memo
    masked, hits = mask_card_column(pl.Series([memo, "备用 412345678901233"]))
    assert masked.to_list() == [memo, "备用 412345*****1233"]
    assert hits.to_list() == [False, True]
    assert scan_text("memo", memo) == []


def test_log_scrubbing_masks_every_long_run_on_the_same_runs() -> None:
    assert scrub("rrn 468350986781, ref 1234567890123, id 12345678901234567890") == \
        "rrn 468350986781, ref 123456***0123, id 12345678901234567890"


def test_masking_a_column_judges_each_distinct_run_once() -> None:
    col = pl.Series("memo", ["a 4111111111111111", None, "4111111111111111 again",
                             "order 1234567890123456789", "rrn 468350986781"])
    masked, hits = mask_card_column(col)
    assert masked.to_list() == ["a 411111******1111", None, "411111******1111 again",
                                "order 1234567890123456789", "rrn 468350986781"]
    assert hits.to_list() == [True, False, True, False, False]


# --- properties -----------------------------------------------------------------------------


@SETTINGS
@given(data=st.data())
def test_a_12_digit_rrn_is_never_flagged(data: st.DataObject) -> None:
    rrn = data.draw(rrns())
    memo = data.draw(memos(rrn))
    assert not is_card_number(rrn)
    assert scrub_card_like(memo) == memo
    assert scan_text("memo", memo) == []
    masked, hits = mask_card_column(pl.Series([memo]))
    assert masked[0] == memo and not hits.any()
    journal = parse("pos_journal_v1", pos_journal_v1().set(3, "orig_rrn", rrn).set(2, "rrn", rrn),
                    "terminal")
    assert journal.frame["orig_rrn"][3] == rrn and journal.frame["rrn"][2] == rrn
    bank = parse("bank_statement_cn", bank_statement().set(2, "备注", memo), "bank")
    assert bank.frame["memo"][2] == memo.strip(" \t")
    for layout, parsed in (("pos_journal_v1", journal), ("bank_statement_cn", bank)):
        assert CARD_MASKED not in parsed.frame.columns
        rows = checked_rows(layout, parsed)
        assert rows["card_column"].null_count() == rows.height
        assert rows["card_masked"].null_count() == rows.height


@pytest.mark.parametrize("lead", range(10))
def test_card_like_rrns_with_every_leading_digit_load_as_they_are(lead: int) -> None:
    body = f"{lead}6835098678"
    rrn = body + check_digit(body)
    parsed = parse("pos_journal_v1", pos_journal_v1().set(3, "orig_rrn", rrn), "terminal")
    assert parsed.frame["orig_rrn"][3] == rrn
    assert checked_rows("pos_journal_v1", parsed)["card_column"].null_count() == 5


def _clean_report() -> Doc:
    return error_report().set(0, "description", "顾客称被扣款两次")


# Where staff and counterparties write free text: (layout, folder, builder, column, field name).
FREE_TEXT = [
    ("bank_statement_cn", "bank", bank_statement, "备注", "memo"),
    ("bank_statement_cn", "bank", bank_statement, "摘要", "summary"),
    ("cn_pos_statement", "settlement", cn_pos_statement, "商户备注", "merchant_remark"),
    ("error_report", "reports", _clean_report, "description", "description"),
]


@SETTINGS
@given(data=st.data(), where=st.sampled_from(FREE_TEXT), full_width=st.booleans())
def test_a_card_number_in_free_text_is_always_masked_and_noted(
        data: st.DataObject, where: tuple[str, str, Callable[[], Doc], str, str],
        full_width: bool) -> None:
    layout, folder, build, column, name = where
    pan = data.draw(pans())
    typed = pan.translate(FULL_WIDTH) if full_width else pan
    memo = data.draw(memos(typed))
    expected = memo.replace(typed, mask_pan(typed)).strip(" \t")
    assert scrub_card_like(memo) == memo.replace(typed, mask_pan(typed))
    assert scan_text("memo", memo) and not scan_text("memo", scrub_card_like(memo))
    doc = build().set(1, column, memo)
    parsed = parse(layout, doc, folder)
    assert parsed.frame[name][1] == expected
    assert pan not in parsed.frame[name][1] and typed not in parsed.frame[name][1]
    assert parsed.frame[CARD_MASKED][1] == column
    rows = checked_rows(layout, parsed)
    assert rows.filter(pl.col("card_masked").is_not_null())["line_no"].to_list() == [
        doc.line_of(1)]
    assert rows["card_masked"].drop_nulls().to_list() == [column]
    assert rows["card_column"].null_count() == rows.height  # nothing is left to refuse


@SETTINGS
@given(order=st.booleans().flatmap(lambda c: digits_of(19, c)),
       merchant=st.booleans().flatmap(lambda c: digits_of(15, c)), rrn=rrns())
def test_order_and_merchant_numbers_in_their_columns_are_never_touched(
        order: str, merchant: str, rrn: str) -> None:
    journal = pos_journal_v1().set(2, "order_no", order).set(2, "rrn", rrn)
    for row in range(5):
        journal.set(row, "merchant_id", merchant)
    statement = cn_pos_statement(merchant=merchant).set(3, "订单号", order)
    statement.set(3, "参考号", rrn)
    for layout, folder, doc, order_at in (("pos_journal_v1", "terminal", journal, 2),
                                          ("cn_pos_statement", "settlement", statement, 3)):
        parsed = parse(layout, doc, folder)
        assert parsed.frame["order_no"][order_at] == order
        assert parsed.frame["rrn"][order_at] == rrn
        assert set(parsed.frame["merchant_id"].to_list()) == {merchant}
        assert CARD_MASKED not in parsed.frame.columns
        rows = checked_rows(layout, parsed)
        assert rows["card_column"].null_count() == rows.height


# --- through ingest and the Great Expectations suites ---------------------------------------


def _ingest(zone: LandingZone, tmp: Path
            ) -> tuple[dict[str, str], list[CheckResult], duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(tmp / "w.duckdb"))
    report = ingest_landing(zone.root, con, KEY, dq=DQ, config=DQConfig())
    return {o.file_name: o.status for o in report.outcomes}, report.checks, con


@settings(SETTINGS, max_examples=8)
@given(data=st.data())
def test_ingest_masks_warns_and_loads_every_file(data: st.DataObject) -> None:
    pan, rrn = data.draw(pans()), data.draw(rrns())
    memo = data.draw(memos(pan))
    order = data.draw(digits_of(19, card_like=True))
    with tempfile.TemporaryDirectory() as tmp:
        zone = LandingZone(Path(tmp) / "landing")
        journal = zone.put("terminal", "pos.csv", pos_journal_v1().set(3, "orig_rrn", rrn)
                           .set(2, "order_no", order))
        doc = bank_statement().set(2, "备注", memo)
        bank = zone.put("bank", "icbc.csv", doc)
        statuses, checks, con = _ingest(zone, Path(tmp))
        try:
            assert statuses == {journal: "LOADED", bank: "LOADED"}
            failed = [(r.check, r.severity, r.file_name, r.line_no, r.field)
                      for r in checks if r.status == FAILED and r.file_name]
            assert failed == [("card_numbers_masked", "warning", bank, doc.line_of(2), "备注")]
            detail = next(r.detail for r in checks if r.file_name == bank)
            assert pan not in (detail or "") and "masked" in (detail or "")
            assert {r.status for r in checks if r.check == "no_card_numbers"} == {PASSED}
            stored = scalar(con, "select memo from raw.bank_statement_cn where line_no = ?",
                                 [doc.line_of(2)])
            assert stored == memo.replace(pan, mask_pan(pan)).strip(" \t")
            kept = con.execute("select orig_rrn, order_no from raw.pos_journal_v1 "
                               "where orig_rrn is not null or order_no is not null "
                               "order by line_no").fetchall()
            assert (rrn, None) in kept and (None, order) in kept
            assert not [leak for leak in varchar_leaks(con) if f": {pan!r} in " in leak]
        finally:
            con.close()


def test_the_journal_from_the_field_loads(tmp_path: Path) -> None:
    """The merchant-day that was once refused whole: an orig_rrn of 468350986781."""
    zone = LandingZone(tmp_path / "landing")
    name = zone.put("terminal", "pos_20261103.csv",
                    pos_journal_v1().set(3, "orig_rrn", "468350986781"))
    statuses, checks, con = _ingest(zone, tmp_path)
    with con:
        assert statuses == {name: "LOADED"}
        assert [r.describe() for r in checks if r.failed] == []
        assert scalar(con, "select count(*) from raw.pos_journal_v1 where orig_rrn = "
                           "'468350986781' and merchant_id = ?", [MERCHANT]) == 1
