"""Root cause: the Pareto of exceptions and exposure, the evidence, and a terminal's events
around its exceptions."""

import json
from datetime import timedelta

import pandas as pd
import streamlit as st

from posaudit.dashboards import charts, display, queries
from posaudit.dashboards.frame import start
from posaudit.dashboards.widgets import table

# Events this far either side of a terminal's exceptions make its timeline.
WINDOW = timedelta(minutes=30)

page = start("page.root_cause")
t = page.t


def term(kind: str, code: object) -> str:
    return display.term(page.lang, kind, code)

cols = queries.EXCEPTION_COLS

by_cause = page.fetch(queries.PARETO_BY_CAUSE, cols)
if by_cause.empty:
    st.info(t("table.empty"))
    st.stop()
left, right = st.columns(2)
left.altair_chart(charts.pareto(by_cause, "root_cause", "exceptions", t("chart.pareto_count"),
                                lang=page.lang, y_title=t("axis.exceptions"),
                                kind="root_cause", category_title=t("axis.category")),
                  width="stretch")
right.altair_chart(charts.pareto(by_cause.fillna({"exposure_amount": 0}), "root_cause",
                                 "exposure_amount", t("chart.pareto_exposure"), lang=page.lang,
                                 y_title=t("axis.exposure"), kind="root_cause",
                                 category_title=t("axis.category")), width="stretch")
table(page, by_cause, "root_cause")

st.subheader(t("root.by_type"))
by_type = page.fetch(queries.PARETO_BY_CAUSE_TYPE, cols)
by_type["cause_type"] = [f"{term('root_cause', c)} · {term('exception_type', e)}"
                         for c, e in zip(by_type["root_cause"], by_type["exception_type"],
                                         strict=True)]
st.altair_chart(charts.pareto(by_type.fillna({"exposure_amount": 0}), "cause_type",
                              "exposure_amount", t("chart.pareto_type"), lang=page.lang,
                              y_title=t("axis.exposure"), category_title=t("axis.category")),
                width="stretch")
table(page, by_type.drop(columns="cause_type"), "root_cause_by_type")

st.subheader(t("root.evidence"))
st.caption(t("root.evidence_help"))
table(page, page.fetch(queries.EVIDENCE_SUMMARY, cols), "root_cause_evidence")

st.subheader(t("root.timeline"))
terminals = page.fetch(queries.EXCEPTION_TERMINALS, cols)
if terminals.empty:
    st.info(t("table.empty"))
    st.stop()
terminal = st.selectbox(
    t("root.timeline_terminal"), list(terminals["terminal_id"]), key="timeline_terminal",
    format_func=lambda tid: t("root.terminal_option", terminal=tid, n=int(
        terminals.loc[terminals["terminal_id"] == tid, "exceptions"].iloc[0])))
exceptions = page.fetch(queries.TERMINAL_EXCEPTIONS, cols, terminal)
times = pd.to_datetime(exceptions["txn_time"]).dropna()
if times.empty:
    st.info(t("root.no_times"))
else:
    events = page.query(queries.TERMINAL_EVENTS, [terminal, (times.min() - WINDOW).to_pydatetime(),
                                                  (times.max() + WINDOW).to_pydatetime()])
    if events.empty:
        st.info(t("root.no_events", terminal=terminal))
    st.altair_chart(charts.timeline(events, exceptions.drop(columns="root_cause_evidence"),
                                    t("chart.timeline", terminal=terminal), lang=page.lang),
                    width="stretch")
    with st.expander(t("root.events_table")):
        table(page, events, f"terminal_events_{terminal}")
shown = exceptions.assign(root_cause_evidence=[
    json.dumps(json.loads(e) if isinstance(e, str) else e, ensure_ascii=False)
    for e in exceptions["root_cause_evidence"]])
table(page, shown, f"terminal_exceptions_{terminal}")
