"""Per file, beside the parser (in ingest's worker threads): the check columns derived in
polars (which key column is empty, the largest amount, each line's date and its period, the
expected balance, which text column holds something card-like) and one row per column type and
stated total."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from typing import Any

import polars as pl

from posaudit.expectations.config import DQConfig
from posaudit.expectations.incoming.rules import (
    Period,
    end_of_day,
    money_columns,
    rules_for,
    scanned_columns,
    stored_columns,
)
from posaudit.ingest.cardsafe import card_candidates, find_card_numbers
from posaudit.ingest.layouts.base import Control, Layout, Parsed
from posaudit.ingest.table import CARD_MASKED

# Types the raw tables store from another polars type (JSON arrives as text).
_STORED_FROM = {"JSON": "VARCHAR"}


@dataclass
class Prepared:
    """A parsed file's check columns: ``rows`` (one per line) and ``controls`` (its column
    types and the totals it states)."""

    rows: pl.DataFrame
    controls: pl.DataFrame


def prepare(layout: Layout, parsed: Parsed, config: DQConfig, today: date) -> Prepared:
    """Derive the check columns of one file. Thread-safe: polars only, nothing shared."""
    return Prepared(_rows(layout, parsed.frame, config, today),
                    _controls(layout, parsed.frame, parsed.controls))


def _rows(layout: Layout, frame: pl.DataFrame, config: DQConfig, today: date) -> pl.DataFrame:
    rules = rules_for(layout)
    # A column the parser did not produce reads as empty here (columns_typed names it), so
    # that a drifted parser gets its file refused, not the run stopped.
    absent = [(name, kind) for name, kind in stored_columns(layout)
              if name not in frame.columns and name != "file_id"]
    if absent:
        frame = frame.with_columns(pl.lit(None, dtype=_polars_type(kind)).alias(name)
                                   for name, kind in absent)
    money = money_columns(layout)
    keep = [c for c in dict.fromkeys(["line_no", *rules.keys, *rules.required, *money])
            if c in frame.columns]
    derived: list[pl.Expr | pl.Series] = []
    if rules.required:
        derived.append(pl.coalesce([
            pl.when(pl.col(k).is_null()).then(pl.lit(k)) for k in rules.required
        ]).cast(pl.String).alias("key_missing"))
    if money and rules.amounts:
        largest = pl.max_horizontal([pl.col(c).cast(pl.Float64).abs() for c in money])
        if rules.amounts_where is not None:
            largest = pl.when(rules.amounts_where).then(largest)
        derived.append(largest.alias("amount_abs_max"))
    if rules.period is not None:
        derived.extend(_period(rules.period, frame, config, today))
    if rules.balance_chain:
        derived.extend(_balance(frame))
    derived.append(_card_column(frame, scanned_columns(layout)).alias("card_column"))
    derived.append(_card_masked(frame).alias("card_masked"))
    # Derived from the whole frame, then only what the checks and their messages read.
    out = frame.with_columns(derived)
    names = [e.meta.output_name() if isinstance(e, pl.Expr) else e.name for e in derived]
    return out.select(list(dict.fromkeys([*keep, *names])))


def _period(period: Period, frame: pl.DataFrame, config: DQConfig, today: date
            ) -> list[pl.Expr]:
    first = pl.lit(datetime.combine(config.earliest_date, clock()), dtype=pl.Datetime("us"))
    last = end_of_day(pl.lit(today + timedelta(days=1), dtype=pl.Date))
    start, end = period.bounds(frame) if period.bounds else (None, None)
    start = first if start is None else pl.max_horizontal(first, start)
    if period.open_ended:
        end = pl.lit(None, dtype=pl.Datetime("us")) if end is None else end
    else:
        end = last if end is None else pl.min_horizontal(last, end)
    line = pl.col(period.column).cast(pl.Datetime("us"))
    start, end = start.cast(pl.Datetime("us")), end.cast(pl.Datetime("us"))
    # How far (in seconds) a line lies outside its period: 0 inside, null without a date.
    outside = pl.when(line.is_not_null()).then(pl.max_horizontal(
        pl.lit(0.0), (start - line).dt.total_microseconds() / 1e6,
        (line - end).dt.total_microseconds() / 1e6,
    ))
    return [line.alias("line_time"), start.alias("period_start"), end.alias("period_end"),
            outside.alias("outside_period_s")]


def _balance(frame: pl.DataFrame) -> list[pl.Expr]:
    """Balances in fen; the expected one chains from the previous line in file order."""
    def fen(column: str) -> pl.Expr:
        return (pl.col(column).fill_null(0) * 100).cast(pl.Int64)

    return [
        fen("balance").alias("balance_fen"),
        (fen("balance").shift(1) + fen("credit") - fen("debit")).alias("expected_balance_fen"),
    ]


def _card_column(frame: pl.DataFrame, columns: Sequence[str]) -> pl.Series:
    """Per line, the first scanned column still holding a full card number after ingest
    masked free text, or null. The column's name, never the number: GX results are stored."""
    found = pl.Series("card_column", [None] * frame.height, dtype=pl.String)
    schema = frame.schema
    columns = [c for c in columns if schema.get(c) == pl.String]
    if not columns or frame.is_empty():
        return found
    # One parallel pass says which columns have a candidate at all (almost always none).
    flags = frame.select(card_candidates(pl.col(c)).any() for c in columns).row(0)
    for column, flagged in zip(columns, flags, strict=True):
        if not flagged:
            continue
        values = frame[column]
        at = frame.select(card_candidates(pl.col(column)).fill_null(False)).to_series().arg_true()
        hits = [i for i, v in zip(at.to_list(), values.gather(at).to_list(), strict=True)
                if find_card_numbers(v) and found[i] is None]
        if hits:
            found = found.scatter(hits, column)
    return found


def _card_masked(frame: pl.DataFrame) -> pl.Series:
    """Per line, the free-text fields where ingest masked a card number, or null."""
    if CARD_MASKED in frame.columns:
        return frame[CARD_MASKED]
    return pl.Series("card_masked", [None] * frame.height, dtype=pl.String)


def _controls(layout: Layout, frame: pl.DataFrame, controls: Sequence[Control]) -> pl.DataFrame:
    """One row per raw-table column (its type as parsed against the table's), then one per
    stated total (stated against what the lines give)."""
    schema = frame.schema
    rows: list[dict[str, Any]] = []
    for column, ddl in stored_columns(layout):
        if column == "file_id":  # added on load
            continue
        want = ddl.split(" NOT NULL")[0]
        rows.append({
            "line_no": 0, "check": "columns_typed", "field": column, "label": "",
            "expected_type": _STORED_FROM.get(want, want),
            "actual_type": _duck_type(schema[column]) if column in schema else "(missing)",
        })
    for c in controls:
        rows.append({
            "line_no": c.line_no, "check": "summary_ties", "field": c.field, "label": c.label,
            "stated": _exact(c.stated), "actual": _exact(c.actual),
            "stated_text": str(c.stated), "actual_text": str(c.actual),
        })
    return pl.DataFrame(rows, schema=_CONTROL_SCHEMA)


_CONTROL_SCHEMA = {
    "line_no": pl.Int32, "check": pl.String, "field": pl.String, "label": pl.String,
    "expected_type": pl.String, "actual_type": pl.String, "stated": pl.String,
    "actual": pl.String, "stated_text": pl.String, "actual_text": pl.String,
}


def _polars_type(ddl: str) -> pl.DataType:
    """The polars type a raw-table column is loaded from."""
    kind = ddl.split(" NOT NULL")[0]
    if kind.startswith("DECIMAL("):
        precision, scale = (int(x) for x in kind[8:-1].split(","))
        return pl.Decimal(precision, scale)
    return {"BIGINT": pl.Int64(), "INTEGER": pl.Int32(), "DATE": pl.Date(), "TIME": pl.Time(),
            "TIMESTAMP": pl.Datetime("us")}.get(kind, pl.String())


def _duck_type(dtype: pl.DataType) -> str:
    """The DuckDB type a polars column loads as."""
    if isinstance(dtype, pl.Decimal):
        return f"DECIMAL({dtype.precision},{dtype.scale})"
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMP" if dtype.time_zone is None else "TIMESTAMPTZ"
    names = {pl.String: "VARCHAR", pl.Int64: "BIGINT", pl.Int32: "INTEGER", pl.Int16: "SMALLINT",
             pl.Float64: "DOUBLE", pl.Float32: "FLOAT", pl.Boolean: "BOOLEAN", pl.Date: "DATE",
             pl.Time: "TIME", pl.Null: "NULL"}
    return names.get(dtype.base_type(), str(dtype))


def _exact(value: Decimal) -> str:
    """A decimal as text that is equal exactly when the numbers are (36.00 = 36.0 = 36),
    without Decimal objects in pandas and without rounding."""
    if value == 0:
        return "0"
    sign, digits, exponent = value.as_tuple()
    kept = list(digits)
    while kept and kept[-1] == 0:
        kept.pop()
        exponent = int(exponent) + 1
    return f"{'-' if sign else ''}{''.join(map(str, kept))}e{exponent}"
