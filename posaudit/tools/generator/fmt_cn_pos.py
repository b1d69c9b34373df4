"""settlement/: ``cn_pos_statement``, the 34-column acquirer POS statement (GBK).

One file per merchant number and settlement date, for every date the acquirer covers, even a
date without lines: coverage is how a missing line is told from a pending one. Allinpay prints
the cardholder's name and ID number (synthetic here). One statement arrives twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from posaudit.tools.generator.cards import BINS, holder_ids, holder_names
from posaudit.tools.generator.config import GenerateSummary
from posaudit.tools.generator.context import Context
from posaudit.tools.generator.render import money, stamp, zpad
from posaudit.tools.generator.rows import PREAUTH_COMPLETE, REFUND
from posaudit.tools.generator.world import CN_POS, QR_WECHAT
from posaudit.tools.generator.writers import csv_text, encode, write_bytes

COLUMNS = (
    "商户号", "门店名称", "终端号", "交易时间", "交易类型", "交易批次号", "凭证号", "参考号",
    "卡号", "卡类别", "发卡行机构代码", "发卡行名称", "交易金额", "手续费", "交易日期", "交易单号",
    "订单号",
    "商户备注", "对接应用号", "原始金额", "结算金额", "产品类型", "分期贴息", "交易完成时间",
    "持卡人姓名", "持卡人身份证", "分期数", "优惠金额", "实付金额", "原交易单", "渠道交易类型",
    "出金方账户名称", "门店编号", "交易完成日期",
)
_PRODUCT = pl.Series(["银行卡", "银行卡", "银行卡", "微信", "支付宝", "银联二维码"])
_FILE_NAMES = {"LAKALA": "LKL_{no}_{ymd}.csv", "ALLINPAY": "allinpay_{no}_{iso}_settle.csv",
               "UMS": "UMS_{no}_{ymd}_JYMX.csv"}


@dataclass(frozen=True)
class Holders:
    """Synthetic cardholder names and ID numbers, by card (``cards`` sorted)."""

    cards: np.ndarray
    names: list[str]
    ids: list[str]


def _holders(ctx: Context, lines: pl.DataFrame) -> Holders:
    """Holders of the cards on the statements that print them."""
    prints = np.array([a.acquirer.prints_holder for a in ctx.world.accounts])
    pos = lines["pos"].to_numpy()[prints[lines["account"].to_numpy()]]
    cards = np.unique(ctx.rows["card"][pos])
    cards = cards[cards >= 0]
    rng = np.random.default_rng([len(ctx.pool), 77])
    return Holders(cards, holder_names(rng, cards.size), holder_ids(rng, cards.size))


def statement_frame(ctx: Context, lines: pl.DataFrame, number: str,
                    holders: Holders | None) -> pl.DataFrame:
    r, k, world = ctx.rows, ctx.keys, ctx.world
    window = world.window
    pos = lines["pos"].to_numpy()
    kind, chan, card = r["kind"][pos], r["chan"][pos], r["card"][pos]
    is_card = chan < QR_WECHAT
    store = ctx.routing.store[pos]
    bin_idx = np.where(card >= 0, ctx.pool.bin_idx[np.maximum(card, 0)], 0)
    parent = ctx.parent_pos(pos)
    ptrace = np.where(parent >= 0, k.trace[np.maximum(parent, 0)], -1)
    pts = np.where(parent >= 0, r["ts"][np.maximum(parent, 0)], 0)
    ctype = ctx.pool.card_type[np.maximum(card, 0)]
    refund = kind == REFUND
    channel_type = np.where(is_card, np.where(refund, 1, np.where(kind == PREAUTH_COMPLETE, 2, 0)),
                            np.where(refund, 4, 3))
    name = idno = pl.Series([None] * pos.size, dtype=pl.String)
    if holders is not None and holders.cards.size:
        at = np.clip(np.searchsorted(holders.cards, card), 0, holders.cards.size - 1)
        has = is_card & (holders.cards[at] == card)
        name = pl.Series(holders.names).gather(at).zip_with(pl.Series(has), name)
        idno = pl.Series(holders.ids).gather(at).zip_with(pl.Series(has), idno)
    df = pl.DataFrame({
        "ts": lines["ts"], "amount": lines["amount"], "fee": lines["fee"], "net": lines["net"],
        "day": lines["day"], "batch": k.batch[pos], "trace": k.trace[pos], "rrn": k.rrn[pos],
        "is_card": is_card, "ptrace": ptrace, "pts": pts, "has_parent": parent >= 0,
        "store_name": pl.Series([s.name for s in world.stores]).gather(store),
        "store_id": pl.Series([s.store_id for s in world.stores]).gather(store),
        "terminal": ctx.terminal_ids.gather(r["term"][pos]),
        "type": pl.Series(["消费", "", "退货", "", "", "预授权完成"]).gather(kind),
        "card_no": ctx.card_text(np.where(is_card, card, -1), full=False),
        "card_cat": pl.Series(["借记卡", "贷记卡"]).gather(ctype),
        "issuer_code": pl.Series([b.issuer_code for b in BINS]).gather(bin_idx),
        "issuer_name": pl.Series([b.issuer_name for b in BINS]).gather(bin_idx),
        "order_no": ctx.orders(pos),
        "product": _PRODUCT.gather(chan),
        "channel_type": pl.Series(["POS消费", "POS退货", "预授权完成", "扫码支付", "扫码退款"]
                                  ).gather(channel_type),
        "holder": name, "holder_id": idno,
    })
    serial = pl.concat_str(stamp("ts", window, "%Y%m%d%H%M%S"), zpad("trace", 6))
    parent_serial = pl.concat_str(stamp("pts", window, "%Y%m%d%H%M%S"), zpad("ptrace", 6))
    if world.host is not None:  # the acquirer's own 12-digit serials
        uid = r["uid"]
        df = df.with_columns(
            serial=pl.Series(world.host.statement_serials(uid[pos]), dtype=pl.String),
            parent_serial=pl.Series(world.host.statement_serials(uid[np.maximum(parent, 0)]),
                                    dtype=pl.String))
        serial, parent_serial = pl.col("serial"), pl.col("parent_serial")
    settle_date = stamp(pl.col("day") * 86_400, window, "%Y-%m-%d")
    card_only = pl.col("is_card")
    return df.select(
        pl.lit(number).alias("商户号"), pl.col("store_name").alias("门店名称"),
        pl.col("terminal").alias("终端号"), stamp("ts", window, "%H:%M:%S").alias("交易时间"),
        pl.col("type").alias("交易类型"), zpad("batch", 6).alias("交易批次号"),
        zpad("trace", 6).alias("凭证号"), zpad("rrn", 12).alias("参考号"),
        pl.col("card_no").alias("卡号"),
        pl.when(card_only).then(pl.col("card_cat")).alias("卡类别"),
        pl.when(card_only).then(pl.col("issuer_code")).alias("发卡行机构代码"),
        pl.when(card_only).then(pl.col("issuer_name")).alias("发卡行名称"),
        money("amount").alias("交易金额"), money("fee").alias("手续费"),
        stamp("ts", window, "%Y-%m-%d").alias("交易日期"), serial.alias("交易单号"),
        pl.when(~card_only).then(pl.col("order_no")).alias("订单号"),
        pl.lit(None, pl.String).alias("商户备注"), pl.lit(None, pl.String).alias("对接应用号"),
        money("amount").alias("原始金额"), money("net").alias("结算金额"),
        pl.col("product").alias("产品类型"), pl.lit("0.00").alias("分期贴息"),
        stamp(pl.col("ts") + 2, window).alias("交易完成时间"),
        pl.col("holder").alias("持卡人姓名"), pl.col("holder_id").alias("持卡人身份证"),
        pl.lit("0").alias("分期数"), pl.lit("0.00").alias("优惠金额"),
        money("amount").alias("实付金额"),
        pl.when(pl.col("has_parent") & (pl.col("amount") < 0)).then(parent_serial)
        .alias("原交易单"),
        pl.col("channel_type").alias("渠道交易类型"), pl.col("holder").alias("出金方账户名称"),
        pl.col("store_id").alias("门店编号"), settle_date.alias("交易完成日期"),
    )


def write_statements(out: Path, ctx: Context, summary: GenerateSummary) -> None:
    out = out / "settlement"
    world = ctx.world
    window = world.window
    lines = ctx.settlement.lines.filter(pl.col("layout") == CN_POS)
    holders = _holders(ctx, lines)
    empty = pl.DataFrame({c: pl.Series([], dtype=pl.String) for c in COLUMNS})
    copied = False
    for acct in world.accounts:
        if acct.acquirer.layout != CN_POS:
            continue
        mine = lines.filter(pl.col("account") == acct.idx)
        pattern = _FILE_NAMES[acct.acquirer.code]
        for d in range(window.settle_end + 1):
            part = mine.filter(pl.col("day") == d)
            frame = statement_frame(ctx, part, acct.number,
                                    holders if acct.acquirer.prints_holder else None) \
                if part.height else empty
            data = encode(csv_text(frame, crlf=True), "gbk")
            name = pattern.format(no=acct.number, ymd=window.ymd(d), iso=window.iso(d))
            write_bytes(out / name, data)
            summary.add("cn_pos_statement", 1, frame.height)
            # The acquirer re-sends one statement under another name: same bytes.
            if not copied and frame.height and d >= min(3, window.settle_end):
                write_bytes(out / name.replace(".csv", "(1).csv"), data)
                summary.add("cn_pos_statement", 1, frame.height)
                copied = True
