"""The suites: ``incoming.<layout>`` on a file's lines and ``incoming.<layout>.controls`` on
its column types and stated totals, as Great Expectations expectations."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import great_expectations.expectations as gxe

from posaudit.expectations.config import DQConfig
from posaudit.expectations.core import Check
from posaudit.expectations.incoming.rules import (
    has_free_text,
    money_columns,
    rules_for,
    scanned_columns,
    source_name,
)
from posaudit.ingest.layouts.base import Layout


def _c(config: DQConfig, name: str, expectation: Any, expected: str,
       field: str | None = None) -> Check:
    return Check(name, config.incoming_severity(name), expectation, expected, field)


@cache
def row_checks(layout: Layout, config: DQConfig) -> tuple[Check, ...]:
    """The ``incoming.<layout>`` suite: checks on the file's lines."""
    rules = rules_for(layout)
    out: list[Check] = []
    if rules.required:
        out.append(_c(config, "keys_not_null",
                      gxe.ExpectColumnValuesToBeNull(column="key_missing"),
                      f"{', '.join(rules.required)} set on every line"))
    if rules.keys:
        condition: dict[str, Any] = {}
        if rules.unique_where_set:
            condition = {"row_condition": f"{rules.unique_where_set}.notnull()",
                         "condition_parser": "pandas"}
        out.append(_c(config, "keys_unique", gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["file_idx", *rules.keys], **condition),
            f"({', '.join(rules.keys)}) unique within a file: {rules.key_note}",
            "+".join(source_name(layout, k) for k in rules.keys)))
    if money_columns(layout) and rules.amounts:
        out.append(_c(config, "amounts_in_range", gxe.ExpectColumnValuesToBeBetween(
            column="amount_abs_max", min_value=0, max_value=config.amount_limit),
            f"every amount ({', '.join(money_columns(layout))}) within "
            f"±{config.amount_limit:,.0f}{rules.amounts_note}"))
    if rules.period is not None:
        out.append(_c(config, "dates_in_period", gxe.ExpectColumnValuesToBeBetween(
            column="outside_period_s", min_value=0, max_value=0),
            f"{rules.period.column} within the file's period: {rules.period.rule}",
            source_name(layout, rules.period.column)))
    if rules.balance_chain:
        out.append(_c(config, "balance_chain", gxe.ExpectColumnPairValuesToBeEqual(
            column_A="balance_fen", column_B="expected_balance_fen",
            ignore_row_if="either_value_is_missing"),
            "余额 = the previous line's 余额 + 贷方金额 − 借方金额, in file order", "余额"))
    if scanned_columns(layout):
        out.append(_c(config, "no_card_numbers",
                      gxe.ExpectColumnValuesToBeNull(column="card_column"),
                      "no stored text column but an identifier with its format holds a full "
                      "card number (13-19 digits, a card network's prefix, Luhn-valid)"))
    if has_free_text(layout):
        out.append(_c(config, "card_numbers_masked",
                      gxe.ExpectColumnValuesToBeNull(column="card_masked"),
                      "no card number in a free-text field (one found is masked where it "
                      "stands, first six and last four digits, and the file loads)"))
    return tuple(out)


@cache
def control_checks(layout: Layout, config: DQConfig) -> tuple[Check, ...]:
    """The ``incoming.<layout>.controls`` suite: column types and the file's own totals."""
    out = [_c(config, "columns_typed", gxe.ExpectColumnPairValuesToBeEqual(
        column_A="actual_type", column_B="expected_type",
        ignore_row_if="both_values_are_missing"),
        f"every column of raw.{layout.table} present with its type")]
    if rules_for(layout).controls:
        out.append(_c(config, "summary_ties", gxe.ExpectColumnPairValuesToBeEqual(
            column_A="stated", column_B="actual", ignore_row_if="both_values_are_missing"),
            "each total the file states (summary row, footer, payout line) equals what its "
            "lines add up to"))
    return tuple(out)


def gx_columns(checks: Sequence[Check], index: Sequence[str]) -> list[str]:
    """Only the columns the expectations read go to pandas."""
    cols = list(index)
    for check in checks:
        kw = check.expectation.configuration.kwargs
        for key in ("column", "column_A", "column_B"):
            if kw.get(key):
                cols.append(kw[key])
        # The one row condition reads a key column (psp_reference): column_list covers it.
        cols.extend(kw.get("column_list") or [])
    return list(dict.fromkeys(cols))
