"""The merchants, their stores and terminals, acquirers, settlement accounts and fee contracts.

A *settlement account* is one merchant number at one acquirer or wallet: the unit a settlement
file, a fee contract and a bank payout are keyed on. Card terminals settle through their
store's acquirer account; merchants that take wallets directly also own a WeChat Pay and an
Alipay account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np

from posaudit.tools.generator.config import Window
from posaudit.tools.generator.ids import luhn_invalid, random_digits

if TYPE_CHECKING:
    from posaudit.tools.generator.host_ids import HostIds

# Channels, in journal order.
CHIP, SWIPE, CONTACTLESS, QR_WECHAT, QR_ALIPAY, QR_UNIONPAY = range(6)
CHANNELS = ("CHIP", "SWIPE", "CONTACTLESS", "QR_WECHAT", "QR_ALIPAY", "QR_UNIONPAY")
CHANNELS_CN = ("芯片", "磁条", "闪付", "微信", "支付宝", "银联二维码")
CARD_CHANNELS = (CHIP, SWIPE, CONTACTLESS)

# Settlement layouts.
CN_POS, WECHAT, ALIPAY, ADYEN = range(4)
LAYOUTS = ("cn_pos_statement", "wechat_bill", "alipay_bill", "adyen_sdr")


@dataclass(frozen=True)
class Acquirer:
    code: str
    legal_name: str
    layout: int
    memo_prefix: str  # how the bank memo of a payout starts
    payout_lag: int  # days from settlement date to bank credit (0 or 1)
    payout_hours: tuple[int, int]
    account_no: str  # the payer account on the bank statement
    rrn_digit: int  # host number inside the RRN
    prints_holder: bool  # fills 持卡人姓名 / 持卡人身份证 in its statements


@dataclass(frozen=True)
class MerchantSpec:
    code: str
    brand: str
    legal_name: str
    kind: str
    share: float
    min_terminals: int
    min_stores: int
    per_store: float
    intensity: float
    journal: str  # "v1" or "cn"
    full_pan: bool
    currency: str  # "CNY" or "156"
    order_prefix: str
    cards_have_order: bool
    channel_mix: tuple[float, float, float, float, float, float]
    foreign_share: float
    acquirer: str
    second_acquirer: str | None  # the last store settles here
    wallet_direct: bool
    bank: tuple[str, str, str, str]  # name, file code, period (week|month), encoding
    districts: tuple[str, ...]
    city: str


SPECS: tuple[MerchantSpec, ...] = (
    MerchantSpec(
        "XWX", "湘味轩", "上海湘味轩餐饮管理有限公司", "restaurant", 0.22, 2, 1, 2.0, 1.0,
        "cn", False, "156", "XW", False, (0.27, 0.02, 0.16, 0.33, 0.17, 0.05), 0.02,
        "LAKALA", None, False, ("中国工商银行", "icbc", "week", "gbk"),
        ("五角场", "徐家汇", "静安寺", "陆家嘴", "虹桥", "中山公园", "张江", "七宝"), "上海市"),
    MerchantSpec(
        "XFH", "鲜丰汇超市", "上海鲜丰汇商业连锁有限公司", "supermarket", 0.30, 3, 3, 3.0, 1.5,
        "v1", True, "CNY", "SO", True, (0.15, 0.03, 0.12, 0.42, 0.24, 0.04), 0.01,
        "ALLINPAY", "UMS", True, ("招商银行", "cmb", "month", "utf-8"),
        ("漕河泾", "古北", "大华", "闵行", "莘庄", "曹杨", "三林", "江湾"), "上海市"),
    MerchantSpec(
        "YSF", "衣尚服饰", "杭州衣尚服饰有限公司", "fashion", 0.14, 2, 1, 2.0, 0.55,
        "v1", False, "CNY", "YS", True, (0.40, 0.05, 0.15, 0.22, 0.15, 0.03), 0.08,
        "UMS", None, False, ("中国银行", "boc", "week", "gbk"),
        ("湖滨银泰", "西湖文化广场", "来福士", "万象城", "龙湖天街"), "杭州市"),
    MerchantSpec(
        "YLC", "云岭咖啡", "苏州云岭咖啡有限公司", "coffee", 0.20, 2, 1, 2.0, 1.3,
        "cn", True, "CNY", "CF", True, (0.06, 0.01, 0.10, 0.55, 0.25, 0.03), 0.02,
        "LAKALA", None, True, ("中国建设银行", "ccb", "week", "utf-8"),
        ("观前街", "金鸡湖", "独墅湖", "石路", "园区湖东", "狮山"), "苏州市"),
    MerchantSpec(
        "GLB", "绿叶烘焙", "南京绿叶烘焙食品有限公司", "bakery", 0.14, 1, 1, 2.0, 0.9,
        "v1", False, "CNY", "GL", True, (0.35, 0.05, 0.40, 0.12, 0.08, 0.0), 0.15,
        "ADYEN", None, False, ("交通银行", "bocom", "month", "gbk"),
        ("新街口", "河西万达", "仙林", "江宁"), "南京市"),
)

_OPEN_HOURS = {  # kind -> (open, close) in minutes; stores vary a little around it
    "restaurant": (600, 1320), "supermarket": (450, 1320), "fashion": (600, 1320),
    "coffee": (420, 1260), "bakery": (420, 1290),
}
_MODELS = {
    "LAKALA": (("拉卡拉 A8", "LKL-A8 3.2.1"), ("拉卡拉 Q1", "LKL-Q1 2.8.5")),
    "ALLINPAY": (("百富 A920", "PAX-A920 5.1.0"), ("新大陆 N910", "NL-N910 4.0.3")),
    "UMS": (("联迪 A8", "LANDI-A8 6.2.7"), ("百富 S910", "PAX-S910 3.9.2")),
    "ADYEN": (("Adyen V400m", "adyen-1.96.4"), ("Adyen S1F2", "adyen-1.96.4")),
}


@dataclass(frozen=True)
class Merchant:
    idx: int
    spec: MerchantSpec
    bank_account: str
    opening_balance: int  # fen


@dataclass(frozen=True)
class Account:
    """One merchant number at one acquirer or wallet."""

    idx: int
    acquirer: Acquirer
    merchant: int
    number: str


@dataclass(frozen=True)
class Store:
    idx: int
    merchant: int
    store_id: str
    name: str
    region: str
    open_min: int
    close_min: int
    is_24h: bool
    account: int  # card settlement account
    operators: tuple[str, ...]


@dataclass(frozen=True)
class Terminal:
    idx: int
    terminal_id: str
    store: int
    merchant: int
    account: int
    model: str
    firmware: str
    installed_on: date
    weight: float


@dataclass(frozen=True)
class Contract:
    acquirer: str  # code or "*"
    merchant_id: str  # account number or "*"
    group: str  # CARD or QR
    card_type: str  # DEBIT, CREDIT or "*"
    rate_ppm: int  # rate in millionths (6000 = 0.60%)
    fee_min: int | None  # fen
    fee_cap: int | None
    effective_from: date
    effective_to: date | None
    rule: str  # D0 or T1
    d0_min: int | None  # fen
    d0_window: tuple[int, int] | None  # seconds of day [from, to)

    @property
    def specificity(self) -> int:
        return ((self.merchant_id != "*") * 4 + (self.acquirer != "*") * 2
                + (self.card_type != "*"))


@dataclass(frozen=True)
class World:
    window: Window
    acquirers: dict[str, Acquirer]
    merchants: tuple[Merchant, ...]
    accounts: tuple[Account, ...]
    stores: tuple[Store, ...]
    terminals: tuple[Terminal, ...]
    contracts: tuple[Contract, ...]
    wechat_account: dict[int, int]  # merchant -> account idx
    alipay_account: dict[int, int]
    wechat_app_id: dict[int, str]
    host: HostIds | None = None  # host-assigned identifiers (--id-style host), else structured

    # Per-terminal lookups as arrays, for vectorised work.
    def term_array(self, attr: str) -> np.ndarray:
        return np.array([getattr(t, attr) for t in self.terminals])

    def store_array(self, attr: str) -> np.ndarray:
        return np.array([getattr(s, attr) for s in self.stores])

    def account_of(self, acquirer: str, merchant: int) -> Account:
        return next(a for a in self.accounts
                    if a.acquirer.code == acquirer and a.merchant == merchant)


def _number(rng: np.random.Generator, head: str, width: int) -> str:
    return luhn_invalid(head + random_digits(rng, 1, width - len(head))[0])


def _acquirers(rng: np.random.Generator) -> dict[str, Acquirer]:
    def acct() -> str:
        return _number(rng, "3", 19)

    items = (
        Acquirer("LAKALA", "拉卡拉支付股份有限公司", CN_POS, "POS结算", 0, (22, 23), acct(), 3,
                 False),
        Acquirer("ALLINPAY", "通联支付网络服务股份有限公司", CN_POS, "POS结算", 1, (1, 4), acct(),
                 5, True),
        Acquirer("UMS", "银联商务股份有限公司", CN_POS, "POS结算", 0, (20, 23), acct(), 7, False),
        Acquirer("ADYEN", "Adyen N.V.", ADYEN, "POS结算", 1, (9, 12), acct(), 9, False),
        Acquirer("WECHATPAY", "财付通支付科技有限公司", WECHAT, "微信支付结算", 0, (8, 11),
                 acct(), 1, False),
        Acquirer("ALIPAY", "支付宝（中国）网络技术有限公司", ALIPAY, "支付宝结算", 0, (5, 8),
                 acct(), 2, False),
    )
    return {a.code: a for a in items}


def _allocate(total: int) -> list[int]:
    """Terminals per merchant: shares by largest remainder, with each merchant's minimum."""
    shares = np.array([s.share for s in SPECS])
    mins = np.array([s.min_terminals for s in SPECS])
    alloc = np.maximum(mins, np.floor(shares * total).astype(int))
    while alloc.sum() > total:
        over = np.flatnonzero(alloc > mins)
        alloc[over[np.argmax(alloc[over] - shares[over] * total)]] -= 1
    while alloc.sum() < total:
        alloc[np.argmax(shares * total - alloc)] += 1
    return alloc.tolist()


def _merchant_number(rng: np.random.Generator, acquirer: str, kind: str) -> str:
    mcc = {"restaurant": "5812", "supermarket": "5411", "fashion": "5651", "coffee": "5814",
           "bakery": "5462"}[kind]
    if acquirer == "LAKALA":
        return _number(rng, "8222900" + mcc, 15)
    if acquirer == "ALLINPAY":
        return _number(rng, "5602900" + mcc, 15)
    if acquirer == "UMS":
        return _number(rng, "898" + ("310" if kind == "supermarket" else "330") + mcc, 15)
    return "GLBAKERYCNPOS01"  # Adyen merchant accounts are names, 15 characters here


def build_world(rng: np.random.Generator, window: Window, terminals: int) -> World:
    acquirers = _acquirers(rng)
    merchants: list[Merchant] = []
    accounts: list[Account] = []
    stores: list[Store] = []
    terms: list[Terminal] = []
    wechat_account: dict[int, int] = {}
    alipay_account: dict[int, int] = {}
    wechat_app: dict[int, str] = {}
    used_tids: set[str] = set()

    def add_account(code: str, m: int, number: str) -> int:
        accounts.append(Account(len(accounts), acquirers[code], m, number))
        return len(accounts) - 1

    for m, (spec, n_term) in enumerate(zip(SPECS, _allocate(terminals), strict=True)):
        merchants.append(Merchant(m, spec, _number(rng, "1001", 19),
                                  int(rng.integers(80, 300)) * 1_000_000))
        card_acct = {spec.acquirer: add_account(spec.acquirer, m, _merchant_number(
            rng, spec.acquirer, spec.kind))}
        if spec.second_acquirer:
            card_acct[spec.second_acquirer] = add_account(
                spec.second_acquirer, m, _merchant_number(rng, spec.second_acquirer, spec.kind))
        if spec.wallet_direct:
            wechat_account[m] = add_account("WECHATPAY", m, "16" + random_digits(rng, 1, 8)[0])
            alipay_account[m] = add_account("ALIPAY", m, _number(rng, "2088", 16))
            wechat_app[m] = "wx" + "".join(rng.choice(list("0123456789abcdef"), size=16))
        n_store = max(spec.min_stores, round(n_term / spec.per_store))
        n_store = min(n_store, n_term, len(spec.districts))
        districts = rng.permutation(len(spec.districts))[:n_store]
        first_store = len(stores)
        for k in range(n_store):
            open_min, close_min = _OPEN_HOURS[spec.kind]
            shift = int(rng.integers(-1, 2)) * 30
            is_24h = spec.kind == "supermarket" and k == 0
            acq = spec.second_acquirer if (spec.second_acquirer and k == n_store - 1) else \
                spec.acquirer
            n_ops = int(rng.integers(3, 8))
            store_id = f"{spec.code}{k + 1:02d}"
            ops = tuple(f"{j + 1:03d}" if spec.journal == "cn" else f"{store_id}-{j + 1:02d}"
                        for j in range(n_ops))
            stores.append(Store(
                len(stores), m, store_id, f"{spec.brand}({spec.districts[districts[k]]}店)",
                spec.city, 0 if is_24h else open_min + shift,
                1440 if is_24h else close_min + shift, is_24h, card_acct[acq], ops))
        for j in range(n_term):
            store = stores[first_store + j % n_store]
            acq = accounts[store.account].acquirer.code
            model, firmware = _MODELS[acq][int(rng.integers(0, 2))]
            head = {"LAKALA": "5", "ALLINPAY": "3", "UMS": "9", "ADYEN": "V4"}[acq]
            while True:
                tid = head + random_digits(rng, 1, 8 - len(head))[0]
                if tid not in used_tids:
                    break
            used_tids.add(tid)
            installed = window.start - timedelta(days=int(rng.integers(60, 900)))
            weight = float(rng.lognormal(0.0, 0.25)) * spec.intensity * (
                1.3 if store.is_24h else 1.0)
            terms.append(Terminal(len(terms), tid, store.idx, m, store.account, model, firmware,
                                  installed, weight))
    return World(window, acquirers, tuple(merchants), tuple(accounts), tuple(stores),
                 tuple(terms), default_contracts(window, accounts), wechat_account, alipay_account,
                 wechat_app)


def default_contracts(window: Window, accounts: list[Account]) -> tuple[Contract, ...]:
    """Published defaults plus negotiated terms: a lower card rate with a minimum on Adyen, a
    wallet rate for the coffee chain, and the fashion retailer's debit cap and credit rate that
    changes mid-period (effective-dated on the transaction's business date)."""
    d0 = (0, 23 * 3600)
    long_ago = date(2000, 1, 1)
    contracts = [
        Contract("*", "*", "CARD", "*", 6000, None, None, long_ago, None, "D0", 1100, d0),
        Contract("*", "*", "QR", "*", 3800, None, None, long_ago, None, "T1", None, None),
    ]

    def number(code: str, kind: str) -> str:
        return next(a.number for a in accounts
                    if a.acquirer.code == code and SPECS[a.merchant].kind == kind)

    signed = window.start - timedelta(days=400)
    change = window.date(window.days // 2)
    fashion = number("UMS", "fashion")
    contracts += [
        Contract("UMS", fashion, "CARD", "DEBIT", 5000, None, 500, signed, None, "D0", 1100, d0),
        Contract("UMS", fashion, "CARD", "CREDIT", 6000, None, None, signed,
                 change - timedelta(days=1), "D0", 1100, d0),
        Contract("UMS", fashion, "CARD", "CREDIT", 5500, None, None, change, None, "D0", 1100,
                 d0),
        Contract("ADYEN", number("ADYEN", "bakery"), "CARD", "*", 5500, 10, None, signed, None,
                 "T1", None, None),
        Contract("WECHATPAY", number("WECHATPAY", "coffee"), "QR", "*", 3000, None, None, signed,
                 None, "T1", None, None),
        Contract("ALIPAY", number("ALIPAY", "coffee"), "QR", "*", 3000, None, None, signed, None,
                 "T1", None, None),
    ]
    return tuple(contracts)
