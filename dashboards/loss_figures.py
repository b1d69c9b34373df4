"""The exposure split as KPIs, the same on Overview and Loss: the exceptions and open items,
exposure and net loss, then the parts that add up to the exposure."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from posaudit.dashboards import display, exposure
from posaudit.dashboards.frame import Page

# (column of queries.LOSS_TOTALS, label key): the parts, in the order shown.
PARTS = (("pending_amount", "kpi.pending"), ("open_amount", "kpi.open_amount"),
         ("recovered_amount", "kpi.recovered"), ("written_off_amount", "kpi.written_off"),
         ("past_limit_amount", "kpi.past_limit"))


def loss_kpis(page: Page, totals: pd.Series) -> None:
    """Two rows of metrics and the definitions beneath them."""
    top = st.columns(4)
    top[0].metric(page.t("kpi.exceptions"), display.count(totals["exceptions"]))
    top[1].metric(page.t("kpi.open_items"), display.count(totals["open_items"]))
    top[2].metric(page.t("kpi.exposure"), display.amount(totals["exposure_amount"]))
    top[3].metric(page.t("kpi.net_loss"), display.amount(totals["net_loss"]))
    cells = st.columns(len(PARTS))
    for cell, (column, label) in zip(cells, PARTS, strict=True):
        cell.metric(page.t(label), display.amount(totals[column]))
    st.caption(page.t("loss.split_help", days=exposure.ageing_days()))
