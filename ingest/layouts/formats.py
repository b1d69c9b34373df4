"""Formats of the identifiers the layouts share.

An identifier (a merchant or terminal number, a trace, an RRN, an order, serial or trade
number, a reference) is checked against its format when its file is parsed: a value that does
not fit refuses the file with its line and field, and a value that fits is stored as it is.
Identifiers are never masked as card numbers: a host's 12-digit RRN or a till's 19-digit order
number can pass the Luhn check and start like a card and still has to reach its match intact.
"""

from __future__ import annotations

MERCHANT_NO = r"[0-9A-Za-z]{15}"  # an acquirer's merchant number (商户号)
TERMINAL_ID = r"[0-9A-Za-z]{8}"  # 终端号
SIX_DIGITS = r"\d{6}"  # batch (批次号) and trace (凭证号) numbers
RRN = r"[0-9A-Za-z]{12}"  # retrieval reference number (参考号)
AUTH_CODE = r"[0-9A-Za-z]{6}"  # approval code (授权码)
RESP_CODE = r"[0-9A-Za-z]{2}"  # ISO 8583 response code (应答码)
# What a host, wallet, bank or till numbers a record with: printable ASCII without spaces.
REFERENCE = r"[\x21-\x7e]{1,64}"
OPERATOR = r"[\x21-\x7e]{1,32}"
# An account at an acquirer or wallet as its files name it: a number, or at Adyen a name.
ACCOUNT = r"[\x21-\x7e]{1,80}"
# Adyen's own references; on batch lines they are phrases ("TX… batch 3, Account").
ADYEN_REFERENCE = r"[\x20-\x7e]{1,160}"
# References a merchant gives Adyen (an order number): printable ASCII, spaces allowed.
MERCHANT_REFERENCE = r"[\x20-\x7e]{1,80}"
# Keys typed by hand on the error report form: the same characters, shorter values allowed
# (a trace written without its leading zeros still names the line a person meant).
TYPED_TERMINAL_ID = r"[0-9A-Za-z]{1,16}"
TYPED_TRACE = r"\d{1,6}"
TYPED_RRN = r"[0-9A-Za-z]{1,12}"
