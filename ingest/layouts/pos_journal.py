"""Terminal journals: ``pos_journal_v1`` (UTF-8, English) and ``pos_journal_cn`` (GBK, Chinese).

Both land in tables with the same English column names; values stay as the file wrote them
(the Chinese layout keeps 消费, 芯片, …) and staging maps them to one vocabulary.
"""

from __future__ import annotations

from typing import ClassVar

import polars as pl

from posaudit.ingest.layouts.base import CsvLayout, fail_where
from posaudit.ingest.layouts.formats import (
    AUTH_CODE,
    MERCHANT_NO,
    OPERATOR,
    REFERENCE,
    RESP_CODE,
    RRN,
    SIX_DIGITS,
    TERMINAL_ID,
)
from posaudit.ingest.source import SourceFile
from posaudit.ingest.table import Field


def _common(txn_type: tuple[str, ...], channel: tuple[str, ...], card_type: tuple[str, ...],
            names: dict[str, str]) -> list[Field]:
    """The journal fields in the order of docs/formats.md; ``names`` maps to the file's headers."""
    return [
        Field(names["merchant_id"], "merchant_id", required=True, pattern=MERCHANT_NO),
        Field(names["terminal_id"], "terminal_id", required=True, pattern=TERMINAL_ID),
        Field(names["batch_no"], "batch_no", required=True, pattern=SIX_DIGITS),
        Field(names["trace_no"], "trace_no", required=True, pattern=SIX_DIGITS),
        Field(names["rrn"], "rrn", pattern=RRN),
        Field(names["auth_code"], "auth_code", pattern=AUTH_CODE),
        Field(names["txn_type"], "txn_type", required=True, values=txn_type),
        Field(names["orig_trace_no"], "orig_trace_no", pattern=SIX_DIGITS),
        Field(names["orig_rrn"], "orig_rrn", pattern=RRN),
        Field(names["order_no"], "order_no", pattern=REFERENCE),
        Field(names["channel"], "channel", required=True, values=channel),
        Field(names["card_no"], "card_no", kind="card"),
        Field(names["card_type"], "card_type", values=card_type),
        Field(names["amount"], "amount", kind="money", required=True),
        Field(names["currency"], "currency", required=True, pattern=r"[A-Z]{3}|\d{3}"),
        Field(names["resp_code"], "resp_code", pattern=RESP_CODE),
        Field(names["operator_id"], "operator_id", pattern=OPERATOR),
    ]


_JOURNAL_KEYS = (
    "merchant_id", "terminal_id", "batch_no", "trace_no", "rrn", "auth_code", "txn_type",
    "orig_trace_no", "orig_rrn", "order_no", "channel", "card_no", "card_type", "amount",
    "currency", "resp_code", "operator_id",
)


def _check_amount(src: SourceFile, frame: pl.DataFrame, field: str) -> None:
    fail_where(src.display_name, frame, frame["amount"] <= 0, field, "amount must be positive")


# pos_journal_v1's headers are the field names themselves.
_V1_NAMES = {n: n for n in _JOURNAL_KEYS}


class PosJournalV1(CsvLayout):
    name = "pos_journal_v1"
    table = "pos_journal_v1"
    folders = ("terminal",)
    markers: ClassVar[frozenset[str]] = frozenset(
        {"merchant_id", "terminal_id", "batch_no", "trace_no", "txn_time", "txn_type", "amount"}
    )
    fields = (
        *_common(
            ("SALE", "VOID", "REFUND", "REVERSAL", "PREAUTH", "PREAUTH_COMPLETE"),
            ("CHIP", "SWIPE", "CONTACTLESS", "QR_WECHAT", "QR_ALIPAY", "QR_UNIONPAY"),
            ("DEBIT", "CREDIT", "UNKNOWN"),
            _V1_NAMES,
        ),
        Field("txn_time", "txn_time", kind="datetime", required=True, fmt="%Y-%m-%d %H:%M:%S"),
    )

    def finish(self, src: SourceFile, frame: pl.DataFrame) -> pl.DataFrame:
        _check_amount(src, frame, "amount")
        return frame


_CN_NAMES = {
    "merchant_id": "商户号", "terminal_id": "终端号", "batch_no": "批次号", "trace_no": "凭证号",
    "rrn": "参考号", "auth_code": "授权码", "txn_type": "交易类型", "orig_trace_no": "原凭证号",
    "orig_rrn": "原参考号", "order_no": "商户订单号", "channel": "支付方式", "card_no": "卡号",
    "card_type": "卡类型", "amount": "交易金额", "currency": "币种", "resp_code": "应答码",
    "operator_id": "操作员",
}


class PosJournalCn(CsvLayout):
    name = "pos_journal_cn"
    table = "pos_journal_cn"
    folders = ("terminal",)
    markers: ClassVar[frozenset[str]] = frozenset(
        {"交易日期", "交易时间", "商户号", "终端号", "批次号", "凭证号", "交易类型", "支付方式"}
    )
    fields = (
        Field("交易日期", "txn_date", kind="date", required=True, fmt="%Y%m%d"),
        Field("交易时间", "txn_clock", kind="time", required=True, fmt="%H%M%S"),
        *_common(
            ("消费", "撤销", "退货", "冲正", "预授权", "预授权完成"),
            ("芯片", "磁条", "闪付", "微信", "支付宝", "银联二维码"),
            ("借记卡", "贷记卡", "其他"),
            _CN_NAMES,
        ),
    )

    def dropped_columns(self) -> set[str]:
        return {"txn_date", "txn_clock"}

    def extra_columns(self) -> list[tuple[str, str]]:
        return [("txn_time", "TIMESTAMP")]

    def finish(self, src: SourceFile, frame: pl.DataFrame) -> pl.DataFrame:
        _check_amount(src, frame, "交易金额")
        fail_where(src.display_name, frame, ~frame["currency"].is_in(["156", "CNY"]), "币种",
                   "expected 156 or CNY")
        txn_time = pl.col("txn_date").dt.combine(pl.col("txn_clock")).alias("txn_time")
        return frame.with_columns(txn_time).drop("txn_date", "txn_clock")
