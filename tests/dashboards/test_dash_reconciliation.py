"""The Reconciliation page's bridge against the same walk computed here, independently, from the
journal, the settlement lines, the net settlements and the bank payouts — for the period and
for filtered views — and a residual shown in red with its day."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from posaudit.dashboards import bridge, i18n
from posaudit.pipeline.warehouse import Warehouse
from tests.helpers.cli import Built
from tests.helpers.dashboard_app import APP, PAGES, metrics
from tests.helpers.rows import one_row

pytestmark = pytest.mark.slow

# The walk per settlement date × acquirer × merchant number, from the sides themselves (not
# from mart_reconciliation_daily nor mart_reconciliation_bridge).
INDEPENDENT = """
with journal as (
    select *, case when txn_type = 'REFUND' then -amount else amount end as signed,
           coalesce(settled_acquirer, acquirer) as acq,
           coalesce(settled_merchant_id, settlement_merchant_id) as mer
    from main.fct_transactions
),
terminal as (
    select expected_settlement_date as d, acq, mer,
           sum(amount) filter (where txn_type <> 'REFUND') as terminal_sales,
           -sum(amount) filter (where txn_type <> 'REFUND' and not is_expected_in_settlement)
               as voided_sales,
           -sum(amount) filter (where txn_type = 'REFUND' and is_expected_in_settlement)
               as refunds,
           sum(signed) filter (where is_expected_in_settlement) as terminal_total,
           -sum(signed) filter (where match_status = 'PENDING') as pending_settlement,
           -sum(signed) filter (where match_status = 'MISSING') as missing_settlement,
           -sum(signed) filter (where is_expected_in_settlement
                                  and settlement_date <> expected_settlement_date) as timing_out
    from journal
    where is_approved and txn_type in ('SALE', 'PREAUTH_COMPLETE', 'REFUND')
    group by all
),
settled as (
    select l.settlement_date as d, l.acquirer as acq, l.merchant_id as mer,
           sum(l.gross_amount) as settled_gross, -sum(l.fee_amount) as fees,
           sum(l.net_amount) as line_net,
           sum(j.signed) filter (where j.is_expected_in_settlement) as expected_settled,
           sum(j.signed) filter (where j.is_expected_in_settlement
                                   and j.expected_settlement_date <> l.settlement_date)
               as timing_in
    from main.fct_settlement_lines as l
    left join journal as j on j.journal_line_id = l.journal_line_id
    group by all
),
net as (
    select settlement_date as d, acquirer as acq, merchant_id as mer, net_amount
    from intermediate.int_settlement_net_daily
),
paid as (
    select n.d, n.acq, n.mer, n.net_amount, p.payout_amount, coalesce(c.is_due, false) as due
    from net as n
    left join intermediate.int_bank_payouts as p
        on p.merchant_id = n.mer and p.settlement_date = n.d
    left join intermediate.int_bank_coverage_daily as c
        on c.merchant_id = n.mer and c.statement_date = n.d
),
keys as (
    select d, acq, mer from terminal union select d, acq, mer from settled
    union select d, acq, mer from net
)
select k.d as settlement_date, k.acq as acquirer, k.mer as merchant_id,
       coalesce(t.terminal_sales, 0) as terminal_sales,
       coalesce(t.voided_sales, 0) as voided_sales,
       coalesce(t.refunds, 0) as refunds,
       coalesce(t.terminal_total, 0) as terminal_total,
       coalesce(t.pending_settlement, 0) as pending_settlement,
       coalesce(t.missing_settlement, 0) as missing_settlement,
       coalesce(t.timing_out, 0) + coalesce(s.timing_in, 0) as settlement_timing,
       coalesce(s.settled_gross, 0) - coalesce(s.expected_settled, 0) as settlement_differences,
       coalesce(s.settled_gross, 0) as settled_gross,
       coalesce(s.fees, 0) as fees,
       coalesce(p.net_amount, 0) - coalesce(s.line_net, 0) as batch_adjustments,
       coalesce(p.net_amount, 0) as expected_payout,
       case when p.payout_amount is null and not p.due then -p.net_amount else 0 end
           as deposits_not_due,
       case when p.payout_amount is null and p.due then -p.net_amount else 0 end
           as missing_deposits,
       coalesce(p.payout_amount - p.net_amount, 0) as deposit_differences,
       coalesce(p.payout_amount, 0) as bank_deposits
from keys as k
left join terminal as t on t.d = k.d and t.acq = k.acq and t.mer = k.mer
left join settled as s on s.d = k.d and s.acq = k.acq and s.mer = k.mer
left join paid as p on p.d = k.d and p.acq = k.acq and p.mer = k.mer
"""
STEP_CODES = [s.code for s in bridge.STEPS if s.kind != "residual"]


def independent(con: duckdb.DuckDBPyConnection, where: str = "true",
                params: list[object] | None = None) -> dict[str, dict[str, Decimal]]:
    """Each day's walk, and the period's under "total": exact Decimal all through."""
    sums = ", ".join(f"sum({c})" for c in STEP_CODES)
    rows = con.execute(f"select settlement_date, {sums} from ({INDEPENDENT}) where {where} "
                       "group by all order by 1", params or []).fetchall()
    out = {str(r[0]): {c: Decimal(v) for c, v in zip(STEP_CODES, r[1:], strict=True)}
           for r in rows}
    out["total"] = {c: sum((day[c] for day in out.values()), Decimal("0.00"))
                    for c in STEP_CODES}
    # Where the steps lead from the terminal sales: the bank deposits, when the day ties.
    for day in out.values():
        day["walk"] = day["terminal_sales"] + sum(
            (day[s.code] for s in bridge.STEPS if s.kind == "step"), Decimal("0.00"))
    return out


def _page_table(at: AppTest) -> pd.DataFrame:
    """The bridge table as the page hands it to Streamlit (its numbers, before display)."""
    shown: pd.DataFrame = at.dataframe[0].value
    return shown


def check_page(at: AppTest, expected: dict[str, dict[str, Decimal]]) -> None:
    assert not at.exception, [e.value for e in at.exception]
    total = expected["total"]
    shown = metrics(at)
    for code in bridge.KPIS:
        if code != bridge.RESIDUAL:
            assert shown[at_label(code)] == f"{total[code]:,.2f}", code
    table = _page_table(at).set_index("settlement_date")
    assert list(table.index[:-1]) == [d for d in expected if d != "total"]
    for day, values in expected.items():
        row = table.iloc[-1] if day == "total" else table.loc[day]
        for code in STEP_CODES:
            assert Decimal(str(row[code])).quantize(Decimal("0.01")) == values[code], (day, code)
        # The independent walk reaches the bank deposits: the residual is 0 to the fen.
        assert values["walk"] == values["bank_deposits"], day
        assert row[bridge.RESIDUAL] == 0, day


def at_label(code: str) -> str:
    return i18n.t("en", f"bridge.{code}")


def test_the_bridge_ties_and_every_step_equals_the_sides(
        make_app: Callable[..., AppTest], snapshot: duckdb.DuckDBPyConnection) -> None:
    at = make_app("reconciliation")
    check_page(at, independent(snapshot))
    assert at.success and "Ties to the fen" in at.success[0].value
    assert not at.error
    # The gap between the terminals and the bank is explained, not hidden.
    total = independent(snapshot)["total"]
    assert total["terminal_total"] != total["bank_deposits"]


def test_the_bridge_under_filters_equals_the_sides_with_the_same_predicates(
        make_app: Callable[..., AppTest], snapshot: duckdb.DuckDBPyConnection) -> None:
    # A merchant number the sidebar offers (its choices are the journal's merchant numbers),
    # and a period inside the sidebar's bounds (business dates: its last day means no end).
    acquirer, merchant, first, last = one_row(
        snapshot,
        "select acquirer, merchant_id, min(settlement_date) + 1, "
        "(select max(business_date) from main.mart_error_rates) - 2 "
        "from main.mart_reconciliation_bridge "
        "where merchant_id in (select merchant_id from main.mart_error_rates) group by all "
        "order by sum(abs(missing_deposits) + abs(pending_settlement)) desc, 1, 2 limit 1")
    at = make_app("reconciliation", acquirer=acquirer)
    check_page(at, independent(snapshot, "acquirer = ?", [acquirer]))
    at = make_app("reconciliation", merchant=merchant, **{"from": first.isoformat(),
                                                          "to": last.isoformat()})
    assert at.multiselect(key="f_merchant").value == [merchant]
    check_page(at, independent(snapshot, "merchant_id = ? and settlement_date between ? and ?",
                               [merchant, first, last]))


def _waterfall(at: AppTest) -> dict[str, dict[str, Any]]:
    """The bars the page's waterfall draws (the chart's own Arrow dataset), by step."""
    chart = at.get("vega_lite_chart")[0].proto
    bars = pl.read_ipc_stream(io.BytesIO(chart.datasets[0].data.data))
    return {row["step"]: row for row in bars.iter_rows(named=True)}


def test_the_bridge_of_the_period_and_of_one_day_is_drawn_as_a_waterfall(
        make_app: Callable[..., AppTest], snapshot: duckdb.DuckDBPyConnection) -> None:
    expected = independent(snapshot)
    at = make_app("reconciliation", lang="zh")
    for day in ("total", list(expected)[3]):
        if day != "total":
            at.selectbox(key="bridge_day").set_value(day).run()
        assert not at.exception
        bars = _waterfall(at)
        # Every step and total is drawn (a stage's residual only when it is not zero).
        assert list(bars) == STEP_CODES
        for code in STEP_CODES:
            assert bars[code]["amount_text"] == f"{expected[day][code]:,.2f}", (day, code)
        assert bars["terminal_sales"]["label"] == "终端销售"


@pytest.fixture
def tampered(built: Built, tmp_path: Path) -> tuple[Path, date]:
    """A copy of the session's snapshot in which the bank paid one fen more on one day than
    the walk explains."""
    source = Warehouse.at(built.warehouse).current_snapshot()
    wh = Warehouse.at(tmp_path / "warehouse")
    wh.snapshots_dir.mkdir(parents=True)
    target = wh.snapshot_path(source.stem)
    shutil.copy(source, target)
    with duckdb.connect(str(target)) as con:
        day, = one_row(con, "select max(settlement_date) from main.mart_reconciliation_bridge "
                            "where bank_deposits > 0")
        con.execute("update main.mart_reconciliation_bridge set bank_deposits = "
                    "bank_deposits + 0.01, deposit_residual = deposit_residual + 0.01, "
                    "residual = residual + 0.01 where bridge_id = (select min(bridge_id) from "
                    "main.mart_reconciliation_bridge where settlement_date = ?)", [day])
    wh.current_pointer.write_text(source.stem + "\n")
    return wh.root, day


def test_a_residual_is_shown_in_red_with_its_day(tampered: tuple[Path, date],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    root, day = tampered
    monkeypatch.setenv("POSAUDIT_WAREHOUSE", str(root))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(PAGES["reconciliation"][0]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.success
    assert at.error and f"{day.isoformat()} (0.01)" in at.error[0].value
    assert f":red[{day.isoformat()}: 0.01]" in [m.value for m in at.markdown]
    table = _page_table(at).set_index("settlement_date")
    assert table.loc[day.isoformat(), bridge.RESIDUAL] == 0.01
    assert metrics(at)[at_label(bridge.RESIDUAL)] == "0.01"
