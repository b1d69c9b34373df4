"""``wechat_bill``: the WeChat Pay trade bill (交易账单), current 27-column and legacy 24-column.

Blocks: detail header, detail rows, summary header, summary row. Data fields carry a backtick
prefix; empty IDs are written `` `0 ``. The summary must equal the sum of the detail rows: each
summary total becomes a :class:`Control` that the incoming checks (``summary_ties``) hold to
its rows; a summary that is missing or unreadable is a parse error.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import polars as pl

from posaudit.ingest.errors import IngestError
from posaudit.ingest.layouts.base import Control, Layout, Parsed, first_line, header_names
from posaudit.ingest.layouts.formats import ACCOUNT, REFERENCE
from posaudit.ingest.source import SourceFile
from posaudit.ingest.table import Field, StringTable, cast_fields, norm, read_delimited

_COMMON_HEAD = (
    Field("交易时间", "trade_time", kind="datetime", required=True, fmt="%Y-%m-%d %H:%M:%S"),
    Field("公众账号ID", "app_id", pattern=REFERENCE),
    Field("商户号", "merchant_id", required=True, pattern=ACCOUNT),
    Field("特约商户号", "sub_merchant_id", pattern=ACCOUNT, aliases=("子商户号",)),
    Field("设备号", "device_id", pattern=REFERENCE),
    Field("微信订单号", "wechat_order_no", required=True, pattern=REFERENCE),
    Field("商户订单号", "order_no", pattern=REFERENCE),
    Field("用户标识", "user_id", pattern=r"[\x21-\x7e]{1,128}"),
    Field("交易类型", "trade_type", free_text=True),
    Field("交易状态", "trade_status", required=True, free_text=True),
    Field("付款银行", "bank", free_text=True),
    Field("货币种类", "currency", free_text=True),
)
_REFUND = (
    Field("微信退款单号", "wechat_refund_no", pattern=REFERENCE),
    Field("商户退款单号", "merchant_refund_no", pattern=REFERENCE),
    Field("退款金额", "refund_amount", kind="money", required=True),
)
_TAIL = (
    Field("退款类型", "refund_type", free_text=True),
    Field("退款状态", "refund_status", free_text=True),
    Field("商品名称", "product_name", free_text=True),
    Field("商户数据包", "attach", free_text=True),
    Field("手续费", "fee", kind="money5", required=True),
    Field("费率", "fee_rate", kind="percent"),
)

CURRENT = (
    *_COMMON_HEAD,
    Field("应结订单金额", "settle_amount", kind="money", required=True),
    Field("代金券金额", "coupon_amount", kind="money"),
    *_REFUND,
    Field("充值券退款金额", "coupon_refund_amount", kind="money"),
    *_TAIL,
    Field("订单金额", "order_amount", kind="money", required=True),
    Field("申请退款金额", "requested_refund_amount", kind="money"),
    Field("费率备注", "fee_rate_note", free_text=True),
)
LEGACY = (
    *_COMMON_HEAD,
    Field("总金额", "settle_amount", kind="money", required=True),
    Field("代金券或立减优惠金额", "coupon_amount", kind="money"),
    *_REFUND,
    Field("代金券或立减优惠退款金额", "coupon_refund_amount", kind="money"),
    *_TAIL,
)

# Summary column -> the detail column it totals (None: the row count).
SUMMARY_CURRENT = {
    "总交易单数": None, "应结订单总金额": "settle_amount", "退款总金额": "refund_amount",
    "充值券退款总金额": "coupon_refund_amount", "手续费总金额": "fee",
    "订单总金额": "order_amount", "申请退款总金额": "requested_refund_amount",
}
SUMMARY_LEGACY = {
    "总交易单数": None, "总交易额": "settle_amount", "总退款金额": "refund_amount",
    "总代金券或立减优惠退款金额": "coupon_refund_amount", "手续费总金额": "fee",
}
_ZERO_IS_EMPTY = ("sub_merchant_id", "device_id", "wechat_refund_no", "merchant_refund_no")


class WechatBill(Layout):
    name = "wechat_bill"
    table = "wechat_bill"
    folders = ("settlement",)
    fields = CURRENT

    def detect(self, src: SourceFile, head: str) -> bool:
        return {"交易时间", "公众账号ID", "商户号", "微信订单号", "交易状态"} <= header_names(
            first_line(head)
        )

    def extra_columns(self) -> list[tuple[str, str]]:
        return [("bill_variant", "VARCHAR")]

    def parse(self, src: SourceFile, key: object) -> Parsed:
        name = src.display_name
        lines = src.text.split("\n")
        start = next((i for i, line in enumerate(lines) if line.strip()), 0)
        summary_at = next(
            (i for i, line in enumerate(lines) if norm(line.split(",")[0]) == "总交易单数"), None
        )
        if summary_at is None:
            raise IngestError(name, len(lines), None,
                              "summary block (总交易单数 …) is missing: the bill is truncated")
        table = read_delimited(name, "\n".join(lines[start:summary_at]), start + 1,
                               strip_backtick=True)
        legacy = "应结订单金额" not in table.header
        fields = LEGACY if legacy else CURRENT
        table = _blank_zero_ids(table, fields)
        frame = cast_fields(table, fields)
        if legacy:
            frame = frame.with_columns(
                pl.col("settle_amount").alias("order_amount"),
                pl.lit(None, dtype=pl.Decimal(18, 2)).alias("requested_refund_amount"),
                pl.lit(None, dtype=pl.String).alias("fee_rate_note"),
            )
        controls = _summary_controls(name, lines, summary_at, frame,
                                     SUMMARY_LEGACY if legacy else SUMMARY_CURRENT,
                                     {f.name: f.source for f in fields})
        frame = frame.with_columns(pl.lit("v24" if legacy else "v27").alias("bill_variant"))
        return Parsed(self.name, frame, rows_read=len(table), scope_key=_scope(frame),
                      controls=controls)


def _blank_zero_ids(table: StringTable, fields: tuple[Field, ...]) -> StringTable:
    cols = []
    for f in fields:
        if f.name not in _ZERO_IS_EMPTY:
            continue
        for i, h in enumerate(table.header):
            if f.matches(h):
                c = f"c{i}"
                cols.append(pl.when(pl.col(c) == "0").then(None).otherwise(pl.col(c)).alias(c))
    if cols:
        table.frame = table.frame.with_columns(cols)
    return table


def _summary_controls(name: str, lines: list[str], at: int, frame: pl.DataFrame,
                      spec: dict[str, str | None], sources: dict[str, str]) -> list[Control]:
    """Each summary total beside the sum of its detail column (the row count for 总交易单数)."""
    header = [norm(h) for h in lines[at].split(",")]
    values_at = next((i for i in range(at + 1, len(lines)) if lines[i].strip()), None)
    if values_at is None:
        raise IngestError(name, at + 1, None, "summary row is missing: the bill is truncated")
    values = [v.strip().lstrip("`").strip() for v in lines[values_at].split(",")]
    if len(values) != len(header):
        raise IngestError(name, values_at + 1, None,
                          f"summary row has {len(values)} fields, its header {len(header)}")
    controls = []
    for title, value in zip(header, values, strict=True):
        if title not in spec:
            continue
        column = spec[title]
        try:
            stated: Decimal | None = Decimal(value.replace(",", "")) if value else Decimal(0)
        except InvalidOperation:
            stated = None
        if stated is None or not stated.is_finite():  # NaN and sNaN parse, but are no amount
            raise IngestError(name, values_at + 1, title, f"not a number: {value[:30]!r}")
        if column is None:
            actual, label = Decimal(frame.height), "detail rows"
        else:
            total = frame[column].sum() if column in frame.columns else None
            actual = Decimal(str(total)) if total is not None else Decimal(0)
            label = f"sum of the detail rows' {sources.get(column, column)}"
        controls.append(Control(values_at + 1, title, label, stated, actual))
    return controls


def _scope(frame: pl.DataFrame) -> str | None:
    if frame.is_empty():
        return None
    merchants = ",".join(sorted(frame["merchant_id"].unique().to_list()))
    days = frame["trade_time"].dt.date()
    return f"{merchants}|{days.dt.min()}..{days.dt.max()}"
