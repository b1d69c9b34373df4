"""``bank_statement_cn``: a merchant's bank-account statement (GBK or UTF-8 CSV).

余额 must chain in file order: each balance is the previous one plus credit minus debit. That is
an incoming data-quality check (``balance_chain``, expectations/incoming.py), not a parse error:
a statement that skips is read, then refused with the line where the chain breaks.
"""

from __future__ import annotations

from typing import ClassVar

import polars as pl

from posaudit.ingest.layouts.base import CsvLayout, fail_where
from posaudit.ingest.layouts.formats import REFERENCE
from posaudit.ingest.source import SourceFile
from posaudit.ingest.table import MONEY, Field


class BankStatementCn(CsvLayout):
    name = "bank_statement_cn"
    table = "bank_statement_cn"
    folders = ("bank",)
    markers: ClassVar[frozenset[str]] = frozenset(
        {"交易日期", "交易时间", "交易流水号", "摘要", "借方金额", "贷方金额", "余额"}
    )
    fields = (
        Field("交易日期", "txn_date", kind="date", required=True),
        Field("交易时间", "txn_clock", kind="time", required=True),
        Field("交易流水号", "serial_no", required=True, pattern=REFERENCE),
        Field("摘要", "summary", free_text=True),
        Field("借方金额", "debit", kind="money"),
        Field("贷方金额", "credit", kind="money"),
        Field("余额", "balance", kind="money", required=True),
        Field("对方户名", "counterparty_name", free_text=True),
        Field("对方账号", "counterparty_account", free_text=True),
        Field("备注", "memo", free_text=True),
    )

    def dropped_columns(self) -> set[str]:
        return {"txn_clock"}

    def extra_columns(self) -> list[tuple[str, str]]:
        return [("txn_time", "TIMESTAMP")]

    def finish(self, src: SourceFile, frame: pl.DataFrame) -> pl.DataFrame:
        name = src.display_name
        zero = pl.lit(0, dtype=MONEY)
        frame = frame.with_columns(
            pl.col("debit").fill_null(zero), pl.col("credit").fill_null(zero)
        )
        for column, source in (("debit", "借方金额"), ("credit", "贷方金额")):
            fail_where(name, frame, frame[column] < 0, source,
                       "debit and credit must not be negative")
        txn_time = pl.col("txn_date").dt.combine(pl.col("txn_clock")).alias("txn_time")
        return frame.with_columns(txn_time).drop("txn_clock")
