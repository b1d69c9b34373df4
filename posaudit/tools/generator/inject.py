"""Injected exceptions and decoys, each exactly as docs/exceptions.md defines it.

Every injection picks a plain approved sale (no void, reversal or refund of its own) on a
terminal stretch no other injection uses (20 minutes either side), changes what the journal
or the acquirer does with it, and records a label with the root cause that the default rules
give on the events it requires or forbids (see :mod:`faults`). Only sales whose settlement is
covered by the landing zone are used where coverage matters, with a day of margin.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from posaudit.tools.generator.cards import CardPool
from posaudit.tools.generator.config import DAY
from posaudit.tools.generator.faults import Event, FaultPlan
from posaudit.tools.generator.fees import fee_at_rate
from posaudit.tools.generator.journal import close_seconds, refund_rows
from posaudit.tools.generator.keys import rrn_number
from posaudit.tools.generator.routing import Routing
from posaudit.tools.generator.rows import (
    APPROVED,
    BASE,
    FORCE_SETTLE,
    FORCE_SKIP,
    INJECTED,
    NO_RESPONSE,
    REFUND,
    RETRY,
    REVERSAL,
    SALE,
    VOID,
    Rows,
)
from posaudit.tools.generator.timing import day_type, sample_seconds, sign_in_second
from posaudit.tools.generator.world import ADYEN, ALIPAY, CN_POS, QR_WECHAT, WECHAT, World

PAD = 1200  # seconds kept free around every injection on its terminal
MIXED = (CN_POS, WECHAT, CN_POS, ALIPAY, ADYEN)

_FAULT_DETAIL = {
    "ERROR": "E203 交易应答超时 response timeout",
    "OFFLINE": "网络连接断开 network down",
    "KEY_SYNC_FAILED": "MAC密钥同步失败 key sync failed",
}


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

    def label(self, type_: str, uid: int, cause: str, **kw: object) -> None:
        self.labels.append(LabelSpec(type_, uid, cause, **kw))  # type: ignore[arg-type]

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

    # -- definite exceptions -------------------------------------------------------------------

    def duplicates(self, n: int) -> None:
        sf_quota, recover_quota = (n + 1) // 2, max(1, n // 4)
        state = {"sf": 0, "rec": 0}
        rng = self.rng

        def attempt(p: int, k: int) -> bool:
            term, t1, day = int(self.rows["term"][p]), int(self.rows["ts"][p]), \
                int(self.rows["day"][p])
            dt = int(rng.integers(60, 481))
            t2 = t1 + dt
            if t2 > self.close[p] - 300 or not self.free(term, t1, t2):
                return False
            sf = (state["sf"] < sf_quota and k % 2 == 0) or (n - k) <= sf_quota - state["sf"]
            ftype, tf = "", 0
            if sf:
                ftype = str(rng.choice(["ERROR", "ERROR", "OFFLINE", "OFFLINE",
                                        "KEY_SYNC_FAILED"]))
                tf = t2 - int(rng.integers(20, min(dt - 5, 300) + 1))
                if not self.plan.allows(term, tf, ftype) or (
                        ftype == "KEY_SYNC_FAILED" and not self.plan.can_taint_day(term, day)):
                    return False
            elif not self.plan.window_is_clean(term, t2):
                return False
            recover = state["rec"] < recover_quota and day < self.last
            r_ts = 0
            if recover:
                r_day = day + int(rng.integers(1, min(5, self.last - day) + 1))
                r_ts = self.random_time(p, r_day)
                recover = self.free(term, r_ts, r_ts)
            s2 = self.add(p, ts=t2)
            if sf:
                self.plan.require(Event(term, tf, ftype, _FAULT_DETAIL[ftype]))
                if ftype == "OFFLINE":
                    back = tf + int(rng.integers(3, max(4, min(60, t2 - tf - 2))))
                    self.plan.require(Event(term, back, "ONLINE", "网络恢复 network up"))
                state["sf"] += 1
            else:
                self.plan.keep_clean(term, t2)
            self.occupy(term, t1, t2)
            status, note = "OPEN", f"same card and amount {dt}s after the first sale"
            if recover:
                self.add(p, kind=REFUND, ts=r_ts, parent=s2, op=self.random_op(p))
                self.occupy(term, r_ts, r_ts)
                state["rec"] += 1
                status, note = "RECOVERED", note + "; refunded in full on a later day"
            cause = "SYSTEM_FAULT" if sf else "OPERATOR_ERROR"
            if sf:
                note += f"; {ftype} {t2 - tf}s before the repeat"
            self.label("DUPLICATE_CHARGE", s2, cause, status=status, note=note)
            return True

        self.run(n, (CN_POS, CN_POS, ADYEN), self.is_card, attempt)

    def amount_mismatches(self, n: int) -> None:
        rng = self.rng

        def attempt(p: int, k: int) -> bool:
            term, t, a = int(self.rows["term"][p]), int(self.rows["ts"][p]), \
                int(self.rows["amount"][p])
            if a < 2000 or not self.settled_by(p) or not self.free(term, t, t):
                return False
            u = rng.random()
            if u < 0.4:
                settled = a + int(rng.choice([-1, 1])) * int(rng.integers(1, min(2000, a - 1100)))
            elif u < 0.7:
                settled = round(a * rng.uniform(0.5, 0.95))
            else:
                settled = round(a * rng.uniform(1.05, 1.6))
            if settled == a or settled < 1100:
                return False
            self.rows.cols["s_amount"][p] = settled
            self.occupy(term, t, t)
            self.label("AMOUNT_MISMATCH", self.uid(p), "ACQUIRER_OR_BANK",
                       exposure=abs(settled - a), note=f"settled {settled / 100:.2f}")
            return True

        self.run(n, MIXED, np.ones(len(self.rows), bool), attempt)

    def missing(self, n: int) -> None:
        half = (n + 1) // 2

        def attempt(p: int, k: int) -> bool:
            term, t, day = int(self.rows["term"][p]), int(self.rows["ts"][p]), \
                int(self.rows["day"][p])
            if not self.settled_by(p, margin=2) or not self.free(term, t, t):
                return False
            sf = k < half
            if sf:
                if not self.plan.can_taint_day(term, day):
                    return False
                if (term, day) not in self.signed_in_failed:
                    s = self.stores[self.r.store[p]]
                    at = day * DAY + sign_in_second(s.is_24h, s.open_min) + int(
                        self.rng.integers(-25, -15) if s.is_24h else self.rng.integers(-150, -90))
                    self.plan.require(Event(term, at, "SIGN_IN_FAILED", "签到失败 sign-in failed"))
                    self.signed_in_failed.add((term, day))
            else:
                if not self.plan.can_keep_day_clean(term, day):
                    return False
                self.plan.keep_day_clean(term, day)
            self.rows.cols["force"][p] = FORCE_SKIP
            self.occupy(term, t, t)
            cause = "SYSTEM_FAULT" if sf else "ACQUIRER_OR_BANK"
            note = "SIGN_IN_FAILED at opening that day" if sf else "no sign-in or key fault"
            self.label("MISSING_IN_SETTLEMENT", self.uid(p), cause, note=note)
            return True

        self.run(n, MIXED, np.ones(len(self.rows), bool), attempt)

    def unmatched(self, n: int) -> None:
        half = (n + 1) // 2
        rng = self.rng

        def attempt(p: int, k: int) -> bool:
            term, t = int(self.rows["term"][p]), int(self.rows["ts"][p])
            if not self.settled_by(p) or not self.free(term, t, t):
                return False
            sf = k < half
            if sf:
                tf = t + int(rng.integers(10, 81))
                if not self.plan.allows(term, tf, "ERROR"):
                    return False
                self.plan.require(Event(term, tf, "ERROR", "E501 交易记录写入失败 journal write "
                                                           "failed"))
            else:
                if not self.plan.window_is_clean(term, t):
                    return False
                self.plan.keep_clean(term, t)
            self.rows.cols["visible"][p] = False
            self.occupy(term, t, t)
            cause = "SYSTEM_FAULT" if sf else "EXTERNAL_FRAUD"
            note = "terminal lost its log (ERROR right after)" if sf else "no terminal record, " \
                "no fault nearby"
            self.label("UNMATCHED_SETTLEMENT", self.uid(p), cause, note=note,
                       settlement_keys=True)
            return True

        # Adyen's report names no terminal, so its lines cannot be tied to a terminal's events.
        self.run(n, (CN_POS, WECHAT, CN_POS, ALIPAY), np.ones(len(self.rows), bool), attempt)

    def void_settled(self, n: int) -> None:
        def attempt(p: int, k: int) -> bool:
            term, t = int(self.rows["term"][p]), int(self.rows["ts"][p])
            tv = t + int(self.rng.integers(60, 1201))
            if not self.settled_by(p) or tv > self.close[p] - 120 or not self.free(term, t, tv):
                return False
            self.add(p, kind=VOID, ts=tv, parent=self.uid(p))
            self.rows.cols["force"][p] = FORCE_SETTLE
            self.occupy(term, t, tv)
            self.label("VOID_SETTLED", self.uid(p), "ACQUIRER_OR_BANK",
                       note=f"voided {tv - t}s later, settled anyway")
            return True

        self.run(n, (CN_POS, CN_POS, ADYEN), self.is_card, attempt)

    def one_sided(self, n: int) -> None:
        rng = self.rng

        def attempt(p: int, k: int) -> bool:
            term, t = int(self.rows["term"][p]), int(self.rows["ts"][p])
            if not self.settled_by(p) or t + 300 > self.close[p] or not self.free(term, t, t + 240):
                return False
            wallet = self.r.layout[p] in (WECHAT, ALIPAY)
            code = NO_RESPONSE if wallet or rng.random() < 0.5 else int(rng.integers(2, 6))
            self.rows.cols["resp"][p] = code
            notes = ["no response" if code == NO_RESPONSE else "timeout code"]
            if not wallet:
                self.add(p, kind=REVERSAL, ts=t + int(rng.integers(10, 46)), parent=self.uid(p))
                notes.append("reversed")
            if k % 2 == 0:
                self.add(p, kind=SALE, ts=t + int(rng.integers(70, 241)))
                notes.append("customer paid again")
            self.rows.cols["force"][p] = FORCE_SETTLE
            self.occupy(term, t, t + 240)
            self.label("ONE_SIDED", self.uid(p), "SYSTEM_FAULT",
                       note="; ".join(notes) + "; acquirer settled it")
            return True

        self.run(n, MIXED, np.ones(len(self.rows), bool), attempt)

    def fee_mismatches(self, n: int) -> None:
        rng = self.rng

        def attempt(p: int, k: int) -> bool:
            term, t, a = int(self.rows["term"][p]), int(self.rows["ts"][p]), \
                int(self.rows["amount"][p])
            if a < 3000 or not self.settled_by(p) or not self.free(term, t, t):
                return False
            fee = int(self.r.fee[p])
            if rng.random() < 0.6:
                rate = int(self.r.rate_ppm[p]) + int(rng.choice([1000, 1800, 2200, 3000]))
                wrong = int(fee_at_rate(np.array([a]), np.array([rate]))[0])
                why = f"charged at {rate / 10_000:.2f}%"
            else:
                rate, wrong = -1, fee + int(rng.integers(20, 301))
                why = "fee overcharged by a flat amount"
            if wrong - fee < 5:
                return False
            self.rows.cols["fee_ovr"][p] = wrong
            self.rows.cols["rate_ovr"][p] = rate
            self.occupy(term, t, t)
            self.label("FEE_MISMATCH", self.uid(p), "ACQUIRER_OR_BANK", exposure=wrong - fee,
                       note=f"{why}: fee {wrong / 100:.2f}, contract {fee / 100:.2f}")
            return True

        self.run(n, MIXED, np.ones(len(self.rows), bool), attempt)

    def late(self, n: int) -> None:
        def attempt(p: int, k: int) -> bool:
            term, t = int(self.rows["term"][p]), int(self.rows["ts"][p])
            days = int(self.rng.choice([1, 1, 2, 2, 3]))
            if not self.settled_by(p, margin=days) or not self.free(term, t, t):
                return False
            self.rows.cols["late"][p] = days
            self.occupy(term, t, t)
            due = self.window.date(int(self.r.expected[p]))
            self.label("LATE_SETTLEMENT", self.uid(p), "ACQUIRER_OR_BANK", exposure=0,
                       note=f"days_late={days}; promised {due.isoformat()}")
            return True

        # Wallet bills are dated by the trade, so a late wallet line cannot be told apart.
        self.run(n, (CN_POS,), np.ones(len(self.rows), bool), attempt)

    def refunds_exceeding(self, n: int) -> None:
        rng = self.rng

        def attempt(p: int, k: int) -> bool:
            term, t, day, a = (int(self.rows["term"][p]), int(self.rows["ts"][p]),
                               int(self.rows["day"][p]), int(self.rows["amount"][p]))
            if day >= self.last - 1 or a < 2000 or not self.free(term, t, t):
                return False
            variant = k % 3
            d1 = day + int(rng.integers(1, min(6, self.last - day) + 1))
            t1 = self.random_time(p, d1)
            if not self.free(term, t1, t1):
                return False
            if variant == 2:  # a refund whose original is not in the data
                amount = round(a * rng.uniform(0.2, 0.9))
                fake = rrn_number(self.window.date(-int(rng.integers(40, 90))),
                                  self.world.accounts[self.r.account[p]].acquirer.rrn_digit,
                                  int(rng.integers(5_000_000, 9_999_999)))
                card = int(rng.choice(np.flatnonzero(~self.pool.foreign)))
                uid = self.add(p, kind=REFUND, ts=t1, card=card, amount=amount, orphan_rrn=fake,
                               op=self.random_op(p))
                self.occupy(term, t1, t1)
                self.label("REFUND_EXCEEDS_ORIGINAL", uid, "OPERATOR_ERROR", exposure=amount,
                           note="refund has no original sale in the data")
                return True
            if variant == 0:
                extra = max(1, round(a * rng.uniform(0.05, 0.6)))
                uid = self.add(p, kind=REFUND, ts=t1, parent=self.uid(p), amount=a + extra,
                               op=self.random_op(p))
                self.occupy(term, t1, t1)
                note = f"refund {(a + extra) / 100:.2f} of a {a / 100:.2f} sale"
                self.label("REFUND_EXCEEDS_ORIGINAL", uid, "OPERATOR_ERROR", exposure=extra,
                           note=note)
            else:
                r1 = round(a * rng.uniform(0.5, 0.8))
                r2 = round(a * rng.uniform(0.3, 0.6))
                if r1 + r2 <= a:
                    r2 = a - r1 + max(1, round(a * 0.05))
                if r2 >= a:
                    return False
                d2 = d1 + int(rng.integers(0, min(3, self.last - d1) + 1))
                t2 = self.random_time(p, d2)
                if t2 <= t1 + 600 or not self.free(term, t2, t2):
                    return False
                self.add(p, kind=REFUND, ts=t1, parent=self.uid(p), amount=r1,
                         op=self.random_op(p))
                uid = self.add(p, kind=REFUND, ts=t2, parent=self.uid(p), amount=r2,
                               op=self.random_op(p))
                self.occupy(term, t1, t1)
                self.occupy(term, t2, t2)
                self.label("REFUND_EXCEEDS_ORIGINAL", uid, "OPERATOR_ERROR",
                           exposure=r1 + r2 - a,
                           note=f"second refund: {r1 / 100:.2f} + {r2 / 100:.2f} > "
                                f"sale {a / 100:.2f}")
            self.occupy(term, t, t)
            return True

        self.run(n, (CN_POS, CN_POS, ADYEN), self.is_card, attempt)

    # -- decoys --------------------------------------------------------------------------------

    def decoy_voided_double(self, n: int) -> None:
        def attempt(p: int, k: int) -> bool:
            term, t = int(self.rows["term"][p]), int(self.rows["ts"][p])
            t2 = t + int(self.rng.integers(8, 51))
            tv = t2 + int(self.rng.integers(5, 41))
            if tv > self.close[p] - 120 or not self.free(term, t, tv):
                return False
            s2 = self.add(p, ts=t2)
            self.add(p, kind=VOID, ts=tv, parent=s2)
            self.occupy(term, t, tv)
            self.decoys.append(DecoySpec("VOIDED_DOUBLE_ENTRY", s2,
                                         "DUPLICATE_CHARGE;VOID_SETTLED",
                                         f"second entry {t2 - t}s after the first, voided at "
                                         "once"))
            return True

        self.run(n, (CN_POS, ADYEN), self.is_card, attempt)

    def decoy_repaid(self, n: int) -> None:
        def attempt(p: int, k: int) -> bool:
            term, t = int(self.rows["term"][p]), int(self.rows["ts"][p])
            if not self.settled_by(p, margin=1) or t + 300 > self.close[p] \
                    or not self.free(term, t, t + 200):
                return False
            self.rows.cols["resp"][p] = NO_RESPONSE if k % 2 == 0 else 5
            self.add(p, kind=REVERSAL, ts=t + int(self.rng.integers(10, 41)), parent=self.uid(p))
            self.add(p, kind=SALE, ts=t + int(self.rng.integers(60, 201)))
            self.occupy(term, t, t + 200)
            self.decoys.append(DecoySpec(
                "REPAID_AFTER_REVERSAL", self.uid(p),
                "ONE_SIDED;DUPLICATE_CHARGE;MISSING_IN_SETTLEMENT",
                "timed out and reversed, not settled; paid again with the same card"))
            return True

        self.run(n, (CN_POS, ADYEN), self.is_card, attempt)

    def decoy_pending(self, n: int) -> None:
        def attempt(p: int, k: int) -> bool:
            term, t = int(self.rows["term"][p]), int(self.rows["ts"][p])
            if int(self.r.expected[p]) <= self.cover or not self.free(term, t, t):
                return False
            self.occupy(term, t, t)
            due = self.window.date(int(self.r.expected[p]))
            self.decoys.append(DecoySpec("PENDING_SETTLEMENT", self.uid(p),
                                         "MISSING_IN_SETTLEMENT",
                                         f"due {due.isoformat()}, after the last settlement "
                                         "file"))
            return True

        self.run(n, MIXED, np.ones(len(self.rows), bool), attempt)

    def decoy_partial_refunds(self, n: int) -> None:
        rows = self.rows
        existing = np.flatnonzero((rows["kind"] == REFUND) & (rows["parent"] >= 0))
        chosen = list(self.rng.permutation(existing)[:n])
        missing = n - len(chosen)
        if missing > 0:
            src = []
            for p in self.candidates(rows["day"] < self.last - 1):
                if self.free(int(rows["term"][p]), int(rows["ts"][p]), int(rows["ts"][p])):
                    src.append(p)
                    self.free_mask[p] = False
                if len(src) == missing:
                    break
            extra = refund_rows(self.rng, self.world, self.cdfs, rows, np.array(src, np.int64),
                                self.next_uid)
            extra.cols["origin"][:] = INJECTED
            self.next_uid += len(extra)
            self.added.append(extra)
            for p, uid in zip(src, extra["uid"], strict=True):
                self.occupy(int(rows["term"][p]), int(rows["ts"][p]), int(rows["ts"][p]))
                self.decoys.append(DecoySpec("PARTIAL_REFUND", int(uid),
                                             "REFUND_EXCEEDS_ORIGINAL",
                                             "one refund below the original sale"))
        for p in chosen:
            self.decoys.append(DecoySpec("PARTIAL_REFUND", int(rows["uid"][p]),
                                         "REFUND_EXCEEDS_ORIGINAL",
                                         "one refund below the original sale"))

    def result(self) -> Rows:
        return Rows.concat([self.rows, *self.added])


def inject(rng: np.random.Generator, world: World, pool: CardPool, cdfs: np.ndarray,
           rows: Rows, routing: Routing, per_type: int) -> Injector:
    inj = Injector(rng, world, pool, cdfs, rows, routing)
    decoys = max(1, (per_type + 1) // 2)
    inj.duplicates(per_type)
    inj.unmatched(per_type)
    inj.missing(per_type)
    inj.one_sided(per_type)
    inj.void_settled(per_type)
    inj.amount_mismatches(per_type)
    inj.fee_mismatches(per_type)
    inj.late(per_type)
    inj.refunds_exceeding(per_type)
    inj.decoy_voided_double(decoys)
    inj.decoy_repaid(decoys)
    inj.decoy_pending(decoys)
    inj.decoy_partial_refunds(decoys)
    made = Counter(label.type for label in inj.labels)
    short = {t: c for t, c in made.items() if c < per_type}
    if short or len(made) < 9:
        raise RuntimeError(f"could place only {dict(made)} of {per_type} exceptions per type: "
                           "raise transactions or days, or lower per_type")
    kinds = Counter(d.type for d in inj.decoys)
    if len(kinds) < 4 or min(kinds.values()) < decoys:
        raise RuntimeError(f"could place only {dict(kinds)} decoys of {decoys} per kind")
    return inj
