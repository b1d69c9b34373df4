"""``alipay_bill``: Alipay 业务明细 (GBK; plain or zipped)."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from decimal import Decimal

import polars as pl
import pytest

from tests.helpers.raw_docs import Doc, assert_error, untied, zipped
from tests.helpers.raw_settlement import ALIPAY_ACCOUNT, alipay_bill
from tests.helpers.raw_values import TERMINAL

FIRST_DATA_LINE = 6  # 4 '#' lines, the header, then rows


def _footer_line(doc: Doc, title: str) -> int:
    # rows, then the end marker, then 交易合计 and 退款合计
    end_marker = doc.line_of(len(doc.rows))
    return end_marker + (1 if title == "交易合计" else 2)


def test_detected_from_gbk_content(parse_file):
    doc = alipay_bill()
    data = doc.data()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert b"\t," in data  # the trailing TABs are really there
    assert "（元）".encode("gbk") in data  # and the full-width parentheses
    loaded = parse_file(data, name="20889112345678900156_20261103_业务明细.csv")
    assert loaded.layout == "alipay_bill"


def test_typed_columns_and_lineage(parse_file):
    doc = alipay_bill()
    frame = parse_file(doc).frame
    assert doc.line_of(0) == FIRST_DATA_LINE
    assert frame["line_no"].to_list() == [6, 7, 8]
    # trailing TABs are gone from IDs and text
    assert frame["alipay_trade_no"].to_list() == [
        "2026110322001412340500012345", "2026110322001412340500012346",
        "2026110322001412340500012345",
    ]
    assert frame["terminal_id"].to_list() == [TERMINAL] * 3
    assert frame["store_name"][0] == "国贸店"
    assert frame["remark"].to_list() == [None, "会员日", None]
    assert frame["biz_type"].to_list() == ["交易", "交易", "退款"]
    assert frame.schema["created_at"] == pl.Datetime("us")
    assert frame["created_at"][1] == datetime(2026, 11, 3, 13, 30, 15)
    # full-width headers map to the fields
    assert frame.schema["order_amount"] == pl.Decimal(18, 2)
    assert frame["merchant_received"].to_list() == [
        Decimal("58.00"), Decimal("1024.00"), Decimal("-58.00"),
    ]
    # 服务费 is written negative: its absolute value is the fee
    assert frame["service_fee"].to_list() == [
        Decimal("0.22"), Decimal("3.89"), Decimal("0.22"),
    ]
    assert frame["refund_request_no"][2] == "RF20261103170000"


def test_header_block_account_and_period(parse_file):
    loaded = parse_file(alipay_bill())
    frame = loaded.frame
    assert frame["account"].unique().to_list() == [ALIPAY_ACCOUNT]
    assert frame["period_start"].unique().to_list() == [datetime(2026, 11, 3)]
    assert frame["period_end"].unique().to_list() == [datetime(2026, 11, 4)]
    assert loaded.parsed.scope_key is not None
    assert ALIPAY_ACCOUNT in loaded.parsed.scope_key


def test_header_block_with_iso_dates(parse_file):
    doc = alipay_bill(period="2026-11-03 00:00:00", end="2026-11-04 00:00:00")
    frame = parse_file(doc).frame
    assert frame["period_start"][0] == datetime(2026, 11, 3)


def test_header_block_with_unreadable_date_still_loads(parse_file):
    doc = alipay_bill(period="昨天", end="今天")
    loaded = parse_file(doc)
    assert loaded.frame["period_start"].null_count() == loaded.frame.height


def test_zipped_bill(parse_file):
    plain = parse_file(alipay_bill()).frame
    data = zipped("20889112345678900156_20261103_业务明细.csv", alipay_bill().data())
    loaded = parse_file(data, name="20889112345678900156_20261103.csv.zip")
    assert loaded.layout == "alipay_bill"
    assert loaded.frame.equals(plain)


def test_zipped_bill_error_names_archive_and_member(parse_error):
    doc = alipay_bill().set(1, "创建时间", "2026-11-03 25:30:15")
    err = parse_error(zipped("detail.csv", doc.data()), name="bill.csv.zip")
    assert err.file == "bill.csv.zip!detail.csv"
    assert_error(err, doc.line_of(1), "创建时间")


def test_zip_with_two_files_is_rejected(parse_error):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.csv", alipay_bill().data())
        zf.writestr("b.csv", alipay_bill().data())
    err = parse_error(buf.getvalue(), name="two.csv.zip")
    assert err.file == "two.csv.zip"
    assert "2 files" in err.reason


def test_broken_zip_is_rejected(parse_error):
    data = zipped("detail.csv", alipay_bill().data())
    err = parse_error(data[: len(data) // 2], name="half.csv.zip")
    assert "zip" in err.reason


def test_unsigned_refund_footer_is_accepted(parse_file):
    doc = alipay_bill()
    doc.meta["退款合计元"] = "58.00"
    parsed = parse_file(doc).parsed
    assert parsed.frame.height == 3
    assert untied(parsed) == []
    assert len(parsed.controls) == 4  # count and 商家实收 of 交易合计 and 退款合计


@pytest.mark.parametrize("key,field", [
    ("交易合计元", "商家实收"), ("退款合计元", "商家实收"), ("交易合计笔", "交易合计"),
    ("退款合计笔", "退款合计"),
])
def test_footer_that_does_not_tie_is_reported(parse_file, key, field):
    # The bill reads; the summary_ties check refuses it (tests/expectations/test_incoming.py).
    doc = alipay_bill()
    doc.meta[key] = "999.00" if key.endswith("元") else "7"
    [control] = untied(parse_file(doc).parsed)
    assert (control.line_no, control.field) == (_footer_line(doc, key[:4]), field)
    assert control.stated == (Decimal("999.00") if key.endswith("元") else 7)
    assert key[:2] in control.label


def test_footer_with_broken_number(parse_error):
    doc = alipay_bill()
    doc.meta["交易合计元"] = "1.082.00"
    assert_error(parse_error(doc), _footer_line(doc, "交易合计"), "商家实收")


def test_truncated_before_footer(parse_error):
    doc = alipay_bill()
    text = "\n".join(doc.lines()[: doc.line_of(len(doc.rows))]) + "\n"
    err = parse_error(text.encode("gbk"))
    assert err.field is None
    assert "交易合计" in err.reason and "truncated" in err.reason


def test_truncated_before_end_marker(parse_error):
    doc = alipay_bill()
    text = "\n".join(doc.lines()[: doc.line_of(1)]) + "\n"
    err = parse_error(text.encode("gbk"))
    assert err.field is None and "truncated" in err.reason


def test_truncated_mid_character(parse_error):
    doc = alipay_bill()
    data = doc.data()
    cut = data.rindex("导出时间".encode("gbk")) + 1
    err = parse_error(data[:cut])
    assert_error(err, data[:cut].count(b"\n") + 1, None)


def test_unknown_business_type(parse_error):
    doc = alipay_bill().set(2, "业务类型", "转账")
    assert_error(parse_error(doc), doc.line_of(2), "业务类型", "交易")


def test_blank_line_instead_of_header(parse_error):
    doc = alipay_bill()
    doc.pre.append("")
    assert_error(parse_error(doc), doc.header_line - 1, None, "header")
