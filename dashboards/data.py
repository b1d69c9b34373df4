"""Cached reads of one snapshot: every result is keyed by the snapshot id, so a new snapshot
never serves an old figure and an unchanged one never runs a query twice. Figures that also
read the live case store are keyed by its version too, so that a case action counts at once."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from posaudit.cases.store import Store
from posaudit.dashboards import case_outcomes, exposure, queries, schema_docs
from posaudit.dashboards.connection import Snapshot, run


@st.cache_data(max_entries=2048, show_spinner=False)
def _cached(snapshot_id: str, path: str, sql: str, params: tuple[object, ...]) -> pd.DataFrame:
    return run(sql, list(params), Snapshot(snapshot_id, path))


def query(snap: Snapshot, sql: str, params: list[object] | tuple[object, ...] = ()) -> pd.DataFrame:
    return _cached(snap.snapshot_id, snap.path, sql, tuple(params))


def with_cases(snap: Snapshot, store: Store | None, sql: str,
               params: list[object] | tuple[object, ...] = (),
               awaiting_params: tuple[int, int] = (0, 0)) -> pd.DataFrame:
    """A loss query (queries.LOSS_ITEMS): the case store's outcomes and the exceptions awaiting
    a source (``awaiting_params``: queries.AWAITING_SOURCE's) registered beside the snapshot;
    cached by the snapshot and the store's version, read afresh once anything was recorded."""
    version = case_outcomes.version(store)
    path = str(store.path) if store is not None else ""
    return _with_cases(snap.snapshot_id, snap.path, path, version, sql, tuple(params),
                       awaiting_params)


@st.cache_data(max_entries=512, show_spinner=False)
def _with_cases(snapshot_id: str, path: str, store_path: str, version: int, sql: str,
                params: tuple[object, ...], awaiting_params: tuple[int, int]) -> pd.DataFrame:
    outcomes = _outcomes(store_path, version)
    # Once per snapshot: the only part of the split that reads the journal.
    awaiting = _cached(snapshot_id, path, queries.AWAITING_SOURCE, awaiting_params)
    return run(sql, list(params), Snapshot(snapshot_id, path),
               {case_outcomes.FRAME: outcomes, exposure.AWAITING_FRAME: awaiting})


@st.cache_data(max_entries=8, show_spinner=False)
def _outcomes(store_path: str, version: int) -> pd.DataFrame:
    # ``version`` only keys the cache: the outcomes are read again when it moves.
    return case_outcomes.outcomes(Store(Path(store_path)) if store_path else None)


def has_table(snap: Snapshot, schema: str, name: str) -> bool:
    """Whether the snapshot holds a table or view (optional marts degrade gracefully)."""
    found = query(snap, queries.TABLE_EXISTS, [schema, name])
    return bool(found.iloc[0]["found"])


def mart_docs(dbt_dir: Path) -> list[schema_docs.Model]:
    """The marts' docs, parsed once per manifest version (it is megabytes of JSON)."""
    manifest = dbt_dir / "target" / "manifest.json"
    stamp = manifest.stat().st_mtime if manifest.exists() else 0.0
    return _mart_docs(str(dbt_dir), stamp)


@st.cache_data(max_entries=4, show_spinner=False)
def _mart_docs(dbt_dir: str, stamp: float) -> list[schema_docs.Model]:
    return schema_docs.marts(Path(dbt_dir))
