"""Check digits and identifier helpers: Luhn for cards, ISO 7064 for resident IDs.

Privacy scanners look for Luhn-valid runs of 13–19 digits. Real card numbers must pass that
test; every other long numeric identifier we invent (merchant numbers, wallet PIDs, bank
accounts, cardholder ID numbers) is nudged to fail it, so a scan finds only real cards.
"""

from __future__ import annotations

import re

import numpy as np

_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ID_CHECK = "10X98765432"
_DIGIT_RUN = re.compile(r"(?<!\d)\d{13,19}(?!\d)")


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def luhn_check_digits(body: np.ndarray) -> np.ndarray:
    """Check digit for each row of ``body`` (n × L digit matrix, the PAN without its last digit)."""
    rev = body[:, ::-1].astype(np.int64)
    doubled = rev[:, 0::2] * 2
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    total = doubled.sum(axis=1) + rev[:, 1::2].sum(axis=1)
    return (10 - total % 10) % 10


def digits_to_str(matrix: np.ndarray) -> list[str]:
    """Rows of a digit matrix as strings (vectorised through a fixed-width byte view)."""
    if matrix.shape[0] == 0:
        return []
    width = matrix.shape[1]
    raw = np.ascontiguousarray((matrix + 48).astype(np.uint8)).view(f"S{width}").ravel()
    return raw.astype(str).tolist()


def luhn_invalid(number: str) -> str:
    """The same identifier with its last digit bumped when it happens to pass Luhn."""
    if not (13 <= len(number) <= 19 and number.isdigit()) or not luhn_valid(number):
        return number
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def scrub_runs(text: str) -> str:
    """Make every 13–19 digit run in ``text`` Luhn-invalid (for composed identifiers)."""
    return _DIGIT_RUN.sub(lambda m: luhn_invalid(m.group()), text)


def random_digits(rng: np.random.Generator, n: int, width: int) -> list[str]:
    return digits_to_str(rng.integers(0, 10, size=(n, width)))


def resident_ids(rng: np.random.Generator, n: int, regions: list[str]) -> list[str]:
    """Synthetic 18-character resident ID numbers with a valid check character whose digit run
    is Luhn-invalid (so it never passes for a card number)."""
    if n == 0:
        return []
    region = np.array([[int(c) for c in r] for r in regions], dtype=np.int64)
    body = np.empty((n, 17), dtype=np.int64)
    body[:, :6] = region[rng.integers(0, len(regions), size=n)]
    birth = np.datetime64("1960-01-01") + rng.integers(0, 16000, size=n).astype("timedelta64[D]")
    year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    month = (birth.astype("datetime64[M]") - birth.astype("datetime64[Y]")).astype(np.int64) + 1
    day = (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
    ymd = year * 10_000 + month * 100 + day
    body[:, 6:14] = ymd[:, None] // 10 ** np.arange(7, -1, -1) % 10
    # Redraw the sequence digits until the number's digit run fails the Luhn test: all 18
    # characters when the check character is a digit, the first 17 when it is X.
    pending = np.arange(n)
    check = np.zeros(n, dtype=np.int64)  # index into _ID_CHECK
    while pending.size:
        body[pending, 14:17] = rng.integers(0, 10, size=(pending.size, 3))
        total = (body[pending] * _ID_WEIGHTS).sum(axis=1) % 11
        check[pending] = total
        digit = np.array([int(c) if c != "X" else -1 for c in _ID_CHECK])[total]
        full = np.concatenate([body[pending], np.maximum(digit, 0)[:, None]], axis=1)
        run_ok = np.where(digit >= 0, _luhn_ok(full), _luhn_ok(body[pending]))
        pending = pending[run_ok]
    chars = np.array(list(_ID_CHECK))[check]
    return [a + c for a, c in zip(digits_to_str(body), chars, strict=True)]


def _luhn_ok(matrix: np.ndarray) -> np.ndarray:
    """Luhn validity of each row of a digit matrix."""
    rev = matrix[:, ::-1].astype(np.int64)
    doubled = rev[:, 1::2] * 2
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    return (rev[:, 0::2].sum(axis=1) + doubled.sum(axis=1)) % 10 == 0
