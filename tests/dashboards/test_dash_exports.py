"""Exports: CSV and Excel bytes that open, the audit workpaper's sheets, and no card number
on the way out."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import duckdb
import openpyxl
import pandas as pd
import pytest

from dashboards import exports, workpaper
from dashboards.filters import Filters
from posaudit.privacy import find_card_numbers
from posaudit.warehouse import Warehouse
from tests.conftest import Built

# A Luhn-valid test card number, as it could appear in free text.
PAN = "6222021234567894"


def test_csv_round_trips_and_scrubs_card_numbers() -> None:
    df = pd.DataFrame({"id": ["a", "b"], "memo": [f"card {PAN} refunded", "退款"],
                       "amount": [1.5, 2.25]})
    data = exports.to_csv(df)
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert list(back.columns) == ["id", "memo", "amount"]
    assert back["memo"][1] == "退款"
    assert PAN not in data.decode("utf-8-sig")
    assert "622202******7894" in data.decode("utf-8-sig")


def test_xlsx_opens_with_openpyxl_and_drops_time_zones() -> None:
    df = pd.DataFrame({"at": pd.to_datetime([datetime(2026, 10, 1, 8, tzinfo=UTC)]),
                       "evidence": [{"rule": "x", "events": ["ERROR 2026-10-01"]}],
                       "memo": [PAN]})
    book = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx({"a sheet": df})))
    sheet = book["a sheet"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("at", "evidence", "memo")
    assert '"rule": "x"' in rows[1][1]
    assert rows[1][2] != PAN


@pytest.mark.slow
def test_workpaper_has_its_sheets_and_ties_to_the_marts(built: Built) -> None:
    from dashboards.connection import CONFIG

    path = Warehouse.at(built.warehouse).current_snapshot()
    with duckdb.connect(str(path), read_only=True, config=dict(CONFIG)) as con:
        def fetch(sql: str, params: list[object]) -> pd.DataFrame:
            return con.execute(sql, params).df()

        data = workpaper.build(fetch, path.stem, Filters())
        n_exceptions, = con.execute("select count(*) from fct_exceptions").fetchone()  # type: ignore[misc]
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == list(workpaper.SHEETS)
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["snapshot"] == path.stem
    assert summary["exceptions"] == str(n_exceptions)
    assert book["Exceptions"].max_row == n_exceptions + 1
    header = [c.value for c in book["Exceptions"][1]]
    assert "root_cause_evidence" in header
    record = {r[0]: r[1] for r in book["Run record"].iter_rows(min_row=2, values_only=True)}
    assert record["snapshot_id"] == path.stem
    text = " ".join(str(c) for s in book for row in s.iter_rows(values_only=True)
                    for c in row if c is not None)
    assert not find_card_numbers(text)
