"""``cn_pos_statement``: the 34-column acquirer POS statement (GBK), one file per settlement date.

Cardholder name and ID number (持卡人姓名, 持卡人身份证) and the payer account name
(出金方账户名称) are personal data: read, never stored.
"""

from __future__ import annotations

from typing import ClassVar

import polars as pl

from posaudit.ingest.layouts.base import CsvLayout, fail_where
from posaudit.ingest.layouts.formats import MERCHANT_NO, REFERENCE, RRN, SIX_DIGITS, TERMINAL_ID
from posaudit.ingest.source import SourceFile
from posaudit.ingest.table import Field

TXN_TYPES = ("消费", "撤销", "退货", "预授权完成")
PRODUCTS = ("银行卡", "微信", "支付宝", "银联二维码")


class CnPosStatement(CsvLayout):
    name = "cn_pos_statement"
    table = "cn_pos_statement"
    folders = ("settlement",)
    markers: ClassVar[frozenset[str]] = frozenset(
        {"商户号", "终端号", "交易时间", "交易类型", "交易金额", "手续费", "结算金额",
         "交易完成日期"}
    )
    fields = (
        Field("商户号", "merchant_id", required=True, pattern=MERCHANT_NO),
        Field("门店名称", "store_name", free_text=True),
        Field("终端号", "terminal_id", pattern=TERMINAL_ID),
        Field("交易时间", "txn_clock", kind="time", required=True),
        Field("交易类型", "txn_type", required=True, values=TXN_TYPES),
        Field("交易批次号", "batch_no", pattern=SIX_DIGITS),
        Field("凭证号", "trace_no", pattern=SIX_DIGITS),
        Field("参考号", "rrn", pattern=RRN),
        Field("卡号", "card_no", kind="card"),
        Field("卡类别", "card_category", free_text=True),
        Field("发卡行机构代码", "issuer_code", free_text=True),
        Field("发卡行名称", "issuer_name", free_text=True),
        Field("交易金额", "amount", kind="money", required=True),
        Field("手续费", "fee", kind="money", required=True),
        Field("交易日期", "txn_date", kind="date", required=True),
        Field("交易单号", "txn_serial", pattern=REFERENCE),
        Field("订单号", "order_no", pattern=REFERENCE),
        Field("商户备注", "merchant_remark", free_text=True),
        Field("对接应用号", "app_id", free_text=True),
        Field("原始金额", "original_amount", kind="money"),
        Field("结算金额", "settle_amount", kind="money", required=True),
        Field("产品类型", "product_type", values=PRODUCTS),
        Field("分期贴息", "installment_subsidy", kind="money"),
        Field("交易完成时间", "completed_time", free_text=True),
        Field("持卡人姓名", "cardholder_name", drop=True),
        Field("持卡人身份证", "cardholder_id_no", drop=True),
        Field("分期数", "installments", kind="int"),
        Field("优惠金额", "discount_amount", kind="money"),
        Field("实付金额", "paid_amount", kind="money"),
        Field("原交易单", "original_txn_serial", pattern=REFERENCE),
        Field("渠道交易类型", "channel_txn_type", free_text=True),
        Field("出金方账户名称", "payer_account_name", drop=True),
        Field("门店编号", "store_no", free_text=True),
        Field("交易完成日期", "settlement_date", kind="date", required=True),
    )

    def dropped_columns(self) -> set[str]:
        return {"txn_clock", "txn_date"}

    def extra_columns(self) -> list[tuple[str, str]]:
        return [("txn_time", "TIMESTAMP")]

    def finish(self, src: SourceFile, frame: pl.DataFrame) -> pl.DataFrame:
        name = src.display_name
        # 结算金额 = 交易金额 − 手续费 on every line: a statement that does not tie is rejected.
        fail_where(name, frame, frame["settle_amount"] != frame["amount"] - frame["fee"],
                   "结算金额", "does not equal 交易金额 − 手续费")
        fail_where(name, frame, (frame["txn_type"] == "退货") & (frame["amount"] > 0), "交易金额",
                   "a 退货 (refund) line must be negative")
        txn_time = pl.col("txn_date").dt.combine(pl.col("txn_clock")).alias("txn_time")
        return frame.with_columns(txn_time).drop("txn_clock", "txn_date")

    def scope(self, frame: pl.DataFrame) -> str | None:
        if frame.is_empty():
            return None
        merchants = ",".join(sorted(frame["merchant_id"].unique().to_list()))
        dates = frame["settlement_date"]
        return f"{merchants}|{dates.dt.min()}..{dates.dt.max()}"
