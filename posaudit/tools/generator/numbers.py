"""Identifiers derived from a line's keys: merchant order numbers, wallet transaction numbers,
payer tokens. Derived, not drawn, so the same line renders the same way in every file.

Long numeric identifiers are 20 digits or more, so they never look like a card number (host-
assigned identifiers aside: :mod:`posaudit.tools.generator.host_ids`).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from posaudit.tools.generator.config import Window
from posaudit.tools.generator.keys import Keys
from posaudit.tools.generator.render import stamp, zpad
from posaudit.tools.generator.rows import PREAUTH, PREAUTH_COMPLETE, REFUND, SALE, Rows
from posaudit.tools.generator.world import QR_WECHAT, World

_ALPHABET = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                          dtype=np.uint8)


def has_order(world: World, rows: Rows) -> np.ndarray:
    """QR payments always carry an order number; cards only where the till is integrated."""
    kind, chan = rows["kind"], rows["chan"]
    merchant = world.term_array("merchant")[rows["term"]]
    cards = np.array([m.spec.cards_have_order for m in world.merchants])[merchant]
    qr = (chan >= QR_WECHAT) & np.isin(kind, (SALE, REFUND))
    card = cards & np.isin(kind, (SALE, REFUND, PREAUTH, PREAUTH_COMPLETE))
    return qr | card


def order_numbers(world: World, rows: Rows, keys: Keys, idx: np.ndarray, has: np.ndarray
                  ) -> pl.Series:
    """Merchant order number of each line in ``idx`` where ``has`` (aligned with ``idx``) says
    it has one: prefix, R for a refund, local time, terminal and trace digits (with
    host-assigned identifiers, 19 digits)."""
    if world.host is not None:
        numbers = pl.Series(world.host.order_numbers(rows["uid"][idx]), dtype=pl.String)
        return numbers.zip_with(pl.Series(has, dtype=pl.Boolean),
                                pl.Series([None] * idx.size, dtype=pl.String)).alias("order_no")
    term = rows["term"][idx]
    prefix = pl.Series([m.spec.order_prefix for m in world.merchants]).gather(
        world.term_array("merchant")[term])
    df = pl.DataFrame({
        "prefix": prefix, "ts": rows["ts"][idx], "term": term,
        "trace": keys.trace[idx] % 1000, "refund": rows["kind"][idx] == REFUND, "has": has,
    })
    return df.select(
        pl.when(pl.col("has")).then(pl.concat_str(
            pl.col("prefix"), pl.when(pl.col("refund")).then(pl.lit("R")).otherwise(pl.lit("")),
            stamp("ts", world.window, "%Y%m%d%H%M%S"), zpad("term", 3), zpad("trace", 3),
        )).alias("order_no")).to_series()


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64: a fixed scramble of an integer key."""
    z = (x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15))
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def tokens(key: np.ndarray, length: int, head: str = "") -> list[str]:
    """Random-looking text of ``length`` characters from an integer key."""
    out = np.empty((key.size, length), dtype=np.uint8)
    state = key.astype(np.uint64)
    for i in range(length):
        state = _mix(state + np.uint64(i))
        out[:, i] = _ALPHABET[(state % np.uint64(64)).astype(np.int64)]
    raw = out.view(f"S{length}").ravel().astype(str) if key.size else np.array([], str)
    return [head + s for s in raw.tolist()]


def digits_of(key: np.ndarray, width: int) -> np.ndarray:
    return (_mix(key) % np.uint64(10**width)).astype(np.int64)


def wallet_ids(window: Window, ts: np.ndarray, rrn: np.ndarray, head: str, mid: str,
               tail: str) -> pl.Series:
    """28-digit wallet transaction numbers: head, trade date, middle, host reference, tail."""
    df = pl.DataFrame({"ts": ts, "rrn": rrn})
    return df.select(pl.concat_str(pl.lit(head), stamp("ts", window, "%Y%m%d"), pl.lit(mid),
                                   zpad("rrn", 12), pl.lit(tail))).to_series()
