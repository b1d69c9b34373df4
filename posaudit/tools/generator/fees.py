"""Fee contracts applied to transactions: which terms hold, the fee, the promised settlement day.

Terms are looked up by acquirer, merchant number, channel group, card type and the
transaction's business date; the most specific matching contract wins (merchant number, then
acquirer, then card type). The fee is rate × amount, bounded by the minimum and cap, rounded
half-up to the fen; refunds carry none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posaudit.tools.generator.world import World

GROUP_CARD, GROUP_QR = 0, 1
_CARD_TYPES = {"DEBIT": 0, "CREDIT": 1}


@dataclass
class Terms:
    rate_ppm: np.ndarray
    fee_min: np.ndarray  # fen, -1 = none
    fee_cap: np.ndarray  # fen, -1 = none
    d0: np.ndarray  # bool: the D0 rule applies
    d0_min: np.ndarray
    win_lo: np.ndarray
    win_hi: np.ndarray


def resolve_terms(world: World, account: np.ndarray, group: np.ndarray, card_type: np.ndarray,
                  day: np.ndarray) -> Terms:
    n = account.size
    terms = Terms(np.zeros(n, np.int64), np.full(n, -1, np.int64), np.full(n, -1, np.int64),
                  np.zeros(n, bool), np.zeros(n, np.int64), np.zeros(n, np.int64),
                  np.zeros(n, np.int64))
    start = world.window.start
    for c in sorted(world.contracts, key=lambda c: c.specificity):
        acct_ok = np.array([(c.acquirer in ("*", a.acquirer.code))
                            and (c.merchant_id in ("*", a.number)) for a in world.accounts])
        lo = (c.effective_from - start).days
        hi = (c.effective_to - start).days if c.effective_to else 10**6
        mask = acct_ok[account] & (group == (GROUP_QR if c.group == "QR" else GROUP_CARD))
        mask &= (day >= lo) & (day <= hi)
        if c.card_type != "*":
            mask &= card_type == _CARD_TYPES[c.card_type]
        if not mask.any():
            continue
        terms.rate_ppm[mask] = c.rate_ppm
        terms.fee_min[mask] = -1 if c.fee_min is None else c.fee_min
        terms.fee_cap[mask] = -1 if c.fee_cap is None else c.fee_cap
        terms.d0[mask] = c.rule == "D0"
        terms.d0_min[mask] = c.d0_min or 0
        win = c.d0_window or (0, 0)
        terms.win_lo[mask] = win[0]
        terms.win_hi[mask] = win[1]
    if (terms.rate_ppm == 0).any():
        raise AssertionError("a transaction matched no fee contract")
    return terms


def fee_at_rate(amount: np.ndarray, rate_ppm: np.ndarray) -> np.ndarray:
    """rate × amount rounded half-up to the fen (amounts are positive)."""
    return (amount.astype(np.int64) * rate_ppm + 500_000) // 1_000_000


def contract_fee(amount: np.ndarray, terms: Terms) -> np.ndarray:
    fee = fee_at_rate(amount, terms.rate_ppm)
    fee = np.where(terms.fee_min >= 0, np.maximum(fee, terms.fee_min), fee)
    return np.where(terms.fee_cap >= 0, np.minimum(fee, terms.fee_cap), fee)


def expected_day(day: np.ndarray, sod: np.ndarray, amount: np.ndarray, terms: Terms
                 ) -> np.ndarray:
    """D0 when the rule allows it (amount at least the minimum, time inside the window), else
    the next calendar day."""
    same = terms.d0 & (amount >= terms.d0_min) & (sod >= terms.win_lo) & (sod < terms.win_hi)
    return day + np.where(same, 0, 1)
