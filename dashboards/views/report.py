"""Report an error: the error transaction report form. Anyone who may see the pages may file
one (a logged-in user under their own name; where login is optional, anyone else under the
name they type); it is checked against the terminals of the current snapshot, and a valid
report becomes an OPEN case — or, when its transaction already has a case, joins that case,
which the page names and links to."""

import uuid

import streamlit as st

from posaudit.cases.reports import Transaction
from posaudit.dashboards import auth, casework, data, messages, queries, reporting
from posaudit.dashboards.connection import warehouse
from posaudit.dashboards.frame import start, url_params

ERRORS, FILED, NONCE = "rep_errors", "rep_filed", "rep_session"
# Widget key → default; the form is reset to these after a report is filed.
DEFAULTS: dict[str, object] = {
    "rep_name": "", "rep_role": "", "rep_merchant": "", "rep_terminal": "", "rep_date": None,
    "rep_time": None, "rep_trace": "", "rep_rrn": "", "rep_amount": "", "rep_type": None,
    "rep_desc": "", "rep_evidence": "",
}

page = start("page.report", with_filters=False, about_cases=True)
t = page.t
who = page.viewer.who
st.caption(t("report.help"))


def values() -> reporting.FormValues:
    s = st.session_state
    return reporting.FormValues(
        reporter_name=s.get("rep_name") or "", reporter_role=s.get("rep_role") or "",
        merchant_id=s.get("rep_merchant") or "", terminal_id=s.get("rep_terminal") or "",
        txn_date=s.get("rep_date"), txn_clock=s.get("rep_time"),
        trace_no=s.get("rep_trace") or "", rrn=s.get("rep_rrn") or "",
        amount=s.get("rep_amount") or "", error_type=s.get("rep_type") or "",
        description=s.get("rep_desc") or "", evidence_ref=s.get("rep_evidence") or "")


def transaction() -> Transaction:
    """The snapshot's view of the reported transaction: its exceptions and earlier reports."""
    has_reports = data.has_table(page.snap, "main", "fct_error_reports")
    return reporting.transaction_of(values(), page.query, queries.REPORT_TRANSACTION,
                                    queries.REPORTS_ON_TRANSACTION if has_reports else None)


def submit(terminals: frozenset[str]) -> None:
    s = st.session_state
    filed = reporting.file_report(lambda: casework.writable_store(warehouse().root), values(),
                                  auth.current(), terminals=terminals,
                                  session_nonce=s.setdefault(NONCE, uuid.uuid4().hex),
                                  missing_time=t("report.err_time"), about=transaction)
    s[ERRORS] = filed.errors
    s.pop(FILED, None)
    if filed.case_id:
        s[FILED] = (filed.report_id, filed.case_id, filed.joined_state)
        for key, default in DEFAULTS.items():
            s[key] = default


def open_case(case_id: str) -> None:
    st.session_state["case_pick"] = case_id
    st.switch_page("views/cases.py", query_params={**url_params(), "case": case_id})


filed = st.session_state.get(FILED)
if filed:
    report_id, case_id, joined_state = filed
    if joined_state:
        st.warning(t("report.joined", report_id=report_id, case_id=case_id,
                     state=casework.state_term(page.lang, joined_state)))
    else:
        st.success(t("report.filed", report_id=report_id, case_id=case_id))
    if st.button(t("report.open_case"), key="rep_open_case"):
        st.session_state.pop(FILED, None)
        open_case(case_id)

terminals = frozenset(str(v) for v in page.query(queries.KNOWN_TERMINALS)["terminal_id"])
# A copy: each field takes its own error off it, what is left is shown under the form.
errors: dict[str, str] = dict(st.session_state.get(ERRORS) or {})


def problem(field: str) -> None:
    """The field's error right under it, in the check's own words."""
    if field in errors:
        st.error(messages.localize(page.lang, errors.pop(field)))


with st.form("report_form"):
    left, right = st.columns(2)
    with left:
        if who.logged_in:
            st.text_input(t("report.reporter_name"), value=who.name or "", disabled=True,
                          key="rep_name_fixed")
        else:
            st.text_input(t("report.reporter_name"), key="rep_name")
        problem("reporter_name")
        st.text_input(t("report.reporter_role"), key="rep_role",
                      placeholder=t("report.reporter_role_hint"))
        problem("reporter_role")
        st.text_input(t("report.terminal_id"), key="rep_terminal")
        problem("terminal_id")
        st.text_input(t("report.merchant_id"), key="rep_merchant")
        problem("merchant_id")
        when = st.columns(2)
        when[0].date_input(t("report.txn_date"), value=None, key="rep_date",
                           format="YYYY-MM-DD")
        when[1].time_input(t("report.txn_clock"), value=None, key="rep_time", step=60)
        problem("txn_time")
        st.text_input(t("report.amount"), key="rep_amount", placeholder="88.50")
        problem("amount")
        problem("currency")
    with right:
        st.selectbox(t("report.error_type"), reporting.ERROR_TYPES, index=None, key="rep_type",
                     format_func=lambda code: t(f"report.type.{code.lower()}"),
                     placeholder=t("report.choose_type"))
        problem("error_type")
        st.text_input(t("report.trace_no"), key="rep_trace", placeholder="000123")
        problem("trace_no")
        st.text_input(t("report.rrn"), key="rep_rrn")
        problem("rrn")
        st.text_area(t("report.description"), key="rep_desc", height=120)
        problem("description")
        st.text_input(t("report.evidence_ref"), key="rep_evidence",
                      placeholder=t("report.evidence_hint"))
        problem("evidence_ref")
    st.form_submit_button(t("report.submit"), type="primary", key="rep_submit", on_click=submit,
                          args=(terminals,))
    for field, message in errors.items():  # anything the form has no place for
        st.error(t("report.problem", field=t(f"report.{field}"),
                   message=messages.localize(page.lang, message)))
