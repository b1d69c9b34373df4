"""Reconciliation: the bridge from terminal sales to bank deposits per day and for the period,
to the fen, and terminal ↔ settlement ↔ bank per day, acquirer and merchant number."""

import streamlit as st

from posaudit.dashboards import bridge, charts, display, i18n, queries
from posaudit.dashboards.frame import start
from posaudit.dashboards.widgets import downloads, table

page = start("page.reconciliation")
t = page.t
cols = queries.RECONCILIATION_COLS
# Per settlement day, acquirer and merchant number: no store, terminal, channel, type or cause.
if not page.shows("figure.reconciliation", cols):
    st.stop()

days = page.fetch(queries.RECONCILIATION_BRIDGE, cols)
if days.empty:
    st.info(t("table.empty"))
    st.stop()
days = bridge.exact(days)
total = bridge.period_total(days)
labels = {code: t(f"bridge.{code}") for code in bridge.AMOUNTS}

kpi = st.columns(len(bridge.KPIS))
for box, code in zip(kpi, bridge.KPIS, strict=True):
    box.metric(labels[code], display.amount(total[code]))
untied = bridge.untied_days(days)
if untied.empty:
    st.success(t("bridge.ties"))
else:
    listed = ", ".join(f"{d} ({display.amount(r)})" for d, r in
                       zip(untied["settlement_date"].astype(str), untied[bridge.RESIDUAL],
                           strict=True))
    st.error(t("bridge.does_not_tie", n=display.count(len(untied)), days=listed))

st.subheader(t("bridge.heading"))
st.caption(t("bridge.help"))
choices = ["", *days["settlement_date"].astype(str)]
chosen = st.selectbox(t("bridge.of"), choices, key="bridge_day",
                      format_func=lambda d: d or t("bridge.period"))
values = total if not chosen else {
    code: days.loc[days["settlement_date"].astype(str) == chosen, code].iloc[0]
    for code in bridge.AMOUNTS}
left, right = st.columns([3, 1])
steps = bridge.waterfall(values, labels)
left.altair_chart(charts.waterfall(steps, t("chart.bridge", of=chosen or t("bridge.period")),
                                   lang=page.lang),
                  width="stretch", height=charts.waterfall_height(len(steps)) + 120)
with right:
    st.markdown(f"**{t('bridge.residual_days')}**")
    if untied.empty:
        st.markdown(f":green[{t('bridge.no_residual_days')}]")
    for d, r in zip(untied["settlement_date"].astype(str), untied[bridge.RESIDUAL], strict=True):
        st.markdown(f":red[{d}: {display.amount(r)}]")

shown = bridge.table(days, total, t("bridge.period"))
st.dataframe(
    shown.style.format({c: display.amount for c in bridge.AMOUNTS}).map(
        lambda v: f"color: {charts.RED}; font-weight: bold" if v else "",
        subset=[bridge.RESIDUAL]),
    hide_index=True, width="stretch",
    column_config={c: st.column_config.Column(i18n.column_label(page.lang, c))
                   for c in shown.columns})
downloads(page, shown, "reconciliation_bridge")

daily_chart = days[["settlement_date", *bridge.SERIES]].copy()
for code in bridge.SERIES:
    daily_chart[code] = [float(v) for v in daily_chart[code]]
st.altair_chart(charts.series_lines(daily_chart, "settlement_date", bridge.SERIES,
                                    t("chart.recon_daily"), lang=page.lang, labels=labels),
                width="stretch")

st.subheader(t("recon.detail"))
rows = page.fetch(queries.RECONCILIATION_ROWS, cols)
only_open = st.toggle(t("recon.only_differences"), key="recon_only_open")
if only_open:
    rows = rows[(rows["unexplained_residual"].fillna(0) != 0)
                | (rows["deposit_difference"].fillna(0) != 0)
                | rows["bank_deposit_amount"].isna()]
table(page, rows, "reconciliation_rows")
