"""Data quality: check results per run, what waits for a missing source file, quarantined
files and why, and the Data Docs site."""

import streamlit as st

from posaudit.dashboards import data, data_docs, display, queries
from posaudit.dashboards.connection import warehouse
from posaudit.dashboards.frame import start
from posaudit.dashboards.widgets import table

page = start("page.data_quality", with_filters=False)
t = page.t

runs = page.query(queries.DQ_RUNS)
st.subheader(t("dq.runs"))
table(page, runs, "dq_runs")

st.subheader(t("dq.latest_failures"))
failures = page.query(queries.DQ_LATEST_FAILURES)
if failures.empty:
    st.success(t("dq.all_passed"))
else:
    table(page, failures, "dq_latest_failures")

with st.expander(t("dq.all_results")):
    table(page, page.query(queries.DQ_RESULTS), "dq_check_results")

st.subheader(t("dq.pending"))
if not data.has_table(page.snap, "main", "mart_pending_sources"):
    st.caption(t("dq.pending_absent"))
else:
    by_source = page.query(queries.PENDING_BY_SOURCE)
    gaps = by_source[by_source["gaps"] > 0]
    if gaps.empty:
        st.success(t("dq.no_gaps"))
    for _, r in gaps.iterrows():
        st.warning(t("dq.gap", source=display.term(page.lang, "source", r["source"]),
                     gaps=display.count(r["gaps"]), items=display.count(r["waiting_items"]),
                     amount=display.amount(r["waiting_amount"]),
                     days=display.count(r["days_overdue"])))
    st.caption(t("dq.pending_help"))
    table(page, page.query(queries.PENDING_SOURCES), "pending_sources")

st.subheader(t("dq.files"))
by_status = page.query(queries.FILES_BY_STATUS)
cols = st.columns(max(len(by_status), 1))
for col, (_, r) in zip(cols, by_status.iterrows(), strict=False):
    col.metric(t("dq.files_status", status=display.term(page.lang, "file_status", r["status"])),
               display.count(r["files"]), t("dq.rows", n=display.count(r["rows_loaded"])))
quarantined = page.query(queries.QUARANTINED_FILES)
st.markdown(f"**{t('dq.quarantined', n=display.count(len(quarantined)))}**")
if quarantined.empty:
    st.success(t("dq.no_quarantine"))
else:
    table(page, quarantined, "quarantined_files")
with st.expander(t("dq.manifest")):
    table(page, page.query(queries.MANIFEST), "file_manifest")

st.subheader(t("dq.docs"))
docs = warehouse().data_docs_index
site = docs.parent
doc_pages = {p.path: p for p in data_docs.pages(site)}
zone = display.merchant_zone()


def doc_label(path: str) -> str:
    doc = doc_pages[path]
    if doc.kind == data_docs.VALIDATION:
        return t("dq.docs_page_validation", name=doc.name,
                 at=display.local_time(doc.run_time, zone, seconds=False))
    if doc.kind == data_docs.SUITE:
        return t("dq.docs_page_suite", name=doc.name)
    return t("dq.docs_page_index")


if not doc_pages:
    st.info(t("dq.docs_missing", path=str(docs)))
else:
    # Served from the warehouse through this page (behind its login), never as a file link.
    chosen_doc = st.selectbox(t("dq.docs_page"), list(doc_pages), key="dq_docs_page",
                              format_func=doc_label)
    st.caption(t("dq.docs_help", zone=display.zone_label(zone)))
    rendered = data_docs.render(site, chosen_doc)
    if rendered is not None:
        st.iframe(rendered, height=900)
