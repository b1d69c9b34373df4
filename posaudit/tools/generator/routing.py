"""Where each journal line settles: which account and layout, at what fee, on which day.

Cards and UnionPay QR settle through the terminal's acquirer account. WeChat and Alipay QR
settle through the merchant's own wallet account when it takes wallets directly, otherwise
through the acquirer (as 微信 / 支付宝 lines of its statement). Wallet bills list a day's
trades and settle them the next day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posaudit.tools.generator.cards import CardPool
from posaudit.tools.generator.config import DAY
from posaudit.tools.generator.fees import (
    GROUP_CARD,
    GROUP_QR,
    Terms,
    contract_fee,
    expected_day,
    resolve_terms,
)
from posaudit.tools.generator.rows import Rows
from posaudit.tools.generator.world import ALIPAY, QR_ALIPAY, QR_WECHAT, WECHAT, World


@dataclass
class Routing:
    merchant: np.ndarray
    store: np.ndarray
    account: np.ndarray  # settlement account index
    layout: np.ndarray  # CN_POS, WECHAT, ALIPAY, ADYEN
    group: np.ndarray  # GROUP_CARD / GROUP_QR
    card_type: np.ndarray  # 0 debit, 1 credit, 2 none (QR)
    fee: np.ndarray  # contract fee on the journal amount (fen)
    rate_ppm: np.ndarray
    expected: np.ndarray  # promised settlement day
    terms: Terms


def route(world: World, pool: CardPool, rows: Rows) -> Routing:
    term = rows["term"]
    chan = rows["chan"]
    merchant = world.term_array("merchant")[term]
    store = world.term_array("store")[term]
    account = world.term_array("account")[term].astype(np.int64)
    for m, acct in world.wechat_account.items():
        account = np.where((merchant == m) & (chan == QR_WECHAT), acct, account)
    for m, acct in world.alipay_account.items():
        account = np.where((merchant == m) & (chan == QR_ALIPAY), acct, account)
    layout = np.array([a.acquirer.layout for a in world.accounts], dtype=np.int8)[account]
    group = np.where(chan >= QR_WECHAT, GROUP_QR, GROUP_CARD).astype(np.int8)
    card = rows["card"]
    card_type = np.where(card >= 0, pool.card_type[np.maximum(card, 0)], 2).astype(np.int8)
    card_type = np.where(group == GROUP_QR, 2, card_type)
    day = rows["day"].astype(np.int64)
    terms = resolve_terms(world, account, group, card_type, day)
    amount = rows["amount"]
    fee = contract_fee(amount, terms)
    exp = expected_day(day, rows["ts"] % DAY, amount, terms)
    wallet = (layout == WECHAT) | (layout == ALIPAY)
    exp = np.where(wallet, day + 1, exp)
    return Routing(merchant, store, account, layout, group, card_type, fee, terms.rate_ppm, exp,
                   terms)
