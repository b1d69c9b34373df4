"""Tables that export themselves: every table on every page downloads as CSV and Excel."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import exports, i18n
from dashboards.frame import Page


def table(page: Page, df: pd.DataFrame, name: str, *, height: int | None = None,
          selectable: bool = False) -> int | None:
    """Render ``df`` with its downloads; with ``selectable``, the position of the row the user
    clicked (None when none is)."""
    if df.empty:
        st.info(page.t("table.empty"))
        return None
    config = _column_config(page, df)
    if not selectable:
        st.dataframe(df, hide_index=True, width="stretch", height=height or "auto",
                     column_config=config)
        downloads(page, df, name)
        return None
    event = st.dataframe(df, hide_index=True, width="stretch", height=height or "auto",
                         on_select="rerun", selection_mode="single-row", key=f"table_{name}",
                         column_config=config)
    downloads(page, df, name)
    rows = event.selection.rows if event is not None else []  # type: ignore[union-attr]
    return int(rows[0]) if rows else None


def _column_config(page: Page, df: pd.DataFrame) -> dict[str, object]:
    """Headers in the page's language; dates that carry no time shown as dates. Display only:
    the frame (and its exports) keep the mart's names and types."""
    config: dict[str, object] = {}
    for col in df.columns:
        label = i18n.column_label(page.lang, str(col))
        series = df[col]
        if pd.api.types.is_datetime64_any_dtype(series) and series.dropna().eq(
                series.dropna().dt.normalize()).all():
            config[str(col)] = st.column_config.DateColumn(label, format="YYYY-MM-DD")
        elif label != col:
            config[str(col)] = st.column_config.Column(label)
    return config


def downloads(page: Page, df: pd.DataFrame, name: str) -> None:
    # Deferred: the bytes are built only when someone clicks, so pages render fast.
    left, right, _ = st.columns([1, 1, 4])
    left.download_button(page.t("export.csv"), data=lambda: exports.to_csv(df),
                         file_name=f"{name}.csv", mime="text/csv", key=f"csv_{name}",
                         on_click="ignore")
    right.download_button(page.t("export.xlsx"), data=lambda: exports.to_xlsx({name: df}),
                          file_name=f"{name}.xlsx", key=f"xlsx_{name}", on_click="ignore",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def shown(value: object) -> str:
    """A value as an auditor reads it: dates without midnight, blanks as a dash."""
    if value is None or (not isinstance(value, str | list | dict) and pd.isna(value)):
        return "—"
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.date().isoformat()
    return str(value)
