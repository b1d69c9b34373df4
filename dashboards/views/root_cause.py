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
# Charts name causes and types by their terms; tables keep the codes beside them.
causes = by_cause.assign(root_cause=[term("root_cause", c) for c in by_cause["root_cause"]])
left, right = st.columns(2)
left.altair_chart(charts.pareto(causes, "root_cause", "exceptions", t("chart.pareto_count")),
                  width="stretch")
right.altair_chart(charts.pareto(causes.fillna({"exposure_amount": 0}), "root_cause",
                                 "exposure_amount", t("chart.pareto_exposure")), width="stretch")
table(page, by_cause, "root_cause")

st.subheader(t("root.by_type"))
by_type = page.fetch(queries.PARETO_BY_CAUSE_TYPE, cols)
by_type["cause_type"] = [f"{term('root_cause', c)} · {term('exception_type', x)}"
                         for c, x in zip(by_type["root_cause"], by_type["exception_type"],
                                         strict=True)]
st.altair_chart(charts.pareto(by_type.fillna({"exposure_amount": 0}), "cause_type",
                              "exposure_amount", t("chart.pareto_type")), width="stretch")
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
    st.altair_chart(charts.timeline(
        events.assign(event_type=[term("event_type", e) for e in events["event_type"]]),
        exceptions.drop(columns="root_cause_evidence").assign(
            exception_type=[term("exception_type", x) for x in exceptions["exception_type"]]),
        t("chart.timeline", terminal=terminal), term("event_type", "EXCEPTION")), width="stretch")
    with st.expander(t("root.events_table")):
        table(page, events, f"terminal_events_{terminal}")
shown = exceptions.assign(root_cause_evidence=[
    json.dumps(json.loads(e) if isinstance(e, str) else e, ensure_ascii=False)
    for e in exceptions["root_cause_evidence"]])
table(page, shown, f"terminal_exceptions_{terminal}")
