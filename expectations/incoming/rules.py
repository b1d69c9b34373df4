"""What each layout is held to: its line key, required columns, amounts, period, stated
totals and balance chain, and which of its columns hold money or text to scan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from datetime import time as clock
from functools import cache

import polars as pl

from posaudit.ingest.layouts.base import Layout

# In the order a quarantined file's error lists them (critical ones go first).
CHECKS = ("columns_typed", "keys_not_null", "keys_unique", "amounts_in_range",
          "dates_in_period", "summary_ties", "balance_chain", "no_card_numbers",
          "card_numbers_masked")
# Checks whose failures are reported while the file still loads: what they flag was already
# made safe (a card number masked where it stood).
LOADS_ANYWAY = frozenset({"card_numbers_masked"})
MONEY_KINDS = ("money", "money5", "amount4")


@dataclass(frozen=True)
class Period:
    """How a layout's lines are dated and the period the file implies for them.

    ``bounds`` gives the file's own start and end (Datetime expressions, or None where the
    file implies none); the run's bounds (``earliest_date``, the day after the run) apply on
    top unless ``open_ended`` (a contract may start in the future)."""

    column: str
    rule: str
    bounds: Callable[[pl.DataFrame], tuple[pl.Expr | None, pl.Expr | None]] | None = None
    open_ended: bool = False


@dataclass(frozen=True)
class Rules:
    keys: tuple[str, ...] = ()  # the line key: unique within a file
    required: tuple[str, ...] = ()  # set on every line
    unique_where_set: str | None = None  # the key applies only to lines where this is set
    key_note: str = ""
    # Amounts are those of single transactions; lines that total many (a bank payout, a
    # balance, an Adyen payout) are not held to the limit.
    amounts: bool = True
    amounts_where: pl.Expr | None = None
    amounts_note: str = ""
    period: Period | None = None
    controls: bool = False  # the file states totals of its own (summary_ties)
    balance_chain: bool = False


def end_of_day(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.Date).cast(pl.Datetime("us")) + pl.duration(days=1, microseconds=-1)


def _bill_day(frame: pl.DataFrame) -> tuple[pl.Expr | None, pl.Expr | None]:
    """A wallet bill lists one day: the day most of its lines carry (the earlier on a tie)."""
    days = (frame.select(pl.col("trade_time").dt.date().alias("day")).drop_nulls()
            .group_by("day").len().sort(["len", "day"], descending=[True, False]))
    if days.is_empty():
        return None, None
    day = days["day"][0]
    start = pl.lit(datetime.combine(day, clock()), dtype=pl.Datetime("us"))
    return start, end_of_day(start)


def _statement_period(frame: pl.DataFrame) -> tuple[pl.Expr | None, pl.Expr | None]:
    return None, end_of_day(pl.col("settlement_date"))


def _alipay_period(frame: pl.DataFrame) -> tuple[pl.Expr | None, pl.Expr | None]:
    return pl.col("period_start"), pl.col("period_end")


_RUN = "not before earliest_date and not after the day after the run"
_JOURNAL = Rules(
    keys=("terminal_id", "batch_no", "trace_no"),
    required=("terminal_id", "batch_no", "trace_no"),
    key_note="a voucher number is unique per terminal and batch",
    period=Period("txn_time", f"a journal states no period: {_RUN}"),
)
RULES: dict[str, Rules] = {
    "pos_journal_v1": _JOURNAL,
    "pos_journal_cn": _JOURNAL,
    "cn_pos_statement": Rules(
        keys=("terminal_id", "batch_no", "trace_no"),
        required=("merchant_id", "terminal_id", "batch_no", "trace_no"),
        key_note="the journal's line key, as the statement repeats it",
        period=Period("txn_time", "no transaction after the statement's settlement date "
                                  f"(交易完成日期); {_RUN}", _statement_period),
    ),
    "wechat_bill": Rules(
        keys=("wechat_order_no", "wechat_refund_no"),
        required=("wechat_order_no",),
        key_note="an order once, each of its refunds once",
        period=Period("trade_time", f"a bill lists one day (the day of most of its lines); "
                                    f"{_RUN}", _bill_day),
        controls=True,
    ),
    "alipay_bill": Rules(
        keys=("alipay_trade_no", "biz_type", "refund_request_no"),
        required=("alipay_trade_no", "biz_type"),
        key_note="a trade once, each of its refunds once",
        period=Period("created_at", "within the bill's 起始日期 … 终止日期 when it states them; "
                                    f"{_RUN}", _alipay_period),
        controls=True,
    ),
    "adyen_sdr": Rules(
        keys=("psp_reference", "type", "modification_reference"),
        required=("merchant_account", "type"),
        unique_where_set="psp_reference",
        key_note="lines with a Psp Reference; batch-level lines (Fee, MerchantPayout) have none",
        amounts_where=pl.col("psp_reference").is_not_null(),
        amounts_note=" on lines with a Psp Reference (batch-level lines total the batch)",
        period=Period("creation_date", f"a report states no period: {_RUN}"),
        controls=True,
    ),
    "bank_statement_cn": Rules(
        keys=("serial_no",), required=("serial_no",),
        key_note="a bank's serial number names one booking",
        amounts=False,  # payouts total a day's settlement, and balances are no amounts
        period=Period("txn_date", f"a statement states no period inside the file: {_RUN}"),
        balance_chain=True,
    ),
    "terminal_events": Rules(
        required=("terminal_id", "event_time", "event_type"),
        period=Period("event_time", _RUN),
    ),
    "error_report": Rules(
        keys=("report_id",), required=("report_id",),
        key_note="one line per report",
        period=Period("reported_at", _RUN),
    ),
    "terminals": Rules(
        keys=("terminal_id",), required=("terminal_id", "merchant_id"),
        key_note="a terminal is listed once",
        period=Period("installed_on", _RUN),
    ),
    "fee_contracts": Rules(
        keys=("acquirer", "merchant_id", "channel_group", "card_type", "effective_from"),
        required=("acquirer", "merchant_id", "channel_group", "effective_from"),
        key_note="one rate per acquirer, merchant, channel, card type and start date",
        period=Period("effective_from", "not before earliest_date (a contract may start in "
                                        "the future)", open_ended=True),
    ),
}


def rules_for(layout: Layout) -> Rules:
    return RULES.get(layout.name, Rules())


@cache
def stored_columns(layout: Layout) -> tuple[tuple[str, str], ...]:
    """The raw table's columns and DuckDB types (``layout.ddl()``, computed once)."""
    return tuple(layout.ddl())


@cache
def money_columns(layout: Layout) -> tuple[str, ...]:
    stored = {name for name, _ in stored_columns(layout)}
    return tuple(f.name for f in layout.fields if f.kind in MONEY_KINDS and f.name in stored)


@cache
def scanned_columns(layout: Layout) -> tuple[str, ...]:
    """Stored text columns that must never hold a full card number: all of them but the
    identifiers with a format (an order number may look like a card and is stored as it is),
    card_token (a keyed hash, hex digits by chance) and file_id (added on load)."""
    identifiers = {f.name for f in layout.fields if f.has_format}
    return tuple(name for name, kind in stored_columns(layout)
                 if kind.split()[0] in ("VARCHAR", "JSON")
                 and name not in identifiers and name not in ("file_id", "card_token"))


@cache
def has_free_text(layout: Layout) -> bool:
    """Whether ingest masks card numbers in some column of this layout (free-text fields, and
    the columns a layout keeps as they came, such as adyen_sdr's extra_columns)."""
    return any(f.free_text for f in layout.fields) or "extra_columns" in dict(
        stored_columns(layout))


def source_name(layout: Layout, column: str) -> str:
    """The file's own name for a column (交易金额 for amount), as errors name fields."""
    for f in layout.fields:
        if f.name == column or (f.kind == "card" and column in ("card_token", "card_mask")):
            return f.source
    if column == "txn_time":  # combined from 交易日期 and 交易时间
        for f in layout.fields:
            if f.name == "txn_date":
                return f.source
    return column
