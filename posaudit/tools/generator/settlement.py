"""What the acquirers and wallets settle, line by line, and the net per account and date.

By default an acquirer settles every approved sale, completion and refund that was neither
voided nor reversed, at the contract fee on its promised day; the injected overrides on the
rows change that (settle anyway, skip, other amount, other fee, later day). Only settlement
days the landing zone covers are kept: later ones are still pending.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from posaudit.tools.generator.fees import contract_fee
from posaudit.tools.generator.journal import voided_mask
from posaudit.tools.generator.routing import Routing
from posaudit.tools.generator.rows import (
    APPROVED,
    FORCE_SETTLE,
    FORCE_SKIP,
    PREAUTH_COMPLETE,
    REFUND,
    SALE,
    Rows,
)
from posaudit.tools.generator.world import ADYEN, World

ADYEN_TERMINAL_FEE = 200  # fen per terminal and batch: a batch-level Fee row


@dataclass
class Settlement:
    lines: pl.DataFrame  # pos, layout, account, day, amount (signed fen), fee, net, kind, rate
    fees: pl.DataFrame  # batch-level fee rows (Adyen): account, day, fee
    net: pl.DataFrame  # account, day, net: what the bank payout must equal


def settle(world: World, rows: Rows, routing: Routing) -> Settlement:
    kind = rows["kind"]
    default = ((rows["resp"] == APPROVED) & np.isin(kind, (SALE, PREAUTH_COMPLETE, REFUND))
               & ~voided_mask(rows))
    force = rows["force"]
    settled = np.where(force == FORCE_SETTLE, True, np.where(force == FORCE_SKIP, False, default))
    amount = np.where(rows["s_amount"] >= 0, rows["s_amount"], rows["amount"])
    fee = contract_fee(amount, routing.terms)
    fee = np.where(rows["fee_ovr"] >= 0, rows["fee_ovr"], fee)
    fee = np.where(kind == REFUND, 0, fee)
    rate = np.where(rows["rate_ovr"] >= 0, rows["rate_ovr"], routing.rate_ppm)
    day = routing.expected + rows["late"]
    keep = np.flatnonzero(settled & (day <= world.window.settle_end))
    signed = np.where(kind == REFUND, -amount, amount)
    lines = pl.DataFrame({
        "pos": keep,
        "layout": routing.layout[keep],
        "account": routing.account[keep],
        "day": day[keep],
        "ts": rows["ts"][keep],
        "amount": signed[keep],
        "fee": fee[keep],
        "kind": kind[keep],
        "rate": rate[keep],
    }).with_columns(net=pl.col("amount") - pl.col("fee"))

    adyen = lines.filter(pl.col("layout") == ADYEN).group_by("account", "day").agg(
        pl.len().alias("n"))
    per_merchant = {a.idx: sum(1 for t in world.terminals if t.account == a.idx)
                    for a in world.accounts}
    fees = adyen.with_columns(
        fee=pl.col("account").replace_strict(per_merchant, return_dtype=pl.Int64)
        * ADYEN_TERMINAL_FEE).select("account", "day", "fee")
    net = pl.concat([
        lines.select("account", "day", "net"),
        fees.select("account", "day", (-pl.col("fee")).alias("net")),
    ]).group_by("account", "day").agg(pl.col("net").sum()).sort("account", "day")
    return Settlement(lines.sort("account", "day", "ts", "pos"), fees.sort("account", "day"), net)
