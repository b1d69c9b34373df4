"""The decoys: transactions that look like an exception but are not one (a voided double
entry, a sale paid again after a reversal, a settlement still pending, a partial refund)."""

from __future__ import annotations

import numpy as np

from posaudit.tools.generator.injector import MIXED, DecoySpec, Injector
from posaudit.tools.generator.journal import refund_rows
from posaudit.tools.generator.rows import (
    INJECTED,
    NO_RESPONSE,
    REFUND,
    REVERSAL,
    SALE,
    VOID,
)
from posaudit.tools.generator.world import ADYEN, CN_POS


def decoy_voided_double(inj: Injector, n: int) -> None:
    def attempt(p: int, k: int) -> bool:
        term, t = int(inj.rows["term"][p]), int(inj.rows["ts"][p])
        t2 = t + int(inj.rng.integers(8, 51))
        tv = t2 + int(inj.rng.integers(5, 41))
        if tv > inj.close[p] - 120 or not inj.free(term, t, tv):
            return False
        s2 = inj.add(p, ts=t2)
        inj.add(p, kind=VOID, ts=tv, parent=s2)
        inj.occupy(term, t, tv)
        inj.decoys.append(DecoySpec("VOIDED_DOUBLE_ENTRY", s2,
                                     "DUPLICATE_CHARGE;VOID_SETTLED",
                                     f"second entry {t2 - t}s after the first, voided at "
                                     "once"))
        return True

    inj.run(n, (CN_POS, ADYEN), inj.is_card, attempt)


def decoy_repaid(inj: Injector, n: int) -> None:
    def attempt(p: int, k: int) -> bool:
        term, t = int(inj.rows["term"][p]), int(inj.rows["ts"][p])
        if not inj.settled_by(p, margin=1) or t + 300 > inj.close[p] \
                or not inj.free(term, t, t + 200):
            return False
        inj.rows.cols["resp"][p] = NO_RESPONSE if k % 2 == 0 else 5
        inj.add(p, kind=REVERSAL, ts=t + int(inj.rng.integers(10, 41)), parent=inj.uid(p))
        inj.add(p, kind=SALE, ts=t + int(inj.rng.integers(60, 201)))
        inj.occupy(term, t, t + 200)
        inj.decoys.append(DecoySpec(
            "REPAID_AFTER_REVERSAL", inj.uid(p),
            "ONE_SIDED;DUPLICATE_CHARGE;MISSING_IN_SETTLEMENT",
            "timed out and reversed, not settled; paid again with the same card"))
        return True

    inj.run(n, (CN_POS, ADYEN), inj.is_card, attempt)


def decoy_pending(inj: Injector, n: int) -> None:
    def attempt(p: int, k: int) -> bool:
        term, t = int(inj.rows["term"][p]), int(inj.rows["ts"][p])
        if int(inj.r.expected[p]) <= inj.cover or not inj.free(term, t, t):
            return False
        inj.occupy(term, t, t)
        due = inj.window.date(int(inj.r.expected[p]))
        inj.decoys.append(DecoySpec("PENDING_SETTLEMENT", inj.uid(p),
                                     "MISSING_IN_SETTLEMENT",
                                     f"due {due.isoformat()}, after the last settlement "
                                     "file"))
        return True

    inj.run(n, MIXED, np.ones(len(inj.rows), bool), attempt)


def decoy_partial_refunds(inj: Injector, n: int) -> None:
    rows = inj.rows
    existing = np.flatnonzero((rows["kind"] == REFUND) & (rows["parent"] >= 0))
    chosen = list(inj.rng.permutation(existing)[:n])
    missing = n - len(chosen)
    if missing > 0:
        src = []
        for p in inj.candidates(rows["day"] < inj.last - 1):
            if inj.free(int(rows["term"][p]), int(rows["ts"][p]), int(rows["ts"][p])):
                src.append(p)
                inj.free_mask[p] = False
            if len(src) == missing:
                break
        extra = refund_rows(inj.rng, inj.world, inj.cdfs, rows, np.array(src, np.int64),
                            inj.next_uid)
        extra.cols["origin"][:] = INJECTED
        inj.next_uid += len(extra)
        inj.added.append(extra)
        for p, uid in zip(src, extra["uid"], strict=True):
            inj.occupy(int(rows["term"][p]), int(rows["ts"][p]), int(rows["ts"][p]))
            inj.decoys.append(DecoySpec("PARTIAL_REFUND", int(uid),
                                         "REFUND_EXCEEDS_ORIGINAL",
                                         "one refund below the original sale"))
    for p in chosen:
        inj.decoys.append(DecoySpec("PARTIAL_REFUND", int(rows["uid"][p]),
                                     "REFUND_EXCEEDS_ORIGINAL",
                                     "one refund below the original sale"))
