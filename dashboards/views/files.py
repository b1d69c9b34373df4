"""Files: the manifest of every landing file and why any was quarantined."""

import streamlit as st

from dashboards import queries
from dashboards.connection import run

st.title("Landing files")
quarantined = run(queries.QUARANTINED_FILES)
st.subheader(f"Quarantined ({len(quarantined)})")
if quarantined.empty:
    st.success("No file is quarantined.")
else:
    st.dataframe(quarantined, hide_index=True, width="stretch")

st.subheader("Manifest")
manifest = run(queries.MANIFEST)
st.dataframe(manifest, hide_index=True, width="stretch")
st.download_button("Download CSV", manifest.to_csv(index=False).encode("utf-8"),
                   file_name="file_manifest.csv", mime="text/csv")
