"""Overview: what the published snapshot holds and how the last refresh went."""

import streamlit as st

from dashboards import queries
from dashboards.connection import current_snapshot, run

snap = current_snapshot()
st.title("posaudit · Overview")
st.caption(f"Snapshot {snap.snapshot_id}")

last = run(queries.LAST_RUN)
if not last.empty:
    row = last.iloc[0]
    c1, c2, c3 = st.columns(3)
    c1.metric("Last refresh", str(row["outcome"]))
    c2.metric("Finished", str(row["finished_at"])[:19])
    c3.metric("Exit code", int(row["exit_code"]))

by_status = run(queries.FILES_BY_STATUS)
cols = st.columns(max(len(by_status), 1))
for col, (_, r) in zip(cols, by_status.iterrows(), strict=False):
    col.metric(f"Files {r['status']}", int(r["files"]), f"{int(r['rows_loaded']):,} rows")

st.subheader("Files by layout")
st.dataframe(run(queries.FILES_BY_LAYOUT), hide_index=True, width="stretch")
