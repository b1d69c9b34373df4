"""The card pool: Luhn-valid PANs on UnionPay, Visa and Mastercard BINs, with issuer data.

Cards are indexed 0..n-1; journals and statements refer to a card by index and render its PAN
(full or masked) only when a file is written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posaudit.tools.generator.ids import digits_to_str, luhn_check_digits, resident_ids

DEBIT, CREDIT, UNKNOWN = 0, 1, 2
NETWORK_UNIONPAY, NETWORK_VISA, NETWORK_MC = 0, 1, 2


@dataclass(frozen=True)
class Bin:
    prefix: str
    length: int
    network: int
    card_type: int
    issuer_code: str
    issuer_name: str
    weight: float


# Domestic UnionPay BINs dominate; Visa and Mastercard are co-branded or foreign cards.
BINS: tuple[Bin, ...] = (
    Bin("622848", 19, NETWORK_UNIONPAY, DEBIT, "01030000", "中国农业银行", 9),
    Bin("621700", 19, NETWORK_UNIONPAY, DEBIT, "01050000", "中国建设银行", 9),
    Bin("622202", 19, NETWORK_UNIONPAY, DEBIT, "01020000", "中国工商银行", 10),
    Bin("621226", 19, NETWORK_UNIONPAY, DEBIT, "01020000", "中国工商银行", 5),
    Bin("621661", 19, NETWORK_UNIONPAY, DEBIT, "01040000", "中国银行", 6),
    Bin("622262", 19, NETWORK_UNIONPAY, DEBIT, "03010000", "交通银行", 4),
    Bin("621483", 16, NETWORK_UNIONPAY, DEBIT, "03080000", "招商银行", 6),
    Bin("623058", 19, NETWORK_UNIONPAY, DEBIT, "03100000", "上海浦东发展银行", 3),
    Bin("621799", 17, NETWORK_UNIONPAY, DEBIT, "04012900", "上海银行", 2),
    Bin("620058", 18, NETWORK_UNIONPAY, DEBIT, "14243000", "杭州联合农村商业银行", 1),
    Bin("622588", 16, NETWORK_UNIONPAY, CREDIT, "03080000", "招商银行", 8),
    Bin("625965", 16, NETWORK_UNIONPAY, CREDIT, "03080000", "招商银行", 4),
    Bin("625330", 16, NETWORK_UNIONPAY, CREDIT, "01020000", "中国工商银行", 4),
    Bin("625809", 16, NETWORK_UNIONPAY, CREDIT, "03050000", "中国民生银行", 3),
    Bin("622576", 16, NETWORK_UNIONPAY, CREDIT, "03090000", "兴业银行", 3),
    Bin("628288", 16, NETWORK_UNIONPAY, CREDIT, "03020000", "中信银行", 3),
    Bin("427020", 16, NETWORK_VISA, CREDIT, "01020000", "中国工商银行", 3),
    Bin("433670", 16, NETWORK_VISA, CREDIT, "03030000", "中国光大银行", 2),
    Bin("491020", 16, NETWORK_VISA, DEBIT, "00049992", "VISA境外发卡行", 2),
    Bin("414720", 16, NETWORK_VISA, CREDIT, "00049992", "VISA境外发卡行", 2),
    Bin("518710", 16, NETWORK_MC, CREDIT, "03080000", "招商银行", 2),
    Bin("552599", 16, NETWORK_MC, CREDIT, "01040000", "中国银行", 2),
    Bin("540297", 16, NETWORK_MC, DEBIT, "00049993", "MASTERCARD境外发卡行", 1),
    Bin("510510", 16, NETWORK_MC, CREDIT, "00049993", "MASTERCARD境外发卡行", 1),
)

_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘")
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建文博宇浩然子涵欣怡")
_REGIONS = ["310101", "310104", "310115", "330102", "330106", "320102", "320506", "110105",
            "440305", "510107", "420106", "370202"]


@dataclass
class CardPool:
    pan: list[str]
    bin_idx: np.ndarray  # int16, index into BINS
    length: np.ndarray  # int8
    card_type: np.ndarray  # int8: DEBIT / CREDIT (what the issuer knows)
    network: np.ndarray  # int8
    foreign: np.ndarray  # bool: issued abroad (foreign Visa / Mastercard)
    mask_key: np.ndarray  # int64: first six, last four and length; what a masked log shows

    def __len__(self) -> int:
        return len(self.pan)


def holder_names(rng: np.random.Generator, n: int) -> list[str]:
    """Synthetic cardholder names (for the acquirers that print them)."""
    s = rng.integers(0, len(_SURNAMES), size=n)
    g1 = rng.integers(0, len(_GIVEN), size=n)
    g2 = rng.integers(0, len(_GIVEN), size=n)
    two = rng.random(n) < 0.6
    return [_SURNAMES[a] + _GIVEN[b] + (_GIVEN[c] if t else "")
            for a, b, c, t in zip(s, g1, g2, two, strict=True)]


def holder_ids(rng: np.random.Generator, n: int) -> list[str]:
    """Synthetic resident ID numbers (valid ISO 7064 check, Luhn-invalid digit run)."""
    return resident_ids(rng, n, _REGIONS)


def build_pool(rng: np.random.Generator, n: int, network_weights: np.ndarray | None = None
               ) -> CardPool:
    """``n`` distinct Luhn-valid cards; BINs drawn by their weights."""
    weights = np.array([b.weight for b in BINS], dtype=float)
    if network_weights is not None:
        weights = weights * network_weights[[b.network for b in BINS]]
    bin_idx = rng.choice(len(BINS), size=n, p=weights / weights.sum()).astype(np.int16)
    lengths = np.array([b.length for b in BINS], dtype=np.int8)[bin_idx]
    pan: list[str] = [""] * n
    for length in np.unique(lengths):
        rows = np.flatnonzero(lengths == length)
        body = rng.integers(0, 10, size=(rows.size, int(length) - 1))
        prefixes = np.array([[int(c) for c in b.prefix] for b in BINS])[bin_idx[rows]]
        body[:, :6] = prefixes
        full = np.concatenate([body, luhn_check_digits(body)[:, None]], axis=1)
        for r, s in zip(rows, digits_to_str(full), strict=True):
            pan[r] = s
    # Two draws can produce the same PAN; make them distinct by redrawing the account digits.
    seen: set[str] = set()
    for i, p in enumerate(pan):
        while p in seen:
            body = np.array([int(c) for c in p[:-1]])
            body[6:] = rng.integers(0, 10, size=body.size - 6)
            p = digits_to_str(np.concatenate([body, luhn_check_digits(body[None, :])])[None, :])[0]
        seen.add(p)
        pan[i] = p
    card_type = np.array([b.card_type for b in BINS], dtype=np.int8)[bin_idx]
    network = np.array([b.network for b in BINS], dtype=np.int8)[bin_idx]
    foreign = np.array([b.issuer_code.startswith("0004") for b in BINS])[bin_idx]
    first6 = np.array([int(b.prefix) for b in BINS], dtype=np.int64)[bin_idx]
    last4 = np.array([int(p[-4:]) for p in pan], dtype=np.int64)
    mask_key = first6 * 1_000_000 + last4 * 100 + lengths.astype(np.int64)
    return CardPool(pan, bin_idx, lengths, card_type, network, foreign, mask_key)
