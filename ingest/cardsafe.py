"""Card data safety: a keyed token and a mask replace every full card number (PAN).

The full PAN never leaves this module: callers get an HMAC-SHA-256 token (for matching the same
card across files) and a mask that shows at most the first six and last four digits.
The key lives outside the warehouse: ``POSAUDIT_CARD_KEY`` (the key itself),
``POSAUDIT_CARD_KEY_FILE`` (a file holding it), or, for demos, a key file created beside the
warehouse on first use.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path

import polars as pl

KEY_ENV = "POSAUDIT_CARD_KEY"
KEY_FILE_ENV = "POSAUDIT_CARD_KEY_FILE"

# Card network prefixes (UnionPay, Visa, Mastercard 51-55 and 2221-2720, Amex, JCB, Discover,
# Diners). Restricting the guard to them keeps wallet PIDs and bank accounts out of it.
_CARD_PREFIX = r"(?:62|4|5[1-5]|2[2-7]|3[47]|35|30|36|38|6011|65)"
_PAN_RUN = re.compile(rf"(?<!\d){_CARD_PREFIX}\d{{11,17}}(?!\d)")
_ANY_LONG_DIGITS = re.compile(r"(?<!\d)\d{13,19}(?!\d)")


def luhn_valid(digits: str) -> bool:
    """True when ``digits`` passes the Luhn check (as every real card number does)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def looks_like_pan(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and digits.isdigit() and luhn_valid(digits)


def mask_pan(digits: str) -> str:
    """First six and last four digits, the rest as ``*``."""
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


def scrub(text: str) -> str:
    """Mask every 13-19 digit run in free text (logs, errors): over-masking is the safe side."""
    return _ANY_LONG_DIGITS.sub(lambda m: mask_pan(m.group()), text)


def scrub_card_like(text: str) -> str:
    """Mask Luhn-valid card-prefixed runs in data text (remarks, memos) and leave other IDs."""

    def repl(m: re.Match[str]) -> str:
        run = m.group()
        return mask_pan(run) if luhn_valid(run) else run

    return _PAN_RUN.sub(repl, text)


def scrub_text_column(col: pl.Series) -> pl.Series:
    """Vectorised guard for free-text columns: only rows with a long digit run go to Python."""
    suspicious = col.str.contains(r"\d{13,19}").fill_null(False)
    if not suspicious.any():
        return col
    fixed = col.filter(suspicious).map_elements(scrub_card_like, return_dtype=pl.String)
    return col.scatter(suspicious.arg_true(), fixed)


class CardKey:
    """The HMAC key; built by :func:`load_card_key`, never printed."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("card key too short: use at least 16 bytes")
        # HMAC-SHA-256 with the padded key states computed once: copying them per card is
        # twice as fast as a new hmac object, and the result is the same (tested).
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        key = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def __repr__(self) -> str:
        return "CardKey(<hidden>)"

    def token(self, pan: str) -> str:
        inner = self._inner.copy()
        inner.update(pan.encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


def default_key_path(warehouse: Path) -> Path:
    """The demo key file: beside the warehouse folder, never inside it."""
    warehouse = warehouse.resolve()
    return warehouse.parent / f"{warehouse.name}.card-key"


def load_card_key(warehouse: Path | None = None, *, create: bool = True) -> CardKey:
    env_key = os.environ.get(KEY_ENV)
    if env_key:
        return CardKey(env_key.encode())
    path_s = os.environ.get(KEY_FILE_ENV)
    if path_s:
        path = Path(path_s)
        if not path.exists():
            raise FileNotFoundError(f"{KEY_FILE_ENV} points to {path}, which does not exist")
        return CardKey(path.read_bytes().strip())
    if warehouse is None:
        raise RuntimeError(f"no card key: set {KEY_ENV} or {KEY_FILE_ENV}")
    path = default_key_path(warehouse)
    if not path.exists():
        if not create:
            raise FileNotFoundError(f"card key file {path} does not exist")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return CardKey(path.read_bytes().strip())


def _trim_mask(value: str) -> str:
    """A mask that shows more than six leading or four trailing digits is cut back to that."""
    lead = re.match(r"\d*", value).group()  # type: ignore[union-attr]
    trail = re.search(r"\d*$", value).group()  # type: ignore[union-attr]
    shown_lead, shown_trail = lead[:6], trail[-4:] if trail else ""
    return shown_lead + "*" * (len(value) - len(shown_lead) - len(shown_trail)) + shown_trail


def protect_card_column(values: pl.Series, key: CardKey) -> tuple[pl.Series, pl.Series, pl.Series]:
    """Split a card-number column into (token, mask, bad-row flags).

    A full PAN (13-19 digits) gets a token and a mask. A masked value keeps its mask (cut back to
    six and four digits if it shows more), with no token. Anything else is flagged bad, so that
    the caller can name the line without ever echoing the value. Cards repeat, so the work is
    done once per distinct value and joined back.
    """
    distinct = values.drop_nulls().unique()
    cleaned = distinct
    if cleaned.str.contains(r"[\s\-＊]").any():
        cleaned = cleaned.str.replace_all(r"[\s-]", "").str.replace_all("＊", "*")
    length = cleaned.str.len_chars()
    is_full = cleaned.str.contains(r"^\d{13,19}$")
    is_masked = cleaned.str.contains(r"^\d*\*+\d*$") & length.is_between(8, 19)
    conforming = cleaned.str.contains(r"^\d{0,6}\*+\d{0,4}$")
    empty = length == 0
    full = cleaned.filter(is_full).to_list()
    masks = cleaned.to_list()
    tokens: list[str | None] = [None] * len(masks)
    full_at = is_full.arg_true().to_list()
    for i, pan in zip(full_at, full, strict=True):
        tokens[i] = key.token(pan)
        masks[i] = mask_pan(pan)
    for i in (is_masked & ~conforming).arg_true().to_list():
        masks[i] = _trim_mask(masks[i])
    bad_value = ~is_full & ~is_masked & ~empty
    for i in (bad_value | empty).arg_true().to_list():
        masks[i] = None
    lookup = pl.DataFrame({
        "v": distinct,
        "card_token": pl.Series(tokens, dtype=pl.String),
        "card_mask": pl.Series(masks, dtype=pl.String),
        "bad": bad_value,
    })
    joined = pl.DataFrame({"v": values}).join(lookup, on="v", how="left", maintain_order="left")
    return (joined["card_token"], joined["card_mask"], joined["bad"].fill_null(False))
