"""How a value reads on screen: amounts with separators and two decimals, rates as percent,
codes as the glossary's terms, times in the merchant's time zone, and a dash for nothing.

Display only: frames, exports and SQL keep the marts' values. Plain Python (no Streamlit), so
every rule here is testable alone.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from typing import SupportsFloat, SupportsInt, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from posaudit.dashboards import i18n

NOTHING = "—"
# The merchant's time zone: times with a zone are shown in it; local times (the terminal's
# clock) are already in it. `posaudit dashboard --timezone` sets the variable.
TIMEZONE_ENV = "POSAUDIT_TIMEZONE"
DEFAULT_TIMEZONE = "Asia/Shanghai"
# Kinds of codes the glossary translates: locale keys are ``code.<kind>.<CODE>``.
CODE_KINDS = ("exception_type", "root_cause", "status", "case_state", "event_type",
              "exposure_direction", "severity", "match_status", "channel", "txn_type",
              "outcome", "aging_bucket",
              # Further codes pages show: report types, case actions and roles, check and file
              # statuses, alert fields, pending sources, match rules, card data, currency.
              "report_type", "action", "role", "dq_status", "file_status", "match_rule",
              "channel_group", "card_type", "alert_rule", "subject_type", "delivery_status",
              "source", "item_kind", "currency")


def is_nothing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str | list | dict | tuple):
        return False
    # NaN, NaT and pandas' NA are the only values not equal to themselves or NA-typed.
    return value is pd.NaT or value is pd.NA or (isinstance(value, float) and value != value)


def amount(value: object) -> str:
    """``1,234,567.80``; a dash for nothing."""
    if is_nothing(value):
        return NOTHING
    return f"{float(cast(SupportsFloat, value)):,.2f}"


def count(value: object) -> str:
    if is_nothing(value):
        return NOTHING
    return f"{int(cast(SupportsInt, value)):,}"


def rate(value: object, digits: int = 2) -> str:
    """A share (0.0295) as a percent (``2.95 %``)."""
    if is_nothing(value):
        return NOTHING
    return f"{float(cast(SupportsFloat, value)) * 100:,.{digits}f} %"


def merchant_zone(setting: str | None = None) -> ZoneInfo:
    """The configured zone (``$POSAUDIT_TIMEZONE``), else Asia/Shanghai; an unknown name is
    an error naming the setting, not a silent fallback."""
    name = (setting if setting is not None else os.environ.get(TIMEZONE_ENV, "")).strip()
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{TIMEZONE_ENV}: unknown time zone {name!r}") from exc


def local_time(value: object, zone: ZoneInfo, *, seconds: bool = True) -> str:
    """A moment as the merchant reads it: a zoned timestamp converted to ``zone``; a naive one
    is a local (terminal) time already. Midnight-only values read as dates."""
    if is_nothing(value):
        return NOTHING
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    stamp = pd.Timestamp(cast(str, value))  # a datetime, a Timestamp or ISO text
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(zone)
    elif stamp == stamp.normalize():
        return stamp.date().isoformat()
    return stamp.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def utc(value: object) -> object:
    """A moment the system stamped (UTC, stored without a zone) marked as UTC, so that
    ``local_time`` converts it; anything else is returned as it is."""
    if is_nothing(value) or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    stamp = pd.Timestamp(cast(str, value))
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp


def zone_label(zone: ZoneInfo) -> str:
    """The zone as a header suffix: ``Asia/Shanghai``."""
    return zone.key


def term(lang: str, kind: str, code: object) -> str:
    """A code (an exception type, a cause, a status…) as the glossary's term in ``lang``; an
    unknown code reads as itself, so that a new code never breaks a page."""
    if is_nothing(code):
        return NOTHING
    text = str(code)
    label = i18n.LABELS.get(lang, i18n.EN).get(f"code.{kind}.{text}") or i18n.EN.get(
        f"code.{kind}.{text}")
    return label or text


def with_terms(lang: str, text: object, kinds: tuple[str, ...]) -> str:
    """A text made of words (a case's title, ``DUPLICATE_CHARGE T0001 000123``) with each word
    that is a code of ``kinds`` read as its term; the other words stay."""
    if is_nothing(text):
        return NOTHING
    labels = i18n.LABELS.get(lang, i18n.EN)

    def word(w: str) -> str:
        kind = next((k for k in kinds if f"code.{k}.{w}" in labels), None)
        return term(lang, kind, w) if kind else w

    return " ".join(word(w) for w in str(text).split())
