"""Cached reads of one snapshot: every result is keyed by the snapshot id, so a new snapshot
never serves an old figure and an unchanged one never runs a query twice."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from posaudit.dashboards import queries, schema_docs
from posaudit.dashboards.connection import Snapshot, run


@st.cache_data(max_entries=2048, show_spinner=False)
def _cached(snapshot_id: str, path: str, sql: str, params: tuple[object, ...]) -> pd.DataFrame:
    return run(sql, list(params), Snapshot(snapshot_id, path))


def query(snap: Snapshot, sql: str, params: list[object] | tuple[object, ...] = ()) -> pd.DataFrame:
    return _cached(snap.snapshot_id, snap.path, sql, tuple(params))


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
