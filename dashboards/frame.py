"""What every page starts with: the language, who is looking (and the login box), the snapshot
it reads, the sidebar filters, and their URL form (so that a link reproduces the view)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st

from posaudit.dashboards import access, auth, casework, data, display, exposure, i18n, queries
from posaudit.dashboards.access import Viewer
from posaudit.dashboards.connection import Snapshot, current_snapshot, warehouse
from posaudit.dashboards.filters import DIMENSIONS, Filters, Predicate

LANG_WIDGET = "w_lang"
PERIOD_WIDGET = "f_period"
# The URL as this session last set it: page navigation clears st.query_params.
URL_STATE = "_url_state"
LAST_SNAPSHOT = "_last_snapshot"
MANAGED = ("lang", "from", "to", *DIMENSIONS)

# Where each multi-value filter takes its choices from.
OPTION_SOURCES = {
    "merchant": ("mart_error_rates", "merchant_id"), "store": ("mart_error_rates", "store_id"),
    "terminal": ("mart_error_rates", "terminal_id"), "acquirer": ("mart_error_rates", "acquirer"),
    "channel": ("mart_error_rates", "channel"), "type": ("fct_exceptions", "exception_type"),
    "cause": ("fct_exceptions", "root_cause"),
}

# Filters whose options are codes: shown as the glossary's terms, kept as codes in the URL.
CODED_FILTERS = {"channel": "channel", "type": "exception_type", "cause": "root_cause"}


@dataclass(frozen=True)
class Page:
    snap: Snapshot
    lang: str
    filters: Filters
    viewer: Viewer = access.NOBODY

    def may(self, permission: str) -> bool:
        return self.viewer.may(permission)

    def t(self, key: str, **values: object) -> str:
        return i18n.t(self.lang, key, **values)

    def query(self, sql: str, params: list[object] | tuple[object, ...] = ()) -> pd.DataFrame:
        return data.query(self.snap, sql, params)

    def where(self, columns: Mapping[str, str], *, monthly: bool = False) -> Predicate:
        return self.filters.where(columns, monthly=monthly)

    def shows(self, figure: str, columns: Mapping[str, str]) -> bool:
        """Whether a figure whose source has ``columns`` honours every active filter. When it
        cannot, the figure is not drawn: a note says which one (``figure``, a label key) is
        hidden and by which filters, so that no figure looks filtered when it is not."""
        ignored = self.where(columns).ignored
        if ignored:
            names = ", ".join(self.t(f"filter.{n}") for n in ignored)
            st.caption(self.t("filters.hidden", figure=self.t(figure), names=names))
        return not ignored

    def fetch(self, template: str, columns: Mapping[str, str], *extra: object,
              monthly: bool = False, **parts: str) -> pd.DataFrame:
        """A filtered query: ``template`` with its ``{where}`` built from the filters."""
        return self.query(*_bind(self.where(columns, monthly=monthly), template, *extra, **parts))

    def loss(self, template: str, **parts: str) -> pd.DataFrame:
        """A loss figure (queries.LOSS_ITEMS): the exceptions as filtered, with the live case
        store's refunds, recoveries and write-offs, split by ``exposure.settings()``."""
        settings = exposure.settings()
        sql, params = _bind(self.where(queries.EXCEPTION_COLS), template, *settings.params(),
                            **parts)
        store = casework.existing_store(warehouse().root)
        return data.with_cases(self.snap, store, sql, params, settings.awaiting_params())


class FilterNotHonoured(RuntimeError):
    """A page queried a source for a figure that cannot honour an active filter (it should
    have asked ``Page.shows`` first)."""

    def __init__(self, filters: list[str]) -> None:
        super().__init__(f"the source cannot be filtered by {', '.join(filters)}")
        self.filters = filters


def _bind(predicate: Predicate, template: str, *extra: object,
          **parts: str) -> tuple[str, list[object]]:
    if predicate.ignored:  # a figure that cannot honour a filter must not be drawn
        raise FilterNotHonoured(predicate.ignored)
    return predicate.bind(template, *extra, **parts)


def url_params() -> dict[str, str]:
    """The query parameters, restored from this session when a page switch cleared them."""
    params = {k: st.query_params[k] for k in st.query_params}
    saved = st.session_state.get(URL_STATE)
    if not params and saved:
        st.query_params.from_dict(saved)
        return dict(saved)
    return params


def set_param(key: str, value: str | None) -> None:
    """Set (or drop) one page-specific parameter in the URL and the session's copy."""
    params = url_params()
    if value:
        params[key] = value
    else:
        params.pop(key, None)
    _write_url(params)


def language() -> str:
    chosen = st.session_state.get(LANG_WIDGET) or url_params().get("lang")
    return chosen if chosen in i18n.LANGUAGES else i18n.DEFAULT


def start(title_key: str, *, with_filters: bool = True, about_cases: bool = False) -> Page:
    """Render the sidebar and the page title; return what the page needs to render.
    ``about_cases``: the login box says so even when there is nobody to log in."""
    params = url_params()
    lang = language_selector(params)
    viewer = access.viewer()
    auth.sidebar(lang, explain_no_users=about_cases)
    snap = current_snapshot()
    filters = _filter_widgets(snap, lang, params) if with_filters else Filters.from_params(params)
    managed = {"lang": lang} if lang != i18n.DEFAULT else {}
    managed.update(filters.to_params())
    _write_url({**{k: v for k, v in params.items() if k not in MANAGED}, **managed})
    page = Page(snap, lang, filters, viewer)
    st.title(page.t(title_key))
    _snapshot_caption(page)
    return page


def _write_url(params: dict[str, str]) -> None:
    current = {k: st.query_params[k] for k in st.query_params}
    if current != params:
        st.query_params.from_dict(params)
    st.session_state[URL_STATE] = dict(params)


def language_selector(params: Mapping[str, str]) -> str:
    wanted = st.session_state.get(LANG_WIDGET) or params.get("lang")
    keep(LANG_WIDGET, wanted if wanted in i18n.LANGUAGES else i18n.DEFAULT)
    lang = st.session_state[LANG_WIDGET]
    st.sidebar.selectbox(i18n.t(lang, "language"), list(i18n.LANGUAGES), key=LANG_WIDGET,
                         format_func=lambda code: i18n.LANGUAGES[code])
    return str(st.session_state[LANG_WIDGET])


def _snapshot_caption(page: Page) -> None:
    previous = st.session_state.get(LAST_SNAPSHOT)
    if previous and previous != page.snap.snapshot_id:
        st.toast(page.t("snapshot.moved", old=previous, new=page.snap.snapshot_id))
    st.session_state[LAST_SNAPSHOT] = page.snap.snapshot_id
    st.caption(page.t("snapshot.showing", snapshot=page.snap.snapshot_id))
    st.sidebar.caption(page.t("snapshot.showing", snapshot=page.snap.snapshot_id))


def _filter_widgets(snap: Snapshot, lang: str, params: Mapping[str, str]) -> Filters:
    wanted = Filters.from_params(params)
    sidebar = st.sidebar
    sidebar.header(i18n.t(lang, "filters"))
    bounds = data.query(snap, queries.DATE_RANGE)
    first, last = bounds.iloc[0]["first"], bounds.iloc[0]["last"]
    start = end = None
    if pd.notna(first) and pd.notna(last):
        first, last = _as_date(first), _as_date(last)
        lo = min(max(wanted.start or first, first), last)
        hi = max(min(wanted.end or last, last), lo)
        keep(PERIOD_WIDGET, (lo, hi))
        chosen = sidebar.date_input(i18n.t(lang, "filter.period"), min_value=first,
                                    max_value=last, key=PERIOD_WIDGET)
        picked = tuple(chosen) if isinstance(chosen, tuple | list) else (chosen,)
        if len(picked) == 2:
            start = picked[0] if picked[0] != first else None
            end = picked[1] if picked[1] != last else None
        else:  # half-picked range: keep what the URL said until the second date comes
            start, end = wanted.start, wanted.end
    dimensions: dict[str, tuple[str, ...]] = {}
    for name in DIMENSIONS:
        table, column = OPTION_SOURCES[name]
        options = data.query(snap, queries.DIMENSION_VALUES.format(table=table, column=column))
        choices = [str(v) for v in options["value"]]
        key = f"f_{name}"
        keep(key, list(getattr(wanted, name)))
        # A new snapshot may no longer hold a value the session or the link chose.
        st.session_state[key] = [v for v in st.session_state[key] if v in choices]
        kind = CODED_FILTERS.get(name)
        dimensions[name] = tuple(sidebar.multiselect(
            i18n.t(lang, f"filter.{name}"), choices, key=key,
            placeholder=i18n.t(lang, "filters.placeholder"),
            format_func=(lambda code, kind=kind: display.term(lang, kind, code)) if kind
            else str))
    sidebar.button(i18n.t(lang, "filters.clear"), on_click=_clear_filters)
    return Filters(start=start, end=end, **dimensions)


def keep(key: str, value: object) -> None:
    """Keep a widget's value across pages (each page's widget is a new one to Streamlit):
    a value the session already holds wins, else the URL's."""
    st.session_state[key] = st.session_state.get(key, value)


def _clear_filters() -> None:
    for name in (PERIOD_WIDGET, *(f"f_{n}" for n in DIMENSIONS)):
        st.session_state.pop(name, None)
    saved = st.session_state.get(URL_STATE) or {}
    st.session_state[URL_STATE] = {k: v for k, v in saved.items()
                                   if k not in MANAGED or k == "lang"}
    for key in ("from", "to", *DIMENSIONS):
        st.query_params.pop(key, None)


def _as_date(value: str | date) -> date:
    return pd.Timestamp(value).date()
