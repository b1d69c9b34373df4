"""Early-warning alerts after a refresh: the rules' new alerts (posaudit.alerts.rules) are
delivered (posaudit.alerts.notify) and kept in ``audit.alerts`` (posaudit.alerts.store).
``raise_alerts`` is what the refresh calls; nothing here makes a refresh fail: problems are
handed to ``warn``.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import duckdb

from posaudit.alerts.config import AlertsConfig
from posaudit.alerts.model import SEVERITY_RANK, Alert
from posaudit.alerts.notify import Delivery, post_json, send_email
from posaudit.alerts.rules import RunContext, Warn, evaluate
from posaudit.alerts.store import write_alerts
from posaudit.expectations.core import CheckResult
from posaudit.ingest.cardsafe import scrub

__all__ = ["Alert", "evaluate", "raise_alerts", "send_test_alert", "summary"]

log = logging.getLogger(__name__)

# E-mail lists this many alerts; the webhook and the table carry all of them.
EMAIL_LISTED = 100


class RunLike(Protocol):
    """What a refresh knows about its run (posaudit.pipeline.refresh.RefreshResult)."""

    run_id: str
    outcome: str
    exit_code: int
    checks: list[CheckResult]
    messages: list[str]


# --- delivery ---------------------------------------------------------------------------------


def payload(run: RunLike, alerts: Sequence[Alert]) -> dict[str, Any]:
    """The webhook body: one request per run, every new alert in it."""
    return {
        "source": "posaudit",
        "run_id": run.run_id,
        "outcome": run.outcome,
        "exit_code": run.exit_code,
        "published": run.outcome in ("PUBLISHED", "PUBLISHED_WITH_WARNINGS"),
        "counts": {
            "alerts": len(alerts),
            "by_severity": dict(Counter(a.severity for a in alerts)),
            "by_rule": dict(Counter(a.rule for a in alerts)),
        },
        "alerts": [a.as_payload() for a in alerts],
    }


def worst_severity(alerts: Sequence[Alert]) -> str:
    return max((a.severity for a in alerts), key=lambda s: SEVERITY_RANK.get(s, 0),
               default="info")


def email_text(run: RunLike, alerts: Sequence[Alert], prefix: str) -> tuple[str, str]:
    """Subject and plain-text body."""
    subject = (f"{prefix} {worst_severity(alerts).upper()}: {len(alerts)} alert(s) from "
               f"refresh {run.run_id} ({run.outcome})").strip()
    lines = [f"posaudit raised {len(alerts)} new alert(s) after refresh {run.run_id} "
             f"(outcome {run.outcome}, exit code {run.exit_code}).", ""]
    for a in alerts[:EMAIL_LISTED]:
        lines.append(f"[{a.severity}] {a.rule} — {a.subject_type} {a.subject}")
        lines.append(f"    {a.message}")
    if len(alerts) > EMAIL_LISTED:
        lines.append(f"… and {len(alerts) - EMAIL_LISTED} more in the alerts table.")
    lines += ["", "Every alert is in the `fct_alerts` table of the warehouse:",
              f"  posaudit sql --warehouse W \"select * from fct_alerts where run_id = "
              f"'{run.run_id}'\""]
    if run.outcome in ("REFUSED", "FAILED", "INTERRUPTED"):
        lines.append("This run did not publish: its alerts reach the `fct_alerts` table of readers "
                     "with the next published snapshot.")
    return subject, "\n".join(lines) + "\n"


def deliver(run: RunLike, alerts: Sequence[Alert], config: AlertsConfig,
            warn: Warn | None = None) -> None:
    """Send ``alerts`` on every configured channel and record the outcome on each alert."""
    say = warn or log.warning
    if not alerts:
        return
    results: dict[str, Delivery] = {}
    if config.webhook is not None:
        results["webhook"] = post_json(config.webhook, payload(run, alerts))
    if config.email is not None:
        subject, body = email_text(run, alerts, config.email.subject_prefix)
        results["email"] = send_email(config.email, subject, body)
    for channel, outcome in results.items():
        for a in alerts:
            setattr(a, f"{channel}_status", outcome.status)
            setattr(a, f"{channel}_error", outcome.error)
        if outcome.error:
            say(f"alerts: {channel} delivery {outcome.status.lower()}: {outcome.error}")


# --- the refresh's entry point ----------------------------------------------------------------


@contextlib.contextmanager
def _connection(database: Path | str | duckdb.DuckDBPyConnection
                ) -> Iterator[duckdb.DuckDBPyConnection | None]:
    if isinstance(database, duckdb.DuckDBPyConnection):
        yield database
        return
    path = Path(database)
    if not path.exists():
        yield None  # a run that failed before the warehouse existed: alert, store nothing
        return
    # dbt (in this process) may still hold the database: connect as it did, no settings.
    with duckdb.connect(str(path)) as con:
        yield con


def raise_alerts(database: Path | str | duckdb.DuckDBPyConnection, result: RunLike,
                 config: AlertsConfig | None = None, *, warn: Warn | None = None,
                 raised_at: datetime | None = None) -> list[Alert]:
    """Evaluate, deliver and store this run's new alerts; return them. Call it after the
    checks and before publication, so that the published snapshot carries them. Never raises
    for a rule, a delivery or the table: those problems go to ``warn``."""
    say = warn or log.warning
    config = config or AlertsConfig.load()
    try:
        with _connection(database) as con:
            alerts = evaluate(con, result.run_id, result.outcome, result.exit_code,
                              result.checks, config, messages=result.messages,
                              raised_at=raised_at, warn=say)
    except duckdb.Error as exc:
        say(scrub(f"alerts: the build database could not be read ({exc}); "
                  "alerting on the run's outcome and checks only"))
        alerts = evaluate(None, result.run_id, result.outcome, result.exit_code,
                          result.checks, config, messages=result.messages,
                          raised_at=raised_at, warn=say)
    # Delivery happens with the database closed: a slow endpoint must not hold it.
    deliver(result, alerts, config, say)
    try:
        with _connection(database) as con:
            if con is not None:
                write_alerts(con, alerts)
                con.execute("CHECKPOINT")
    except duckdb.Error as exc:
        say(scrub(f"alerts: {len(alerts)} alert(s) could not be stored in audit.alerts: {exc}"))
    return alerts


@dataclass
class _TestRun:
    run_id: str
    outcome: str = "DELIVERY_TEST"
    exit_code: int = 0
    checks: list[CheckResult] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


def send_test_alert(config: AlertsConfig | None = None, *, warn: Warn | None = None) -> Alert:
    """Deliver one info alert on every configured channel and store nothing: a check of the
    channel settings that touches no warehouse."""
    config = config or AlertsConfig.load()
    at = datetime.now().replace(microsecond=0)
    run = _TestRun(f"delivery-test-{at:%Y%m%dT%H%M%S}")
    alert = RunContext(run.run_id, run.outcome, at).alert(
        "delivery_test", "info", "run", run.run_id,
        f"a test of posaudit alert delivery from {config.source}; no action needed")
    deliver(run, [alert], config, warn)
    return alert


def summary(alerts: Sequence[Alert]) -> str:
    """One line for the refresh's output."""
    if not alerts:
        return "alerts: none new"
    counts = Counter(a.severity for a in alerts)
    by = ", ".join(f"{counts[s]} {s}" for s in ("critical", "warning", "info") if counts[s])
    first = alerts[0]
    return (f"alerts: {len(alerts)} new ({by}); webhook {first.webhook_status.lower()}, "
            f"email {first.email_status.lower()}")
