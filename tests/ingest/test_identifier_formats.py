"""Identifier columns are checked against their format at parse; everything else stored as
text is free text. A value that does not fit its format refuses the file, naming the line and
the field (and never echoing a card number)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from posaudit.ingest.errors import IngestError
from posaudit.ingest.layouts import LAYOUTS
from posaudit.ingest.table import Field
from tests.helpers.parsing import Loaded
from tests.helpers.raw_docs import Doc, assert_error
from tests.helpers.raw_settlement import (
    adyen_sdr,
    alipay_bill,
    bank_statement,
    cn_pos_statement,
    wechat_bill,
)
from tests.helpers.raw_terminal import error_report, terminals
from tests.helpers.raw_values import PAN_VISA


def test_every_stored_text_field_is_an_identifier_or_free_text() -> None:
    for layout in LAYOUTS:
        for f in layout.fields:
            if f.kind == "str" and not f.drop:
                assert f.has_format != f.free_text, (layout.name, f.source)
    with pytest.raises(ValueError, match="either free text or has a declared format"):
        Field("备注", "memo")
    with pytest.raises(ValueError, match="either free text or has a declared format"):
        Field("备注", "memo", pattern=r"\d+", free_text=True)


# (builder, folder, row, column, a value that does not fit)
BAD = [
    (wechat_bill, "settlement", 0, "微信订单号", "4200 0025812026"),
    (wechat_bill, "settlement", 1, "商户订单号", "订单WX2026"),
    (alipay_bill, "settlement", 0, "支付宝交易号", "交易号2026110322"),
    (alipay_bill, "settlement", 2, "退款批次号/请求号", "RF 2026"),
    (bank_statement, "bank", 1, "交易流水号", "流水B2026110400005"),
    (cn_pos_statement, "settlement", 1, "交易单号", "单号T202611030000002"),
    (cn_pos_statement, "settlement", 2, "原交易单", "T2026 1102"),
    (adyen_sdr, "settlement", 0, "Psp Reference", "参考8816178952137542"),
    (adyen_sdr, "settlement", 1, "Merchant Reference", "订单-2026-0002"),
    (error_report, "reports", 0, "rrn", PAN_VISA),  # 16 digits where an RRN has 12
    (error_report, "reports", 1, "report_id", "报告 002"),
    (terminals, "reference", 1, "merchant_id", "商户 822100053990001"),
]


@pytest.mark.parametrize("build,folder,row,column,value", BAD,
                         ids=[f"{b.__name__}:{c}" for b, _, _, c, _ in BAD])
def test_an_identifier_that_does_not_fit_its_format_is_refused(
        parse_error: Callable[..., IngestError], build: Callable[[], Doc], folder: str, row: int,
        column: str, value: str) -> None:
    doc = build().set(row, column, value)
    err = parse_error(doc, folder=folder)
    assert_error(err, doc.line_of(row), column, "wrong format")


def test_keys_typed_by_hand_may_be_short_but_not_anything(
        parse_file: Callable[..., Loaded], parse_error: Callable[..., IngestError]) -> None:
    # Staff write a trace without its leading zeros: the report still loads.
    doc = error_report().set(0, "trace_no", "105").set(0, "terminal_id", "5399")
    frame = parse_file(doc, folder="reports").frame
    assert (frame["trace_no"][0], frame["terminal_id"][0]) == ("105", "5399")
    doc = error_report().set(1, "trace_no", "10 5")
    err = parse_error(doc, folder="reports")
    assert_error(err, doc.line_of(1), "trace_no", "wrong format")
