"""``wechat_bill``: the WeChat Pay trade bill, current 27-column and legacy 24-column."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import polars as pl
import pytest

from tests.helpers.raw_docs import Doc, assert_error, untied
from tests.helpers.raw_settlement import wechat_bill, wechat_bill_legacy
from tests.helpers.raw_values import TERMINAL


def _summary_line(doc: Doc) -> int:
    """Physical line of the summary values (after the detail rows and the summary header)."""
    return doc.line_of(len(doc.rows)) + 1


@pytest.mark.parametrize("bom", [True, False])
def test_detected_with_and_without_bom(parse_file, bom):
    doc = wechat_bill(bom=bom)
    data = doc.data()
    assert data.startswith(b"\xef\xbb\xbf") is bom
    assert b"\r\n" in data
    loaded = parse_file(data, name="1900000109All2026-11-03.csv")
    assert loaded.layout == "wechat_bill"
    assert loaded.frame.height == 3


def test_lf_only_reads_the_same(parse_file):
    crlf = parse_file(wechat_bill()).frame
    doc = wechat_bill()
    doc.newline = "\n"
    assert parse_file(doc).frame.equals(crlf)


def test_typed_columns_backticks_and_lineage(parse_file):
    doc = wechat_bill()
    frame = parse_file(doc).frame
    assert frame["line_no"].to_list() == [2, 3, 4]
    assert frame["bill_variant"].unique().to_list() == ["v27"]
    assert frame.schema["trade_time"] == pl.Datetime("us")
    assert frame["trade_time"][2] == datetime(2026, 11, 3, 18, 30)
    # no backtick survives in any text cell
    for name, dtype in frame.schema.items():
        if dtype == pl.String:
            assert not frame[name].str.contains("`").any(), name
    assert frame["merchant_id"].to_list() == ["1900000109"] * 3
    assert frame["device_id"].to_list() == [TERMINAL] * 3
    assert frame["order_no"][0] == "WX20261103120100001"
    assert frame["trade_status"].to_list() == ["SUCCESS", "SUCCESS", "REFUND"]
    assert frame.schema["settle_amount"] == pl.Decimal(18, 2)
    assert frame["settle_amount"].to_list() == [
        Decimal("36.00"), Decimal("128.80"), Decimal("0.00"),
    ]
    assert frame["refund_amount"].to_list() == [Decimal("0.00"), Decimal("0.00"), Decimal("36")]
    # 手续费 has five decimals, kept exactly
    assert frame.schema["fee"] == pl.Decimal(18, 5)
    assert frame["fee"].to_list() == [
        Decimal("0.21600"), Decimal("0.77280"), Decimal("-0.21600"),
    ]
    # 费率 "0.60%" is the fraction 0.006
    assert frame["fee_rate"].to_list() == [Decimal("0.006")] * 3
    assert frame["order_amount"][1] == Decimal("138.80")
    assert frame["product_name"][1] == "蛋糕 (6寸)"


def test_zero_ids_are_empty(parse_file):
    frame = parse_file(wechat_bill()).frame
    assert frame["sub_merchant_id"].null_count() == 3  # `0
    assert frame["wechat_refund_no"][:2].to_list() == [None, None]
    assert frame["merchant_refund_no"][:2].to_list() == [None, None]
    assert frame["wechat_refund_no"][2] == "50300000012026110312345678901"
    assert frame["merchant_refund_no"][2] == "RF20261103183000001"
    # an empty cell written as just a backtick is null too
    assert frame["refund_type"][0] is None


def test_refund_is_a_separate_row(parse_file):
    frame = parse_file(wechat_bill()).frame
    orders = frame.filter(pl.col("wechat_order_no") == "4200002581202611031234567890")
    assert orders["trade_status"].to_list() == ["SUCCESS", "REFUND"]


def test_legacy_24_column_variant(parse_file):
    doc = wechat_bill_legacy()
    assert len(doc.header) == 24
    loaded = parse_file(doc)
    assert loaded.layout == "wechat_bill"
    frame = loaded.frame
    current = parse_file(wechat_bill()).frame
    assert set(frame.columns) == set(current.columns)
    assert frame["bill_variant"].unique().to_list() == ["v24"]
    assert frame["settle_amount"].to_list() == [Decimal("36.00"), Decimal("128.80")]
    assert frame["order_amount"].to_list() == frame["settle_amount"].to_list()
    assert frame["sub_merchant_id"].null_count() == 2  # 子商户号 `0
    assert frame["fee"].to_list() == [Decimal("0.21600"), Decimal("0.77280")]
    assert frame["line_no"].to_list() == [2, 3]


@pytest.mark.parametrize("title,value", [
    ("应结订单总金额", "999.00"), ("退款总金额", "35.99"), ("手续费总金额", "0.77281"),
    ("订单总金额", "174.79"), ("申请退款总金额", "0.00"), ("总交易单数", "2"),
])
def test_summary_that_does_not_tie_is_reported(parse_file, title, value):
    # The bill reads; the summary_ties check refuses it (tests/expectations/test_incoming.py).
    doc = wechat_bill()
    doc.meta[title] = value
    [control] = untied(parse_file(doc).parsed)
    assert (control.line_no, control.field) == (_summary_line(doc), title)
    assert control.stated == Decimal(value)


def test_summary_that_ties_has_one_control_per_total(parse_file):
    controls = parse_file(wechat_bill()).parsed.controls
    assert [c.field for c in controls] == [
        "总交易单数", "应结订单总金额", "退款总金额", "充值券退款总金额", "手续费总金额",
        "订单总金额", "申请退款总金额",
    ]
    assert untied(parse_file(wechat_bill()).parsed) == []
    assert controls[0].actual == 3 and controls[1].actual == Decimal("164.80")


def test_legacy_summary_must_tie(parse_file):
    doc = wechat_bill_legacy()
    doc.meta["总交易额"] = "164.81"
    [control] = untied(parse_file(doc).parsed)
    assert (control.line_no, control.field) == (_summary_line(doc), "总交易额")
    assert (control.stated, control.actual) == (Decimal("164.81"), Decimal("164.80"))


def test_summary_amount_that_is_not_a_number(parse_error):
    doc = wechat_bill()
    doc.meta["退款总金额"] = "36.OO"
    assert_error(parse_error(doc), _summary_line(doc), "退款总金额", "not a number")


@pytest.mark.parametrize("value", ["sNaN", "NaN", "Infinity"])
def test_summary_special_numbers_are_rejected(parse_error, value):
    doc = wechat_bill()
    doc.meta["应结订单总金额"] = value
    assert_error(parse_error(doc), _summary_line(doc), "应结订单总金额")


def test_truncated_bill_without_summary(parse_error):
    doc = wechat_bill()
    lines = doc.text().split("\r\n")
    text = "\r\n".join(lines[: len(doc.rows) + 1]) + "\r\n"
    err = parse_error(text.encode("utf-8"))
    assert err.field is None
    assert "summary" in err.reason and "truncated" in err.reason


def test_truncated_bill_without_summary_values(parse_error):
    doc = wechat_bill()
    text = "\r\n".join(doc.lines()[:-1]) + "\r\n"
    err = parse_error(text.encode("utf-8"))
    assert_error(err, _summary_line(doc) - 1, None, "summary row is missing")


def test_fee_with_six_decimals(parse_error):
    doc = wechat_bill().set(0, "手续费", "0.216000")
    doc.meta["手续费总金额"] = "0.77280"
    assert_error(parse_error(doc), doc.line_of(0), "手续费", "5 decimals")


def test_bad_trade_time(parse_error):
    doc = wechat_bill().set(2, "交易时间", "2026-11-31 18:30:00")
    assert_error(parse_error(doc), doc.line_of(2), "交易时间")


def test_bad_rate(parse_error):
    doc = wechat_bill().set(1, "费率", "0.60")
    assert_error(parse_error(doc), doc.line_of(1), "费率", "%")


def test_rate_too_large_for_decimal(parse_error):
    doc = wechat_bill().set(2, "费率", "99999999999%")
    assert_error(parse_error(doc), doc.line_of(2), "费率")


def test_stray_carriage_return_before_header(parse_error):
    data = b"\r" + wechat_bill().data()
    assert_error(parse_error(data), 1, None, "header")


@pytest.mark.parametrize("text", ["蛋糕", "拿铁咖啡"])
def test_truncated_utf8_mid_character(parse_error, text):
    data = wechat_bill().data()
    cut = data.index(text.encode()) + 2
    err = parse_error(data[:cut])
    assert err.line == data[:cut].count(b"\n") + 1
    assert err.field is None
