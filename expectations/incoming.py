"""Incoming checks: what a parsed landing file must satisfy before it is accepted.

A parser says whether a file can be read; these checks say whether what it holds can be trusted:
every column typed as its raw table expects, line keys set and not repeated, amounts and dates
plausible, the file's own totals (summary row, footer, payout line) tying to its lines, a bank
balance that chains, and no full card number in a stored text column (identifiers with a
format aside: they are checked against it when the file is parsed). A card number that ingest
masked in a free-text column is reported too (``card_numbers_masked``), but the file loads:
what it flags was made safe where it stood, and one value never costs a whole file.

Work is split so that it stays cheap at volume. :func:`prepare` runs beside the parser (in the
ingest worker threads) and derives a few check columns per file in polars: which key column is
empty, the largest amount, each line's date and the period it must fall in, the expected
balance, which text column holds something card-like. :func:`validate_window` then runs one
Great Expectations validation per layout for all files of an ingest window (up to a million
rows), suite ``incoming.<layout>`` on the lines and ``incoming.<layout>.controls`` on the column
types and the stated totals. Failing rows come back by ``file_idx`` and ``line_no``, so each
failure names its file and line; a file with any failure but ``card_numbers_masked`` is
quarantined.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from functools import cache
from typing import Any

import great_expectations.expectations as gxe
import polars as pl

from posaudit.expectations.config import DQConfig
from posaudit.expectations.core import (
    CRITICAL,
    ERROR,
    FAILED,
    PASSED,
    WARNING,
    Check,
    CheckResult,
    DQContext,
    Severity,
)
from posaudit.ingest.cardsafe import card_candidates, find_card_numbers
from posaudit.ingest.layouts.base import Control, Layout, Parsed
from posaudit.ingest.table import CARD_MASKED

# In the order a quarantined file's error lists them (critical ones go first).
CHECKS = ("columns_typed", "keys_not_null", "keys_unique", "amounts_in_range",
          "dates_in_period", "summary_ties", "balance_chain", "no_card_numbers",
          "card_numbers_masked")
# Checks whose failures are reported while the file still loads: what they flag was already
# made safe (a card number masked where it stood).
LOADS_ANYWAY = frozenset({"card_numbers_masked"})
ROW_INDEX = ["file_idx", "line_no"]
CONTROL_INDEX = ["file_idx", "line_no", "ctl"]
MONEY_KINDS = ("money", "money5", "amount4")
# Types the raw tables store from another polars type (JSON arrives as text).
_STORED_FROM = {"JSON": "VARCHAR"}
# Failing lines named per file in a check's detail.
_LINES_SHOWN = 5


# --- what each layout is held to ------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """How a layout's lines are dated and the period the file implies for them.

    ``bounds`` gives the file's own start and end (Datetime expressions, or None where the
    file implies none); the run's bounds (``earliest_date``, the day after the run) apply on
    top unless ``open_ended`` (a contract may start in the future)."""

    column: str
    rule: str
    bounds: Callable[[pl.DataFrame], tuple[pl.Expr | None, pl.Expr | None]] | None = None
    open_ended: bool = False


@dataclass(frozen=True)
class Rules:
    keys: tuple[str, ...] = ()  # the line key: unique within a file
    required: tuple[str, ...] = ()  # set on every line
    unique_where_set: str | None = None  # the key applies only to lines where this is set
    key_note: str = ""
    # Amounts are those of single transactions; lines that total many (a bank payout, a
    # balance, an Adyen payout) are not held to the limit.
    amounts: bool = True
    amounts_where: pl.Expr | None = None
    amounts_note: str = ""
    period: Period | None = None
    controls: bool = False  # the file states totals of its own (summary_ties)
    balance_chain: bool = False


def _end_of_day(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.Date).cast(pl.Datetime("us")) + pl.duration(days=1, microseconds=-1)


def _bill_day(frame: pl.DataFrame) -> tuple[pl.Expr | None, pl.Expr | None]:
    """A wallet bill lists one day: the day most of its lines carry (the earlier on a tie)."""
    days = (frame.select(pl.col("trade_time").dt.date().alias("day")).drop_nulls()
            .group_by("day").len().sort(["len", "day"], descending=[True, False]))
    if days.is_empty():
        return None, None
    day = days["day"][0]
    start = pl.lit(datetime.combine(day, clock()), dtype=pl.Datetime("us"))
    return start, _end_of_day(start)


def _statement_period(frame: pl.DataFrame) -> tuple[pl.Expr | None, pl.Expr | None]:
    return None, _end_of_day(pl.col("settlement_date"))


def _alipay_period(frame: pl.DataFrame) -> tuple[pl.Expr | None, pl.Expr | None]:
    return pl.col("period_start"), pl.col("period_end")


_RUN = "not before earliest_date and not after the day after the run"
_JOURNAL = Rules(
    keys=("terminal_id", "batch_no", "trace_no"),
    required=("terminal_id", "batch_no", "trace_no"),
    key_note="a voucher number is unique per terminal and batch",
    period=Period("txn_time", f"a journal states no period: {_RUN}"),
)
RULES: dict[str, Rules] = {
    "pos_journal_v1": _JOURNAL,
    "pos_journal_cn": _JOURNAL,
    "cn_pos_statement": Rules(
        keys=("terminal_id", "batch_no", "trace_no"),
        required=("merchant_id", "terminal_id", "batch_no", "trace_no"),
        key_note="the journal's line key, as the statement repeats it",
        period=Period("txn_time", "no transaction after the statement's settlement date "
                                  f"(交易完成日期); {_RUN}", _statement_period),
    ),
    "wechat_bill": Rules(
        keys=("wechat_order_no", "wechat_refund_no"),
        required=("wechat_order_no",),
        key_note="an order once, each of its refunds once",
        period=Period("trade_time", f"a bill lists one day (the day of most of its lines); "
                                    f"{_RUN}", _bill_day),
        controls=True,
    ),
    "alipay_bill": Rules(
        keys=("alipay_trade_no", "biz_type", "refund_request_no"),
        required=("alipay_trade_no", "biz_type"),
        key_note="a trade once, each of its refunds once",
        period=Period("created_at", "within the bill's 起始日期 … 终止日期 when it states them; "
                                    f"{_RUN}", _alipay_period),
        controls=True,
    ),
    "adyen_sdr": Rules(
        keys=("psp_reference", "type", "modification_reference"),
        required=("merchant_account", "type"),
        unique_where_set="psp_reference",
        key_note="lines with a Psp Reference; batch-level lines (Fee, MerchantPayout) have none",
        amounts_where=pl.col("psp_reference").is_not_null(),
        amounts_note=" on lines with a Psp Reference (batch-level lines total the batch)",
        period=Period("creation_date", f"a report states no period: {_RUN}"),
        controls=True,
    ),
    "bank_statement_cn": Rules(
        keys=("serial_no",), required=("serial_no",),
        key_note="a bank's serial number names one booking",
        amounts=False,  # payouts total a day's settlement, and balances are no amounts
        period=Period("txn_date", f"a statement states no period inside the file: {_RUN}"),
        balance_chain=True,
    ),
    "terminal_events": Rules(
        required=("terminal_id", "event_time", "event_type"),
        period=Period("event_time", _RUN),
    ),
    "error_report": Rules(
        keys=("report_id",), required=("report_id",),
        key_note="one line per report",
        period=Period("reported_at", _RUN),
    ),
    "terminals": Rules(
        keys=("terminal_id",), required=("terminal_id", "merchant_id"),
        key_note="a terminal is listed once",
        period=Period("installed_on", _RUN),
    ),
    "fee_contracts": Rules(
        keys=("acquirer", "merchant_id", "channel_group", "card_type", "effective_from"),
        required=("acquirer", "merchant_id", "channel_group", "effective_from"),
        key_note="one rate per acquirer, merchant, channel, card type and start date",
        period=Period("effective_from", "not before earliest_date (a contract may start in "
                                        "the future)", open_ended=True),
    ),
}


def rules_for(layout: Layout) -> Rules:
    return RULES.get(layout.name, Rules())


@cache
def stored_columns(layout: Layout) -> tuple[tuple[str, str], ...]:
    """The raw table's columns and DuckDB types (``layout.ddl()``, computed once)."""
    return tuple(layout.ddl())


@cache
def money_columns(layout: Layout) -> tuple[str, ...]:
    stored = {name for name, _ in stored_columns(layout)}
    return tuple(f.name for f in layout.fields if f.kind in MONEY_KINDS and f.name in stored)


@cache
def scanned_columns(layout: Layout) -> tuple[str, ...]:
    """Stored text columns that must never hold a full card number: all of them but the
    identifiers with a format (an order number may look like a card and is stored as it is),
    card_token (a keyed hash, hex digits by chance) and file_id (added on load)."""
    identifiers = {f.name for f in layout.fields if f.has_format}
    return tuple(name for name, kind in stored_columns(layout)
                 if kind.split()[0] in ("VARCHAR", "JSON")
                 and name not in identifiers and name not in ("file_id", "card_token"))


@cache
def has_free_text(layout: Layout) -> bool:
    """Whether ingest masks card numbers in some column of this layout (free-text fields, and
    the columns a layout keeps as they came, such as adyen_sdr's extra_columns)."""
    return any(f.free_text for f in layout.fields) or "extra_columns" in dict(
        stored_columns(layout))


def source_name(layout: Layout, column: str) -> str:
    """The file's own name for a column (交易金额 for amount), as errors name fields."""
    for f in layout.fields:
        if f.name == column or (f.kind == "card" and column in ("card_token", "card_mask")):
            return f.source
    if column == "txn_time":  # combined from 交易日期 and 交易时间
        for f in layout.fields:
            if f.name == "txn_date":
                return f.source
    return column


# --- per file, beside the parser ------------------------------------------------------------


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
    last = _end_of_day(pl.lit(today + timedelta(days=1), dtype=pl.Date))
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


# --- the suites -----------------------------------------------------------------------------


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
        condition: dict[str, str] = {}
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


def _gx_columns(checks: Sequence[Check], index: Sequence[str]) -> list[str]:
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


# --- one window ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WindowFile:
    name: str
    layout: Layout
    prepared: Prepared


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


@dataclass
class WindowChecks:
    results: list[CheckResult] = field(default_factory=list)
    # By window position: failures that quarantine the file, and those reported while it loads.
    failures: dict[int, list[FileFailure]] = field(default_factory=dict)
    notes: dict[int, list[FileFailure]] = field(default_factory=dict)
    seconds: float = 0.0


def validate_window(files: Sequence[WindowFile], dq: DQContext, config: DQConfig, *,
                    window: int) -> WindowChecks:
    """Validate every file of an ingest window: one GX run per layout and suite."""
    started = time.perf_counter()
    out = WindowChecks()
    by_layout: dict[str, list[int]] = defaultdict(list)
    for i, f in enumerate(files):
        by_layout[f.layout.name].append(i)
    for positions in by_layout.values():
        layout = files[positions[0]].layout
        batch = f"window {window} · {layout.name} · {len(positions)} files"
        for suite, checks, part, index in (
            (f"incoming.{layout.name}", row_checks(layout, config), "rows", ROW_INDEX),
            (f"incoming.{layout.name}.controls", control_checks(layout, config), "controls",
             CONTROL_INDEX),
        ):
            frame = _stack([getattr(files[i].prepared, part).with_columns(
                pl.lit(i, dtype=pl.Int32).alias("file_idx")) for i in positions])
            if part == "controls":
                frame = frame.with_row_index("ctl")
            batch_run = _BatchRun(suite, batch, layout, list(checks), frame, index, positions)
            batch_run.run(dq)
            out.results.extend(batch_run.summary())
            for i, failures in batch_run.file_failures().items():
                for f in failures:
                    kept = out.notes if f.check in LOADS_ANYWAY else out.failures
                    kept.setdefault(i, []).append(f)
                out.results.extend(
                    CheckResult(suite, f.check, f.severity, FAILED, f.observed, f.expected,
                                batch=batch, file_name=files[i].name, line_no=f.line_no,
                                field=f.field, detail=f.detail)
                    for f in failures
                )
    out.seconds = time.perf_counter() - started
    return out


def _stack(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """One layout's files as one frame, without copying (pandas gets its own copy anyway).
    A file whose columns differ (a parser that drifted) is aligned by name."""
    try:
        return pl.concat(frames, how="vertical", rechunk=False)
    except (pl.exceptions.SchemaError, pl.exceptions.ShapeError):
        return pl.concat(frames, how="diagonal_relaxed", rechunk=False)


@dataclass
class _BatchRun:
    """One suite on one layout's files of a window, and what failed where."""

    suite: str
    batch: str
    layout: Layout
    checks: list[Check]
    frame: pl.DataFrame
    index: list[str]
    positions: list[int]
    # per check name: failing (file_idx, row key) pairs, counts, errors
    failing: dict[str, set[tuple[int, int]]] = field(default_factory=dict)
    unexpected: Counter[str] = field(default_factory=Counter)
    errors: dict[str, str] = field(default_factory=dict)
    # Files whose failing rows GX listed only in part, per check.
    partial: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    @property
    def _row_key(self) -> str:
        return "ctl" if "ctl" in self.index else "line_no"

    def run(self, dq: DQContext) -> None:
        """Validate; when a check lists only the first of many failing rows, validate the
        files not yet named again until every failing file is known."""
        columns = _gx_columns(self.checks, self.index)
        # Keys go to pandas as 64-bit hashes (null stays null): pandas finds repeats among
        # integers many times faster than among strings. A repeat GX reports is confirmed on
        # the values themselves (:meth:`_confirm_repeats`), so a hash collision refuses nothing.
        keys = [k for k in rules_for(self.layout).keys if k in columns]
        todo = self.frame
        first = True
        while True:
            gx_frame = todo.select(columns).with_columns(
                pl.when(pl.col(k).is_not_null()).then(pl.col(k).hash()).alias(k) for k in keys
            ).to_pandas()
            validation = dq.validate(self.suite, self.checks, gx_frame, batch=self.batch,
                                     index_columns=self.index)
            cut_short: set[int] = set()
            for outcome in validation.outcomes:
                name = outcome.check.name
                found = self.failing.setdefault(name, set())
                if outcome.error:
                    self.errors[name] = outcome.error
                    continue
                if first:
                    self.unexpected[name] += outcome.unexpected_count
                rows = {(int(r["file_idx"]), int(r[self._row_key]))
                        for r in outcome.failing_rows if "file_idx" in r}
                found |= rows
                if outcome.unexpected_count > len(outcome.failing_rows):
                    cut_short |= {f for f, _ in rows}
                    self.partial[name] |= {f for f, _ in rows}
            first = False
            if not cut_short:
                break
            todo = todo.filter(~pl.col("file_idx").is_in(list(cut_short)))
            if todo.is_empty():
                break
        self._confirm_repeats()

    def _confirm_repeats(self) -> None:
        """Keep only the reported repeats whose key values are equal, not just their hashes."""
        found = self.failing.get("keys_unique")
        if not found:
            return
        rules = rules_for(self.layout)
        keys = ["file_idx", *rules.keys]
        files = self.frame.filter(pl.col("file_idx").is_in(list({f for f, _ in found})))
        if rules.unique_where_set:
            files = files.filter(pl.col(rules.unique_where_set).is_not_null())
        repeated = files.filter(pl.struct(keys).is_duplicated())
        real = set(repeated.select("file_idx", "line_no").iter_rows())
        self.unexpected["keys_unique"] -= len(found - real)
        self.failing["keys_unique"] = found & real

    def summary(self) -> list[CheckResult]:
        """One result per check for the whole batch."""
        out = []
        unit = "rows" if self._row_key == "line_no" else "columns and totals"
        for name in dict.fromkeys(c.name for c in self.checks):
            checks = [c for c in self.checks if c.name == name]
            expected = "; ".join(dict.fromkeys(c.expected for c in checks))
            failed_files = {f for f, _ in self.failing.get(name, set())}
            if name in self.errors:
                status, observed = ERROR, self.errors[name]
            elif failed_files:
                status = FAILED
                observed = (f"{self.unexpected[name]} of {self.frame.height} {unit} failed, in "
                            f"{len(failed_files)} of {len(self.positions)} files")
            else:
                status = PASSED
                observed = f"0 of {self.frame.height} {unit} failed"
            out.append(CheckResult(self.suite, name, checks[0].severity, status, observed,
                                   expected, batch=self.batch,
                                   field=checks[0].field if len(checks) == 1 else None))
        return out

    def file_failures(self) -> dict[int, list[FileFailure]]:
        out: dict[int, list[FileFailure]] = {}
        for name, found in self.failing.items():
            if not found:
                continue
            check = next(c for c in self.checks if c.name == name)
            per_file: dict[int, list[int]] = defaultdict(list)
            for f, key in sorted(found):
                per_file[f].append(key)
            for f, keys in per_file.items():
                out.setdefault(f, []).append(self._describe(check, f, keys))
        return out

    def _lookup(self, file_idx: int, keys: Sequence[int]) -> pl.DataFrame:
        return self.frame.filter(
            (pl.col("file_idx") == file_idx) & pl.col(self._row_key).is_in(list(keys))
        ).sort(self._row_key)

    def _describe(self, check: Check, file_idx: int, keys: list[int]) -> FileFailure:
        rows = self._lookup(file_idx, keys)
        describe = _DESCRIBE[check.name]
        line, field_name, observed, detail = describe(self, rows)
        partial = file_idx in self.partial.get(check.name, ())
        if self._row_key == "line_no" and check.name != "keys_unique" and (
                len(keys) > 1 or partial):
            shown = ", ".join(str(k) for k in keys[:_LINES_SHOWN])
            more = f" and {len(keys) - _LINES_SHOWN} more" if len(keys) > _LINES_SHOWN else ""
            count = f"at least {len(keys)}" if partial else str(len(keys))
            detail += f" ({count} failing lines: {shown}{more})"
        expected = "; ".join(dict.fromkeys(c.expected for c in self.checks
                                           if c.name == check.name))
        return FileFailure(check.name, check.severity, line, field_name, observed, expected,
                           detail)


# --- saying what failed --------------------------------------------------------------------

_Said = tuple[int | None, str | None, str, str]  # line, field, observed, detail


def _named(layout: Layout, column: str) -> str:
    """A column as the file names it, with the table's name when that differs."""
    source = source_name(layout, column)
    return source if source == column else f"{source} ({column})"


def _say_key_missing(run: _BatchRun, rows: pl.DataFrame) -> _Said:
    row = rows.row(0, named=True)
    column = row["key_missing"]
    return (row["line_no"], source_name(run.layout, column), f"{column} empty",
            f"{_named(run.layout, column)} is empty")


def _say_key_repeated(run: _BatchRun, rows: pl.DataFrame) -> _Said:
    keys = list(rules_for(run.layout).keys)
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
    fields = "+".join(source_name(run.layout, k) for k in keys)
    return (line, fields, f"({shown}) on lines {first} and {line}",
            f"line {line} repeats the key of line {first}: ({', '.join(keys)}) = ({shown}); "
            f"{rows.height} lines share a key with another")


def _say_amount(run: _BatchRun, rows: pl.DataFrame) -> _Said:
    row = rows.row(0, named=True)
    limit = Decimal(str(_limit(run)))
    for column in money_columns(run.layout):
        value = row.get(column)
        if value is not None and abs(value) > limit:
            source = source_name(run.layout, column)
            return (row["line_no"], source, f"{source} = {value}",
                    f"{source} is {value}, outside ±{limit:,.0f}")
    return row["line_no"], None, f"{row['amount_abs_max']}", "an amount is out of range"


def _limit(run: _BatchRun) -> float:
    for check in run.checks:
        if check.name == "amounts_in_range":
            return float(check.expectation.configuration.kwargs["max_value"])
    return 0.0


def _say_date(run: _BatchRun, rows: pl.DataFrame) -> _Said:
    row = rows.row(0, named=True)
    period = rules_for(run.layout).period
    assert period is not None
    source = source_name(run.layout, period.column)
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


def _say_ties(run: _BatchRun, rows: pl.DataFrame) -> _Said:
    row = rows.row(0, named=True)
    more = f" ({rows.height} totals do not tie)" if rows.height > 1 else ""
    return (row["line_no"], row["field"],
            f"stated {row['stated_text']}, lines give {row['actual_text']}",
            f"{row['field']} ({row['label']}) says {row['stated_text']} but the lines add up "
            f"to {row['actual_text']}: the file does not tie{more}")


def _say_typed(run: _BatchRun, rows: pl.DataFrame) -> _Said:
    row = rows.row(0, named=True)
    wrong = ", ".join(f"{r['field']} {r['actual_type']}" for r in rows.iter_rows(named=True))
    column = row["field"]
    return (None, source_name(run.layout, column),
            f"{column} {row['actual_type']}",
            f"column {column} is {row['actual_type']}, raw.{run.layout.table} stores "
            f"{row['expected_type']} (wrong: {wrong})")


def _say_balance(run: _BatchRun, rows: pl.DataFrame) -> _Said:
    row = rows.row(0, named=True)
    stated = Decimal(row["balance_fen"]).scaleb(-2)
    expected = Decimal(row["expected_balance_fen"]).scaleb(-2)
    return (row["line_no"], "余额", f"余额 {stated}, expected {expected}",
            f"余额 is {stated} but the previous line's 余额 + 贷方金额 − 借方金额 is {expected}: "
            "the balance chain breaks (a line missing or altered)")


def _say_card(run: _BatchRun, rows: pl.DataFrame) -> _Said:
    row = rows.row(0, named=True)
    column = row["card_column"]
    return (row["line_no"], source_name(run.layout, column), f"card number in {column}",
            f"{_named(run.layout, column)} holds what looks like a full card number "
            "(not shown)")


def _say_masked(run: _BatchRun, rows: pl.DataFrame) -> _Said:
    row = rows.row(0, named=True)
    fields = row["card_masked"]
    return (row["line_no"], fields, f"card number masked in {fields}",
            f"{fields} held what looks like a full card number: it is stored masked (first "
            "six and last four digits) and the file loaded")


_DESCRIBE: dict[str, Callable[[_BatchRun, pl.DataFrame], _Said]] = {
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


@dataclass(frozen=True)
class Refusal:
    line: int | None
    field: str | None
    reason: str
    checks: str  # failed check names, comma-separated
    severity: Severity


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



