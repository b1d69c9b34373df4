"""Dashboard fixtures: AppTest on the session's built warehouse, and a direct read-only
connection to the same snapshot for checking figures against the marts."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator

import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboards.connection import CONFIG
from posaudit.warehouse import Warehouse
from tests.conftest import ROOT, Built

APP = str(ROOT / "dashboards" / "app.py")
PAGES = {
    "overview": ("views/overview.py", "Overview"),
    "error_rates": ("views/error_rates.py", "Error rates"),
    "root_cause": ("views/root_cause.py", "Root cause"),
    "loss": ("views/loss.py", "Loss assessment"),
    "reconciliation": ("views/reconciliation.py", "Reconciliation"),
    "exceptions": ("views/exceptions.py", "Exceptions explorer"),
    "data_quality": ("views/data_quality.py", "Data quality"),
    "sql": ("views/sql.py", "SQL"),
}


@pytest.fixture(autouse=True)
def _release_connections() -> Iterator[None]:
    """Close the dashboard's cached connections after each test: other tests open the same
    snapshot with another configuration, which DuckDB refuses while one is open."""
    yield
    release_connections()


def release_connections() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()
    gc.collect()  # the last reference to a cached connection closes it


@pytest.fixture
def make_app(built: Built, monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    monkeypatch.setenv("POSAUDIT_WAREHOUSE", str(built.warehouse))

    def make(page: str = "overview", **params: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=120)
        at.query_params.update(params)
        at.run()
        if page != "overview":
            at.switch_page(PAGES[page][0])
            at.query_params.update(params)
            at.run()
        return at

    return make


@pytest.fixture
def snapshot(built: Built) -> Iterator[duckdb.DuckDBPyConnection]:
    path = Warehouse.at(built.warehouse).current_snapshot()
    # The dashboard's own configuration: DuckDB shares one instance per file and setting.
    with duckdb.connect(str(path), read_only=True, config=dict(CONFIG)) as con:
        yield con


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}
