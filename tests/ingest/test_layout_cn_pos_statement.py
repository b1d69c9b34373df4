"""``cn_pos_statement``: the 34-column acquirer POS statement (GBK)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import polars as pl
import pytest

from tests.helpers.raw_docs import assert_error
from tests.helpers.raw_settlement import CN_STATEMENT_HEADER, cn_pos_statement
from tests.helpers.raw_values import (
    CARDHOLDER,
    ID_NUMBER,
    ID_NUMBER_X,
    MERCHANT,
    PAN_UNIONPAY,
    PAYER_NAME,
    sensitive_in,
)


def test_detected_from_gbk_content(parse_file):
    doc = cn_pos_statement()
    assert len(doc.header) == 34
    data = doc.data()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    loaded = parse_file(data, name="20261104_对账单.csv")
    assert loaded.layout == "cn_pos_statement"


def test_utf8_and_crlf_variants_read_the_same(parse_file):
    plain = parse_file(cn_pos_statement()).frame
    doc = cn_pos_statement()
    doc.encoding, doc.bom, doc.newline = "utf-8", True, "\r\n"
    assert parse_file(doc).frame.equals(plain)


def test_typed_columns_and_lineage(parse_file):
    doc = cn_pos_statement()
    frame = parse_file(doc).frame
    assert frame["line_no"].to_list() == [2, 3, 4, 5]
    for column in ("amount", "fee", "settle_amount", "original_amount", "paid_amount"):
        assert frame.schema[column] == pl.Decimal(18, 2), column
    assert frame["amount"].to_list() == [
        Decimal("1288.50"), Decimal("350.00"), Decimal("-200.00"), Decimal("36.00"),
    ]
    assert frame["fee"].to_list() == [
        Decimal("7.73"), Decimal("2.10"), Decimal("0.00"), Decimal("0.14"),
    ]
    # 结算金额 = 交易金额 − 手续费, exactly
    for amount, fee, settle in frame.select("amount", "fee", "settle_amount").iter_rows():
        assert settle == amount - fee
    assert frame["txn_time"].to_list() == [
        datetime(2026, 11, 3, 10, 15, 20), datetime(2026, 11, 3, 11, 2, 3),
        datetime(2026, 11, 3, 16, 40), datetime(2026, 11, 3, 12, 1, 9),
    ]
    assert frame["settlement_date"].to_list() == [date(2026, 11, 4)] * 4
    assert frame["installments"].to_list() == [0, 0, 0, 0]
    assert frame["txn_type"].to_list() == ["消费", "消费", "退货", "消费"]
    assert frame["product_type"][3] == "微信"
    assert frame["order_no"][3] == "WX20261103120100001"
    assert frame["store_name"][0] == "朝阳大悦城店"
    assert frame["merchant_id"].unique().to_list() == [MERCHANT]


def test_personal_data_is_never_stored(parse_file):
    loaded = parse_file(cn_pos_statement())
    frame = loaded.frame
    for column in ("cardholder_name", "cardholder_id_no", "payer_account_name"):
        assert column not in frame.columns
    values = [
        v for name, dtype in frame.schema.items() if dtype == pl.String
        for v in frame[name].drop_nulls().to_list()
    ]
    assert values
    for value in values:
        assert CARDHOLDER not in value and PAYER_NAME not in value
        assert ID_NUMBER not in value and ID_NUMBER_X not in value
        assert not sensitive_in(value), value
    # and the raw table has no column for them either
    from posaudit.ingest.layouts import BY_NAME

    ddl = {name for name, _ in BY_NAME["cn_pos_statement"].ddl()}
    assert not ddl & {"cardholder_name", "cardholder_id_no", "payer_account_name"}
    assert set(frame.columns) <= ddl


def test_card_numbers(parse_file):
    frame = parse_file(cn_pos_statement()).frame
    assert "card_no" not in frame.columns
    assert frame["card_mask"].to_list() == [
        "411111******1111", "622848*********0018", "411111******1111", None,
    ]
    assert frame["card_token"][0] is None  # masked in, no token
    assert frame["card_token"][1] is not None and len(frame["card_token"][1]) == 64
    assert PAN_UNIONPAY not in str(frame.rows())


def test_scope_is_merchant_and_settlement_date(parse_file):
    a = parse_file(cn_pos_statement()).parsed.scope_key
    b = parse_file(cn_pos_statement(settle_date="2026-11-05")).parsed.scope_key
    assert a is not None and MERCHANT in a and "2026-11-04" in a
    assert a != b
    corrected = cn_pos_statement().set(0, "手续费", "7.70").set(0, "结算金额", "1280.80")
    assert parse_file(corrected).parsed.scope_key == a


def test_settlement_must_equal_amount_minus_fee(parse_error):
    doc = cn_pos_statement().set(1, "结算金额", "348.00")
    assert_error(parse_error(doc), doc.line_of(1), "结算金额", "交易金额")


def test_refund_must_be_negative(parse_error):
    doc = cn_pos_statement().set(2, "交易金额", "200.00").set(2, "结算金额", "200.00")
    assert_error(parse_error(doc), doc.line_of(2), "交易金额", "退货")


@pytest.mark.parametrize("column,value", [
    ("交易日期", "2026-13-01"), ("交易完成日期", "2026/11/31"), ("交易时间", "24:00:01"),
])
def test_bad_date_or_time(parse_error, column, value):
    doc = cn_pos_statement().set(2, column, value)
    assert_error(parse_error(doc), doc.line_of(2), column)


@pytest.mark.parametrize("column,value", [
    ("交易类型", "冲正"), ("产品类型", "数字人民币"),
])
def test_unknown_enum_value(parse_error, column, value):
    doc = cn_pos_statement().set(0, column, value)
    assert_error(parse_error(doc), doc.line_of(0), column, "expected one of")


def test_wrong_field_count_does_not_leak_personal_data(parse_error):
    doc = cn_pos_statement()
    doc.rows[1].insert(25, "多余")
    err = parse_error(doc)
    assert_error(err, doc.line_of(1), None, "fields")
    assert CARDHOLDER not in str(err) and ID_NUMBER_X not in str(err)


def test_missing_optional_columns_read_as_null(parse_file):
    doc = cn_pos_statement()
    for column in ("分期贴息", "优惠金额", "持卡人姓名", "持卡人身份证"):
        doc.drop_column(column)
    assert len(doc.header) == len(CN_STATEMENT_HEADER) - 4
    frame = parse_file(doc).frame
    assert frame["discount_amount"].null_count() == frame.height


def test_truncated_mid_character(parse_error):
    doc = cn_pos_statement()
    data = doc.data()
    cut = data.rindex("朝阳大悦城店".encode("gbk")) + 3  # inside 阳, on the last line
    err = parse_error(data[:cut])
    assert_error(err, doc.line_of(3), None)
