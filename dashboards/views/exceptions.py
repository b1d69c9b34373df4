"""Exceptions explorer: the filtered list, and one exception in full — both sides of the
match, fees, dates, the evidence and its case history."""

import json

import pandas as pd
import streamlit as st

from posaudit.dashboards import casework, queries
from posaudit.dashboards.connection import warehouse
from posaudit.dashboards.frame import start, url_params
from posaudit.dashboards.widgets import drill_down, shown, table

LIST_LIMIT = 500
PARAM = "exception"

page = start("page.exceptions")
t = page.t
cols = queries.EXCEPTION_COLS

total = int(page.fetch(queries.EXCEPTIONS_COUNT, cols).iloc[0]["n"])
listed = page.fetch(queries.EXCEPTIONS_LIST, cols, LIST_LIMIT)
st.caption(t("exc.count", shown=len(listed), total=total))
st.caption(t("exc.click_to_drill"))
clicked = table(page, listed, "exceptions", selectable=True)

st.subheader(t("exc.detail"))
labels = {str(r.exception_id): f"{r.exception_type} · {shown(r.business_date)} · "
          f"{shown(r.terminal_id)} {shown(r.trace_no)} · {r.exposure_amount:,.2f}"
          for r in listed.itertuples()}
# A row clicked in the table drills down once; the picker stays free to change after.
clicked_id = listed.iloc[clicked]["exception_id"] if clicked is not None else None
chosen = drill_down(list(listed["exception_id"]), clicked_id, param=PARAM, key="exc",
                    label=t("exc.pick"), labels=labels, none_label=t("exc.none"))
if not chosen:
    st.stop()

found = page.query(queries.EXCEPTION, [chosen])
if found.empty:
    st.warning(t("exc.not_found", id=chosen))
    st.stop()
exc = found.iloc[0]


def field_table(row: pd.Series, name: str) -> None:
    fields = row.drop(labels=[c for c in row.index if c == "root_cause_evidence"])
    frame = pd.DataFrame({"field": fields.index, "value": [shown(v) for v in fields.values]})
    table(page, frame, name)


st.markdown(f"### {exc['exception_type']} · {exc['exposure_amount']:,.2f} "
            f"({exc['exposure_direction']})")
st.write(shown(exc.get("detail")))
journal = settlement = pd.DataFrame()
if pd.notna(exc.get("journal_line_id")):
    journal = page.query(queries.TRANSACTION_SIDE, [exc["journal_line_id"], exc["business_date"]])
    if journal.empty:  # business_date is the settlement date for some types
        journal = page.query(queries.TRANSACTION_BY_ID, [exc["journal_line_id"]])
if pd.notna(exc.get("settlement_line_id")):
    settlement = page.query(queries.SETTLEMENT_SIDE,
                            [exc["settlement_line_id"], exc["business_date"]])
    if settlement.empty:
        settlement = page.query(queries.SETTLEMENT_BY_ID, [exc["settlement_line_id"]])

facts = st.columns(3)
fee_rows = []
if not journal.empty:
    j = journal.iloc[0]
    fee_rows += [(t("exc.fee_expected"), j.get("fee_expected")),
                 (t("exc.fee_charged"), j.get("fee_charged"))]
if not settlement.empty:
    s = settlement.iloc[0]
    fee_rows += [(t("exc.contract_fee"), s.get("expected_fee_amount")),
                 (t("exc.fee_amount"), s.get("fee_amount")),
                 (t("exc.fee_difference"), s.get("fee_difference"))]
with facts[0]:
    st.markdown(f"**{t('exc.fees')}**")
    for label, value in fee_rows:
        st.write(f"{label}: {shown(value)}")
    if not fee_rows:
        st.write(t("exc.no_fees"))
with facts[1]:
    st.markdown(f"**{t('exc.dates')}**")
    dates = [(t("exc.business_date"), exc.get("business_date")),
             (t("exc.txn_time"), exc.get("txn_time"))]
    source = journal.iloc[0] if not journal.empty else (
        settlement.iloc[0] if not settlement.empty else None)
    if source is not None:
        for col in ("expected_settlement_date", "settlement_date", "deposit_date", "days_late"):
            if col in source.index:
                dates.append((t(f"exc.{col}"), source[col]))
    for label, value in dates:
        st.write(f"{label}: {shown(value)}")
with facts[2]:
    st.markdown(f"**{t('exc.status')}**")
    st.write(f"{t('exc.status')}: {exc['status']}")
    st.write(f"{t('kpi.recovered')}: {float(exc['recovered_amount']):,.2f}")
    st.write(f"{t('kpi.net_loss')}: {float(exc['net_loss']):,.2f}")
    st.write(f"{t('exc.age_days')}: {shown(exc.get('age_days'))}")

left, right = st.columns(2)
with left:
    st.markdown(f"**{t('exc.terminal_side')}**")
    if journal.empty:
        st.info(t("exc.no_terminal_side"))
    else:
        field_table(journal.iloc[0], "exception_terminal_side")
with right:
    st.markdown(f"**{t('exc.settlement_side')}**")
    if settlement.empty:
        st.info(t("exc.no_settlement_side"))
    else:
        field_table(settlement.iloc[0], "exception_settlement_side")

st.markdown(f"**{t('exc.evidence')}** — {exc['root_cause']}")
evidence = exc["root_cause_evidence"]
try:
    st.json(json.loads(evidence) if isinstance(evidence, str) else evidence)
except ValueError:
    st.code(str(evidence))
with st.expander(t("exc.all_fields")):
    field_table(exc, "exception_fields")

st.markdown(f"**{t('exc.case_history')}**")
# The live case from the case store: the snapshot's copy is only as new as the last refresh.
case_store = casework.existing_store(warehouse().root)
case = casework.case_for_exception(case_store, chosen)
if case is None or case_store is None:
    st.info(t("exc.no_cases"))
else:
    st.write(t("exc.case_state", case_id=case["case_id"], state=case["state"],
               assignee=case["assignee"] or "—"))
    table(page, casework.trail_frame(case_store, case["case_id"]), "case_history")
    if st.button(t("exc.open_case"), key="exc_open_case"):
        st.session_state["case_pick"] = case["case_id"]
        st.switch_page("views/cases.py", query_params={**url_params(), "case": case["case_id"]})
