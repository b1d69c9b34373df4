"""Saying what failed: a failing check's first line, field and values in the file's own
words, and what a quarantined file's manifest row says."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import time as clock
from decimal import Decimal
from typing import Any

import polars as pl

from posaudit.expectations.core import CRITICAL, WARNING, Check, Severity
from posaudit.expectations.incoming.rules import CHECKS, money_columns, rules_for, source_name
from posaudit.ingest.checks import Refusal
from posaudit.ingest.layouts.base import Layout


@dataclass
class FileFailure:
    """One check that failed on one file: its first failing line, said for people."""

    check: str
    severity: Severity
    line_no: int | None
    field: str | None
    observed: str
    expected: str
    detail: str


_Said = tuple[int | None, str | None, str, str]  # line, field, observed, detail


def _named(layout: Layout, column: str) -> str:
    """A column as the file names it, with the table's name when that differs."""
    source = source_name(layout, column)
    return source if source == column else f"{source} ({column})"


def _say_key_missing(layout: Layout, checks: Sequence[Check], rows: pl.DataFrame) -> _Said:
    row = rows.row(0, named=True)
    column = row["key_missing"]
    return (row["line_no"], source_name(layout, column), f"{column} empty",
            f"{_named(layout, column)} is empty")


def _say_key_repeated(layout: Layout, checks: Sequence[Check], rows: pl.DataFrame) -> _Said:
    keys = list(rules_for(layout).keys)
    seen: dict[tuple[Any, ...], int] = {}
    line, first = int(rows["line_no"][0]), int(rows["line_no"][0])
    for row in rows.select("line_no", *keys).iter_rows():
        key = tuple(row[1:])
        if key in seen:
            line, first = int(row[0]), seen[key]
            break
        seen[key] = int(row[0])
    values = rows.filter(pl.col("line_no") == line).select(keys).row(0)
    shown = ", ".join("–" if v is None else str(v) for v in values)
    fields = "+".join(source_name(layout, k) for k in keys)
    return (line, fields, f"({shown}) on lines {first} and {line}",
            f"line {line} repeats the key of line {first}: ({', '.join(keys)}) = ({shown}); "
            f"{rows.height} lines share a key with another")


def _say_amount(layout: Layout, checks: Sequence[Check], rows: pl.DataFrame) -> _Said:
    row = rows.row(0, named=True)
    limit = Decimal(str(_limit(checks)))
    for column in money_columns(layout):
        value = row.get(column)
        if value is not None and abs(value) > limit:
            source = source_name(layout, column)
            return (row["line_no"], source, f"{source} = {value}",
                    f"{source} is {value}, outside ±{limit:,.0f}")
    return row["line_no"], None, f"{row['amount_abs_max']}", "an amount is out of range"


def _limit(checks: Sequence[Check]) -> float:
    for check in checks:
        if check.name == "amounts_in_range":
            return float(check.expectation.configuration.kwargs["max_value"])
    return 0.0


def _say_date(layout: Layout, checks: Sequence[Check], rows: pl.DataFrame) -> _Said:
    row = rows.row(0, named=True)
    period = rules_for(layout).period
    assert period is not None
    source = source_name(layout, period.column)
    value, start, end = row["line_time"], row["period_start"], row["period_end"]
    span = f"{_when(start)} … {_when(end, end=True) if end is not None else 'open'}"
    return (row["line_no"], source, f"{source} {_when(value)}",
            f"{source} {_when(value)} is outside the file's period {span} ({period.rule})")


def _when(value: datetime | None, *, end: bool = False) -> str:
    if value is None:
        return "–"
    if end and value.time() == clock.max:
        return value.date().isoformat()
    if not end and value.time() == clock():
        return value.date().isoformat()
    return value.isoformat(sep=" ")


def _say_ties(layout: Layout, checks: Sequence[Check], rows: pl.DataFrame) -> _Said:
    row = rows.row(0, named=True)
    more = f" ({rows.height} totals do not tie)" if rows.height > 1 else ""
    return (row["line_no"], row["field"],
            f"stated {row['stated_text']}, lines give {row['actual_text']}",
            f"{row['field']} ({row['label']}) says {row['stated_text']} but the lines add up "
            f"to {row['actual_text']}: the file does not tie{more}")


def _say_typed(layout: Layout, checks: Sequence[Check], rows: pl.DataFrame) -> _Said:
    row = rows.row(0, named=True)
    wrong = ", ".join(f"{r['field']} {r['actual_type']}" for r in rows.iter_rows(named=True))
    column = row["field"]
    return (None, source_name(layout, column),
            f"{column} {row['actual_type']}",
            f"column {column} is {row['actual_type']}, raw.{layout.table} stores "
            f"{row['expected_type']} (wrong: {wrong})")


def _say_balance(layout: Layout, checks: Sequence[Check], rows: pl.DataFrame) -> _Said:
    row = rows.row(0, named=True)
    stated = Decimal(row["balance_fen"]).scaleb(-2)
    expected = Decimal(row["expected_balance_fen"]).scaleb(-2)
    return (row["line_no"], "余额", f"余额 {stated}, expected {expected}",
            f"余额 is {stated} but the previous line's 余额 + 贷方金额 − 借方金额 is {expected}: "
            "the balance chain breaks (a line missing or altered)")


def _say_card(layout: Layout, checks: Sequence[Check], rows: pl.DataFrame) -> _Said:
    row = rows.row(0, named=True)
    column = row["card_column"]
    return (row["line_no"], source_name(layout, column), f"card number in {column}",
            f"{_named(layout, column)} holds what looks like a full card number "
            "(not shown)")


def _say_masked(layout: Layout, checks: Sequence[Check], rows: pl.DataFrame) -> _Said:
    row = rows.row(0, named=True)
    fields = row["card_masked"]
    return (row["line_no"], fields, f"card number masked in {fields}",
            f"{fields} held what looks like a full card number: it is stored masked (first "
            "six and last four digits) and the file loaded")


# Per check: the first failing line said for people, from the failing rows.
DESCRIBE: dict[str, Callable[[Layout, Sequence[Check], pl.DataFrame], _Said]] = {
    "columns_typed": _say_typed,
    "keys_not_null": _say_key_missing,
    "keys_unique": _say_key_repeated,
    "amounts_in_range": _say_amount,
    "dates_in_period": _say_date,
    "summary_ties": _say_ties,
    "balance_chain": _say_balance,
    "no_card_numbers": _say_card,
    "card_numbers_masked": _say_masked,
}


# --- what a quarantined file's manifest row says -------------------------------------------


def refusal(failures: Sequence[FileFailure]) -> Refusal:
    """The first failure (critical ones first) in full, the others named after it."""
    ordered = sorted(failures, key=lambda f: (f.severity != CRITICAL, CHECKS.index(f.check)
                                              if f.check in CHECKS else len(CHECKS)))
    head = ordered[0]
    reason = f"{head.check} failed ({head.severity}): {head.detail}; expected {head.expected}"
    others = [f for f in ordered[1:] if f.check != head.check]
    if others:
        reason += "; also failed: " + ", ".join(
            f"{f.check} ({f.severity}" + (f", line {f.line_no}" if f.line_no else "") + ")"
            for f in others
        )
    names = ",".join(dict.fromkeys(f.check for f in ordered))
    severity = CRITICAL if any(f.severity == CRITICAL for f in ordered) else WARNING
    return Refusal(head.line_no, head.field, reason, names, severity)


def noted(notes: Sequence[FileFailure]) -> str:
    """What the checks reported about a file that loads anyway (a masked card number)."""
    return "; ".join(
        f"{n.check} ({n.severity})" + (f", line {n.line_no}" if n.line_no else "")
        + (f", field {n.field}" if n.field else "") + f": {n.detail}"
        for n in notes
    )
