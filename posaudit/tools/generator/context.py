"""Everything the file writers read, computed once: the final journal, its keys and routing,
the settlement, and lookup series for rendering."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl

from posaudit.tools.generator.cards import CardPool
from posaudit.tools.generator.keys import Keys
from posaudit.tools.generator.numbers import has_order, order_numbers
from posaudit.tools.generator.routing import Routing
from posaudit.tools.generator.rows import Rows
from posaudit.tools.generator.settlement import Settlement
from posaudit.tools.generator.world import World


@dataclass
class Context:
    world: World
    pool: CardPool
    rows: Rows
    keys: Keys
    routing: Routing
    settlement: Settlement

    @cached_property
    def pos(self) -> np.ndarray:
        return self.rows.pos_of_uid()

    @cached_property
    def has_order(self) -> np.ndarray:
        return has_order(self.world, self.rows)

    @cached_property
    def terminal_ids(self) -> pl.Series:
        return pl.Series([t.terminal_id for t in self.world.terminals])

    @cached_property
    def terminal_numbers(self) -> pl.Series:
        """The journal's merchant_id: the terminal's acquirer merchant number."""
        return pl.Series([self.world.accounts[t.account].number for t in self.world.terminals])

    @cached_property
    def pans(self) -> pl.Series:
        return pl.Series(self.pool.pan)

    @cached_property
    def masks(self) -> pl.Series:
        """First six, last four, stars between (``622848******1234``)."""
        return pl.DataFrame({"p": self.pans}).select(pl.concat_str(
            pl.col("p").str.slice(0, 6),
            pl.lit("*" * 9).str.slice(0, pl.col("p").str.len_chars() - 10),
            pl.col("p").str.slice(-4))).to_series()

    def orders(self, idx: np.ndarray) -> pl.Series:
        return order_numbers(self.world, self.rows, self.keys, idx, self.has_order[idx])

    def parent_pos(self, idx: np.ndarray) -> np.ndarray:
        """Row position of each line's original (-1 where it has none in the data)."""
        parent = self.rows["parent"][idx]
        return np.where(parent >= 0, self.pos[np.maximum(parent, 0)], -1)

    def card_text(self, card: np.ndarray, full: bool) -> pl.Series:
        got = (self.pans if full else self.masks).gather(np.maximum(card, 0))
        return pl.DataFrame({"c": card, "g": got}).select(
            pl.when(pl.col("c") >= 0).then(pl.col("g"))).to_series()
