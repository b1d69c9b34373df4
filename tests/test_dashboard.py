"""The dashboard through Streamlit's AppTest, on a real published snapshot."""

from __future__ import annotations

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from posaudit.warehouse import Warehouse
from tests.conftest import ROOT, Built

APP = str(ROOT / "dashboards" / "app.py")


@pytest.fixture
def app(built: Built, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("POSAUDIT_WAREHOUSE", str(built.warehouse))
    return AppTest.from_file(APP, default_timeout=60)


def test_overview_numbers_equal_the_manifest(app: AppTest, built: Built) -> None:
    app.run()
    assert not app.exception, app.exception
    snap = Warehouse.at(built.warehouse).current_snapshot()
    with duckdb.connect(str(snap), read_only=True) as con:
        loaded = con.execute(
            "select count(*) from main.file_manifest where status = 'LOADED'").fetchone()[0]  # type: ignore[index]
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Files LOADED"] == str(loaded)
    assert metrics["Last refresh"].startswith("PUBLISHED")
    assert snap.stem in app.caption[0].value


def test_files_page_renders_the_manifest(app: AppTest) -> None:
    app.run()
    app.switch_page("views/files.py").run()
    assert not app.exception, app.exception
    assert app.title[0].value == "Landing files"
    assert len(app.dataframe) >= 1
