"""What the alert tests share: every rule off, a refresh result, a private copy of a built
warehouse's build database, and channels that point at the local test servers."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from typing import Any

import duckdb

from posaudit.alerts.config import (
    AlertsConfig,
    DataQualityRule,
    EmailChannel,
    ExposureRule,
    PendingOverdueRule,
    RefreshFailedRule,
    TerminalErrorRateRule,
    WebhookChannel,
)
from posaudit.expectations.core import CheckResult
from posaudit.ingest.cardsafe import luhn_valid
from posaudit.pipeline.refresh import RefreshResult
from posaudit.pipeline.warehouse import Warehouse
from tests.helpers.cli import Built

OFF = AlertsConfig(
    exception_exposure=ExposureRule(enabled=False),
    terminal_error_rate=TerminalErrorRateRule(enabled=False),
    data_quality=DataQualityRule(enabled=False),
    refresh_failed=RefreshFailedRule(enabled=False),
    pending_overdue=PendingOverdueRule(enabled=False),
)


def refresh_result(run_id: str, outcome: str = "PUBLISHED", exit_code: int = 0,
         checks: list[CheckResult] | None = None,
         messages: list[str] | None = None) -> RefreshResult:
    return RefreshResult(run_id=run_id, exit_code=exit_code, outcome=outcome,
                         snapshot_id=None, checks=checks or [], messages=messages or [])


def copy_build(built: Built, tmp_path: Path) -> Warehouse:
    """A private copy of the refreshed warehouse's build database, with no alert raised yet
    (the refresh that built it may have raised some)."""
    warehouse = Warehouse(tmp_path / "wh")
    warehouse.ensure()
    shutil.copyfile(built.warehouse / "build.duckdb", warehouse.build_db)
    with duckdb.connect(str(warehouse.build_db)) as con:
        con.execute("drop table if exists audit.alerts")
    return warehouse


def fetch_rows(db: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    with duckdb.connect(str(db)) as con:
        return con.execute(sql, params or []).fetchall()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def card_number() -> str:
    # A Maestro number: outside the card-like guard's prefixes, so only scrub() masks it.
    body = "675900" + "123456789"
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


def webhook_channel(url: str, retries: int = 2, **kw: Any) -> WebhookChannel:
    return WebhookChannel(url=url, timeout_seconds=5, retries=retries, backoff_seconds=0, **kw)


def email_channel(port: int, **kw: Any) -> EmailChannel:
    return EmailChannel(host="127.0.0.1", port=port, security="none",
                        sender="posaudit@shop.test", to=("audit@shop.test", "ops@shop.test"),
                        timeout_seconds=5, **kw)
