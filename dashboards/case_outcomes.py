"""The case store's outcomes for the loss figures: refunds, recoveries and approved write-offs
as recorded, read live from ``W/cases.sqlite`` so that a case action counts at once, and the
store's version that keys every cached figure built on them."""

from __future__ import annotations

import pandas as pd

from posaudit.cases.store import Store
from posaudit.dashboards import queries

# The frame's name on the DuckDB cursor, as queries.LOSS_ITEMS reads it.
FRAME = "case_outcomes"
COLUMNS = ("exception_id", "case_state", "action", "amount")


def version(store: Store | None) -> int:
    """The last trail sequence number (0 without a store): it moves with every change."""
    if store is None:
        return 0
    with store.read() as conn:
        row = conn.execute(queries.CASE_STORE_VERSION).fetchone()
    return int(row["version"])


def outcomes(store: Store | None) -> pd.DataFrame:
    """One row per case of an exception and per money action on it, every column text (the
    amounts stay exact: DuckDB casts them to decimals)."""
    if store is None:
        return empty()
    with store.read() as conn:
        rows = [tuple(r) for r in conn.execute(queries.CASE_OUTCOMES).fetchall()]
    return pd.DataFrame(rows, columns=list(COLUMNS), dtype="string")


def empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype="string") for c in COLUMNS})
