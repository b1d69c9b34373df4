"""Error rates: trends by day and hour, breakdowns by dimension, and control charts."""

import streamlit as st

from posaudit.dashboards import charts, display, queries
from posaudit.dashboards.frame import start
from posaudit.dashboards.widgets import table

page = start("page.error_rates")
t = page.t
cols = queries.ERROR_RATE_COLS
# Every figure here reads volumes (mart_error_rates, the journal), which do not split by
# exception type or cause; the control charts do not split by acquirer or channel either.
if not page.shows("figure.rates", cols):
    page.shows("figure.control", queries.CONTROL_COLS)
    st.stop()

kpis = page.fetch(queries.VOLUME_KPIS, cols).iloc[0]
row = st.columns(4)
row[0].metric(t("kpi.transactions"), display.count(kpis["transactions"]))
row[1].metric(t("kpi.declines"), display.count(kpis["declines"]))
row[2].metric(t("kpi.decline_rate"), display.rate(kpis["decline_rate"]))
row[3].metric(t("kpi.exception_rate"), display.rate(kpis["exception_rate"], 3))

trend = page.fetch(queries.DAILY_TREND, cols)
if trend.empty:
    st.info(t("table.empty"))
else:
    left, right = st.columns(2)
    left.altair_chart(charts.trend(trend, "business_date", "decline_rate",
                                   t("chart.daily_decline_rate"), lang=page.lang,
                                   y_title=t("axis.decline_rate"), fmt=".2%"), width="stretch")
    right.altair_chart(charts.trend(trend, "business_date", "exception_rate",
                                    t("chart.daily_exception_rate"), lang=page.lang,
                                    y_title=t("axis.exception_rate"), fmt=".3%"),
                       width="stretch")
    with st.expander(t("table.daily")):
        table(page, trend, "error_rates_daily")

st.subheader(t("rates.by_hour"))
hourly = page.fetch(queries.RATES_BY_HOUR, queries.TRANSACTION_COLS)
if not hourly.empty:
    st.altair_chart(charts.hourly(hourly, t("chart.hourly"), lang=page.lang), width="stretch")
    with st.expander(t("table.hourly")):
        table(page, hourly, "error_rates_hourly")

st.subheader(t("rates.by_dimension"))
tabs = st.tabs([t(f"filter.{d}") for d in ("terminal", "store", "acquirer", "channel", "merchant")])
for tab, (dim, column) in zip(tabs, [("terminal", "terminal_id"), ("store", "store_id"),
                                     ("acquirer", "acquirer"), ("channel", "channel"),
                                     ("merchant", "merchant_id")], strict=True):
    with tab:
        by = page.fetch(queries.RATES_BY, cols, dimension=column)
        if not by.empty:
            st.altair_chart(charts.bars(by.fillna({column: "—"}), column, "exception_rate",
                                        t("chart.exception_rate_by", dim=t(f"filter.{dim}")),
                                        lang=page.lang, x_title=t("axis.exception_rate"),
                                        category_title=t(f"filter.{dim}"), kind=column,
                                        fmt=".3%"),
                            width="stretch")
        table(page, by, f"error_rates_by_{dim}")

st.subheader(t("rates.by_category"))
cats = page.fetch(queries.DECLINES_BY_CATEGORY, cols)
melted = cats.melt(var_name="category", value_name="declines").fillna({"declines": 0})
melted["label"] = [t(f"category.{c}") for c in melted["category"]]
st.altair_chart(charts.bars(melted, "label", "declines", t("chart.declines_by_category"),
                            lang=page.lang, x_title=t("axis.declines"),
                            category_title=t("axis.category"), fmt=",.0f"), width="stretch")
table(page, melted[["category", "label", "declines"]], "declines_by_category")

st.subheader(t("rates.control"))
st.caption(t("rates.control_help"))
ctl_cols = queries.CONTROL_COLS
if not page.shows("figure.control", ctl_cols):
    st.stop()
terminals = page.fetch(queries.CONTROL_TERMINALS, ctl_cols)
if terminals.empty:
    st.info(t("table.empty"))
else:
    chosen = st.selectbox(t("rates.control_terminal"), list(terminals["terminal_id"]),
                          key="control_terminal")
    chart = page.fetch(queries.CONTROL_CHART, ctl_cols, chosen)
    left, right = st.columns([3, 1])
    left.altair_chart(charts.control(chart, t("chart.control", terminal=chosen), lang=page.lang),
                      width="stretch")
    with right:
        st.markdown(f"**{t('rates.out_of_control_beside')}**")
        flagged = charts.out_of_control_days(chart)
        if flagged.empty:
            st.markdown(t("rates.none_out_of_control"))
        for day, rate, ucl in flagged.itertuples(index=False):
            st.markdown(f":red[{display.local_time(day, display.merchant_zone())}: "
                        f"{display.rate(rate)} > {display.rate(ucl)}]")
    with st.expander(t("table.control_terminals")):
        table(page, terminals, "control_terminals")
    st.markdown(f"**{t('rates.out_of_control')}**")
    table(page, page.fetch(queries.OUT_OF_CONTROL_DAYS, ctl_cols), "out_of_control_days")
