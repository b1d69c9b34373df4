"""``reference/``: terminals.csv and fee_contracts.csv."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from tests.helpers.raw_docs import assert_error
from tests.helpers.raw_terminal import fee_contracts, terminals
from tests.helpers.raw_values import MERCHANT, TERMINAL, TERMINAL_2


def test_terminals_detected_and_typed(parse_file):
    loaded = parse_file(terminals(), name="终端清单.csv", folder="reference")
    assert loaded.layout == "terminals"
    frame = loaded.frame
    assert frame["line_no"].to_list() == [2, 3]
    assert frame["terminal_id"].to_list() == [TERMINAL, TERMINAL_2]
    assert frame["merchant_id"].to_list() == [MERCHANT, MERCHANT]
    assert frame["store_name"].to_list() == ["朝阳大悦城店", "国贸店"]
    assert frame["installed_on"].to_list() == [date(2025, 6, 1), None]
    assert loaded.parsed.scope_key == "reference/terminals"


def test_terminals_in_gbk(parse_file):
    doc = terminals()
    doc.encoding = "gbk"
    assert parse_file(doc, folder="reference").frame["region"].to_list() == ["华北", "华北"]


def test_terminal_listed_twice_still_parses(parse_file):
    # A repeated terminal is the incoming keys_unique check's, as a repeated line of any file.
    doc = terminals().set(1, "terminal_id", TERMINAL)
    assert parse_file(doc, folder="reference").frame["terminal_id"].to_list() == [TERMINAL] * 2


def test_terminal_bad_values(parse_error):
    doc = terminals().set(0, "terminal_id", "5399-011")
    assert_error(parse_error(doc, folder="reference"), doc.line_of(0), "terminal_id")
    doc = terminals().set(1, "installed_on", "2025-02-29")
    assert_error(parse_error(doc, folder="reference"), doc.line_of(1), "installed_on")


def test_fee_contracts_detected_and_typed(parse_file):
    loaded = parse_file(fee_contracts(), name="contracts.csv", folder="reference")
    assert loaded.layout == "fee_contracts"
    frame = loaded.frame
    assert frame["line_no"].to_list() == [2, 3, 4]
    assert frame["rate"].to_list() == [Decimal("0.0050"), Decimal("0.0060"), Decimal("0.0038")]
    assert frame.schema["fee_cap"] == pl.Decimal(18, 2)
    assert frame["fee_cap"].to_list() == [Decimal("20.00"), None, None]
    assert frame["effective_from"][0] == date(2026, 1, 1)
    assert frame["effective_to"].to_list() == [None, None, date(2026, 12, 31)]
    assert frame["card_type"].to_list() == ["DEBIT", "CREDIT", "*"]
    assert frame["merchant_id"].to_list() == ["*", "*", MERCHANT]
    assert frame["d0_window"][0] == "00:00-23:00"
    assert loaded.parsed.scope_key == "reference/fee_contracts"


@pytest.mark.parametrize("column,value,words", [
    ("rate", "0.60%", ("decimal",)),
    ("rate", "1.5", ("fraction",)),
    ("channel_group", "WALLET", ("expected one of",)),
    ("card_type", "PREPAID", ("expected one of",)),
    ("settlement_rule", "T0", ("expected one of",)),
    ("d0_window", "0:00-23:00", ("format",)),
    ("effective_from", "2026-01-32", ()),
    ("fee_min", "0.001", ("2 decimals",)),
])
def test_fee_contract_bad_values(parse_error, column, value, words):
    doc = fee_contracts().set(1, column, value)
    assert_error(parse_error(doc, folder="reference"), doc.line_of(1), column, *words)


def test_fee_contract_ends_before_it_starts(parse_error):
    doc = fee_contracts().set(2, "effective_to", "2025-12-31")
    assert_error(parse_error(doc, folder="reference"), doc.line_of(2), "effective_to", "before")
