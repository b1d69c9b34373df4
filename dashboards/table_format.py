"""How a table reads on screen, decided in one place: codes as the glossary's terms (the code
kept in a column of its own for analysts), business columns first and identifiers after them,
amounts with separators and two decimals, rates as percent, times in the merchant's time zone
(named in the header), and a dash for nothing.

Display only, and plain Python (no Streamlit): ``widgets.table`` renders what ``layout``
returns, while the frame it was given (and its CSV and Excel exports) keeps the mart's values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import SupportsInt, cast
from zoneinfo import ZoneInfo

import pandas as pd

from posaudit.dashboards import display, i18n

# A column of codes -> the glossary kinds its values may belong to, tried in order per value
# (a case's kind is an exception type or a report's "other"; a status column holds an
# exception's, a check's or a file's status).
CODE_COLUMNS: dict[str, tuple[str, ...]] = {
    "exception_type": ("exception_type",), "kind": ("exception_type", "report_type"),
    "error_type": ("exception_type", "report_type"), "root_cause": ("root_cause",),
    "status": ("status", "dq_status", "file_status"), "state": ("case_state",),
    "case_state": ("case_state",), "from_state": ("case_state",), "to_state": ("case_state",),
    "action": ("action",), "role": ("role",), "event_type": ("event_type",),
    "exposure_direction": ("exposure_direction",), "severity": ("severity",),
    "error_severity": ("severity",), "match_status": ("match_status",),
    "match_rule": ("match_rule",), "channel": ("channel",), "qr_channel": ("channel",),
    "channel_group": ("channel_group",), "card_type": ("card_type",),
    "txn_type": ("txn_type",), "outcome": ("outcome",), "run_outcome": ("outcome",),
    "aging_bucket": ("aging_bucket",), "rule": ("alert_rule",),
    "subject_type": ("subject_type",), "webhook_status": ("delivery_status",),
    "email_status": ("delivery_status",), "source": ("source",), "item_kind": ("item_kind",),
    "currency": ("currency",),
}
# Texts made of codes and identifiers (a case's title, ``DUPLICATE_CHARGE T0001 000123``):
# each code word reads as its term.
WORDED_COLUMNS: dict[str, tuple[str, ...]] = {"title": ("exception_type", "report_type")}
CODE_SUFFIX = "_code"
# Identifiers: needed to find a row, not to read it, so they follow the business columns.
ID_COLUMNS = frozenset({"trace_no", "rrn", "order_no", "batch_no", "auth_code", "sha256",
                        "file_name", "folder", "scope_key", "duplicate_of", "superseded_by",
                        "snapshot", "snapshot_id", "seq", "line_no"})
# Shares (0.0295) shown as percent; every other fractional number is money or a ratio.
RATE_COLUMNS = frozenset({"ucl", "lcl", "center_rate", "cumulative_share"})
# Whole numbers that are not counts (no thousands separator).
PLAIN_INTEGERS = frozenset({"hour", "seq", "line_no", "exit_code", "weekday", "error_line"})
# Times the system stamped (UTC, stored without a zone); other times without a zone are the
# terminal's or the reporter's local clock, already in the merchant's zone.
SYSTEM_TIMES = frozenset({"started_at", "finished_at", "checked_at", "loaded_at",
                          "first_seen_at", "raised_at", "detected_at", "opened_at", "at",
                          "stored_at", "generated_at"})

# Column kinds, for the renderer.
TEXT, AMOUNT, RATE, COUNT, NUMBER, DATE, TIME = ("text", "amount", "rate", "count", "number",
                                                 "date", "time")
# Streamlit NumberColumn formats (printf style; sorting stays numeric).
NUMBER_FORMATS = {AMOUNT: "%,.2f", COUNT: "%,d", NUMBER: "%d", RATE: "percent"}
TIME_FORMAT, DATE_FORMAT = "YYYY-MM-DD HH:mm:ss", "YYYY-MM-DD"


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: str = TEXT
    help: str | None = None


@dataclass(frozen=True)
class Layout:
    frame: pd.DataFrame
    columns: tuple[Column, ...]

    def formatters(self) -> dict[str, Callable[[object], str]]:
        """Each column's cell text: what a grid shows when told the text (blanks as a dash,
        numbers formatted as ``display`` does)."""
        by_kind: dict[str, Callable[[object], str]] = {
            AMOUNT: display.amount, RATE: display.rate, COUNT: display.count, NUMBER: _whole}
        return {c.name: by_kind.get(c.kind, _text) for c in self.columns}


def _whole(value: object) -> str:
    return display.NOTHING if display.is_nothing(value) else str(int(cast(SupportsInt, value)))


def _text(value: object) -> str:
    if display.is_nothing(value):
        return display.NOTHING
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d" if value == value.normalize() else "%Y-%m-%d %H:%M:%S")
    return str(value)


def is_text(series: pd.Series) -> bool:
    return series.dtype == object or pd.api.types.is_string_dtype(series)


def is_identifier(column: str) -> bool:
    return column in ID_COLUMNS or column.endswith(("_id", "_sha256", "_hash"))


def code_terms(lang: str, kinds: tuple[str, ...], values: pd.Series) -> pd.Series | None:
    """The codes as terms (the first kind that knows each); None when no value is a code."""
    labels = i18n.LABELS.get(lang, i18n.EN)

    def one(code: object) -> str | None:
        if display.is_nothing(code):
            return None
        for kind in kinds:
            key = f"code.{kind}.{code}"
            if key in labels or key in i18n.EN:
                return display.term(lang, kind, code)
        return None

    distinct = {v: one(v) for v in values.dropna().unique()}
    if not any(distinct.values()):
        return None
    return values.map(lambda v: display.NOTHING if display.is_nothing(v)
                      else distinct.get(v) or str(v))


def _times(series: pd.Series, column: str, zone: ZoneInfo) -> pd.Series | None:
    """A column of moments as naive times in ``zone`` (None: not a column of moments)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        stamps = series
    elif is_text(series) and (column in SYSTEM_TIMES or column.endswith("_time")):
        texts = series.dropna()
        if texts.empty or not all(isinstance(v, str) for v in texts):
            return None
        try:
            stamps = pd.to_datetime(series, utc=True, format="ISO8601")
        except (ValueError, TypeError):
            return None
    else:
        return None
    if stamps.dt.tz is None:
        if column not in SYSTEM_TIMES:
            return stamps  # a local clock: already the merchant's time
        stamps = stamps.dt.tz_localize("UTC")
    return stamps.dt.tz_convert(zone).dt.tz_localize(None)


def _number_kind(column: str, series: pd.Series) -> str | None:
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return None
    if column in RATE_COLUMNS or column.endswith(("_rate", "_share")):
        return RATE
    if pd.api.types.is_integer_dtype(series):
        return NUMBER if column in PLAIN_INTEGERS else COUNT
    return AMOUNT


def layout(df: pd.DataFrame, lang: str, zone: ZoneInfo) -> Layout:
    """The frame as shown: business columns, then identifiers, then the raw codes."""
    shown: dict[str, pd.Series] = {}
    specs: dict[str, Column] = {}
    codes: list[str] = []
    for col in map(str, df.columns):
        series = df[col]
        label = i18n.column_label(lang, col)
        kinds = CODE_COLUMNS.get(col)
        terms = code_terms(lang, kinds, series) if kinds else None
        if terms is not None:
            raw = f"{col}{CODE_SUFFIX}"
            raw_label = i18n.t(lang, "table.code_column", column=label)
            shown[col] = terms
            specs[col] = Column(col, label, TEXT, i18n.t(lang, "table.code_help",
                                                         column=raw_label))
            shown[raw] = series
            specs[raw] = Column(raw, raw_label)
            codes.append(raw)
            continue
        if col in WORDED_COLUMNS:
            shown[col] = series.map(lambda v, k=WORDED_COLUMNS[col]: display.with_terms(lang, v, k))
            specs[col] = Column(col, label)
            continue
        if "amount" in col and is_text(series):
            # Money kept as text (the case store's decimals): shown, and sorted, as a number.
            numbers = pd.to_numeric(series, errors="coerce")
            if numbers.notna().sum() == series.notna().sum():
                series = numbers
        times = _times(series, col, zone)
        if times is not None:
            clock = times.dropna()
            if not clock.empty and clock.eq(clock.dt.normalize()).all() and \
                    col not in SYSTEM_TIMES:
                shown[col], specs[col] = times, Column(col, label, DATE)
            else:
                shown[col] = times
                specs[col] = Column(col, i18n.t(lang, "table.zone_column", column=label,
                                                zone=display.zone_label(zone)), TIME)
            continue
        number = _number_kind(col, series)
        if number is not None:
            shown[col], specs[col] = series, Column(col, label, number)
        else:
            shown[col] = series
            specs[col] = Column(col, label)
    ids = [c for c in map(str, df.columns) if is_identifier(c)]
    business = [c for c in map(str, df.columns) if c not in ids]
    order = [*business, *ids, *codes]
    frame = pd.DataFrame({c: shown[c] for c in order}, index=df.index)
    return Layout(frame, tuple(specs[c] for c in order))
