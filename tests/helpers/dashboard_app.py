"""The dashboard under Streamlit's AppTest: its pages, the test users and their login, and the
release of the connections it caches."""

from __future__ import annotations

import gc
from decimal import Decimal
from pathlib import Path

import duckdb
import streamlit as st
from streamlit.testing.v1 import AppTest

from posaudit.cases import lifecycle, roles
from posaudit.cases.store import Store, cases_path
from posaudit.pipeline.warehouse import Warehouse
from tests.helpers.paths import ROOT

APP = str(ROOT / "dashboards" / "app.py")
PAGES = {
    "overview": ("views/overview.py", "Overview"),
    "error_rates": ("views/error_rates.py", "Error rates"),
    "root_cause": ("views/root_cause.py", "Root cause"),
    "loss": ("views/loss.py", "Loss assessment"),
    "reconciliation": ("views/reconciliation.py", "Reconciliation"),
    "exceptions": ("views/exceptions.py", "Exceptions explorer"),
    "cases": ("views/cases.py", "Cases"),
    "report": ("views/report.py", "Report an error"),
    "data_quality": ("views/data_quality.py", "Data quality"),
    "sql": ("views/sql.py", "SQL"),
}

# Dashboard users of the case tests: name -> role; each one's password is "pw-" + name.
USERS = {"olga": roles.OPERATOR, "alice": roles.APPROVER, "bob": roles.APPROVER,
         "aud": roles.AUDITOR}


def release_connections() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()
    gc.collect()  # the last reference to a cached connection closes it


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def password(name: str) -> str:
    return f"pw-{name}"


def login(at: AppTest, name: str, secret: str | None = None) -> AppTest:
    at.text_input(key="auth_name").input(name)
    at.text_input(key="auth_password").input(password(name) if secret is None else secret)
    return at.button(key="auth_submit").click().run()


def case_store(root: Path) -> Store:
    return Store(cases_path(root))


def duplicate_charge_cases(root: Path, n: int) -> list[tuple[str, str, Decimal]]:
    """(case_id, exception_id, exposure) of ``n`` OPEN duplicate-charge cases whose exception
    nothing has recovered yet, largest exposure first."""
    release_connections()  # DuckDB allows one configuration per file and process
    snap = Warehouse.at(root).current_snapshot()
    with duckdb.connect(str(snap), read_only=True) as con:
        exposures = dict(con.execute(
            "select exception_id, exposure_amount from fct_exceptions "
            "where exception_type = 'DUPLICATE_CHARGE' and recovered_amount = 0 "
            "and exposure_amount > 0").fetchall())
    cases = [c for c in lifecycle.list_cases(case_store(root), "OPEN")
             if c["exception_id"] in exposures]
    cases.sort(key=lambda c: exposures[c["exception_id"]], reverse=True)
    assert len(cases) >= n, "the generated data has too few duplicate charges"
    return [(c["case_id"], c["exception_id"], exposures[c["exception_id"]]) for c in cases[:n]]
