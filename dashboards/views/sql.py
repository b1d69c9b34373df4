"""SQL for analysts: one read-only SELECT at a time on the snapshot, within limits, with the
marts' documentation beside it and this session's history below. Only for a role that may read
transaction-level data; anyone else is told so, and nothing runs."""

from datetime import datetime

import pandas as pd
import streamlit as st

from posaudit.cases.roles import READ_TRANSACTIONS
from posaudit.dashboards import access, data, display, sql_guard
from posaudit.dashboards.connection import cursor_on, warehouse
from posaudit.dashboards.frame import start
from posaudit.dashboards.widgets import table

HISTORY = "sql_history"
LIMITS = sql_guard.Limits()
# The editor in a monospace font: SQL lines up as it is typed. Streamlit marks each widget's
# container with its key (st-key-<key>).
EDITOR_KEY = "sql_text"
EDITOR_STYLE = (f"<style>.st-key-{EDITOR_KEY} textarea {{font-family: 'Source Code Pro', "
                "'DejaVu Sans Mono', 'Noto Sans Mono CJK SC', monospace;}}</style>")
EXAMPLE = ("select root_cause, exception_type, count(*) as exceptions, "
           "sum(net_loss) as net_loss\nfrom fct_exceptions group by all order by net_loss desc")

page = start("page.sql", with_filters=False)
t = page.t
if not page.may(READ_TRANSACTIONS):
    allowed = access.roles_granting(READ_TRANSACTIONS)
    st.warning(t("sql.not_allowed", role=t(f"role.{page.viewer.who.role}"),
                 roles=" / ".join(t(f"role.{r}") for r in allowed)))
    st.stop()
st.caption(t("sql.limits", seconds=f"{LIMITS.seconds:g}", rows=display.count(LIMITS.rows)))

st.markdown(EDITOR_STYLE, unsafe_allow_html=True)
editor, docs = st.columns([3, 2])
with editor:
    sql = st.text_area(t("sql.query"), value=EXAMPLE, height=180, key=EDITOR_KEY)
    if st.button(t("sql.run"), type="primary", key="sql_run"):
        cursor = cursor_on(page.snap)
        try:
            outcome = sql_guard.run(cursor, sql, LIMITS)
        finally:
            cursor.close()
        st.session_state.setdefault(HISTORY, []).insert(0, {
            "at": datetime.now(display.merchant_zone()).strftime("%H:%M:%S"),
            "snapshot": page.snap.snapshot_id,
            "sql": sql, "rows": None if outcome.frame is None else len(outcome.frame),
            "seconds": round(outcome.seconds, 3),
            "result": "ok" if outcome.refusal is None else outcome.refusal.kind,
        })
        st.session_state["sql_outcome"] = outcome
    last: sql_guard.Outcome | None = st.session_state.get("sql_outcome")
    if last is not None:
        if last.refusal is not None:
            st.error(t(f"sql.refused.{last.refusal.kind}", detail=last.refusal.detail))
        else:
            assert last.frame is not None  # a query that was not refused has its rows
            if last.truncated:
                st.warning(t("sql.truncated", rows=display.count(LIMITS.rows)))
            st.caption(t("sql.ran", rows=display.count(len(last.frame)),
                         seconds=f"{last.seconds:.3f}"))
            table(page, last.frame, "sql_result")

with docs:
    st.markdown(f"**{t('sql.schema')}**")
    models = data.mart_docs(warehouse().dbt_dir)
    if not models:
        st.info(t("sql.no_docs"))
    for model in models:
        with st.expander(f"`{model.name}`"):  # a table name, set as code
            st.caption(model.description)
            table(page, pd.DataFrame(model.columns, columns=["column", "description"]),
                  f"docs_{model.name}")

st.subheader(t("sql.history"))
history = st.session_state.get(HISTORY, [])
if history:
    table(page, pd.DataFrame(history), "sql_history")
else:
    st.caption(t("sql.no_history"))
