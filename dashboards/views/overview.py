"""Overview: the period's KPIs, the last refresh, data-quality status and alerts."""

import duckdb
import streamlit as st

from posaudit.cases.roles import READ_TRANSACTIONS
from posaudit.dashboards import charts, data, display, queries, workpaper
from posaudit.dashboards.connection import run
from posaudit.dashboards.frame import start
from posaudit.dashboards.widgets import table

page = start("page.overview")
t = page.t

volume = page.fetch(queries.VOLUME_KPIS, queries.ERROR_RATE_COLS).iloc[0]
kpis = page.fetch(queries.EXCEPTION_KPIS, queries.EXCEPTION_COLS).iloc[0]
row1 = st.columns(4)
row1[0].metric(t("kpi.transactions"), display.count(volume["transactions"]))
row1[1].metric(t("kpi.decline_rate"), display.rate(volume["decline_rate"]))
row1[2].metric(t("kpi.exceptions"), display.count(kpis["exceptions"]))
row1[3].metric(t("kpi.open_items"), display.count(kpis["open_items"]))
row2 = st.columns(4)
row2[0].metric(t("kpi.exposure"), display.amount(kpis["exposure_amount"]))
row2[1].metric(t("kpi.recovered"), display.amount(kpis["recovered_amount"]))
row2[2].metric(t("kpi.net_loss"), display.amount(kpis["net_loss"]))
row2[3].metric(t("kpi.approved_amount"), display.amount(volume["approved_amount"]))
page.note_ignored(queries.ERROR_RATE_COLS, "filters.ignored_volume")

trend = page.fetch(queries.DAILY_TREND, queries.ERROR_RATE_COLS)
if not trend.empty:
    left, right = st.columns(2)
    left.altair_chart(charts.trend(trend, "business_date", "transactions",
                                   t("chart.daily_transactions")), width="stretch")
    right.altair_chart(charts.trend(trend, "business_date", "exception_rate",
                                    t("chart.daily_exception_rate"), fmt=".3%"), width="stretch")

st.subheader(t("overview.refresh"))
last = page.query(queries.LAST_RUN)
if last.empty:
    st.info(t("overview.no_runs"))
else:
    run_row = last.iloc[0]
    cols = st.columns(3)
    zone = display.merchant_zone()
    cols[0].metric(t("kpi.last_refresh"), display.term(page.lang, "outcome", run_row["outcome"]))
    # A refresh's clock is the system's: UTC, stored without a zone.
    cols[1].metric(t("table.zone_column", column=t("kpi.finished"), zone=display.zone_label(zone)),
                   display.local_time(display.utc(run_row["finished_at"]), zone))
    cols[2].metric(t("kpi.exit_code"), display.count(run_row["exit_code"]))

st.subheader(t("overview.dq"))
dq = page.query(queries.DQ_STATUS)
if dq.empty:
    st.info(t("dq.none"))
else:
    failed = dq[dq["status"] != "PASSED"]
    critical = int(failed[failed["severity"] == "critical"]["results"].sum())
    warnings = int(failed[failed["severity"] != "critical"]["results"].sum())
    cols = st.columns(3)
    cols[0].metric(t("kpi.dq_results"), display.count(dq["results"].sum()))
    cols[1].metric(t("kpi.dq_critical"), display.count(critical))
    cols[2].metric(t("kpi.dq_warnings"), display.count(warnings))
    if critical:
        st.error(t("dq.critical_failed", n=display.count(critical)))
    elif warnings:
        st.warning(t("dq.warnings", n=display.count(warnings)))
    else:
        st.success(t("dq.all_passed"))

st.subheader(t("overview.alerts"))
if not data.has_table(page.snap, "main", "fct_alerts"):
    st.caption(t("alerts.absent"))
else:
    try:
        by_severity = page.query(queries.ALERTS_BY_SEVERITY)
        recent = page.query(queries.ALERTS_RECENT)
    except duckdb.Error as exc:  # an alerts view of another shape must not break the page
        st.caption(t("alerts.unreadable", error=str(exc).splitlines()[0]))
    else:
        if by_severity.empty:
            st.success(t("alerts.none"))
        else:
            severity_cols = st.columns(max(len(by_severity), 1))
            for col, (_, r) in zip(severity_cols, by_severity.iterrows(), strict=False):
                col.metric(t("alerts.severity",
                             severity=display.term(page.lang, "severity", r["severity"])),
                           display.count(r["alerts"]))
            table(page, recent, "alerts")

st.subheader(t("overview.workpaper"))
st.caption(t("workpaper.help"))
snap, filters, viewer = page.snap, page.filters, page.viewer
if not page.may(READ_TRANSACTIONS):
    st.caption(t("export.not_allowed", role=t(f"role.{viewer.who.role}")))
else:
    st.download_button(
        t("workpaper.download"),
        data=lambda: workpaper.build(lambda sql, params: run(sql, params, snap),
                                     snap.snapshot_id, filters, viewer),
        file_name=f"posaudit-workpaper-{snap.snapshot_id}.xlsx", key="workpaper",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click="ignore")
