"""Tables that export themselves: every table on every page downloads as CSV and Excel, for a
viewer whose role may read transaction-level data (nobody else is offered the buttons)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler
from streamlit.elements.lib.column_types import ColumnConfig

from posaudit.cases.roles import READ_TRANSACTIONS
from posaudit.dashboards import display, exports, table_format
from posaudit.dashboards.frame import Page, keep, set_param, url_params


def table(page: Page, df: pd.DataFrame, name: str, *, height: int | None = None,
          selectable: bool = False) -> int | None:
    """Render ``df`` as ``table_format`` lays it out, with its downloads (the frame as given);
    with ``selectable``, the position of the row the user clicked (None when none is)."""
    if df.empty:
        st.info(page.t("table.empty"))
        return None
    shown = table_format.layout(df, page.lang, display.merchant_zone())
    data = _cells(shown)
    config = column_config(shown)
    if not selectable:
        st.dataframe(data, hide_index=True, width="stretch", height=height or "auto",
                     column_config=config)
        downloads(page, df, name)
        return None
    event = st.dataframe(data, hide_index=True, width="stretch", height=height or "auto",
                         on_select="rerun", selection_mode="single-row", key=f"table_{name}",
                         column_config=config)
    downloads(page, df, name)
    rows = event.selection.rows if event is not None else []
    return int(rows[0]) if rows else None


# Up to this many cells, a table with a blank number is given every cell's text (a pandas
# Styler: the grid would write "None"), numbers still sorting as numbers. A Styler costs about
# 70 ms per thousand cells, so a larger table shows only its number columns with blanks as
# text instead.
STYLED_CELLS = 2_000


def _cells(shown: table_format.Layout) -> pd.DataFrame | Styler:
    frame = shown.frame
    text = [c.name for c in shown.columns if c.kind == table_format.TEXT
            and table_format.is_text(frame[c.name])]
    frame = frame.assign(**{c: frame[c].where(frame[c].notna(), display.NOTHING)
                            for c in text})
    numeric = [c.name for c in shown.columns if c.kind in table_format.NUMBER_FORMATS]
    blanks = [c for c in numeric if frame[c].isna().any()]
    if not blanks:
        return frame
    formatters = shown.formatters()
    if frame.size > STYLED_CELLS:
        return frame.assign(**{c: frame[c].map(formatters[c]) for c in blanks})
    cells: dict[Any, str | Callable[[object], str] | None] = {**formatters}
    return frame.style.format(cells)


def column_config(shown: table_format.Layout) -> dict[str, ColumnConfig]:
    """Headers in the page's language (a code column's header tells where its code is);
    numbers, dates and times in their formats. Display only."""
    config: dict[str, ColumnConfig] = {}
    for col in shown.columns:
        if col.kind in table_format.NUMBER_FORMATS:
            config[col.name] = st.column_config.NumberColumn(
                col.label, help=col.help, format=table_format.NUMBER_FORMATS[col.kind])
        elif col.kind == table_format.DATE:
            config[col.name] = st.column_config.DateColumn(col.label, help=col.help,
                                                           format=table_format.DATE_FORMAT)
        elif col.kind == table_format.TIME:
            config[col.name] = st.column_config.DatetimeColumn(
                col.label, help=col.help, format=table_format.TIME_FORMAT)
        elif col.label != col.name or col.help:
            config[col.name] = st.column_config.Column(col.label, help=col.help)
    return config


def downloads(page: Page, df: pd.DataFrame, name: str) -> None:
    if not page.may(READ_TRANSACTIONS):
        return
    # Deferred: the bytes are built only when someone clicks, so pages render fast.
    viewer = page.viewer
    left, right, _ = st.columns([1, 1, 4])
    left.download_button(page.t("export.csv"), data=lambda: exports.to_csv(df, viewer),
                         file_name=f"{name}.csv", mime="text/csv", key=f"csv_{name}",
                         on_click="ignore")
    right.download_button(page.t("export.xlsx"),
                          data=lambda: exports.to_xlsx({name: df}, viewer),
                          file_name=f"{name}.xlsx", key=f"xlsx_{name}", on_click="ignore",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def shown(value: Any) -> str:
    """A value (any cell of a frame) as an auditor reads it: dates without midnight, blanks as
    a dash."""
    if value is None or (not isinstance(value, str | list | dict) and pd.isna(value)):
        return "—"
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.date().isoformat()
    return str(value)


def drill_down(ids: list[str], clicked_id: str | None, *, param: str, key: str, label: str,
               labels: dict[str, str], none_label: str, outside_ok: bool = True) -> str:
    """Pick one row: the URL's choice (``param``), else the row clicked in the table, once; the
    picker stays free to change after. ``outside_ok``: the URL may name a row the current
    filters do not list. Returns the chosen id, "" for none."""
    pick, seen = f"{key}_pick", f"{key}_clicked"
    options = ["", *ids]
    wanted = url_params().get(param, "")
    if wanted and wanted not in options and outside_ok:
        options.append(wanted)
    keep(pick, wanted)
    if clicked_id != st.session_state.get(seen):
        st.session_state[seen] = clicked_id
        if clicked_id:
            st.session_state[pick] = clicked_id
    if st.session_state[pick] not in options:
        st.session_state[pick] = ""
    chosen = st.selectbox(label, options, key=pick,
                          format_func=lambda c: labels.get(c, c) if c else none_label)
    set_param(param, chosen or None)
    return chosen
