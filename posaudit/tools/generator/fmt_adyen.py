"""settlement/: ``adyen_sdr``, Adyen's Settlement details report for the merchant on Adyen
terminals: one batch per settlement date, Settled and Refunded lines (Psp Reference = the
terminal's RRN, Merchant Reference = the order number), a batch Fee row (terminal service) and
one MerchantPayout row equal to the batch's net. Amounts are CNY, unsigned, in Debit/Credit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from posaudit.tools.generator.config import DAY, GenerateSummary
from posaudit.tools.generator.context import Context
from posaudit.tools.generator.render import fen_text, money, stamp, zpad
from posaudit.tools.generator.rows import REFUND
from posaudit.tools.generator.world import ADYEN, QR_ALIPAY, QR_WECHAT
from posaudit.tools.generator.writers import csv_text, encode, write_bytes

HEADER = ("Company Account", "Merchant Account", "Psp Reference", "Merchant Reference",
          "Payment Method", "Creation Date", "TimeZone", "Type", "Modification Reference",
          "Gross Currency", "Gross Debit (GC)", "Gross Credit (GC)", "Exchange Rate",
          "Net Currency", "Net Debit (NC)", "Net Credit (NC)", "Commission (NC)", "Markup (NC)",
          "Scheme Fees (NC)", "Interchange (NC)", "Payment Method Variant",
          "Modification Merchant Reference", "Batch Number", "Reserved4", "Reserved5",
          "Reserved6", "Reserved7", "Reserved8", "Reserved9", "Reserved10", "Booking Date",
          "Booking Date TimeZone", "Metadata", "Merchant Order Reference")
COMPANY = "GreenLeafBakeryCN"
ZONE = "CST"  # China Standard Time: Adyen writes the account's zone abbreviation
BATCH_BASE = 1100


def _methods(ctx: Context, pos: np.ndarray) -> tuple[pl.Series, pl.Series]:
    chan, card = ctx.rows["chan"][pos], ctx.rows["card"][pos]
    network = ctx.pool.network[np.maximum(card, 0)]
    ctype = ctx.pool.card_type[np.maximum(card, 0)]
    code = np.where(chan == QR_WECHAT, 3, np.where(chan == QR_ALIPAY, 4, network))
    method = pl.Series(["cup", "visa", "mc", "wechatpay", "alipay"]).gather(code)
    variant_names = [["cupdebit", "cupcredit"], ["visadebit", "visacredit"],
                     ["mcdebit", "mccredit"]]
    flat = pl.Series([v for pair in variant_names for v in pair] + ["wechatpay_pos", "alipay_pos"])
    # Network codes are 0 UnionPay, 1 Visa, 2 Mastercard: two variants (debit, credit) each.
    vcode = np.where(code >= 3, code + 3, network * 2 + ctype)
    return method, flat.gather(vcode)


def batch_frame(ctx: Context, lines: pl.DataFrame, account: str, batch: int, day: int,
                fee: int) -> pl.DataFrame:
    window = ctx.world.window
    pos = lines["pos"].to_numpy()
    refund = ctx.rows["kind"][pos] == REFUND
    method, variant = _methods(ctx, pos)
    booking = stamp(pl.lit(day * DAY + 6 * 3600), window)
    df = pl.DataFrame({
        "ts": lines["ts"], "amount": lines["amount"], "fee": lines["fee"], "net": lines["net"],
        "rrn": ctx.keys.rrn[pos], "refund": refund, "order_no": ctx.orders(pos),
        "method": method, "variant": variant,
    })
    none = pl.lit(None, pl.String)
    ref = pl.col("refund")
    modification = pl.concat_str(pl.lit("M"), zpad("rrn", 12), pl.lit("X"))
    if ctx.world.host is not None:  # Adyen's 16-digit references
        df = df.with_columns(modification=pl.Series(ctx.world.host.references(df["rrn"].to_numpy()),
                                                     dtype=pl.String))
        modification = pl.col("modification")
    detail = df.select(
        pl.lit(COMPANY).alias("Company Account"), pl.lit(account).alias("Merchant Account"),
        zpad("rrn", 12).alias("Psp Reference"), pl.col("order_no").alias("Merchant Reference"),
        pl.col("method").alias("Payment Method"),
        stamp("ts", window).alias("Creation Date"), pl.lit(ZONE).alias("TimeZone"),
        pl.when(ref).then(pl.lit("Refunded")).otherwise(pl.lit("Settled")).alias("Type"),
        modification.alias("Modification Reference"),
        pl.lit("CNY").alias("Gross Currency"),
        pl.when(ref).then(money(-pl.col("amount"))).alias("Gross Debit (GC)"),
        pl.when(~ref).then(money("amount")).alias("Gross Credit (GC)"),
        pl.lit("1").alias("Exchange Rate"), pl.lit("CNY").alias("Net Currency"),
        pl.when(ref).then(money(-pl.col("net"))).alias("Net Debit (NC)"),
        pl.when(~ref).then(money("net")).alias("Net Credit (NC)"),
        pl.when(~ref).then(money("fee")).alias("Commission (NC)"),
        none.alias("Markup (NC)"), none.alias("Scheme Fees (NC)"), none.alias("Interchange (NC)"),
        pl.col("variant").alias("Payment Method Variant"),
        pl.when(ref).then(pl.col("order_no")).alias("Modification Merchant Reference"),
        pl.lit(str(batch)).alias("Batch Number"),
        *[none.alias(f"Reserved{i}") for i in range(4, 11)],
        booking.alias("Booking Date"), pl.lit(ZONE).alias("Booking Date TimeZone"),
        none.alias("Metadata"), pl.col("order_no").alias("Merchant Order Reference"),
    )
    net = int(lines["net"].sum() or 0) - fee
    date = window.iso(day)
    extra = []
    for type_, ref_text, amount, at in (
            ("Fee", f"Terminal service fee {date}", fee, 5 * 3600),
            ("MerchantPayout", f"TX{batch}CNXT batch {batch} {account}", net, 7 * 3600)):
        clock = f"{date} {at // 3600:02d}:00:00"
        row = dict.fromkeys(HEADER)
        row.update({"Company Account": COMPANY, "Merchant Account": account,
                    "Creation Date": clock, "TimeZone": ZONE, "Type": type_,
                    "Modification Reference": ref_text, "Net Currency": "CNY",
                    "Net Debit (NC)": fen_text(amount), "Batch Number": str(batch),
                    "Booking Date": clock, "Booking Date TimeZone": ZONE})
        extra.append(row)
    tail = pl.DataFrame(extra, schema=dict.fromkeys(HEADER, pl.String))
    return pl.concat([detail, tail])


def write_adyen(out: Path, ctx: Context, summary: GenerateSummary) -> None:
    world = ctx.world
    window = world.window
    fees = {(a, d): f for a, d, f in ctx.settlement.fees.iter_rows()}
    lines = ctx.settlement.lines.filter(pl.col("layout") == ADYEN)
    for acct in world.accounts:
        if acct.acquirer.layout != ADYEN:
            continue
        mine = lines.filter(pl.col("account") == acct.idx)
        for d in range(window.settle_end + 1):
            part = mine.filter(pl.col("day") == d)
            if not part.height:
                continue  # Adyen reports batches that hold something; T1 leaves day one empty
            batch = BATCH_BASE + d
            frame = batch_frame(ctx, part, acct.number, batch, d, fees.get((acct.idx, d), 0))
            write_bytes(out / "settlement" / f"settlement_detail_report_batch_{batch}.csv",
                        encode(csv_text(frame), "utf-8"))
            summary.add("adyen_sdr", 1, frame.height)
