"""posaudit dashboards: this file only routes."""

import streamlit as st

from posaudit.dashboards import access, gate, i18n
from posaudit.dashboards.frame import language

PAGES = [("views/overview.py", "page.overview", "overview"),
         ("views/error_rates.py", "page.error_rates", "error-rates"),
         ("views/root_cause.py", "page.root_cause", "root-cause"),
         ("views/loss.py", "page.loss", "loss"),
         ("views/reconciliation.py", "page.reconciliation", "reconciliation"),
         ("views/exceptions.py", "page.exceptions", "exceptions"),
         ("views/cases.py", "page.cases", "cases"),
         ("views/report.py", "page.report", "report"),
         ("views/data_quality.py", "page.data_quality", "data-quality"),
         ("views/sql.py", "page.sql", "sql")]

st.set_page_config(page_title="posaudit", layout="wide")
lang = language()
viewer = access.viewer()
# The page list stays hidden from anyone not admitted; the URL still names the page they get
# once logged in.
page = st.navigation([st.Page(path, title=i18n.t(lang, key), url_path=url, default=i == 0)
                      for i, (path, key, url) in enumerate(PAGES)],
                     position="sidebar" if viewer.admitted else "hidden")
if not viewer.admitted:
    gate.login_page(viewer)
page.run()
