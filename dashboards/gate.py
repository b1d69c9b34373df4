"""The door in front of every page: where a login is required, a visitor who is not admitted
sees the login form and nothing else — no figures, no tables, no query run."""

from __future__ import annotations

from typing import NoReturn

import streamlit as st

from posaudit.dashboards import access, auth, i18n
from posaudit.dashboards.frame import language_selector, url_params


def login_page(viewer: access.Viewer) -> NoReturn:
    """Render the login page for a viewer who is not admitted, and stop the run there."""
    lang = language_selector(url_params())
    st.title(i18n.t(lang, "gate.title"))
    if viewer.who.logged_in:  # single sign-on account the users file does not name
        st.warning(i18n.t(lang, "gate.unregistered", name=viewer.who.name))
        auth.logout_button(st.container(), lang, viewer.who)
    else:
        st.caption(i18n.t(lang, "gate.help"))
        auth.login_form(st.container(border=True), lang)
        st.caption(i18n.t(lang, "gate.reports"))
    st.stop()
    raise AssertionError("st.stop() returned")  # only outside a Streamlit run
