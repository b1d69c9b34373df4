"""posaudit dashboards: this file only routes."""

import sys
from pathlib import Path

import streamlit as st

# `streamlit run` puts this folder, not the project, on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

st.set_page_config(page_title="posaudit", layout="wide")
page = st.navigation([
    st.Page("views/overview.py", title="Overview", default=True),
    st.Page("views/files.py", title="Landing files", url_path="files"),
])
page.run()
