"""Reconciliation: terminal ↔ settlement ↔ bank per day, and the residual nobody explains."""

import pandas as pd
import streamlit as st

from posaudit.dashboards import queries
from posaudit.dashboards.frame import start
from posaudit.dashboards.widgets import table

page = start("page.reconciliation")
t = page.t
cols = queries.RECONCILIATION_COLS
page.note_ignored(cols)

daily = page.fetch(queries.RECONCILIATION_DAILY, cols)
if daily.empty:
    st.info(t("table.empty"))
    st.stop()
residual = daily["unexplained_residual"].fillna(0).abs().sum()
kpi = st.columns(4)
kpi[0].metric(t("recon.terminal_total"), f"{float(daily['terminal_total'].sum()):,.2f}")
kpi[1].metric(t("recon.settled_gross"), f"{float(daily['settled_gross'].sum()):,.2f}")
kpi[2].metric(t("recon.bank_deposit"), f"{float(daily['bank_deposit_amount'].sum()):,.2f}")
kpi[3].metric(t("recon.residual"), f"{float(residual):,.2f}")
if residual > 0.005:
    st.error(t("recon.residual_open"))
else:
    st.success(t("recon.residual_zero"))

long = daily.melt(id_vars="settlement_date",
                  value_vars=["terminal_total", "settled_gross", "net_amount",
                              "bank_deposit_amount"], var_name="measure", value_name="amount")
names = {"terminal_total": t("recon.terminal_total"), "settled_gross": t("recon.settled_gross"),
         "net_amount": t("recon.net"), "bank_deposit_amount": t("recon.bank_deposit")}
long["measure"] = long["measure"].map(names)
# Dates as ISO text, the same in every language; the legend needs no title.
long = long.assign(settlement_date=pd.to_datetime(long["settlement_date"]).dt.strftime(
    "%Y-%m-%d")).rename(columns={"measure": " "})
st.line_chart(long, x="settlement_date", y="amount", color=" ", x_label="", y_label="")
table(page, daily, "reconciliation_daily")

st.subheader(t("recon.detail"))
rows = page.fetch(queries.RECONCILIATION_ROWS, cols)
only_open = st.toggle(t("recon.only_differences"), key="recon_only_open")
if only_open:
    rows = rows[(rows["unexplained_residual"].fillna(0) != 0)
                | (rows["deposit_difference"].fillna(0) != 0)
                | rows["bank_deposit_amount"].isna()]
table(page, rows, "reconciliation_rows")
