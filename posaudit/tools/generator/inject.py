"""Injected exceptions and decoys, each exactly as docs/exceptions.md defines it.

Every injection picks a plain approved sale (no void, reversal or refund of its own) on a
terminal stretch no other injection uses (20 minutes either side), changes what the journal
or the acquirer does with it, and records a label with the root cause that the default rules
give on the events it requires or forbids (see :mod:`faults`). Only sales whose settlement is
covered by the landing zone are used where coverage matters, with a day of margin.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from posaudit.tools.generator import inject_decoys, inject_exceptions
from posaudit.tools.generator.cards import CardPool
from posaudit.tools.generator.injector import Injector
from posaudit.tools.generator.routing import Routing
from posaudit.tools.generator.rows import Rows
from posaudit.tools.generator.world import World


def inject(rng: np.random.Generator, world: World, pool: CardPool, cdfs: np.ndarray,
           rows: Rows, routing: Routing, per_type: int) -> Injector:
    inj = Injector(rng, world, pool, cdfs, rows, routing)
    decoys = max(1, (per_type + 1) // 2)
    inject_exceptions.duplicates(inj, per_type)
    inject_exceptions.unmatched(inj, per_type)
    inject_exceptions.missing(inj, per_type)
    inject_exceptions.one_sided(inj, per_type)
    inject_exceptions.void_settled(inj, per_type)
    inject_exceptions.amount_mismatches(inj, per_type)
    inject_exceptions.fee_mismatches(inj, per_type)
    inject_exceptions.late(inj, per_type)
    inject_exceptions.refunds_exceeding(inj, per_type)
    inject_decoys.decoy_voided_double(inj, decoys)
    inject_decoys.decoy_repaid(inj, decoys)
    inject_decoys.decoy_pending(inj, decoys)
    inject_decoys.decoy_partial_refunds(inj, decoys)
    made = Counter(label.type for label in inj.labels)
    short = {t: c for t, c in made.items() if c < per_type}
    if short or len(made) < 9:
        raise RuntimeError(f"could place only {dict(made)} of {per_type} exceptions per type: "
                           "raise transactions or days, or lower per_type")
    kinds = Counter(d.type for d in inj.decoys)
    if len(kinds) < 4 or min(kinds.values()) < decoys:
        raise RuntimeError(f"could place only {dict(kinds)} decoys of {decoys} per kind")
    return inj
