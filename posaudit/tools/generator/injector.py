"""The injector's bookkeeping: which plain approved sales are still free, the terminal stretches
taken (PAD seconds either side), the rows added and the labels and decoys recorded. What is
injected is in ``inject_exceptions`` and ``inject_decoys``; ``inject`` runs them all."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from posaudit.tools.generator.cards import CardPool
from posaudit.tools.generator.config import DAY
from posaudit.tools.generator.faults import FaultPlan
from posaudit.tools.generator.journal import close_seconds
from posaudit.tools.generator.routing import Routing
from posaudit.tools.generator.rows import (
    APPROVED,
    BASE,
    INJECTED,
    RETRY,
    SALE,
    Rows,
)
from posaudit.tools.generator.timing import day_type, sample_seconds
from posaudit.tools.generator.world import ADYEN, ALIPAY, CN_POS, QR_WECHAT, WECHAT, World

PAD = 1200  # seconds kept free around every injection on its terminal
MIXED = (CN_POS, WECHAT, CN_POS, ALIPAY, ADYEN)


@dataclass
class LabelSpec:
    type: str
    uid: int
    root_cause: str
    status: str = "OPEN"
    note: str = ""
    amount: int | None = None  # fen; None: the line's journal amount
    exposure: int | None = None  # fen; None: the amount
    settlement_keys: bool = False  # UNMATCHED: keys as the settlement line shows them


@dataclass
class DecoySpec:
    type: str
    uid: int
    must_not_be: str
    note: str


class Injector:
    def __init__(self, rng: np.random.Generator, world: World, pool: CardPool,
                 cdfs: np.ndarray, rows: Rows, routing: Routing) -> None:
        self.rng, self.world, self.pool, self.cdfs = rng, world, pool, cdfs
        self.rows, self.r = rows, routing
        self.window = world.window
        self.cover = self.window.settle_end
        self.last = self.window.last
        self.next_uid = int(rows["uid"].max()) + 1
        self.added: list[Rows] = []
        self.labels: list[LabelSpec] = []
        self.decoys: list[DecoySpec] = []
        self.plan = FaultPlan()
        self.busy: dict[int, list[tuple[int, int]]] = {}
        self.stores = world.stores
        self.close = close_seconds(world)[routing.store] + rows["day"].astype(np.int64) * DAY
        pos = rows.pos_of_uid()
        has_child = np.zeros(len(rows), dtype=bool)
        has_child[pos[rows["parent"][rows["parent"] >= 0]]] = True
        self.free_mask = ((rows["kind"] == SALE) & (rows["resp"] == APPROVED) & ~has_child
                          & ((rows["origin"] == BASE) | (rows["origin"] == RETRY)))
        self.is_card = rows["chan"] < QR_WECHAT
        self.dtypes = day_type(self.window)
        self.signed_in_failed: set[tuple[int, int]] = set()

    # -- bookkeeping ---------------------------------------------------------------------------

    def free(self, term: int, lo: int, hi: int) -> bool:
        return not any(a <= hi and lo <= b for a, b in self.busy.get(term, ()))

    def occupy(self, term: int, lo: int, hi: int) -> None:
        self.busy.setdefault(term, []).append((lo - PAD, hi + PAD))

    def add(self, src: int, **over: int) -> int:
        r = self.rows.take(np.array([src]))
        fresh = Rows.new(1)
        for c in ("force", "s_amount", "fee_ovr", "rate_ovr", "late", "visible", "orphan_rrn",
                  "parent"):
            r.cols[c] = fresh.cols[c]
        r.cols["uid"][:] = self.next_uid
        r.cols["origin"][:] = INJECTED
        r.cols["resp"][:] = APPROVED
        for k, v in over.items():
            r.cols[k][:] = v
        if "ts" in over:
            r.cols["day"][:] = over["ts"] // DAY
        self.added.append(r)
        self.next_uid += 1
        return self.next_uid - 1

    def uid(self, pos: int) -> int:
        return int(self.rows["uid"][pos])

    def label(self, type_: str, uid: int, cause: str, **kw: Any) -> None:
        # Any: the keywords are LabelSpec's own optional fields, checked by its constructor.
        self.labels.append(LabelSpec(type_, uid, cause, **kw))

    def random_time(self, pos: int, day: int) -> int:
        store = self.r.store[pos]
        sod = sample_seconds(self.rng, self.cdfs, np.array([store]),
                             np.array([self.dtypes[day]]))[0]
        return int(day) * DAY + int(sod)

    def random_op(self, pos: int) -> int:
        return int(self.rng.integers(0, len(self.stores[self.r.store[pos]].operators)))

    def candidates(self, mask: np.ndarray) -> Iterator[int]:
        """Random free rows of ``mask`` (lazily: a sample first, then the rest)."""
        cands = np.flatnonzero(mask & self.free_mask)
        if cands.size == 0:
            return
        for p in cands[self.rng.integers(0, cands.size, size=min(cands.size, 4000))]:
            if self.free_mask[p]:
                yield int(p)
        for p in self.rng.permutation(cands):  # rarely reached: only when the sample runs dry
            if self.free_mask[p]:
                yield int(p)

    def run(self, count: int, layouts: tuple[int, ...], mask: np.ndarray,
            attempt: Callable[[int, int], bool]) -> int:
        """Inject ``count`` times, cycling through ``layouts``; ``attempt(pos, k)`` tries one."""
        gens = {lay: self.candidates(mask & (self.r.layout == lay)) for lay in set(layouts)}
        done = 0
        for k in range(count * 3):
            if done == count:
                break
            order = [layouts[(k + j) % len(layouts)] for j in range(len(layouts))]
            for lay in order:
                hit = False
                for p in gens[lay]:
                    if attempt(p, done):
                        self.free_mask[p] = False
                        hit = True
                        break
                if hit:
                    done += 1
                    break
        return done

    def settled_by(self, pos: int, margin: int = 0) -> bool:
        return int(self.r.expected[pos]) + margin <= self.cover

    def result(self) -> Rows:
        return Rows.concat([self.rows, *self.added])
