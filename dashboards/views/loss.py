"""Loss assessment: exposure split into pending, open, recovered, written off and past the
ageing limit, net loss, by every dimension, with aging and the largest unresolved items. Read
from fct_exceptions (every filter applies, the period to the day) and the live case store."""

import streamlit as st

from posaudit.dashboards import charts, display, queries
from posaudit.dashboards.frame import start
from posaudit.dashboards.loss_figures import loss_kpis
from posaudit.dashboards.widgets import table

page = start("page.loss")
t = page.t

loss_kpis(page, page.loss(queries.LOSS_TOTALS).iloc[0])

dims = [("type", "exception_type"), ("cause", "root_cause"), ("store", "store_id"),
        ("acquirer", "acquirer"), ("month", "month")]
tabs = st.tabs([t(f"filter.{d}") for d, _ in dims])
for tab, (dim, column) in zip(tabs, dims, strict=True):
    with tab:
        by = page.loss(queries.LOSS_BY, dimension=column)
        if not by.empty:
            # Codes (a type, a cause) read as terms.
            shown = by.assign(**{column: [display.term(page.lang, column, v) if column in
                                          display.CODE_KINDS else str(v) for v in by[column]]})
            st.altair_chart(charts.bars(shown.fillna({"net_loss": 0}), column, "net_loss",
                                        t("chart.net_loss_by", dim=t(f"filter.{dim}")),
                                        lang=page.lang, x_title=t("axis.net_loss"),
                                        category_title=t(f"filter.{dim}"),
                                        kind=column),
                            width="stretch")
        table(page, by, f"loss_by_{dim}")

st.subheader(t("loss.aging"))
aging = page.loss(queries.LOSS_AGING)
if not aging.empty:
    st.altair_chart(charts.bars(aging.fillna({"net_loss": 0}), "aging_bucket", "net_loss",
                                t("chart.aging"), lang=page.lang, x_title=t("axis.net_loss"),
                                kind="aging_bucket", category_title=t("axis.category")),
                    width="stretch")
table(page, aging, "loss_aging")

st.subheader(t("loss.top_open"))
table(page, page.loss(queries.TOP_OPEN_ITEMS), "top_open_items")
