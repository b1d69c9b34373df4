"""``bank_statement_cn``: the merchant's bank-account statement (GBK or UTF-8)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from itertools import pairwise

import polars as pl
import pytest

from tests.helpers.raw_docs import assert_error
from tests.helpers.raw_settlement import bank_statement
from tests.helpers.raw_values import MERCHANT, PAN_VISA


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_detected_in_gbk_and_utf8(parse_file, encoding):
    loaded = parse_file(bank_statement(encoding=encoding), name="流水.csv", folder="bank")
    assert loaded.layout == "bank_statement_cn"
    assert loaded.frame.height == 4


def test_crlf_and_bom(parse_file):
    plain = parse_file(bank_statement(), folder="bank").frame
    doc = bank_statement(encoding="utf-8")
    doc.newline, doc.bom = "\r\n", True
    assert parse_file(doc, folder="bank").frame.equals(plain)


def test_typed_columns_and_lineage(parse_file):
    frame = parse_file(bank_statement(), folder="bank").frame
    assert frame["line_no"].to_list() == [2, 3, 4, 5]
    for column in ("debit", "credit", "balance"):
        assert frame.schema[column] == pl.Decimal(18, 2)
    # an empty debit or credit is zero, not null
    assert frame["debit"].to_list() == [Decimal(0), Decimal(0), Decimal("80000.00"), Decimal(0)]
    assert frame["credit"].to_list() == [
        Decimal("1428.67"), Decimal("164.80"), Decimal(0), Decimal("1020.11"),
    ]
    assert frame["balance"][-1] == Decimal("22613.58")
    assert frame["txn_date"][0] == date(2026, 11, 4)
    assert frame["txn_time"][2] == datetime(2026, 11, 4, 10, 20, 33)
    assert frame["counterparty_name"][0] == "拉卡拉支付股份有限公司"
    assert frame["counterparty_name"][3] == "支付宝（中国）网络技术有限公司"
    assert frame["memo"][0] == f"POS结算 20261103 商户号 {MERCHANT}"
    assert frame["serial_no"][0] == "B2026110400001"


def test_balance_chain(parse_file):
    frame = parse_file(bank_statement(), folder="bank").frame
    rows = frame.select("debit", "credit", "balance").rows()
    for (_, _, prev), (debit, credit, balance) in pairwise(rows):
        assert balance == prev + credit - debit


def test_broken_balance_chain_still_parses(parse_file):
    # The chain is the incoming balance_chain check's (tests/expectations/test_incoming.py):
    # the parser reads the statement as it is.
    doc = bank_statement().set(2, "余额", "21593.48")
    frame = parse_file(doc, folder="bank").frame
    assert frame["balance"][2] == Decimal("21593.48")


def test_negative_debit_or_credit(parse_error):
    doc = bank_statement().set(2, "借方金额", "-80000.00")
    assert_error(parse_error(doc, folder="bank"), doc.line_of(2), "借方金额", "negative")
    doc = bank_statement().set(1, "贷方金额", "-164.80")
    assert_error(parse_error(doc, folder="bank"), doc.line_of(1), "贷方金额", "negative")


@pytest.mark.parametrize("column,value", [("交易日期", "2026-11-31"), ("交易时间", "8:30")])
def test_bad_date_or_time(parse_error, column, value):
    doc = bank_statement().set(3, column, value)
    assert_error(parse_error(doc, folder="bank"), doc.line_of(3), column)


def test_card_number_in_memo_is_masked(parse_file):
    doc = bank_statement().set(2, "备注", f"退款至卡号{PAN_VISA}")
    frame = parse_file(doc, folder="bank").frame
    assert frame["memo"][2] == "退款至卡号411111******1111"
    # account numbers that are not card numbers stay as they are
    assert frame["counterparty_account"][0] == "110060149018000012345"


def test_truncated_gbk_file(parse_error):
    doc = bank_statement()
    data = doc.data()
    cut = data.rindex("网络技术".encode("gbk")) + 1
    err = parse_error(data[:cut], folder="bank")
    assert_error(err, doc.line_of(3), None)
