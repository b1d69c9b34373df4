"""Loss assessment: exposure, recovered, written off and net loss, by every dimension, with
aging and the largest open items."""

import streamlit as st

from posaudit.dashboards import charts, display, queries
from posaudit.dashboards.frame import start
from posaudit.dashboards.widgets import table

page = start("page.loss")
t = page.t
cols = queries.LOSS_COLS
page.note_ignored(cols)
st.caption(t("loss.monthly_note"))

totals = page.fetch(queries.LOSS_TOTALS, cols, monthly=True).iloc[0]
kpi = st.columns(5)
kpi[0].metric(t("kpi.exceptions"), f"{int(totals['exceptions']):,}")
kpi[1].metric(t("kpi.exposure"), f"{float(totals['exposure_amount']):,.2f}")
kpi[2].metric(t("kpi.recovered"), f"{float(totals['recovered_amount']):,.2f}")
kpi[3].metric(t("kpi.written_off"), f"{float(totals['written_off_amount']):,.2f}")
kpi[4].metric(t("kpi.net_loss"), f"{float(totals['net_loss']):,.2f}")

dims = [("type", "exception_type"), ("cause", "root_cause"), ("store", "store_id"),
        ("acquirer", "acquirer"), ("month", "month")]
tabs = st.tabs([t(f"filter.{d}") for d, _ in dims])
for tab, (dim, column) in zip(tabs, dims, strict=True):
    with tab:
        by = page.fetch(queries.LOSS_BY, cols, monthly=True, dimension=column)
        if not by.empty:
            # Codes (a type, a cause) read as terms.
            shown = by.assign(**{column: [display.term(page.lang, column, v) if column in
                                          display.CODE_KINDS else str(v) for v in by[column]]})
            st.altair_chart(charts.bars(shown.fillna({"net_loss": 0}), column, "net_loss",
                                        t("chart.net_loss_by", dim=t(f"filter.{dim}"))),
                            width="stretch")
        table(page, by, f"loss_by_{dim}")

st.subheader(t("loss.aging"))
aging = page.fetch(queries.LOSS_AGING, cols, monthly=True)
if not aging.empty:
    st.altair_chart(charts.bars(aging.fillna({"net_loss": 0}), "aging_bucket", "net_loss",
                                t("chart.aging")), width="stretch")
table(page, aging, "loss_aging")

st.subheader(t("loss.top_open"))
table(page, page.fetch(queries.TOP_OPEN_ITEMS, queries.EXCEPTION_COLS), "top_open_items")
