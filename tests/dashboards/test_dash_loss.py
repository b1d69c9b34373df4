"""One filter state for every figure, and loss that means what it says: under five filter
combinations every KPI of Overview, Loss and Error rates equals SQL over the marts written
here on its own; a figure that cannot honour a filter is not shown; a write-off approved in
the case store counts at once, in the same snapshot."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from posaudit.cases import lifecycle
from posaudit.dashboards import display
from posaudit.dashboards.exposure import AGEING_ENV
from posaudit.pipeline.warehouse import Warehouse
from tests.helpers.dashboard_app import PAGES, case_store, duplicate_charge_cases, metrics
from tests.helpers.paths import ROOT
from tests.helpers.rows import one_row

pytestmark = pytest.mark.slow

VARS: dict[str, Any] = yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]
# Small enough that the session's ten days hold exceptions past it.
AGEING_DAYS = 5
# URL filter name -> the column of fct_exceptions and mart_error_rates it selects.
COLUMN = {"merchant": "merchant_id", "store": "store_id", "terminal": "terminal_id",
          "acquirer": "acquirer", "channel": "channel", "type": "exception_type",
          "cause": "root_cause"}


@dataclass(frozen=True)
class Combo:
    """One filter combination: dimension values and an optional period."""

    values: dict[str, str]
    start: date | None = None
    end: date | None = None

    def params(self) -> dict[str, str]:
        out = dict(self.values)
        if self.start:
            out["from"] = self.start.isoformat()
        if self.end:
            out["to"] = self.end.isoformat()
        return out

    def where(self, date_column: str = "business_date") -> tuple[str, list[object]]:
        clauses = [f"{COLUMN[k]} = ?" for k in self.values]
        args: list[object] = list(self.values.values())
        if self.start:
            clauses.append(f"{date_column} >= ?")
            args.append(self.start)
        if self.end:
            clauses.append(f"{date_column} <= ?")
            args.append(self.end)
        return " and ".join(clauses) or "true", args

    @property
    def splits_by_exception(self) -> bool:
        return "type" in self.values or "cause" in self.values


def combos(con: duckdb.DuckDBPyConnection) -> list[Combo]:
    first, last = one_row(con, "select min(business_date), max(business_date) "
                               "from mart_error_rates")
    terminal, kind = one_row(con, """
        select terminal_id, exception_type from fct_exceptions where terminal_id is not null
        group by all order by count(*) desc, 1, 2 limit 1""")
    # The merchant and cause of the newest missing deposit: one that still waits for its bank
    # statement, so that the pending part is exercised too.
    merchant, cause = one_row(con, """
        select merchant_id, root_cause from fct_exceptions
        where exception_type = 'MISSING_DEPOSIT' order by business_date desc, 1 limit 1""")
    acquirer, channel = one_row(con, """
        select acquirer, channel from fct_exceptions where acquirer is not null
          and channel is not null group by all order by count(*) desc, 1, 2 limit 1""")
    store, = one_row(con, """
        select store_id from fct_exceptions where store_id is not null
        group by all order by count(*) desc, 1 limit 1""")
    return [
        Combo({}, first + timedelta(days=2), last - timedelta(days=2)),
        Combo({"terminal": terminal, "type": kind}),
        Combo({"merchant": merchant, "cause": cause}),
        Combo({"acquirer": acquirer, "channel": channel}),
        Combo({"store": store}, first + timedelta(days=3)),
    ]


def loss_expected(con: duckdb.DuckDBPyConnection, combo: Combo) -> dict[str, str]:
    """The split, exception by exception: the snapshot's case outcomes (the session's case
    store has recorded no money yet, so they are the live ones) and the sources' coverage."""
    where, args = combo.where()
    rows = con.execute(f"""
        select e.exposure_amount, e.recovered_amount, e.age_days, e.status,
               coalesce(c.refunded_amount, 0) + coalesce(c.recovered_amount, 0),
               coalesce(c.written_off_amount, 0), c.case_state,
               case e.exception_type
                   when 'MISSING_DEPOSIT' then bank.covered_through <= e.business_date + ?::int
                   when 'MISSING_IN_SETTLEMENT'
                       then files.covered_through <= t.expected_settlement_date + ?::int
                   else false end
        from (select * from fct_exceptions where {where}) as e
        left join intermediate.int_cases_summarised as c on c.exception_id = e.exception_id
        left join intermediate.int_bank_coverage as bank on bank.merchant_id = e.merchant_id
        left join fct_transactions as t on t.journal_line_id = e.journal_line_id
        left join intermediate.int_settlement_coverage as files
            on files.acquirer = t.acquirer and files.merchant_id = t.settlement_merchant_id
        """, [VARS["deposit_grace_days"], VARS["settlement_grace_days"],
                           *args]).fetchall()
    total = dict.fromkeys(("exposure", "pending", "open", "recovered", "written_off",
                           "past_limit"), Decimal(0))
    open_items = 0
    for exposure, data_recovered, age, status, case_recovered, approved, state, waits in rows:
        recovered = min(exposure, data_recovered + case_recovered)
        written_off = min(approved, max(exposure - recovered, Decimal(0)))
        left = max(exposure - recovered - written_off, Decimal(0))
        part = "pending" if waits else "past_limit" if age > AGEING_DAYS else "open"
        total["exposure"] += exposure
        total["recovered"] += recovered
        total["written_off"] += written_off
        total[part] += left
        open_items += status in ("OPEN", "PARTIALLY_RECOVERED") and (state or "OPEN") in (
            "OPEN", "INVESTIGATING", "FUNDS_FROZEN")
    assert sum(total[k] for k in total if k != "exposure") == total["exposure"]
    return {
        "Exceptions": display.count(len(rows)), "Open items": display.count(open_items),
        "Exposure (CNY)": display.amount(total["exposure"]),
        "Pending (CNY)": display.amount(total["pending"]),
        "Open (CNY)": display.amount(total["open"]),
        "Recovered (CNY)": display.amount(total["recovered"]),
        "Written off (CNY)": display.amount(total["written_off"]),
        "Past ageing limit (CNY)": display.amount(total["past_limit"]),
        "Net loss (CNY)": display.amount(total["written_off"] + total["past_limit"]),
    }


def volume_expected(con: duckdb.DuckDBPyConnection, combo: Combo) -> dict[str, str]:
    where, args = combo.where()
    txns, declines, exceptions, approved = one_row(
        con, f"select sum(transactions), sum(declines), sum(exceptions), sum(approved_amount) "
             f"from mart_error_rates where {where}", args)
    return {"Transactions": display.count(txns), "Declines": display.count(declines),
            "Decline rate": display.rate(declines / txns),
            "Exception rate": display.rate(exceptions / txns, 3),
            "Approved amount (CNY)": display.amount(approved)}


def shown(make_app: Callable[..., AppTest], page: str, combo: Combo) -> AppTest:
    at = make_app(page, **combo.params())
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_every_kpi_equals_the_marts_under_five_filter_combinations(
        make_app: Callable[..., AppTest], snapshot: duckdb.DuckDBPyConnection,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(AGEING_ENV, str(AGEING_DAYS))
    seen_parts: set[str] = set()
    for combo in combos(snapshot):
        loss = loss_expected(snapshot, combo)
        seen_parts |= {k for k, v in loss.items() if v != "0.00"}
        overview = metrics(shown(make_app, "overview", combo))
        loss_page = metrics(shown(make_app, "loss", combo))
        rates = metrics(shown(make_app, "error_rates", combo))
        assert {k: overview[k] for k in loss} == loss, combo
        assert {k: loss_page[k] for k in loss} == loss, combo
        if combo.splits_by_exception:  # volumes cannot: not shown at all
            assert not {"Transactions", "Declines", "Decline rate", "Exception rate",
                        "Approved amount (CNY)"} & (set(overview) | set(rates)), combo
            continue
        volume = volume_expected(snapshot, combo)
        assert {k: overview[k] for k in ("Transactions", "Decline rate", "Exception rate",
                                         "Approved amount (CNY)")} == {
            k: volume[k] for k in ("Transactions", "Decline rate", "Exception rate",
                                   "Approved amount (CNY)")}, combo
        assert {k: rates[k] for k in ("Transactions", "Declines", "Decline rate",
                                      "Exception rate")} == {
            k: volume[k] for k in ("Transactions", "Declines", "Decline rate",
                                   "Exception rate")}, combo
    # The combinations exercise every part of the split, not only zeros.
    assert {"Pending (CNY)", "Open (CNY)", "Recovered (CNY)", "Past ageing limit (CNY)"
            } <= seen_parts


def test_a_figure_that_cannot_honour_a_filter_is_not_shown(
        make_app: Callable[..., AppTest], snapshot: duckdb.DuckDBPyConnection) -> None:
    kind, = one_row(snapshot, "select exception_type from fct_exceptions "
                              "group by all order by count(*) desc limit 1")
    overview = shown(make_app, "overview", Combo({"type": kind}))
    assert "Transactions" not in metrics(overview) and "Exceptions" in metrics(overview)
    assert not overview.get("arrow_vega_lite_chart")  # the daily trends
    notes = [c.value for c in overview.caption]
    assert "Not shown: Transaction volumes and rates (the data behind it cannot be filtered " \
           "by Exception type)." in notes
    assert any(n.startswith("Not shown: Daily trends") for n in notes)

    rates = shown(make_app, "error_rates", Combo({"type": kind}))
    assert not metrics(rates) and not rates.get("arrow_vega_lite_chart") and not rates.dataframe
    assert any(c.value.startswith("Not shown: Control charts") for c in rates.caption)

    store, = one_row(snapshot, "select store_id from fct_exceptions where store_id is not null "
                               "limit 1")
    recon = shown(make_app, "reconciliation", Combo({"store": store}))
    assert not metrics(recon) and not recon.dataframe
    assert [c.value for c in recon.caption if c.value.startswith("Not shown")] == [
        "Not shown: Reconciliation figures (the data behind it cannot be filtered by Store)."]
    # The loss figures honour every filter, the terminal one included.
    terminal, = one_row(snapshot, "select terminal_id from fct_exceptions "
                                  "where terminal_id is not null limit 1")
    loss = shown(make_app, "loss", Combo({"terminal": terminal, "type": kind}))
    assert "Net loss (CNY)" in metrics(loss)
    assert not [c.value for c in loss.caption if c.value.startswith("Not shown")]


def test_a_write_off_and_a_refund_count_at_once_in_the_same_snapshot(
        make_case_app: Callable[..., AppTest], case_warehouse: Path,
        login_optional: None) -> None:
    (write_off, _, wo_amount), (refund, _, rf_amount) = duplicate_charge_cases(
        case_warehouse, 2)
    snap = Warehouse.at(case_warehouse).current_snapshot()
    store = case_store(case_warehouse)
    at = make_case_app("loss")
    before = {k: Decimal(v.replace(",", "")) for k, v in metrics(at).items() if "CNY" in k}

    alice, bob = lifecycle.Actor("alice", "approver"), lifecycle.Actor("bob", "approver")
    lifecycle.act(store, write_off, "assign", alice)
    lifecycle.act(store, write_off, "propose_write_off", alice, amount=wo_amount,
                  reason="customer unreachable")
    lifecycle.act(store, write_off, "approve_write_off", bob)
    lifecycle.act(store, refund, "assign", alice)
    lifecycle.act(store, refund, "record_refund", alice, amount=rf_amount,
                  reference="RF-1")

    for page in ("loss", "overview"):
        at.switch_page(PAGES[page][0]).run()
        assert not at.exception, [e.value for e in at.exception]
        assert any(f"Snapshot {snap.stem}" in c.value for c in at.caption)
        after = {k: Decimal(v.replace(",", "")) for k, v in metrics(at).items() if "CNY" in k}
        assert after["Exposure (CNY)"] == before["Exposure (CNY)"]
        assert after["Written off (CNY)"] - before["Written off (CNY)"] == wo_amount
        assert after["Recovered (CNY)"] - before["Recovered (CNY)"] == rf_amount
        assert after["Net loss (CNY)"] - before["Net loss (CNY)"] == wo_amount
        assert before["Open (CNY)"] - after["Open (CNY)"] == wo_amount + rf_amount
