"""Card data safety: what a card number is, and a keyed token and a mask in place of every one.

One definition of a card number (PAN) serves every guard: a run of 13-19 digits with no digit
on either side, starting with a card network's prefix, that passes the Luhn check
(:func:`is_card_number`). Card columns become an HMAC-SHA-256 token (for matching the same card
across files) and a mask that shows at most the first six and last four digits; free text is
masked where a card number stands (:func:`scrub_card_like`, :func:`mask_card_column`); the
privacy scan and the incoming checks look for the same thing. Log text is scrubbed more broadly
(:func:`scrub`: every 13-19 digit run).

The key lives outside the warehouse: ``POSAUDIT_CARD_KEY`` (the key itself),
``POSAUDIT_CARD_KEY_FILE`` (a file holding it), or, for demos, a key file created beside the
warehouse on first use.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl

KEY_ENV = "POSAUDIT_CARD_KEY"
KEY_FILE_ENV = "POSAUDIT_CARD_KEY_FILE"

PAN_LENGTHS = (13, 19)
# Digits as people type them: ASCII and full-width (an IME in full-width mode).
_DIGITS = "0-9\uff10-\uff19"
_TO_ASCII = str.maketrans("\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19",
                          "0123456789")
_RUN = rf"[{_DIGITS}]{{{PAN_LENGTHS[0]},{PAN_LENGTHS[1]}}}"
# A candidate for polars, which has no look-arounds: a 13-19 digit run with no digit on either
# side (the neighbours are matched instead of looked at).
CARD_CANDIDATE = rf"(?:^|[^{_DIGITS}]){_RUN}(?:[^{_DIGITS}]|$)"
_RUN_ALONE = re.compile(rf"(?<![{_DIGITS}]){_RUN}(?![{_DIGITS}])")
_ANY_RUN = rf"[{_DIGITS}]+"
# Card network prefixes: UnionPay 62, Visa 4, Mastercard 51-55 and 2221-2720, Amex 34 and 37,
# JCB 35, Discover 6011, 644-649 and 65, Diners 30, 36 and 38. Wallet PIDs, bank accounts and
# merchant numbers mostly start otherwise.
_CARD_PREFIX = re.compile(
    r"62|4|5[1-5]|222[1-9]|22[3-9]|2[3-6]|27[01]|2720|3[47]|35|30|36|38|6011|64[4-9]|65"
)


def luhn_valid(digits: str) -> bool:
    """True when ``digits`` (ASCII) passes the Luhn check, as every real card number does."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def is_card_number(digits: str) -> bool:
    """The one definition: 13-19 digits (ASCII or full-width), a card network's prefix, and
    the Luhn check."""
    plain = digits.translate(_TO_ASCII)
    return (PAN_LENGTHS[0] <= len(plain) <= PAN_LENGTHS[1] and plain.isascii()
            and plain.isdigit() and _CARD_PREFIX.match(plain) is not None and luhn_valid(plain))


# A run that the text itself labels as another identifier (a payout memo's "商户号:…") is that
# identifier: masking it would cut the payout from its merchant. Only labels of numbers that are
# never card numbers count.
_LABELLED = re.compile(r"(?:商户号|商户编号|终端号|参考号|订单号|流水号|交易单号|MID|TID|RRN)"
                       r"[:：\s#=]*$", re.IGNORECASE)
_LABEL_REACH = 12


def digit_runs(text: str) -> Iterator[re.Match[str]]:
    """Every run of 13-19 digits in ``text`` with no digit on either side: the candidates."""
    return _RUN_ALONE.finditer(text)


def labelled_identifier(text: str, m: re.Match[str]) -> bool:
    """True when the text labels the run ``m`` as a merchant, terminal, order or reference
    number."""
    return _LABELLED.search(text, max(0, m.start() - _LABEL_REACH), m.start()) is not None


def card_runs(text: str) -> Iterator[re.Match[str]]:
    """The card numbers in ``text``: candidate runs that pass :func:`is_card_number` and that
    the text does not label as another identifier."""
    return (m for m in digit_runs(text)
            if is_card_number(m.group()) and not labelled_identifier(text, m))


def find_card_numbers(text: str) -> list[str]:
    return [m.group() for m in card_runs(text)]


def mask_pan(digits: str) -> str:
    """First six and last four digits, the rest as ``*``."""
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


def scrub(text: str) -> str:
    """Mask every 13-19 digit run in log text (messages, errors): over-masking is the safe side
    where nothing is matched on the text afterwards."""
    return _RUN_ALONE.sub(lambda m: mask_pan(m.group()), text)


def scrub_card_like(text: str) -> str:
    """Mask the card numbers in data text (remarks, memos, messages) and leave other IDs."""

    return _mask_where(text, lambda m: is_card_number(m.group()))


def _mask_where(text: str, is_card: Callable[[re.Match[str]], bool]) -> str:
    def repl(m: re.Match[str]) -> str:
        if is_card(m) and not labelled_identifier(text, m):
            return mask_pan(m.group())
        return m.group()

    return _RUN_ALONE.sub(repl, text)


def card_candidates(expr: pl.Expr) -> pl.Expr:
    """True where a text value holds a candidate run: the vectorised filter before the prefix
    and Luhn test."""
    return expr.str.contains(CARD_CANDIDATE)


def mask_card_column(col: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Mask the card numbers of a free-text column where they stand.

    Returns the column and, per row, whether something was masked. Only rows with a candidate
    run go to Python, and each distinct run is judged once.
    """
    flagged = col.str.contains(CARD_CANDIDATE).fill_null(False)
    nothing = pl.repeat(False, col.len(), eager=True, dtype=pl.Boolean)
    if not flagged.any():
        return col, nothing
    at = flagged.arg_true()
    values = col.gather(at)
    runs = values.str.extract_all(_ANY_RUN).explode().drop_nulls().unique()
    cards = {run for run in runs.to_list() if is_card_number(run)}
    if not cards:
        return col, nothing

    changed_at: list[int] = []
    changed: list[str] = []
    for i, value in zip(at.to_list(), values.to_list(), strict=True):
        masked = _mask_where(value, lambda m: m.group() in cards)
        if masked != value:
            changed_at.append(i)
            changed.append(masked)
    if not changed_at:
        return col, nothing
    return (col.scatter(changed_at, pl.Series(changed, dtype=pl.String)),
            nothing.scatter(changed_at, True))


class CardKey:
    """The HMAC key; built by :func:`load_card_key`, never printed."""

    __slots__ = ("_inner", "_key", "_outer")

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("card key too short: use at least 16 bytes")
        # HMAC-SHA-256 with the padded key states computed once: copying them per card is
        # twice as fast as a new hmac object, and the result is the same (tested).
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        key = key.ljust(64, b"\0")
        self._key = key
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def __repr__(self) -> str:
        return "CardKey(<hidden>)"

    def __reduce__(self) -> tuple[type[CardKey], tuple[bytes]]:
        # Ingest's parsing processes get the key through a pipe of this process's own.
        return (CardKey, (self._key,))

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


def _found(match: re.Match[str] | None) -> str:
    """What a pattern that may match the empty string found (it always finds something)."""
    return match.group() if match is not None else ""


def _trim_mask(value: str) -> str:
    """A mask that shows more than six leading or four trailing digits is cut back to that."""
    lead = _found(re.match(r"\d*", value))
    trail = _found(re.search(r"\d*$", value))
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
    is_full = cleaned.str.contains(rf"^\d{{{PAN_LENGTHS[0]},{PAN_LENGTHS[1]}}}$")
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
