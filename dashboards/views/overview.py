"""Overview: the period's KPIs, the last refresh, data-quality status and alerts."""

import duckdb
import streamlit as st

from posaudit.cases.roles import READ_TRANSACTIONS
from posaudit.dashboards import (
    case_outcomes,
    casework,
    charts,
    data,
    display,
    exposure,
    queries,
    workpaper,
)
from posaudit.dashboards.connection import run, warehouse
from posaudit.dashboards.frame import start
from posaudit.dashboards.loss_figures import loss_kpis
from posaudit.dashboards.widgets import table

page = start("page.overview")
t = page.t

# Volumes come from mart_error_rates, which does not split by exception type or cause: shown
# only while no such filter is set. Exceptions and loss honour every filter.
if page.shows("figure.volume", queries.ERROR_RATE_COLS):
    volume = page.fetch(queries.VOLUME_KPIS, queries.ERROR_RATE_COLS).iloc[0]
    row1 = st.columns(4)
    row1[0].metric(t("kpi.transactions"), display.count(volume["transactions"]))
    row1[1].metric(t("kpi.decline_rate"), display.rate(volume["decline_rate"]))
    row1[2].metric(t("kpi.exception_rate"), display.rate(volume["exception_rate"], 3))
    row1[3].metric(t("kpi.approved_amount"), display.amount(volume["approved_amount"]))

st.subheader(t("overview.loss"))
loss_kpis(page, page.loss(queries.LOSS_TOTALS).iloc[0])

if page.shows("figure.daily_trend", queries.ERROR_RATE_COLS):
    trend = page.fetch(queries.DAILY_TREND, queries.ERROR_RATE_COLS)
    if not trend.empty:
        left, right = st.columns(2)
        left.altair_chart(charts.trend(trend, "business_date", "transactions",
                                       t("chart.daily_transactions"), lang=page.lang,
                                       y_title=t("axis.transactions")), width="stretch")
        right.altair_chart(charts.trend(trend, "business_date", "exception_rate",
                                        t("chart.daily_exception_rate"), lang=page.lang,
                                        y_title=t("axis.exception_rate"), fmt=".3%"),
                           width="stretch")

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


def build_workpaper() -> bytes:
    """The workbook, its loss split from the case store as it is now (as the page's)."""
    awaiting = run(queries.AWAITING_SOURCE, list(exposure.settings().awaiting_params()), snap)
    frames = {case_outcomes.FRAME: case_outcomes.outcomes(
        casework.existing_store(warehouse().root)), exposure.AWAITING_FRAME: awaiting}
    return workpaper.build(lambda sql, params: run(sql, params, snap, frames),
                           snap.snapshot_id, filters, viewer)


if not page.may(READ_TRANSACTIONS):
    st.caption(t("export.not_allowed", role=t(f"role.{viewer.who.role}")))
else:
    st.download_button(
        t("workpaper.download"),
        data=build_workpaper,
        file_name=f"posaudit-workpaper-{snap.snapshot_id}.xlsx", key="workpaper",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click="ignore")
