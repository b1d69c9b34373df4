"""Ingest with the incoming data-quality checks wired in: what ``posaudit ingest`` and
``posaudit refresh`` load a landing zone with. Ingest itself (``posaudit.ingest.landing``)
knows the checks only through the interface it owns; this is where the two meet."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from posaudit.expectations.config import DQConfig
from posaudit.expectations.core import CheckResult, DQContext
from posaudit.expectations.incoming import IncomingChecker
from posaudit.ingest.cardsafe import CardKey
from posaudit.ingest.landing import IngestReport, load_landing
from posaudit.ingest.raw_files import RawFiles


def ingest_landing(
    landing: Path,
    con: duckdb.DuckDBPyConnection,
    key: CardKey,
    *,
    run_id: str | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int = 2,
    dq: DQContext | None = None,
    config: DQConfig | None = None,
    checks: bool = True,
    raw: RawFiles | None = None,
) -> IngestReport[CheckResult]:
    """Load what is new in ``landing``. ``dq`` keeps the GX results (an in-memory project when
    None); ``config`` is the data-quality policy (dq.yml when None). ``checks=False`` skips the
    incoming checks: for measuring what they cost, never for loading data. ``raw``: where
    the raw layer's Parquet files go (none written when None)."""
    checker: IncomingChecker | None = None
    if checks:
        checker = IncomingChecker(config or DQConfig.load(), dq or DQContext())
    return load_landing(landing, con, key, checks=checker, run_id=run_id, progress=progress,
                        workers=workers, raw=raw)
