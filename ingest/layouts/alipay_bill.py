"""``alipay_bill``: Alipay 业务明细 (GBK CSV, or a zip holding it).

A ``#`` header block (account, period), a start marker, the detail header and rows, an end
marker and ``#`` footer lines whose totals (交易合计, 退款合计) must tie to the rows: they become
:class:`Control` items for the incoming checks (``summary_ties``). ID and text fields end with a
TAB. 服务费 is written negative by some exports: its absolute value is the fee.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

import polars as pl

from posaudit.ingest.errors import IngestError
from posaudit.ingest.layouts.base import Control, Layout, Parsed
from posaudit.ingest.layouts.formats import REFERENCE
from posaudit.ingest.source import SourceFile
from posaudit.ingest.table import Field, cast_fields, norm, read_delimited

FIELDS = (
    Field("支付宝交易号", "alipay_trade_no", required=True, pattern=REFERENCE),
    Field("商户订单号", "order_no", pattern=REFERENCE),
    Field("业务类型", "biz_type", required=True, values=("交易", "退款")),
    Field("商品名称", "product_name", free_text=True),
    Field("创建时间", "created_at", kind="datetime", required=True),
    Field("完成时间", "finished_at", kind="datetime"),
    Field("门店编号", "store_no", free_text=True),
    Field("门店名称", "store_name", free_text=True),
    Field("操作员", "operator", free_text=True),
    Field("终端号", "terminal_id", pattern=REFERENCE),
    Field("对方账户", "counterparty_account", free_text=True),
    Field("订单金额(元)", "order_amount", kind="money", required=True),
    Field("商家实收(元)", "merchant_received", kind="money", required=True),
    Field("支付宝红包(元)", "alipay_red_packet", kind="money"),
    Field("集分宝(元)", "jifenbao", kind="money"),
    Field("支付宝优惠(元)", "alipay_discount", kind="money"),
    Field("商家优惠(元)", "merchant_discount", kind="money"),
    Field("券核销金额(元)", "coupon_amount", kind="money"),
    Field("券名称", "coupon_name", free_text=True),
    Field("商家红包消费金额(元)", "merchant_red_packet", kind="money"),
    Field("卡消费金额(元)", "card_amount", kind="money"),
    Field("退款批次号/请求号", "refund_request_no", pattern=REFERENCE),
    Field("服务费(元)", "service_fee", kind="money"),
    Field("分润(元)", "profit_share", kind="money"),
    Field("备注", "remark", free_text=True),
)

_BRACKET = re.compile(r"\[([^\]]*)\]")
_COUNT = re.compile(r"(\d+)笔")
_RECEIVED = re.compile(r"商家实收共\s*(-?[\d.,]+)\s*元")


class AlipayBill(Layout):
    name = "alipay_bill"
    table = "alipay_bill"
    folders = ("settlement",)
    fields = FIELDS

    def detect(self, src: SourceFile, head: str) -> bool:
        text = norm(head[:400])
        return text.startswith("#支付宝") or ("支付宝交易号" in head and "商家实收" in norm(head))

    def extra_columns(self) -> list[tuple[str, str]]:
        return [("account", "VARCHAR"), ("period_start", "TIMESTAMP"), ("period_end", "TIMESTAMP")]

    def parse(self, src: SourceFile, key: object) -> Parsed:
        name = src.display_name
        lines = [line.rstrip("\r") for line in src.text.split("\n")]
        folded = [norm(line) for line in lines]
        account, start, end = _header_block(folded)
        begin = next((i for i, s in enumerate(folded)
                      if s.startswith("#-") and "业务明细列表" in s and "结束" not in s), None)
        if begin is None:
            raise IngestError(name, None, None, "start marker #-----业务明细列表----- is missing")
        finish = next((i for i in range(begin + 1, len(folded))
                       if folded[i].startswith("#-") and "结束" in folded[i]), None)
        if finish is None:
            raise IngestError(name, len(lines), None,
                              "end marker #-----业务明细列表结束----- is missing: the bill is "
                              "truncated")
        table = read_delimited(name, "\n".join(lines[begin + 1 : finish]), begin + 2)
        frame = cast_fields(table, FIELDS)
        frame = frame.with_columns(pl.col("service_fee").abs())
        controls = _footer_controls(name, folded, finish, frame)
        frame = frame.with_columns(
            pl.lit(account, dtype=pl.String).alias("account"),
            pl.lit(start, dtype=pl.Datetime("us")).alias("period_start"),
            pl.lit(end, dtype=pl.Datetime("us")).alias("period_end"),
        )
        scope = f"{account}|{start}..{end}" if account and start else None
        return Parsed(self.name, frame, rows_read=len(table), scope_key=scope,
                      controls=controls)


def _header_block(folded: list[str]) -> tuple[str | None, datetime | None, datetime | None]:
    account = start = end = None
    for s in folded[:20]:
        if s.startswith("#账号"):
            found = _BRACKET.findall(s)
            account = found[0].strip() if found else s.split(":", 1)[-1].strip()
        elif s.startswith("#起始日期"):
            found = _BRACKET.findall(s)
            if len(found) >= 2:
                start, end = (_to_datetime(found[0]), _to_datetime(found[1]))
    return account, start, end


def _to_datetime(text: str) -> datetime | None:
    """Header dates come as 2026-11-03 00:00:00 or 2026年11月03日 00:00:00; None if neither."""
    cleaned = re.sub(r"[年月/]", "-", text.strip()).replace("日", "")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(cleaned.strip(), fmt)
        except ValueError:
            continue
    return None


def _footer_controls(name: str, folded: list[str], finish: int, frame: pl.DataFrame
                     ) -> list[Control]:
    """The footer's count (笔) and 商家实收 total per business type, beside the rows'."""
    footers = {"交易": "#交易合计", "退款": "#退款合计"}
    controls = []
    for biz, prefix in footers.items():
        at = next((i for i in range(finish + 1, len(folded)) if folded[i].startswith(prefix)),
                  None)
        if at is None:
            raise IngestError(name, finish + 1, None,
                              f"footer line {prefix} is missing: the bill is truncated")
        title = prefix.lstrip("#")
        rows = frame.filter(pl.col("biz_type") == biz)
        count = _COUNT.search(folded[at])
        received = _RECEIVED.search(folded[at])
        if count:
            controls.append(Control(at + 1, title, f"{biz} rows (笔)",
                                    Decimal(count.group(1)), Decimal(rows.height)))
        if received:
            try:
                stated = Decimal(received.group(1).replace(",", ""))
            except InvalidOperation:  # "1.082.00", "," and the like
                raise IngestError(name, at + 1, "商家实收",
                                  f"not a number: {received.group(1)[:30]!r}") from None
            total = rows["merchant_received"].sum() if rows.height else 0
            actual = Decimal(str(total))
            label = f"sum of the {biz} rows' 商家实收"
            # Some exports write refund totals unsigned: the rows' sum then ties negated.
            if biz == "退款" and stated != actual and stated == -actual:
                actual, label = -actual, label + " (written unsigned)"
            controls.append(Control(at + 1, "商家实收", label, stated, actual))
    return controls
