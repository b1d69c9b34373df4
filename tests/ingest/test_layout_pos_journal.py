"""Terminal journals: ``pos_journal_v1`` (UTF-8, English) and ``pos_journal_cn`` (GBK)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from decimal import Decimal

import polars as pl
import pytest

from posaudit.ingest.errors import IngestError
from tests.helpers.raw_docs import assert_error
from tests.helpers.raw_terminal import pos_journal_cn, pos_journal_v1
from tests.helpers.raw_values import MASKED, PAN_UNIONPAY, PAN_VISA, sensitive_in


def _no_sensitive_values(frame: pl.DataFrame) -> None:
    for name, dtype in frame.schema.items():
        if dtype == pl.String:
            for value in frame[name].drop_nulls().to_list():
                assert not sensitive_in(value), f"{name}: {value!r}"


# ---------------------------------------------------------------------------- pos_journal_v1


@pytest.mark.parametrize("name", ["export_20261103.txt", "wechat_bill.csv", "noext"])
def test_v1_detected_from_content_not_name(parse_file, name):
    loaded = parse_file(pos_journal_v1(), name=name, folder="terminal")
    assert loaded.layout == "pos_journal_v1"


def test_v1_typed_columns_and_lineage(parse_file):
    doc = pos_journal_v1()
    frame = parse_file(doc, folder="terminal", expect="pos_journal_v1").frame
    assert frame.height == len(doc.rows)
    assert frame["line_no"].to_list() == [doc.line_of(i) for i in range(len(doc.rows))]
    assert frame.schema["amount"] == pl.Decimal(18, 2)
    assert frame["amount"].to_list() == [
        Decimal("1288.50"), Decimal("1288.50"), Decimal("36.00"), Decimal("200.00"),
        Decimal("0.01"),
    ]
    assert frame.schema["txn_time"] == pl.Datetime("us")
    assert frame["txn_time"][0] == datetime(2026, 11, 3, 10, 15, 20)
    assert frame["txn_type"].to_list() == ["SALE", "VOID", "SALE", "REFUND", "SALE"]
    assert frame["orig_trace_no"][1] == "000101"
    assert frame["orig_rrn"][3] == "310203456700"
    assert frame["order_no"][2] == "WX20261103120100001"
    # empty cells are null, not ""
    assert frame["resp_code"][4] is None
    assert frame["rrn"][4] is None
    assert frame["auth_code"][2] is None
    # leading zeros survive
    assert frame["batch_no"][0] == "000123"


def test_v1_card_numbers_become_token_and_mask(parse_file, card_key):
    frame = parse_file(pos_journal_v1(), folder="terminal").frame
    assert "card_no" not in frame.columns
    expected = hmac.new(b"k" * 32, PAN_VISA.encode(), hashlib.sha256).hexdigest()
    assert frame["card_token"][0] == expected == card_key.token(PAN_VISA)
    assert frame["card_mask"][0] == "411111******1111"
    # the same card gets the same token in another row (the VOID)
    assert frame["card_token"][1] == expected
    # no card for a QR payment
    assert frame["card_token"][2] is None and frame["card_mask"][2] is None
    # a masked number stays masked and gets no token
    assert frame["card_mask"][3] == MASKED
    assert frame["card_token"][3] is None
    # 19 digits: still first six and last four
    assert frame["card_mask"][4] == "622848*********0018"
    _no_sensitive_values(frame)


def test_v1_overshown_mask_is_cut_back(parse_file):
    doc = pos_journal_v1().set(3, "card_no", "62284804*****90018")
    frame = parse_file(doc, folder="terminal").frame
    assert frame["card_mask"][3] == "622848********0018"
    assert frame["card_token"][3] is None


@pytest.mark.parametrize("newline,bom", [("\r\n", False), ("\n", True), ("\r\n", True)])
def test_v1_crlf_and_bom_read_the_same(parse_file, newline, bom):
    plain = parse_file(pos_journal_v1(), folder="terminal").frame
    doc = pos_journal_v1()
    doc.newline, doc.bom = newline, bom
    assert parse_file(doc, folder="terminal").frame.equals(plain)


def test_v1_blank_lines_are_skipped_but_counted(parse_file):
    doc = pos_journal_v1()
    text = doc.text().replace(doc.lines()[2] + "\n", doc.lines()[2] + "\n\n", 1)
    frame = parse_file(text, folder="terminal").frame
    assert frame["line_no"].to_list() == [2, 3, 5, 6, 7]


def test_v1_bad_timestamp(parse_error):
    doc = pos_journal_v1().set(1, "txn_time", "2026-02-30 10:00:00")
    assert_error(parse_error(doc, folder="terminal"), doc.line_of(1), "txn_time")


def test_v1_amount_with_three_decimals(parse_error):
    doc = pos_journal_v1().set(2, "amount", "36.005")
    err = parse_error(doc, folder="terminal")
    assert_error(err, doc.line_of(2), "amount", "2 decimals")
    assert "36.005" in err.reason


def test_v1_amount_too_large_for_decimal(parse_error):
    doc = pos_journal_v1().set(2, "amount", "123456789012345678901.00")
    assert_error(parse_error(doc, folder="terminal"), doc.line_of(2), "amount", "too large")


def test_v1_amount_must_be_positive(parse_error):
    doc = pos_journal_v1().set(4, "amount", "0.00")
    assert_error(parse_error(doc, folder="terminal"), doc.line_of(4), "amount", "positive")


@pytest.mark.parametrize("column,value", [
    ("txn_type", "SALES"), ("channel", "NFC"), ("card_type", "PREPAID"),
])
def test_v1_unknown_enum_value(parse_error, column, value):
    doc = pos_journal_v1().set(3, column, value)
    err = parse_error(doc, folder="terminal")
    assert_error(err, doc.line_of(3), column, "expected one of")


@pytest.mark.parametrize("column,value", [
    ("merchant_id", "8221000539"), ("terminal_id", "5399001"), ("trace_no", "12345"),
    ("currency", "yuan"),
])
def test_v1_wrong_format(parse_error, column, value):
    doc = pos_journal_v1().set(0, column, value)
    assert_error(parse_error(doc, folder="terminal"), doc.line_of(0), column)


@pytest.mark.parametrize("value", ["41111111111111111111", "4111 1111 abcd 1111", "411111"])
def test_v1_bad_card_number_is_not_echoed(parse_error, value):
    doc = pos_journal_v1().set(0, "card_no", value)
    err = parse_error(doc, folder="terminal")
    assert_error(err, doc.line_of(0), "card_no")
    assert value not in str(err)
    assert "1111" not in err.reason.replace("line", "")


def test_v1_errors_never_carry_a_pan(parse_error):
    # a row that breaks in another field right next to a full PAN
    doc = pos_journal_v1().set(0, "card_type", PAN_VISA)
    err = parse_error(doc, folder="terminal")
    assert_error(err, doc.line_of(0), "card_type")
    assert PAN_VISA not in str(err)


# ---------------------------------------------------------------------------- pos_journal_cn


def test_cn_gbk_detected_and_typed(parse_file):
    doc = pos_journal_cn()
    data = doc.data()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # really GBK
    loaded = parse_file(data, name="终端流水.csv", folder="terminal")
    assert loaded.layout == "pos_journal_cn"
    frame = loaded.frame
    assert frame["line_no"].to_list() == [2, 3, 4, 5]
    assert frame["txn_time"].to_list() == [
        datetime(2026, 11, 3, 9, 15, 2), datetime(2026, 11, 3, 9, 17, 33),
        datetime(2026, 11, 3, 12, 0, 30), datetime(2026, 11, 3, 23, 59, 59),
    ]
    assert "txn_date" not in frame.columns and "txn_clock" not in frame.columns
    assert frame["txn_type"].to_list() == ["消费", "冲正", "消费", "预授权完成"]
    assert frame["channel"].to_list() == ["芯片", "芯片", "支付宝", "闪付"]
    assert frame["amount"].to_list() == [
        Decimal("99.90"), Decimal("99.90"), Decimal("58.00"), Decimal("1000.00"),
    ]
    assert frame["currency"].to_list() == ["156", "156", "CNY", "156"]
    assert frame["orig_trace_no"][1] == "000011"
    assert frame["order_no"][2] == "ZFB20261103120031"
    assert frame["card_mask"].to_list() == [
        "622848*********0018", "622848*********0018", None, MASKED,
    ]
    assert frame["card_token"][0] == frame["card_token"][1] is not None
    _no_sensitive_values(frame)


def test_cn_utf8_export_reads_too(parse_file):
    doc = pos_journal_cn()
    doc.encoding, doc.bom = "utf-8", True
    assert parse_file(doc, folder="terminal").layout == "pos_journal_cn"


def test_cn_same_columns_as_v1(parse_file):
    v1 = parse_file(pos_journal_v1(), folder="terminal").frame
    cn = parse_file(pos_journal_cn(), folder="terminal").frame
    assert set(v1.columns) == set(cn.columns)


@pytest.mark.parametrize("column,value", [
    ("交易日期", "20261332"), ("交易日期", "2026-11-03"), ("交易时间", "250000"),
    ("交易时间", "9:15:02"),
])
def test_cn_bad_date_or_time(parse_error, column, value):
    doc = pos_journal_cn().set(2, column, value)
    assert_error(parse_error(doc, folder="terminal"), doc.line_of(2), column)


def test_cn_unknown_enum_value(parse_error):
    doc = pos_journal_cn().set(1, "交易类型", "消费撤销")
    assert_error(parse_error(doc, folder="terminal"), doc.line_of(1), "交易类型", "消费")
    doc = pos_journal_cn().set(3, "卡类型", "准贷记卡")
    assert_error(parse_error(doc, folder="terminal"), doc.line_of(3), "卡类型")


def test_cn_currency_must_be_cny(parse_error):
    doc = pos_journal_cn().set(3, "币种", "840")
    assert_error(parse_error(doc, folder="terminal"), doc.line_of(3), "币种")


def test_cn_truncated_mid_character(parse_error):
    doc = pos_journal_cn()
    data = doc.data()
    cut = data.rindex("预授权完成".encode("gbk")) + 1  # inside the first character
    err = parse_error(data[:cut], folder="terminal")
    assert_error(err, doc.line_of(3), None)
    assert "truncated" in err.reason or "GBK" in err.reason


def test_error_messages_are_scrubbed():
    err = IngestError("f.csv", 3, "memo", f"got {PAN_UNIONPAY} and {PAN_VISA}")
    assert PAN_UNIONPAY not in str(err) and PAN_VISA not in str(err)
    assert "622848*********0018" in err.reason and "411111******1111" in err.reason
    assert str(err) == f"f.csv, line 3, field memo: {err.reason}"


def test_v1_card_number_with_spaces_is_the_same_card(parse_file, card_key):
    doc = pos_journal_v1().set(1, "card_no", "4111 1111 1111 1111")
    frame = parse_file(doc, folder="terminal").frame
    assert frame["card_token"][1] == card_key.token(PAN_VISA)
    assert frame["card_mask"][1] == "411111******1111"
