"""terminal/: ``pos_journal_v1`` (UTF-8, English) and ``pos_journal_cn`` (GBK, Chinese headers
and values), one file per merchant and business day, named the way each merchant's terminal
management system names its exports."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import polars as pl

from posaudit.tools.generator.cards import UNKNOWN
from posaudit.tools.generator.config import GenerateSummary
from posaudit.tools.generator.context import Context
from posaudit.tools.generator.render import money, stamp, zpad
from posaudit.tools.generator.rows import KINDS, KINDS_CN, RESP
from posaudit.tools.generator.world import CHANNELS, CHANNELS_CN, CONTACTLESS, MerchantSpec
from posaudit.tools.generator.writers import csv_text, encode, write_bytes

_FILE_NAMES = {
    "XWX": "lakala_tms_XWX_{ymd}.csv", "XFH": "journal_XFH_{ymd}.csv",
    "YSF": "YSF-pos-journal-{iso}.csv", "YLC": "YLC_交易流水_{ymd}.csv",
    "GLB": "GLB_terminal_export_{ymd}.csv",
}
_RESP = pl.Series([c or None for c in RESP])
_CARD_TYPES = pl.Series(["DEBIT", "CREDIT", "UNKNOWN", None])
_CARD_TYPES_CN = pl.Series(["借记卡", "贷记卡", "其他", None])


def _operators(ctx: Context) -> tuple[pl.Series, np.ndarray]:
    flat: list[str] = []
    offset = []
    for s in ctx.world.stores:
        offset.append(len(flat))
        flat.extend(s.operators)
    return pl.Series(flat), np.array(offset, dtype=np.int64)


def journal_frame(ctx: Context, idx: np.ndarray, spec: MerchantSpec) -> pl.DataFrame:
    r, k, pool = ctx.rows, ctx.keys, ctx.pool
    term, chan, card = r["term"][idx], r["chan"][idx], r["card"][idx]
    ops, offset = _operators(ctx)
    ctype = np.where(card >= 0, pool.card_type[np.maximum(card, 0)], 3)
    # Terminals cannot always tell a foreign contactless card's type.
    unknown = (card >= 0) & pool.foreign[np.maximum(card, 0)] & (chan == CONTACTLESS)
    ctype = np.where(unknown & (spec.kind != "fashion"), UNKNOWN, ctype)
    cn = spec.journal == "cn"
    df = pl.DataFrame({
        "ts": r["ts"][idx], "batch": k.batch[idx], "trace": k.trace[idx],
        "rrn": k.journal_rrn[idx], "auth": k.auth[idx], "otrace": k.orig_trace[idx],
        "orrn": k.orig_rrn[idx], "amount": r["amount"][idx],
    })
    cols = {
        "merchant_id": ctx.terminal_numbers.gather(term),
        "terminal_id": ctx.terminal_ids.gather(term),
        "txn_type": pl.Series(KINDS_CN if cn else KINDS).gather(r["kind"][idx]),
        "order_no": ctx.orders(idx),
        "channel": pl.Series(CHANNELS_CN if cn else CHANNELS).gather(chan),
        "card_no": ctx.card_text(card, spec.full_pan),
        "card_type": (_CARD_TYPES_CN if cn else _CARD_TYPES).gather(ctype),
        "resp_code": _RESP.gather(r["resp"][idx]),
        "operator_id": ops.gather(offset[ctx.routing.store[idx]] + r["op"][idx]),
    }
    df = df.with_columns([v.alias(n) for n, v in cols.items()])
    keys = [pl.col("merchant_id"), pl.col("terminal_id"), zpad("batch", 6), zpad("trace", 6),
            zpad("rrn", 12), zpad("auth", 6)]
    if cn:
        return df.select(
            stamp("ts", ctx.world.window, "%Y%m%d").alias("交易日期"),
            stamp("ts", ctx.world.window, "%H%M%S").alias("交易时间"),
            *[e.alias(n) for e, n in zip(keys, ("商户号", "终端号", "批次号", "凭证号", "参考号",
                                                "授权码"), strict=True)],
            pl.col("txn_type").alias("交易类型"), zpad("otrace", 6).alias("原凭证号"),
            zpad("orrn", 12).alias("原参考号"), pl.col("order_no").alias("商户订单号"),
            pl.col("channel").alias("支付方式"), pl.col("card_no").alias("卡号"),
            pl.col("card_type").alias("卡类型"), money("amount").alias("交易金额"),
            pl.lit(spec.currency).alias("币种"), pl.col("resp_code").alias("应答码"),
            pl.col("operator_id").alias("操作员"),
        )
    return df.select(
        *[e.alias(n) for e, n in zip(keys, ("merchant_id", "terminal_id", "batch_no", "trace_no",
                                            "rrn", "auth_code"), strict=True)],
        stamp("ts", ctx.world.window).alias("txn_time"), "txn_type",
        zpad("otrace", 6).alias("orig_trace_no"), zpad("orrn", 12).alias("orig_rrn"),
        "order_no", "channel", "card_no", "card_type", money("amount").alias("amount"),
        pl.lit(spec.currency).alias("currency"), "resp_code", "operator_id",
    )


def write_journals(out: Path, ctx: Context, summary: GenerateSummary) -> None:
    r = ctx.rows
    window = ctx.world.window
    vis = np.flatnonzero(r["visible"])
    merchant = ctx.routing.merchant
    order = vis[np.lexsort((r["uid"][vis], r["term"][vis], r["ts"][vis], r["day"][vis],
                            merchant[vis]))]
    group = merchant[order].astype(np.int64) * 10_000 + r["day"][order]
    starts = np.r_[0, np.flatnonzero(np.diff(group)) + 1, order.size]
    for a, b in pairwise(starts):
        idx = order[a:b]
        m, d = int(merchant[idx[0]]), int(r["day"][idx[0]])
        spec = ctx.world.merchants[m].spec
        frame = journal_frame(ctx, idx, spec)
        name = _FILE_NAMES[spec.code].format(ymd=window.ymd(d), iso=window.iso(d))
        cn = spec.journal == "cn"
        data = encode(csv_text(frame, crlf=cn), "gbk" if cn else "utf-8")
        write_bytes(out / "terminal" / name, data)
        summary.add("pos_journal_cn" if cn else "pos_journal_v1", 1, frame.height)
