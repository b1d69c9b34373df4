"""The values the raw-file builders write, and the leak scanners that look for the sensitive ones.

All card numbers here are public test PANs (Luhn-valid, never issued). They, the cardholder
names and the ID numbers exist only in these tests.
"""

from __future__ import annotations

import re

import duckdb

from posaudit.ingest.cardsafe import luhn_valid

# Public test card numbers (Luhn-valid). They must never reach a table, a message or a log.
PAN_VISA = "4111111111111111"
PAN_UNIONPAY = "6228480402564890018"
PAN_MC = "5555555555554444"
MASKED = "622848******1234"
# Personal data that the acquirer statement carries and that must never be stored.
CARDHOLDER = "张伟明"
PAYER_NAME = "王秀英"
ID_NUMBER = "310115198503172031"  # valid ISO 7064 MOD 11-2 check digit
ID_NUMBER_X = "11010519491231002X"
# Merchant numbers chosen not to pass the Luhn check (the leak scan flags any Luhn-valid run).
MERCHANT = "822100053990001"
MERCHANT_2 = "898310048160001"
TERMINAL = "53990011"
TERMINAL_2 = "53990012"

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number_valid(value: str) -> bool:
    """ISO 7064 MOD 11-2, as the 18th character of a Chinese resident ID number."""
    if not re.fullmatch(r"\d{17}[\dXx]", value):
        return False
    total = sum(int(c) * w for c, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == value[17].upper()


_DIGIT_RUN = re.compile(r"(?<!\d)\d{13,19}(?!\d)")
_ID_RUN = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])")
_HEX_DIGEST = re.compile(r"[0-9a-f]{16}|[0-9a-f]{64}")


def sensitive_in(text: str, names: tuple[str, ...] = (CARDHOLDER, PAYER_NAME)) -> list[str]:
    """Card numbers (Luhn-valid 13-19 digit runs), ID numbers and cardholder names in ``text``."""
    found = [run for run in _DIGIT_RUN.findall(text) if luhn_valid(run)]
    found += [run for run in _ID_RUN.findall(text) if id_number_valid(run)]
    found += [name for name in names if name in text]
    return found


def varchar_leaks(con: duckdb.DuckDBPyConnection,
                  names: tuple[str, ...] = (CARDHOLDER, PAYER_NAME)) -> list[str]:
    """Every VARCHAR (and JSON) value of every table in the database that holds sensitive data.

    Hex digests (sha256, file ids, card tokens) are skipped: a 64-character hash has digit runs
    by chance and is not a card number.
    """
    cols = con.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE data_type IN ('VARCHAR', 'JSON')"
    ).fetchall()
    assert cols, "no text columns at all: the scan would prove nothing"
    leaks = []
    for schema, table, column in cols:
        values = con.execute(
            f'SELECT DISTINCT CAST("{column}" AS VARCHAR) FROM "{schema}"."{table}" '
            f'WHERE "{column}" IS NOT NULL'
        ).fetchall()
        for (value,) in values:
            if _HEX_DIGEST.fullmatch(value):
                continue
            for hit in sensitive_in(value, names):
                leaks.append(f"{schema}.{table}.{column}: {hit!r} in {value[:80]!r}")
    return leaks
