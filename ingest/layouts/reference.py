"""``reference/``: terminals.csv and fee_contracts.csv. A newer file replaces the older one.

A terminal listed twice is caught by the incoming checks (``keys_unique``), as a repeated line
of any other file is.
"""

from __future__ import annotations

from typing import ClassVar

import polars as pl

from posaudit.ingest.layouts.base import CsvLayout, fail_where
from posaudit.ingest.layouts.formats import ACCOUNT, TERMINAL_ID
from posaudit.ingest.source import SourceFile
from posaudit.ingest.table import Field


class Terminals(CsvLayout):
    name = "terminals"
    table = "ref_terminals"
    folders = ("reference",)
    markers: ClassVar[frozenset[str]] = frozenset(
        {"terminal_id", "merchant_id", "store_id", "acquirer"}
    )
    fields = (
        Field("terminal_id", "terminal_id", required=True, pattern=TERMINAL_ID),
        Field("merchant_id", "merchant_id", required=True, pattern=ACCOUNT),
        Field("store_id", "store_id", free_text=True),
        Field("store_name", "store_name", free_text=True),
        Field("region", "region", free_text=True),
        Field("acquirer", "acquirer", free_text=True),
        Field("model", "model", free_text=True),
        Field("firmware", "firmware", free_text=True),
        Field("installed_on", "installed_on", kind="date"),
    )

    def scope(self, frame: pl.DataFrame) -> str | None:
        return "reference/terminals"


class FeeContracts(CsvLayout):
    name = "fee_contracts"
    table = "ref_fee_contracts"
    folders = ("reference",)
    markers: ClassVar[frozenset[str]] = frozenset(
        {"acquirer", "merchant_id", "channel_group", "rate", "effective_from"}
    )
    fields = (
        Field("acquirer", "acquirer", required=True, free_text=True),
        Field("merchant_id", "merchant_id", required=True, pattern=ACCOUNT),
        Field("channel_group", "channel_group", required=True, values=("CARD", "QR")),
        Field("card_type", "card_type", values=("DEBIT", "CREDIT", "*")),
        Field("rate", "rate", kind="rate", required=True),
        Field("fee_min", "fee_min", kind="money"),
        Field("fee_cap", "fee_cap", kind="money"),
        Field("effective_from", "effective_from", kind="date", required=True),
        Field("effective_to", "effective_to", kind="date"),
        Field("settlement_rule", "settlement_rule", values=("D0", "T1")),
        Field("d0_min_amount", "d0_min_amount", kind="money"),
        Field("d0_window", "d0_window", pattern=r"\d{2}:\d{2}-\d{2}:\d{2}"),
    )

    def finish(self, src: SourceFile, frame: pl.DataFrame) -> pl.DataFrame:
        name = src.display_name
        fail_where(name, frame, (frame["rate"] < 0) | (frame["rate"] >= 1), "rate",
                   "rate is a fraction between 0 and 1 (0.0060 for 0.60%)")
        ends_before = (frame["effective_to"] < frame["effective_from"]).fill_null(False)
        fail_where(name, frame, ends_before, "effective_to", "ends before effective_from")
        return frame

    def scope(self, frame: pl.DataFrame) -> str | None:
        return "reference/fee_contracts"
