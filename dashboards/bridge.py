"""The reconciliation bridge (mart_reconciliation_bridge) as the page walks it: from terminal
sales to bank deposits, step by step, to the fen.

Amounts arrive from SQL as whole fen (integers) and become ``Decimal`` here, so that no sum or
comparison ever goes through a float; a row ties only when its residual is exactly zero.
Plain Python (no Streamlit), so every rule here is testable alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import SupportsInt, cast

import pandas as pd

from posaudit.dashboards import display


@dataclass(frozen=True)
class Step:
    code: str  # the mart's column, and the locale key's suffix (bridge.<code>)
    kind: str  # "total" (read from its source), "step", or "residual" (of one stage)


STEPS = (
    Step("terminal_sales", "total"),
    Step("voided_sales", "step"),
    Step("refunds", "step"),
    Step("terminal_residual", "residual"),
    Step("terminal_total", "total"),
    Step("pending_settlement", "step"),
    Step("missing_settlement", "step"),
    Step("settlement_timing", "step"),
    Step("settlement_differences", "step"),
    Step("settlement_residual", "residual"),
    Step("settled_gross", "total"),
    Step("fees", "step"),
    Step("batch_adjustments", "step"),
    Step("payout_residual", "residual"),
    Step("expected_payout", "total"),
    Step("deposits_not_due", "step"),
    Step("missing_deposits", "step"),
    Step("deposit_differences", "step"),
    Step("deposit_residual", "residual"),
    Step("bank_deposits", "total"),
)
RESIDUAL = "residual"
AMOUNTS = (*(s.code for s in STEPS), RESIDUAL)
# What the KPI strip shows for the period, in walk order.
KPIS = ("terminal_total", "settled_gross", "expected_payout", "bank_deposits", RESIDUAL)
# The daily lines chart: the four totals after the terminal's sales.
SERIES = ("terminal_total", "settled_gross", "expected_payout", "bank_deposits")

FEN = Decimal("0.01")


def yuan(fen: object) -> Decimal:
    """Whole fen (an integer from SQL) as yuan, exactly."""
    if display.is_nothing(fen):
        return Decimal("0.00")
    return Decimal(int(cast(SupportsInt, fen))) * FEN


def exact(daily: pd.DataFrame) -> pd.DataFrame:
    """The daily frame (amounts in fen) with every amount as a ``Decimal`` of yuan."""
    out = daily.copy()
    for code in AMOUNTS:
        out[code] = pd.Series([yuan(v) for v in daily[code]], index=daily.index, dtype=object)
    return out


def period_total(days: pd.DataFrame) -> dict[str, Decimal]:
    """The period's walk: each amount summed over the days (``exact`` frame)."""
    return {code: sum(days[code], Decimal("0.00")) for code in AMOUNTS}


def ties(values: Mapping[str, Decimal]) -> bool:
    return values[RESIDUAL] == 0


def untied_days(days: pd.DataFrame) -> pd.DataFrame:
    """The days whose residual is not zero, with it."""
    return days.loc[[r != 0 for r in days[RESIDUAL]], ["settlement_date", RESIDUAL]]


def walk_errors(values: Mapping[str, Decimal]) -> list[str]:
    """Where the walk does not add up: each total must be the one before it plus the steps
    and the stage's residual between them, and the residual the stages' sum."""
    errors = []
    running: Decimal | None = None
    stage_residuals = Decimal("0.00")
    for step in STEPS:
        value = values[step.code]
        if step.kind == "total":
            if running is not None and running != value:
                errors.append(f"{step.code}: {value} is not the walk's {running}")
            running = value
        elif running is not None:
            running += value
        if step.kind == "residual":
            stage_residuals += value
    if stage_residuals != values[RESIDUAL]:
        errors.append(f"residual: {values[RESIDUAL]} is not the stages' {stage_residuals}")
    return errors


def waterfall(values: Mapping[str, Decimal], labels: Mapping[str, str]) -> pd.DataFrame:
    """One bar per step for a waterfall chart, in walk order: totals from zero, steps from
    the running amount, a stage's residual only when it is not zero. start/end are floats
    for drawing only; amount_text is the exact amount as the page shows it."""
    rows = []
    running = Decimal("0.00")
    for step in STEPS:
        value = values[step.code]
        if step.kind == "residual" and value == 0:
            continue
        if step.kind == "total":
            start, end, kind = Decimal("0.00"), value, "total"
            running = value
        else:
            start, end = running, running + value
            running = end
            kind = "residual" if step.kind == "residual" else (
                "decrease" if value < 0 else "increase")
        rows.append({"step": step.code, "label": labels[step.code], "kind": kind,
                     "start": float(start), "end": float(end),
                     "amount_text": display.amount(value)})
    return pd.DataFrame(rows)


def table(days: pd.DataFrame, total: Mapping[str, Decimal], total_label: str) -> pd.DataFrame:
    """The bridge per day and a last row for the period; amounts as numbers of yuan (2
    decimals; display and downloads only — the arithmetic stays in ``Decimal``)."""
    frame = days[["settlement_date", *AMOUNTS]].copy()
    frame["settlement_date"] = frame["settlement_date"].astype(str)
    last: dict[str, object] = {"settlement_date": total_label}
    last.update(total)
    frame.loc[len(frame)] = pd.Series(last)
    for code in AMOUNTS:
        frame[code] = pd.Series([float(v) for v in frame[code]], index=frame.index)
    return frame
