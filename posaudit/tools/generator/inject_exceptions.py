"""The definite exceptions, each exactly as the product defines it: a plain approved sale
changed in the journal or at the acquirer, with the label and the root cause the default rules
give on the terminal events it requires or forbids (see :mod:`faults`)."""

from __future__ import annotations

import numpy as np

from posaudit.tools.generator.config import DAY
from posaudit.tools.generator.faults import Event
from posaudit.tools.generator.fees import fee_at_rate
from posaudit.tools.generator.injector import MIXED, Injector
from posaudit.tools.generator.keys import rrn_number
from posaudit.tools.generator.rows import (
    FORCE_SETTLE,
    FORCE_SKIP,
    NO_RESPONSE,
    REFUND,
    REVERSAL,
    SALE,
    VOID,
)
from posaudit.tools.generator.timing import sign_in_second
from posaudit.tools.generator.world import ADYEN, ALIPAY, CN_POS, WECHAT

FAULT_DETAIL = {
    "ERROR": "E203 交易应答超时 response timeout",
    "OFFLINE": "网络连接断开 network down",
    "KEY_SYNC_FAILED": "MAC密钥同步失败 key sync failed",
}


def duplicates(inj: Injector, n: int) -> None:
    sf_quota, recover_quota = (n + 1) // 2, max(1, n // 4)
    state = {"sf": 0, "rec": 0}
    rng = inj.rng

    def attempt(p: int, k: int) -> bool:
        term, t1, day = int(inj.rows["term"][p]), int(inj.rows["ts"][p]), \
            int(inj.rows["day"][p])
        dt = int(rng.integers(60, 481))
        t2 = t1 + dt
        if t2 > inj.close[p] - 300 or not inj.free(term, t1, t2):
            return False
        sf = (state["sf"] < sf_quota and k % 2 == 0) or (n - k) <= sf_quota - state["sf"]
        ftype, tf = "", 0
        if sf:
            ftype = str(rng.choice(["ERROR", "ERROR", "OFFLINE", "OFFLINE",
                                    "KEY_SYNC_FAILED"]))
            tf = t2 - int(rng.integers(20, min(dt - 5, 300) + 1))
            if not inj.plan.allows(term, tf, ftype) or (
                    ftype == "KEY_SYNC_FAILED" and not inj.plan.can_taint_day(term, day)):
                return False
        elif not inj.plan.window_is_clean(term, t2):
            return False
        recover = state["rec"] < recover_quota and day < inj.last
        r_ts = 0
        if recover:
            r_day = day + int(rng.integers(1, min(5, inj.last - day) + 1))
            r_ts = inj.random_time(p, r_day)
            recover = inj.free(term, r_ts, r_ts)
        s2 = inj.add(p, ts=t2)
        if sf:
            inj.plan.require(Event(term, tf, ftype, FAULT_DETAIL[ftype]))
            if ftype == "OFFLINE":
                back = tf + int(rng.integers(3, max(4, min(60, t2 - tf - 2))))
                inj.plan.require(Event(term, back, "ONLINE", "网络恢复 network up"))
            state["sf"] += 1
        else:
            inj.plan.keep_clean(term, t2)
        inj.occupy(term, t1, t2)
        status, note = "OPEN", f"same card and amount {dt}s after the first sale"
        if recover:
            inj.add(p, kind=REFUND, ts=r_ts, parent=s2, op=inj.random_op(p))
            inj.occupy(term, r_ts, r_ts)
            state["rec"] += 1
            status, note = "RECOVERED", note + "; refunded in full on a later day"
        cause = "SYSTEM_FAULT" if sf else "OPERATOR_ERROR"
        if sf:
            note += f"; {ftype} {t2 - tf}s before the repeat"
        inj.label("DUPLICATE_CHARGE", s2, cause, status=status, note=note)
        return True

    inj.run(n, (CN_POS, CN_POS, ADYEN), inj.is_card, attempt)


def amount_mismatches(inj: Injector, n: int) -> None:
    rng = inj.rng

    def attempt(p: int, k: int) -> bool:
        term, t, a = int(inj.rows["term"][p]), int(inj.rows["ts"][p]), \
            int(inj.rows["amount"][p])
        if a < 2000 or not inj.settled_by(p) or not inj.free(term, t, t):
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
        inj.rows.cols["s_amount"][p] = settled
        inj.occupy(term, t, t)
        inj.label("AMOUNT_MISMATCH", inj.uid(p), "ACQUIRER_OR_BANK",
                   exposure=abs(settled - a), note=f"settled {settled / 100:.2f}")
        return True

    inj.run(n, MIXED, np.ones(len(inj.rows), bool), attempt)


def missing(inj: Injector, n: int) -> None:
    half = (n + 1) // 2

    def attempt(p: int, k: int) -> bool:
        term, t, day = int(inj.rows["term"][p]), int(inj.rows["ts"][p]), \
            int(inj.rows["day"][p])
        if not inj.settled_by(p, margin=2) or not inj.free(term, t, t):
            return False
        sf = k < half
        if sf:
            if not inj.plan.can_taint_day(term, day):
                return False
            if (term, day) not in inj.signed_in_failed:
                s = inj.stores[inj.r.store[p]]
                at = day * DAY + sign_in_second(s.is_24h, s.open_min) + int(
                    inj.rng.integers(-25, -15) if s.is_24h else inj.rng.integers(-150, -90))
                inj.plan.require(Event(term, at, "SIGN_IN_FAILED", "签到失败 sign-in failed"))
                inj.signed_in_failed.add((term, day))
        else:
            if not inj.plan.can_keep_day_clean(term, day):
                return False
            inj.plan.keep_day_clean(term, day)
        inj.rows.cols["force"][p] = FORCE_SKIP
        inj.occupy(term, t, t)
        cause = "SYSTEM_FAULT" if sf else "ACQUIRER_OR_BANK"
        note = "SIGN_IN_FAILED at opening that day" if sf else "no sign-in or key fault"
        inj.label("MISSING_IN_SETTLEMENT", inj.uid(p), cause, note=note)
        return True

    inj.run(n, MIXED, np.ones(len(inj.rows), bool), attempt)


def unmatched(inj: Injector, n: int) -> None:
    half = (n + 1) // 2
    rng = inj.rng

    def attempt(p: int, k: int) -> bool:
        term, t = int(inj.rows["term"][p]), int(inj.rows["ts"][p])
        if not inj.settled_by(p) or not inj.free(term, t, t):
            return False
        sf = k < half
        if sf:
            tf = t + int(rng.integers(10, 81))
            if not inj.plan.allows(term, tf, "ERROR"):
                return False
            inj.plan.require(Event(term, tf, "ERROR", "E501 交易记录写入失败 journal write "
                                                       "failed"))
        else:
            if not inj.plan.window_is_clean(term, t):
                return False
            inj.plan.keep_clean(term, t)
        inj.rows.cols["visible"][p] = False
        inj.occupy(term, t, t)
        cause = "SYSTEM_FAULT" if sf else "EXTERNAL_FRAUD"
        note = "terminal lost its log (ERROR right after)" if sf else "no terminal record, " \
            "no fault nearby"
        inj.label("UNMATCHED_SETTLEMENT", inj.uid(p), cause, note=note,
                   settlement_keys=True)
        return True

    # Adyen's report names no terminal, so its lines cannot be tied to a terminal's events.
    inj.run(n, (CN_POS, WECHAT, CN_POS, ALIPAY), np.ones(len(inj.rows), bool), attempt)


def void_settled(inj: Injector, n: int) -> None:
    def attempt(p: int, k: int) -> bool:
        term, t = int(inj.rows["term"][p]), int(inj.rows["ts"][p])
        tv = t + int(inj.rng.integers(60, 1201))
        if not inj.settled_by(p) or tv > inj.close[p] - 120 or not inj.free(term, t, tv):
            return False
        inj.add(p, kind=VOID, ts=tv, parent=inj.uid(p))
        inj.rows.cols["force"][p] = FORCE_SETTLE
        inj.occupy(term, t, tv)
        inj.label("VOID_SETTLED", inj.uid(p), "ACQUIRER_OR_BANK",
                   note=f"voided {tv - t}s later, settled anyway")
        return True

    inj.run(n, (CN_POS, CN_POS, ADYEN), inj.is_card, attempt)


def one_sided(inj: Injector, n: int) -> None:
    rng = inj.rng

    def attempt(p: int, k: int) -> bool:
        term, t = int(inj.rows["term"][p]), int(inj.rows["ts"][p])
        if not inj.settled_by(p) or t + 300 > inj.close[p] or not inj.free(term, t, t + 240):
            return False
        wallet = inj.r.layout[p] in (WECHAT, ALIPAY)
        code = NO_RESPONSE if wallet or rng.random() < 0.5 else int(rng.integers(2, 6))
        inj.rows.cols["resp"][p] = code
        notes = ["no response" if code == NO_RESPONSE else "timeout code"]
        if not wallet:
            inj.add(p, kind=REVERSAL, ts=t + int(rng.integers(10, 46)), parent=inj.uid(p))
            notes.append("reversed")
        if k % 2 == 0:
            inj.add(p, kind=SALE, ts=t + int(rng.integers(70, 241)))
            notes.append("customer paid again")
        inj.rows.cols["force"][p] = FORCE_SETTLE
        inj.occupy(term, t, t + 240)
        inj.label("ONE_SIDED", inj.uid(p), "SYSTEM_FAULT",
                   note="; ".join(notes) + "; acquirer settled it")
        return True

    inj.run(n, MIXED, np.ones(len(inj.rows), bool), attempt)


def fee_mismatches(inj: Injector, n: int) -> None:
    rng = inj.rng

    def attempt(p: int, k: int) -> bool:
        term, t, a = int(inj.rows["term"][p]), int(inj.rows["ts"][p]), \
            int(inj.rows["amount"][p])
        if a < 3000 or not inj.settled_by(p) or not inj.free(term, t, t):
            return False
        fee = int(inj.r.fee[p])
        if rng.random() < 0.6:
            rate = int(inj.r.rate_ppm[p]) + int(rng.choice([1000, 1800, 2200, 3000]))
            wrong = int(fee_at_rate(np.array([a]), np.array([rate]))[0])
            why = f"charged at {rate / 10_000:.2f}%"
        else:
            rate, wrong = -1, fee + int(rng.integers(20, 301))
            why = "fee overcharged by a flat amount"
        if wrong - fee < 5:
            return False
        inj.rows.cols["fee_ovr"][p] = wrong
        inj.rows.cols["rate_ovr"][p] = rate
        inj.occupy(term, t, t)
        inj.label("FEE_MISMATCH", inj.uid(p), "ACQUIRER_OR_BANK", exposure=wrong - fee,
                   note=f"{why}: fee {wrong / 100:.2f}, contract {fee / 100:.2f}")
        return True

    inj.run(n, MIXED, np.ones(len(inj.rows), bool), attempt)


def late(inj: Injector, n: int) -> None:
    def attempt(p: int, k: int) -> bool:
        term, t = int(inj.rows["term"][p]), int(inj.rows["ts"][p])
        days = int(inj.rng.choice([1, 1, 2, 2, 3]))
        if not inj.settled_by(p, margin=days) or not inj.free(term, t, t):
            return False
        inj.rows.cols["late"][p] = days
        inj.occupy(term, t, t)
        due = inj.window.date(int(inj.r.expected[p]))
        inj.label("LATE_SETTLEMENT", inj.uid(p), "ACQUIRER_OR_BANK", exposure=0,
                   note=f"days_late={days}; promised {due.isoformat()}")
        return True

    # Wallet bills are dated by the trade, so a late wallet line cannot be told apart.
    inj.run(n, (CN_POS,), np.ones(len(inj.rows), bool), attempt)


def refunds_exceeding(inj: Injector, n: int) -> None:
    rng = inj.rng

    def attempt(p: int, k: int) -> bool:
        term, t, day, a = (int(inj.rows["term"][p]), int(inj.rows["ts"][p]),
                           int(inj.rows["day"][p]), int(inj.rows["amount"][p]))
        if day >= inj.last - 1 or a < 2000 or not inj.free(term, t, t):
            return False
        variant = k % 3
        d1 = day + int(rng.integers(1, min(6, inj.last - day) + 1))
        t1 = inj.random_time(p, d1)
        if not inj.free(term, t1, t1):
            return False
        if variant == 2:  # a refund whose original is not in the data
            amount = round(a * rng.uniform(0.2, 0.9))
            fake = rrn_number(inj.window.date(-int(rng.integers(40, 90))),
                              inj.world.accounts[inj.r.account[p]].acquirer.rrn_digit,
                              int(rng.integers(5_000_000, 9_999_999)))
            card = int(rng.choice(np.flatnonzero(~inj.pool.foreign)))
            uid = inj.add(p, kind=REFUND, ts=t1, card=card, amount=amount, orphan_rrn=fake,
                           op=inj.random_op(p))
            inj.occupy(term, t1, t1)
            inj.label("REFUND_EXCEEDS_ORIGINAL", uid, "OPERATOR_ERROR", exposure=amount,
                       note="refund has no original sale in the data")
            return True
        if variant == 0:
            extra = max(1, round(a * rng.uniform(0.05, 0.6)))
            uid = inj.add(p, kind=REFUND, ts=t1, parent=inj.uid(p), amount=a + extra,
                           op=inj.random_op(p))
            inj.occupy(term, t1, t1)
            note = f"refund {(a + extra) / 100:.2f} of a {a / 100:.2f} sale"
            inj.label("REFUND_EXCEEDS_ORIGINAL", uid, "OPERATOR_ERROR", exposure=extra,
                       note=note)
        else:
            r1 = round(a * rng.uniform(0.5, 0.8))
            r2 = round(a * rng.uniform(0.3, 0.6))
            if r1 + r2 <= a:
                r2 = a - r1 + max(1, round(a * 0.05))
            if r2 >= a:
                return False
            d2 = d1 + int(rng.integers(0, min(3, inj.last - d1) + 1))
            t2 = inj.random_time(p, d2)
            if t2 <= t1 + 600 or not inj.free(term, t2, t2):
                return False
            inj.add(p, kind=REFUND, ts=t1, parent=inj.uid(p), amount=r1,
                     op=inj.random_op(p))
            uid = inj.add(p, kind=REFUND, ts=t2, parent=inj.uid(p), amount=r2,
                           op=inj.random_op(p))
            inj.occupy(term, t1, t1)
            inj.occupy(term, t2, t2)
            inj.label("REFUND_EXCEEDS_ORIGINAL", uid, "OPERATOR_ERROR",
                       exposure=r1 + r2 - a,
                       note=f"second refund: {r1 / 100:.2f} + {r2 / 100:.2f} > "
                            f"sale {a / 100:.2f}")
        inj.occupy(term, t, t)
        return True

    inj.run(n, (CN_POS, CN_POS, ADYEN), inj.is_card, attempt)
