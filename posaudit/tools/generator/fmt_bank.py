"""bank/: ``bank_statement_cn``, one file per merchant account and week or month (GBK or
UTF-8 by bank), balance chaining across files."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from posaudit.tools.generator.config import DAY, GenerateSummary
from posaudit.tools.generator.render import money, stamp
from posaudit.tools.generator.world import World
from posaudit.tools.generator.writers import csv_text, encode, write_bytes


def _periods(world: World, period: str) -> list[tuple[int, int]]:
    """[first, last] business days of each statement: ISO weeks or calendar months."""
    window = world.window
    out: list[tuple[int, int]] = []
    first = 0
    for d in range(1, window.bank_end + 2):
        end = d > window.bank_end or (
            window.weekday(d) == 0 if period == "week" else window.date(d).day == 1)
        if end:
            out.append((first, d - 1))
            first = d
    return out


def write_statements(out: Path, world: World, lines: pl.DataFrame,
                     summary: GenerateSummary) -> None:
    window = world.window
    for m in world.merchants:
        _, code, period, encoding = m.spec.bank
        mine = lines.filter(pl.col("merchant") == m.idx)
        for a, b in _periods(world, period):
            part = mine.filter((pl.col("ts") >= a * DAY) & (pl.col("ts") < (b + 1) * DAY))
            frame = part.select(
                stamp("ts", window, "%Y-%m-%d").alias("交易日期"),
                stamp("ts", window, "%H:%M:%S").alias("交易时间"),
                pl.col("serial").alias("交易流水号"), pl.col("summary").alias("摘要"),
                pl.when(pl.col("debit") > 0).then(money("debit")).alias("借方金额"),
                pl.when(pl.col("credit") > 0).then(money("credit")).alias("贷方金额"),
                money("balance").alias("余额"), pl.col("party").alias("对方户名"),
                pl.when(pl.col("party_account") != "").then(pl.col("party_account"))
                .alias("对方账号"),
                pl.col("memo").alias("备注"),
            )
            gbk = encoding == "gbk"
            name = f"{code}_{m.bank_account[-4:]}_{window.ymd(a)}_{window.ymd(b)}.csv"
            write_bytes(out / "bank" / name, encode(csv_text(frame, crlf=gbk), encoding))
            summary.add("bank_statement_cn", 1, frame.height)
