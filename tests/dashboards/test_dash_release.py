"""Once the dashboard lets its cached connection go, the snapshot opens with another
configuration again (DuckDB refuses that while one is open; `posaudit sql` opens it so)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from posaudit.pipeline.warehouse import Warehouse
from posaudit.sql import query
from tests.helpers.cli import Built
from tests.helpers.dashboard_app import release_connections

pytestmark = pytest.mark.slow


def test_posaudit_sql_reads_the_snapshot_after_the_dashboard(
        make_app: Callable[..., AppTest], built: Built) -> None:
    assert not make_app("overview").exception
    release_connections()
    frame = query(Warehouse.at(built.warehouse), "select count(*) as n from fct_exceptions")
    assert frame["n"][0] > 0
