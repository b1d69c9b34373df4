"""settlement/: wallet bills of the merchants that take WeChat Pay and Alipay directly.

``wechat_bill``: UTF-8 (some with a BOM), CRLF, a backtick before every data field, the
current 27-column layout or the legacy 24-column one, a summary that ties to the rows.
``alipay_bill``: GBK, a ``#`` header block and markers, trailing TABs after ID and text fields,
footers that tie, 服务费 negative in some exports, some days zipped.

One bill per wallet account and trade day; a refund is a row of the bill of the day it was
requested. Bills settle the next day, so they cover trade days up to the day before the last
covered settlement date.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from posaudit.tools.generator.config import GenerateSummary
from posaudit.tools.generator.context import Context
from posaudit.tools.generator.numbers import digits_of, tokens, wallet_ids
from posaudit.tools.generator.render import fen_text, money, stamp, zpad
from posaudit.tools.generator.rows import REFUND
from posaudit.tools.generator.world import ALIPAY, WECHAT
from posaudit.tools.generator.writers import encode, write_bytes, write_zip

CURRENT = ("交易时间", "公众账号ID", "商户号", "特约商户号", "设备号", "微信订单号", "商户订单号",
           "用户标识", "交易类型", "交易状态", "付款银行", "货币种类", "应结订单金额", "代金券金额",
           "微信退款单号", "商户退款单号", "退款金额", "充值券退款金额", "退款类型", "退款状态",
           "商品名称", "商户数据包", "手续费", "费率", "订单金额", "申请退款金额", "费率备注")
LEGACY = ("交易时间", "公众账号ID", "商户号", "子商户号", "设备号", "微信订单号", "商户订单号",
          "用户标识", "交易类型", "交易状态", "付款银行", "货币种类", "总金额",
          "代金券或立减优惠金额",
          "微信退款单号", "商户退款单号", "退款金额", "代金券或立减优惠退款金额", "退款类型",
          "退款状态", "商品名称", "商户数据包", "手续费", "费率")
ALIPAY_HEADER = ("支付宝交易号", "商户订单号", "业务类型", "商品名称", "创建时间", "完成时间",
                 "门店编号", "门店名称", "操作员", "终端号", "对方账户", "订单金额（元）",
                 "商家实收（元）", "支付宝红包（元）", "集分宝（元）", "支付宝优惠（元）",
                 "商家优惠（元）", "券核销金额（元）", "券名称", "商家红包消费金额（元）",
                 "卡消费金额（元）", "退款批次号/请求号", "服务费（元）", "分润（元）", "备注")
_TAB_FIELDS = {"支付宝交易号", "商户订单号", "业务类型", "商品名称", "门店编号", "门店名称",
               "操作员", "终端号", "对方账户", "券名称", "退款批次号/请求号", "备注"}
_BANKS = pl.Series(["CMB_DEBIT", "ICBC_DEBIT", "CCB_CREDIT", "OTHERS", "CFT", "ABC_DEBIT",
                    "BOC_CREDIT", "SPDB_DEBIT"])
_PRODUCT = {"supermarket": "鲜丰汇超市-购物", "coffee": "云岭咖啡-饮品"}
_MARK = "#" + "-" * 41


def _common(ctx: Context, lines: pl.DataFrame) -> pl.DataFrame:
    """Columns both wallets need: the line, its original (for refunds), their identifiers."""
    r, k = ctx.rows, ctx.keys
    pos = lines["pos"].to_numpy()
    parent = ctx.parent_pos(pos)
    refund = r["kind"][pos] == REFUND
    origin = np.where(refund & (parent >= 0), parent, pos)  # the order a refund belongs to
    store = ctx.routing.store[pos]
    ops: list[str] = []
    offset = []
    for s in ctx.world.stores:
        offset.append(len(ops))
        ops.extend(s.operators)
    return pl.DataFrame({
        "pos": pos, "ts": lines["ts"], "amount": lines["amount"], "fee": lines["fee"],
        "rate": lines["rate"], "refund": refund, "rrn": k.rrn[pos],
        "origin_ts": r["ts"][origin], "origin_rrn": k.rrn[origin],
        "order_no": ctx.orders(pos), "origin_order": ctx.orders(origin),
        "terminal": ctx.terminal_ids.gather(r["term"][pos]),
        "store_id": pl.Series([s.store_id for s in ctx.world.stores]).gather(store),
        "store_name": pl.Series([s.name for s in ctx.world.stores]).gather(store),
        "operator": pl.Series(ops).gather(np.array(offset)[store] + r["op"][pos]),
        "payer_key": r["uid"][origin],
    })


def _lines(one_column: pl.DataFrame) -> str:
    """Pre-joined lines, each ending in CRLF, through polars' writer (no quoting)."""
    return one_column.write_csv(include_header=False, quote_style="never",
                                line_terminator="\r\n")


def _rate_text(col: str) -> pl.Expr:
    return pl.concat_str((pl.col(col) // 10_000).cast(pl.String), pl.lit("."),
                         ((pl.col(col) % 10_000) // 100).cast(pl.String).str.zfill(2),
                         pl.lit("%"))


def wechat_text(ctx: Context, lines: pl.DataFrame, mch: str, app_id: str, product: str,
                legacy: bool) -> tuple[str, int]:
    window = ctx.world.window
    df = _common(ctx, lines)
    n = df.height
    df = df.with_columns(
        wx_id=wallet_ids(window, df["origin_ts"].to_numpy(), df["origin_rrn"].to_numpy(),
                         "420000", "0", "1"),
        refund_id=wallet_ids(window, df["ts"].to_numpy(), df["rrn"].to_numpy(), "503000", "0",
                             "2"),
        openid=pl.Series(tokens(df["payer_key"].to_numpy(), 27, "o"), dtype=pl.String),
        bank=_BANKS.gather((digits_of(df["payer_key"].to_numpy(), 3) % len(_BANKS))
                           if n else np.array([], np.int64)),
    )
    ref = pl.col("refund")
    gross = pl.when(ref).then(0).otherwise(pl.col("amount"))
    back = pl.when(ref).then(-pl.col("amount")).otherwise(0)
    zero = pl.lit("0.00")
    cols = [
        stamp("ts", window), pl.lit(app_id), pl.lit(mch), pl.lit("0"), pl.col("terminal"),
        pl.col("wx_id"), pl.col("origin_order"), pl.col("openid"), pl.lit("MICROPAY"),
        pl.when(ref).then(pl.lit("REFUND")).otherwise(pl.lit("SUCCESS")), pl.col("bank"),
        pl.lit("CNY"), money(gross), zero,
        pl.when(ref).then(pl.col("refund_id")).otherwise(pl.lit("0")),
        pl.when(ref).then(pl.col("order_no")).otherwise(pl.lit("0")), money(back), zero,
        pl.when(ref).then(pl.lit("ORIGINAL")).otherwise(pl.lit("")),
        pl.when(ref).then(pl.lit("SUCCESS")).otherwise(pl.lit("")), pl.lit(product), pl.lit(""),
        money("fee", 5), _rate_text("rate"),
    ]
    if not legacy:
        cols += [money(gross), money(back), pl.lit("")]
    body = _lines(df.select(pl.concat_str([pl.lit("`") + c.fill_null("") for c in cols],
                                          separator=",").alias("line")))
    sale_total = int(df.filter(~pl.col("refund"))["amount"].sum() or 0)
    refund_total = -int(df.filter(pl.col("refund"))["amount"].sum() or 0)
    fee_total = int(df["fee"].sum() or 0)
    if legacy:
        summary_head = "总交易单数,总交易额,总退款金额,总代金券或立减优惠退款金额,手续费总金额"
        summary = [str(n), fen_text(sale_total), fen_text(refund_total), "0.00",
                   fen_text(fee_total, 5)]
    else:
        summary_head = ("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,"
                        "订单总金额,申请退款总金额")
        summary = [str(n), fen_text(sale_total), fen_text(refund_total), "0.00",
                   fen_text(fee_total, 5), fen_text(sale_total), fen_text(refund_total)]
    head = ",".join(LEGACY if legacy else CURRENT) + "\r\n"
    tail = summary_head + "\r\n" + ",".join("`" + v for v in summary) + "\r\n"
    text = head + body + tail
    return text, n


def alipay_text(ctx: Context, lines: pl.DataFrame, pid: str, product: str, day: int,
                negative_fee: bool) -> tuple[str, int]:
    window = ctx.world.window
    df = _common(ctx, lines)
    n = df.height
    payer = digits_of(df["payer_key"].to_numpy(), 7) if n else np.array([], np.int64)
    df = df.with_columns(
        trade_no=wallet_ids(window, df["origin_ts"].to_numpy(), df["origin_rrn"].to_numpy(), "",
                            "220014", "02"),
        payer=pl.Series(payer),
        done=pl.Series(digits_of(df["pos"].to_numpy(), 1) % 5 + 1 if n else [], dtype=pl.Int64),
    )
    ref = pl.col("refund")
    fee = pl.when(ref).then(0).otherwise(-pl.col("fee") if negative_fee else pl.col("fee"))
    zero = pl.lit("0.00")
    payer_text = pl.concat_str(pl.lit("1"), pl.lit("3"), (pl.col("payer") % 10).cast(pl.String),
                               pl.lit("****"), zpad(pl.col("payer") // 10 % 10_000, 4))
    values = {
        "支付宝交易号": pl.col("trade_no"), "商户订单号": pl.col("origin_order"),
        "业务类型": pl.when(ref).then(pl.lit("退款")).otherwise(pl.lit("交易")),
        "商品名称": pl.lit(product), "创建时间": stamp("ts", window),
        "完成时间": stamp(pl.col("ts") + pl.col("done"), window),
        "门店编号": pl.col("store_id"), "门店名称": pl.col("store_name"),
        "操作员": pl.col("operator"), "终端号": pl.col("terminal"), "对方账户": payer_text,
        "订单金额（元）": money("amount"), "商家实收（元）": money("amount"),
        "支付宝红包（元）": zero, "集分宝（元）": zero, "支付宝优惠（元）": zero,
        "商家优惠（元）": zero, "券核销金额（元）": zero, "券名称": pl.lit(""),
        "商家红包消费金额（元）": zero, "卡消费金额（元）": zero,
        "退款批次号/请求号": pl.when(ref).then(pl.col("order_no")).otherwise(pl.lit("")),
        "服务费（元）": money(fee), "分润（元）": zero, "备注": pl.lit(""),
    }
    cols = [(e.fill_null("") + pl.lit("\t")) if name in _TAB_FIELDS else e
            for name, e in values.items()]
    body = _lines(df.select(pl.concat_str(cols, separator=",").alias("l")))
    sales = df.filter(~pl.col("refund"))
    refunds = df.filter(pl.col("refund"))
    date, nxt = window.date(day), window.date(day + 1)
    export = f"{nxt:%Y年%m月%d日} 09:{(day * 7) % 60:02d}:{(day * 13) % 60:02d}"
    head = [
        "#支付宝业务明细查询", f"#账号：[{pid}]",
        f"#起始日期：[{date:%Y年%m月%d日} 00:00:00]   终止日期：[{nxt:%Y年%m月%d日} 00:00:00]",
        _MARK + "业务明细列表" + "-" * 40, ",".join(ALIPAY_HEADER),
    ]
    tail = [
        _MARK + "业务明细列表结束" + "-" * 36,
        f"#交易合计：{sales.height}笔，商家实收共{fen_text(int(sales['amount'].sum() or 0))}元，"
        "商家优惠共0.00元",
        f"#退款合计：{refunds.height}笔，商家实收共{fen_text(int(refunds['amount'].sum() or 0))}"
        "元，商家优惠共0.00元",
        f"#导出时间：[{export}]",
    ]
    text = "\r\n".join(head) + "\r\n" + body + "\r\n".join(tail) + "\r\n"
    return text, n


def write_bills(out: Path, ctx: Context, summary: GenerateSummary) -> None:
    world = ctx.world
    window = world.window
    folder = out / "settlement"
    lines = ctx.settlement.lines
    for m, acct_idx in world.wechat_account.items():
        acct = world.accounts[acct_idx]
        spec = world.merchants[m].spec
        mine = lines.filter((pl.col("account") == acct_idx) & (pl.col("layout") == WECHAT))
        bom = spec.kind == "supermarket"
        for d in range(window.settle_end):
            legacy = spec.kind == "coffee" and d < window.days // 2
            text, n = wechat_text(ctx, mine.filter(pl.col("day") == d + 1), acct.number,
                                  world.wechat_app_id[m], _PRODUCT[spec.kind], legacy)
            name = (f"wechatpay_{acct.number}_{window.ymd(d)}_ALL.csv" if bom
                    else f"{acct.number}_tradebill_{window.iso(d)}.csv")
            write_bytes(folder / name, encode(text, "utf-8", bom=bom))
            summary.add("wechat_bill", 1, n)
    for m, acct_idx in world.alipay_account.items():
        acct = world.accounts[acct_idx]
        spec = world.merchants[m].spec
        mine = lines.filter((pl.col("account") == acct_idx) & (pl.col("layout") == ALIPAY))
        negative = spec.kind == "coffee"
        for d in range(window.settle_end):
            text, n = alipay_text(ctx, mine.filter(pl.col("day") == d + 1), acct.number,
                                  _PRODUCT[spec.kind], d, negative)
            inner = f"{acct.number}0156_{window.ymd(d)}_业务明细.csv"
            data = encode(text, "gbk")
            zipped = (window.weekday(d) >= 5) if spec.kind == "supermarket" else d % 3 == 0
            if zipped:
                write_zip(folder / f"{acct.number}0156_{window.ymd(d)}.csv.zip", inner, data)
            else:
                write_bytes(folder / inner, data)
            summary.add("alipay_bill", 1, n)
