"""Host-assigned identifiers (``generate --id-style host``).

The default style numbers things with structure (an RRN is year digit, day of year, host digit
and sequence; order numbers start with letters). Hosts, tills and banks in the field hand out
plain numbers instead, and plain numbers look like card numbers now and then: this style
writes them so that ingest has to tell an identifier from a card.

- RRNs (journal, statement 参考号, Adyen Psp Reference): 12 digits, every leading digit, some
  of them Luhn-valid; the first refund whose original is not in the data names 468350986781,
  an RRN that starts like a Visa card and passes the Luhn check.
- Statement serials (交易单号, 原交易单) and bank serials (交易流水号): 12 digits, every
  leading digit.
- Merchant order numbers: 19 digits, every leading digit (card-like ones among them).
- Adyen Modification References: 16 digits, every leading digit (card-like ones among them).
- Acquirer merchant numbers: 15 digits, any leading digit; the first one starts like a Visa
  card and passes the Luhn check. A bank payout's memo (free text) names it after 商户号,
  which tells ingest it is a merchant number, not a card.

Every number is a fixed scramble of a distinct key (a line, a bank line), so numbers never
repeat and the same line gets the same number in every file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STYLES = ("default", "host")
# An RRN from the field that starts like a Visa card and passes the Luhn check.
CARD_LIKE_RRN = 468_350_986_781

_RRN, _ORDER, _SERIAL, _BANK, _REFERENCE = range(5)  # a scramble each


@dataclass(frozen=True)
class HostIds:
    """The scramble of each kind of number, drawn from the seed."""

    keys: tuple[int, ...]  # random 62-bit integers: multipliers and offsets

    @classmethod
    def from_seed(cls, seed: int) -> HostIds:
        rng = np.random.default_rng([seed, 101])
        return cls(tuple(int(k) for k in rng.integers(0, 2**62, size=20)))

    def numbers(self, keys: np.ndarray, width: int, kind: int) -> list[str]:
        """One ``width``-digit number per distinct key: a leading digit that cycles with the
        key (so every one occurs), then the key scrambled."""
        body = 10 ** (width - 1)
        a1, b1, a2, b2 = (self._coprime(k, body) if i % 2 == 0 else k % body
                          for i, k in enumerate(self.keys[4 * kind: 4 * kind + 4]))
        out = []
        for key in (int(x) for x in keys):
            # affine, rotate the digits, affine: each step is a bijection of [0, body), so
            # distinct keys never share a number, and every digit depends on the key
            x = f"{(a1 * key + b1) % body:0{width - 1}d}"
            x = x[(width - 1) // 2:] + x[: (width - 1) // 2]
            out.append(f"{(key + b1) % 10}{(a2 * int(x) + b2) % body:0{width - 1}d}")
        return out

    @staticmethod
    def _coprime(key: int, body: int) -> int:
        """A multiplier below ``body`` that shares no factor with a power of ten."""
        return (key % (body // 10)) * 10 + (1, 3, 7, 9)[key % 4]

    def rrns(self, uid: np.ndarray, orphans: int) -> tuple[np.ndarray, np.ndarray]:
        """RRNs of the lines (by uid) and of ``orphans`` originals that are not in the data."""
        top = int(uid.max(initial=-1)) + 1
        lines = np.array(self.numbers(uid, 12, _RRN), dtype=np.int64)
        others = np.array(self.numbers(top + np.arange(orphans), 12, _RRN), dtype=np.int64)
        if others.size and CARD_LIKE_RRN not in set(lines.tolist()):
            others[0] = CARD_LIKE_RRN
        return lines, others

    def order_numbers(self, uid: np.ndarray) -> list[str]:
        return self.numbers(uid, 19, _ORDER)

    def statement_serials(self, uid: np.ndarray) -> list[str]:
        return self.numbers(uid, 12, _SERIAL)

    def bank_serials(self, keys: np.ndarray) -> list[str]:
        return self.numbers(keys, 12, _BANK)

    def references(self, rrn: np.ndarray) -> list[str]:
        return self.numbers(rrn, 16, _REFERENCE)
