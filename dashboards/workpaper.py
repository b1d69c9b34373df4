"""The audit workpaper: one Excel workbook with what an auditor files — a summary, the
exceptions with their evidence, loss by type, data-quality status and the run record of the
snapshot it was drawn from."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import SupportsFloat, cast

import pandas as pd

from posaudit.cases.roles import READ_TRANSACTIONS
from posaudit.dashboards import exports, exposure, queries
from posaudit.dashboards.access import Viewer
from posaudit.dashboards.filters import Filters

Fetch = Callable[[str, list[object]], pd.DataFrame]
SHEETS = ("Summary", "Exceptions", "Loss by type", "Data quality", "Run record")


def frames(fetch: Fetch, snapshot_id: str, filters: Filters) -> dict[str, pd.DataFrame]:
    exc = filters.where(queries.EXCEPTION_COLS)
    vol = filters.where(queries.ERROR_RATE_COLS)
    # The loss split as Overview and Loss show it: ``fetch`` registers the case outcomes.
    split = exposure.settings().params()
    kpis = fetch(*exc.bind(queries.LOSS_TOTALS, *split)).iloc[0]
    # Volumes do not split by exception type or cause: left out rather than unfiltered.
    volume = [] if vol.ignored else [
        (str(name), int(value)) for name, value in
        fetch(*vol.bind(queries.VOLUME_KPIS)).iloc[0][["transactions", "declines"]].items()]
    run = fetch(queries.SNAPSHOT_RUN, [snapshot_id])
    if run.empty:  # a snapshot published before run records named their snapshot
        run = fetch(queries.LATEST_RUN_RECORD, [])
    dq = fetch(queries.WORKPAPER_DQ, [])
    summary = [
        ("snapshot", snapshot_id),
        ("generated_at", datetime.now().isoformat(timespec="seconds")),
        ("filters", "; ".join(f"{k}={v}" for k, v in filters.to_params().items()) or "none"),
        *volume,
        ("exceptions", int(kpis["exceptions"])),
        *((part, _money(kpis[part])) for part in ("exposure_amount", *exposure.PARTS,
                                                   "net_loss")),
        ("open_items", int(kpis["open_items"])),
        ("dq_results", len(dq)),
        ("dq_failed", int((dq["status"] != "PASSED").sum()) if not dq.empty else 0),
        ("run_outcome", str(run.iloc[0]["outcome"]) if not run.empty else "unknown"),
    ]
    record = pd.DataFrame(_run_record(run), columns=["field", "value"])
    return {
        # Numbers stay numbers (a spreadsheet sums them); text stays text.
        "Summary": pd.DataFrame(summary, columns=["item", "value"], dtype=object),
        "Exceptions": fetch(*exc.bind(queries.WORKPAPER_EXCEPTIONS)),
        "Loss by type": fetch(*exc.bind(queries.LOSS_BY, *split, dimension="exception_type")),
        "Data quality": dq,
        "Run record": record,
    }


def _money(value: object) -> float:
    """An amount to the fen, as a number."""
    return round(float(cast(SupportsFloat, value)), 2)


def _run_record(run: pd.DataFrame) -> list[tuple[str, str]]:
    """The run's columns, with its JSON record spread one field a row (a cell holds 32k)."""
    if run.empty:
        return []
    row = run.iloc[0]
    out = [(str(k), str(v)) for k, v in row.items() if k != "record"]
    raw = row.get("record")
    try:
        record = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        record = None
    if isinstance(record, dict):
        out += [(f"record.{k}", v) for k, v in _flatten(record)]
    return out


def _flatten(value: object, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [pair for k, v in value.items()
                for pair in _flatten(v, f"{prefix}.{k}" if prefix else str(k))]
    if isinstance(value, list) and value and all(isinstance(v, dict | list) for v in value):
        return [pair for i, v in enumerate(value) for pair in _flatten(v, f"{prefix}[{i}]")]
    text = json.dumps(value, ensure_ascii=False, default=str)
    return [(prefix, text if not isinstance(value, str) else value)]


def build(fetch: Fetch, snapshot_id: str, filters: Filters, viewer: Viewer) -> bytes:
    viewer.require(READ_TRANSACTIONS)  # before any query runs
    return exports.to_xlsx(frames(fetch, snapshot_id, filters), viewer)
