"""The reconciliation bridge's walk in plain Python: exact fen, totals, residual days and the
waterfall's bars (no Streamlit, no warehouse)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from posaudit.dashboards import bridge, queries


def _day(day: str, **fen: int) -> dict[str, object]:
    row: dict[str, object] = {code: 0 for code in bridge.AMOUNTS}
    row.update(fen)
    return {"settlement_date": pd.Timestamp(day), **row}


def _days() -> pd.DataFrame:
    # Day 1 ties: 1000.10 of sales, 0.10 refunded, 9.99 fees, paid in full.
    tied = _day("2026-10-01", terminal_sales=100010, refunds=-10, terminal_total=100000,
                settled_gross=100000, fees=-999, expected_payout=99001, bank_deposits=99001)
    # Day 2: the bank paid 0.01 more than the steps explain.
    off = _day("2026-10-02", terminal_sales=5000, terminal_total=5000, settled_gross=5000,
               expected_payout=5000, bank_deposits=5001, deposit_residual=1, residual=1)
    return pd.DataFrame([tied, off])


def test_the_page_reads_every_amount_the_walk_has() -> None:
    assert bridge.AMOUNTS == queries.BRIDGE_AMOUNTS
    assert [s.kind for s in bridge.STEPS].count("total") == 5


def test_fen_become_exact_yuan_and_sum_without_floats() -> None:
    days = bridge.exact(_days())
    assert days.loc[0, "fees"] == Decimal("-9.99")
    # 0.1 + 0.2 in floats is not 0.3; in fen and Decimal it is.
    small = bridge.exact(pd.DataFrame([_day("2026-10-01", refunds=10),
                                       _day("2026-10-02", refunds=20)]))
    assert bridge.period_total(small)["refunds"] == Decimal("0.30")
    total = bridge.period_total(days)
    assert total["bank_deposits"] == Decimal("1040.02")
    assert total["residual"] == Decimal("0.01")
    assert not bridge.ties(total)
    assert bridge.ties(bridge.period_total(days.iloc[:1]))


def test_a_day_with_a_residual_is_listed_and_the_walk_adds_up() -> None:
    days = bridge.exact(_days())
    untied = bridge.untied_days(days)
    assert list(untied["settlement_date"].dt.date.astype(str)) == ["2026-10-02"]
    assert list(untied["residual"]) == [Decimal("0.01")]
    assert bridge.walk_errors(bridge.period_total(days)) == []


def test_a_walk_that_does_not_add_up_is_named() -> None:
    values = bridge.period_total(bridge.exact(_days()))
    values["fees"] -= Decimal("0.01")
    assert bridge.walk_errors(values) == [
        "expected_payout: 1040.01 is not the walk's 1040.00"]
    values = bridge.period_total(bridge.exact(_days()))
    values["residual"] = Decimal("0.00")
    assert bridge.walk_errors(values) == ["residual: 0.00 is not the stages' 0.01"]


def test_the_waterfall_draws_steps_from_the_running_amount_and_only_real_residuals() -> None:
    values = bridge.period_total(bridge.exact(_days()))
    labels = {code: code.upper() for code in bridge.AMOUNTS}
    bars = bridge.waterfall(values, labels)
    assert list(bars["step"]) == [s.code for s in bridge.STEPS
                                  if s.kind != "residual" or s.code == "deposit_residual"]
    refunds = bars.set_index("step").loc["refunds"]
    assert (refunds["start"], refunds["end"], refunds["kind"]) == (1050.1, 1050.0, "decrease")
    residual = bars.set_index("step").loc["deposit_residual"]
    assert residual["kind"] == "residual" and residual["amount_text"] == "0.01"
    deposits = bars.set_index("step").loc["bank_deposits"]
    assert (deposits["start"], deposits["end"], deposits["kind"]) == (0.0, 1040.02, "total")


def test_the_table_ends_with_the_period_row() -> None:
    days = bridge.exact(_days())
    shown = bridge.table(days, bridge.period_total(days), "Period")
    assert list(shown["settlement_date"]) == ["2026-10-01", "2026-10-02", "Period"]
    assert shown["bank_deposits"].iloc[-1] == 1040.02
