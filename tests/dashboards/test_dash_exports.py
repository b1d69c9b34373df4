"""Exports: CSV and Excel bytes that open, the audit workpaper's sheets, no card number on the
way out, and nothing at all for a viewer whose role may not read transaction-level data."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import openpyxl
import pandas as pd
import pytest

from posaudit.cases import roles
from posaudit.dashboards import case_outcomes, casework, exports, exposure, queries, workpaper
from posaudit.dashboards.access import AccessDenied, Viewer
from posaudit.dashboards.auth import ANONYMOUS, PASSWORD, Identity
from posaudit.dashboards.filters import Filters
from posaudit.pipeline.warehouse import Warehouse
from posaudit.privacy import find_card_numbers
from tests.helpers.cli import Built
from tests.helpers.rows import one_row

# A Luhn-valid test card number, as it could appear in free text.
PAN = "6222021234567894"
AUDITOR = Viewer(Identity("aud", roles.AUDITOR, PASSWORD), login_required=True)


def test_csv_round_trips_and_scrubs_card_numbers() -> None:
    df = pd.DataFrame({"id": ["a", "b"], "memo": [f"card {PAN} refunded", "退款"],
                       "amount": [1.5, 2.25]})
    data = exports.to_csv(df, AUDITOR)
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert list(back.columns) == ["id", "memo", "amount"]
    assert back["memo"][1] == "退款"
    assert PAN not in data.decode("utf-8-sig")
    assert "622202******7894" in data.decode("utf-8-sig")


def test_xlsx_opens_with_openpyxl_and_drops_time_zones() -> None:
    df = pd.DataFrame({"at": pd.to_datetime([datetime(2026, 10, 1, 8, tzinfo=UTC)]),
                       "evidence": [{"rule": "x", "events": ["ERROR 2026-10-01"]}],
                       "memo": [PAN]})
    book = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx({"a sheet": df}, AUDITOR)))
    sheet = book["a sheet"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("at", "evidence", "memo")
    evidence = rows[1][1]
    assert isinstance(evidence, str) and '"rule": "x"' in evidence
    assert rows[1][2] != PAN


@pytest.mark.slow
def test_workpaper_has_its_sheets_and_ties_to_the_marts(built: Built) -> None:
    from posaudit.dashboards.connection import open_snapshot

    path = Warehouse.at(built.warehouse).current_snapshot()
    with open_snapshot(str(path), []) as con:
        # The case outcomes the loss split reads, as the Overview registers them.
        con.register(case_outcomes.FRAME,
                     case_outcomes.outcomes(casework.existing_store(built.warehouse)))
        con.register(exposure.AWAITING_FRAME, con.execute(
            queries.AWAITING_SOURCE, list(exposure.settings().awaiting_params())).df())

        def fetch(sql: str, params: list[object]) -> pd.DataFrame:
            return con.execute(sql, params).df()

        data = workpaper.build(fetch, path.stem, Filters(), AUDITOR)
        n_exceptions, = one_row(con, "select count(*) from fct_exceptions")
        by_type = workpaper.frames(fetch, path.stem, Filters(type=("ONE_SIDED",)))["Summary"]
        exposure_total, = one_row(con, "select coalesce(sum(exposure_amount), 0) "
                                  "from fct_exceptions")
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == list(workpaper.SHEETS)
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["snapshot"] == path.stem
    assert summary["exceptions"] == n_exceptions
    # The Overview's split: its parts add up to the exposure; volumes only where they apply.
    assert round(sum(float(str(summary[part])) for part in exposure.PARTS), 2) == round(
        float(str(summary["exposure_amount"])), 2)
    assert "transactions" in summary and "transactions" not in set(by_type["item"])
    # Figures are stored as numbers, labels as text.
    cells = {r[0].value: r[1] for r in book["Summary"].iter_rows(min_row=2)}
    for item in ("transactions", "declines", "exceptions", "exposure_amount", *exposure.PARTS,
                 "net_loss", "open_items", "dq_results", "dq_failed"):
        assert cells[item].data_type == "n" and isinstance(cells[item].value, int | float), item
    assert cells["snapshot"].data_type == "s" and cells["filters"].value == "none"
    assert summary["exposure_amount"] == pytest.approx(float(exposure_total), abs=0.005)
    assert book["Exceptions"].max_row == n_exceptions + 1
    header = [c.value for c in book["Exceptions"][1]]
    assert "root_cause_evidence" in header
    record = {r[0]: r[1] for r in book["Run record"].iter_rows(min_row=2, values_only=True)}
    assert record["snapshot_id"] == path.stem
    text = " ".join(str(c) for s in book for row in s.iter_rows(values_only=True)
                    for c in row if c is not None)
    assert not find_card_numbers(text)


def test_every_export_refuses_a_viewer_without_transaction_reading() -> None:
    df = pd.DataFrame({"id": ["a"]})
    queried: list[str] = []

    def fetch(sql: str, params: list[object]) -> pd.DataFrame:
        queried.append(sql)
        return df

    refused = {
        "anonymous, login required": Viewer(ANONYMOUS, login_required=True),
        "operator": Viewer(Identity("olga", roles.OPERATOR, PASSWORD), login_required=True),
        "operator, login optional": Viewer(Identity("olga", roles.OPERATOR, PASSWORD),
                                           login_required=False),
        "unregistered single sign-on": Viewer(
            Identity("who@example.com", roles.AUDITOR, "oidc", registered=False),
            login_required=True),
    }
    for name, viewer in refused.items():
        for export in (lambda v: exports.to_csv(df, v),
                       lambda v: exports.to_xlsx({"s": df}, v),
                       lambda v: workpaper.build(fetch, "snap", Filters(), v)):
            with pytest.raises(AccessDenied, match="read_transactions refused"):
                export(viewer)
            assert not queried, f"{name}: the workpaper ran a query before refusing"
    # Where login is optional, nobody logged in reads as an auditor does.
    assert exports.to_csv(df, Viewer(ANONYMOUS, login_required=False))
    for role in (roles.AUDITOR, roles.APPROVER, roles.ADMIN):
        assert exports.to_csv(df, Viewer(Identity("x", role, PASSWORD), login_required=True))
