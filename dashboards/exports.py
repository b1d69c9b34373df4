"""Tables as CSV and Excel bytes, with card data guarded on the way out.

Only for a viewer whose role may read transaction-level data: every export refuses anyone else
(``access.AccessDenied``). The warehouse holds only tokens and 6+4 masks; the scrub here keeps
any Luhn-valid card-like run that might have slipped into free text (a memo, a detail) out of
every export too.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from datetime import datetime, time

import pandas as pd

from posaudit.cases.roles import READ_TRANSACTIONS
from posaudit.dashboards.access import Viewer
from posaudit.ingest.cardsafe import scrub_card_like

EXCEL_SHEET_CHARS = 31


def safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy fit to leave the warehouse: no card-like digit runs, no time zones (Excel has
    none), nested values as JSON text."""
    out = df.copy()
    for col in out.columns:
        series = out[col]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            out[col] = series.dt.tz_localize(None)
        elif series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            out[col] = series.map(_cell)
    return out


def to_csv(df: pd.DataFrame, viewer: Viewer) -> bytes:
    viewer.require(READ_TRANSACTIONS)
    # A byte-order mark so that Excel opens Chinese text as UTF-8.
    return safe(df).to_csv(index=False).encode("utf-8-sig")


def to_xlsx(sheets: Mapping[str, pd.DataFrame], viewer: Viewer) -> bytes:
    viewer.require(READ_TRANSACTIONS)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, df in sheets.items():
            safe(df).to_excel(writer, sheet_name=name[:EXCEL_SHEET_CHARS], index=False)
    return buffer.getvalue()


def _cell(value: object) -> object:
    if isinstance(value, str):
        return scrub_card_like(value)
    if isinstance(value, dict | list):
        return scrub_card_like(json.dumps(value, ensure_ascii=False, default=str))
    if isinstance(value, datetime | time) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value
