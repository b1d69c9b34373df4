"""Early-warning alerts: the policy file, the rules on a warehouse built by a real refresh,
dedupe across runs, the alerts view, and delivery to a real local HTTP and SMTP server."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import re
import shutil
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pytest

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
from posaudit.alerts.runner import raise_alerts, send_test_alert
from posaudit.expectations.core import CRITICAL, FAILED, PASSED, WARNING, CheckResult
from posaudit.ingest.cardsafe import luhn_valid, mask_pan
from posaudit.pipeline.refresh import RefreshResult, run_ingest
from posaudit.pipeline.warehouse import Warehouse
from posaudit.privacy import scan_text
from tests.helpers.cli import Built
from tests.helpers.paths import ROOT

pytestmark = pytest.mark.slow

OFF = AlertsConfig(
    exception_exposure=ExposureRule(enabled=False),
    terminal_error_rate=TerminalErrorRateRule(enabled=False),
    data_quality=DataQualityRule(enabled=False),
    refresh_failed=RefreshFailedRule(enabled=False),
    pending_overdue=PendingOverdueRule(enabled=False),
)


def _run(run_id: str, outcome: str = "PUBLISHED", exit_code: int = 0,
         checks: list[CheckResult] | None = None,
         messages: list[str] | None = None) -> RefreshResult:
    return RefreshResult(run_id=run_id, exit_code=exit_code, outcome=outcome,
                         snapshot_id=None, checks=checks or [], messages=messages or [])


def _copy_build(built: Built, tmp_path: Path) -> Warehouse:
    """A private copy of the refreshed warehouse's build database, with no alert raised yet
    (the refresh that built it may have raised some)."""
    warehouse = Warehouse(tmp_path / "wh")
    warehouse.ensure()
    shutil.copyfile(built.warehouse / "build.duckdb", warehouse.build_db)
    with duckdb.connect(str(warehouse.build_db)) as con:
        con.execute("drop table if exists audit.alerts")
    return warehouse


def _rows(db: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    with duckdb.connect(str(db)) as con:
        return con.execute(sql, params or []).fetchall()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pan() -> str:
    # A Maestro number: outside the card-like guard's prefixes, so only scrub() masks it.
    body = "675900" + "123456789"
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


# --- local servers ----------------------------------------------------------------------------


@dataclass
class Posted:
    path: str
    headers: dict[str, str]
    body: bytes


class _HookServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, statuses: list[int]) -> None:
        super().__init__(("127.0.0.1", 0), _HookHandler)
        self.statuses = statuses
        self.posted: list[Posted] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/posaudit"


class _HookHandler(BaseHTTPRequestHandler):
    server: _HookServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.posted.append(Posted(self.path, dict(self.headers), body))
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass


@contextmanager
def hook_server(*statuses: int) -> Iterator[_HookServer]:
    server = _HookServer(list(statuses))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    auth: list[str] = field(default_factory=list)
    senders: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    messages: list[bytes] = field(default_factory=list)


class _SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.box = Mailbox()


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough ESMTP for smtplib: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT."""

    server: _SMTPServer

    def _say(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")

    def handle(self) -> None:
        box = self.server.box
        self._say("220 localhost ESMTP test")
        while line := self.rfile.readline():
            command = line.decode("utf-8").rstrip("\r\n")
            verb = command.split(" ", 1)[0].upper()
            address = re.search(r"<([^>]*)>", command)
            if verb in ("EHLO", "HELO"):
                self._say("250-localhost\r\n250-AUTH PLAIN\r\n250 8BITMIME")
            elif verb == "AUTH":
                box.auth.append(base64.b64decode(command.split()[2]).decode("utf-8"))
                self._say("235 2.7.0 accepted")
            elif verb == "MAIL" and address:
                box.senders.append(address.group(1))
                self._say("250 ok")
            elif verb == "RCPT" and address:
                box.recipients.append(address.group(1))
                self._say("250 ok")
            elif verb == "DATA":
                self._say("354 end with <CRLF>.<CRLF>")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                box.messages.append(data)
                self._say("250 queued")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("250 ok")


@contextmanager
def smtp_server() -> Iterator[_SMTPServer]:
    server = _SMTPServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _webhook(url: str, retries: int = 2, **kw: Any) -> WebhookChannel:
    return WebhookChannel(url=url, timeout_seconds=5, retries=retries, backoff_seconds=0, **kw)


def _email(port: int, **kw: Any) -> EmailChannel:
    return EmailChannel(host="127.0.0.1", port=port, security="none",
                        sender="posaudit@shop.test", to=("audit@shop.test", "ops@shop.test"),
                        timeout_seconds=5, **kw)


# --- configuration ----------------------------------------------------------------------------


def test_project_alerts_yml_loads_with_delivery_off() -> None:
    config = AlertsConfig.load(ROOT / "alerts.yml")
    assert config.source == str(ROOT / "alerts.yml")
    assert config.exception_exposure.enabled
    assert config.exception_exposure.threshold == Decimal("1000.00")
    assert config.terminal_error_rate.enabled and config.refresh_failed.enabled
    assert config.data_quality.min_severity == CRITICAL
    assert config.data_quality.warning_checks == frozenset({"exception_spike"})
    assert config.pending_overdue.enabled and config.pending_overdue.overdue_days == 2
    assert config.webhook is None and config.email is None


def test_env_var_names_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "alerts.yml"
    path.write_text("rules:\n  exception_exposure:\n    threshold: 250.10\n"
                    "    by_type: {DUPLICATE_CHARGE: 50}\n"
                    "channels:\n  webhook:\n    url: https://hooks.test/x\n    retries: 4\n",
                    encoding="utf-8")
    monkeypatch.setenv("POSAUDIT_ALERTS_CONFIG", str(path))
    config = AlertsConfig.load()
    assert config.source == str(path)
    assert config.exception_exposure.threshold == Decimal("250.10")
    assert config.exception_exposure.threshold_for("DUPLICATE_CHARGE") == Decimal("50")
    assert config.exception_exposure.threshold_for("ONE_SIDED") == Decimal("250.10")
    assert config.webhook is not None and config.webhook.retries == 4
    assert config.email is None


@pytest.mark.parametrize(("text", "field_", "problem"), [
    ("- a list\n", "(top level)", "expected a mapping"),
    ("rules: [\n", "", "while parsing"),
    ("rulez: {}\n", "rulez", "unknown field"),
    ("rules: {exception_exposure: {threshold: abc}}\n",
     "rules.exception_exposure.threshold", "expected an amount"),
    ("rules: {exception_exposure: {threshold: -5}}\n",
     "rules.exception_exposure.threshold", "0 or more"),
    ("rules: {exception_exposure: {treshold: 5}}\n",
     "rules.exception_exposure.treshold", "unknown field"),
    ("rules: {exception_exposure: {by_type: {DUPLICATE: 5}}}\n",
     "rules.exception_exposure.by_type", "unknown exception type DUPLICATE"),
    ("rules: {exception_exposure: {exception_types: [ONE_SIDED, ONESIDED]}}\n",
     "rules.exception_exposure.exception_types", "unknown exception type ONESIDED"),
    ("rules: {exception_exposure: {enabled: sometimes}}\n",
     "rules.exception_exposure.enabled", "true or false"),
    ("rules: {terminal_error_rate: {severity: loud}}\n",
     "rules.terminal_error_rate.severity", "info, warning, critical"),
    ("rules: {terminal_error_rate: {lookback_days: 1.5}}\n",
     "rules.terminal_error_rate.lookback_days", "whole number"),
    ("rules: {data_quality: {min_severity: info}}\n",
     "rules.data_quality.min_severity", "warning, critical"),
    ("rules: {refresh_failed: {outcomes: [BROKEN]}}\n",
     "rules.refresh_failed.outcomes", "REFUSED"),
    ("rules: {pending_overdue: {overdue_days: -1}}\n",
     "rules.pending_overdue.overdue_days", "from 0 to 36500"),
    ("rules: {pending_overdue: {after_days: 3}}\n",
     "rules.pending_overdue.after_days", "unknown field"),
    ("rules: {data_quality: {warning_checks: [1]}}\n",
     "rules.data_quality.warning_checks", "list of text"),
    ("channels: {webhook: {url: 'ftp://hooks.test/x'}}\n", "channels.webhook.url", "http"),
    ("channels: {webhook: {headers: {A: b}}}\n", "channels.webhook.url", "is required"),
    ("channels: {webhook: {url: 'http://h.test', retries: -1}}\n",
     "channels.webhook.retries", "from 0 to 10"),
    ("channels: {webhook: {url: 'http://h.test', timeout_seconds: fast}}\n",
     "channels.webhook.timeout_seconds", "expected a number"),
    ("channels: {email: {host: h, from: a@b.test, to: [c@d.test], password: hunter2}}\n",
     "channels.email.password", "password_env"),
    ("channels: {email: {host: h, from: a@b.test, to: []}}\n", "channels.email.to",
     "at least one recipient"),
    ("channels: {email: {host: h, from: a@b.test, to: [nobody]}}\n", "channels.email.to",
     "e-mail address"),
    ("channels: {email: {from: a@b.test, to: [c@d.test]}}\n", "channels.email.host",
     "is required"),
    ("channels: {email: {host: h, from: a@b.test, to: [c@d.test], port: 70000}}\n",
     "channels.email.port", "1 to 65535"),
    ("channels: {email: {host: h, from: a@b.test, to: [c@d.test], security: tls}}\n",
     "channels.email.security", "starttls, ssl, none"),
    ("channels: {email: {host: h, from: a@b.test, to: [c@d.test], user: u}}\n",
     "channels.email.password_env", "is required with user"),
])
def test_config_errors_name_the_file_and_field(tmp_path: Path, text: str, field_: str,
                                               problem: str) -> None:
    path = tmp_path / "alerts.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as info:
        AlertsConfig.load(path)
    message = str(info.value)
    assert message.startswith(f"alerts config {path}: {field_}")
    assert problem in message
    assert "hunter2" not in message


# --- rules on a refreshed warehouse -----------------------------------------------------------


def test_exposure_rule_on_a_refreshed_warehouse(built: Built, tmp_path: Path) -> None:
    warehouse = _copy_build(built, tmp_path)
    db = warehouse.build_db
    expected = _rows(db, "select exception_id, exposure_amount from main.fct_exceptions "
                         "where exposure_amount > 1000 and status <> 'RECOVERED'")
    assert len(expected) >= 2, "the generated landing zone should carry large exposures"
    config = replace(OFF, exception_exposure=ExposureRule(threshold=Decimal("1000.00")))
    alerts = raise_alerts(db, _run("R1"), config)

    assert {(a.subject, a.value) for a in alerts} == {(e, Decimal(v)) for e, v in expected}
    assert all(a.rule == "exception_exposure" and a.subject_type == "exception"
               and a.severity == "warning" and a.threshold == Decimal("1000.00")
               for a in alerts)
    top = max(alerts, key=lambda a: a.value or 0)
    assert f"exposure {top.value:,.2f}" in top.message and "1,000.00 threshold" in top.message
    stored = _rows(db, "select alert_id, run_id, run_outcome, rule, value, webhook_status, "
                       "email_status from audit.alerts order by alert_id")
    assert stored == sorted((a.alert_id, "R1", "PUBLISHED", "exception_exposure",
                             a.value, "NOT_CONFIGURED", "NOT_CONFIGURED") for a in alerts)

    # Strictly over: an exception at exactly the threshold is not alerted; per-type
    # thresholds and the type filter narrow the set.
    exact = replace(OFF, exception_exposure=ExposureRule(threshold=top.value or Decimal(0)))
    assert raise_alerts(db, _run("R2"), exact) == []
    (etype,) = _rows(db, "select exception_type from main.fct_exceptions "
                         "where exception_id = ?", [top.subject])[0]
    only = replace(OFF, exception_exposure=ExposureRule(
        threshold=Decimal(0), exception_types=frozenset({etype}),
        by_type={etype: (top.value or Decimal(0)) - Decimal("0.01")}))
    fresh = _copy_build(built, tmp_path / "fresh")
    assert [a.subject for a in raise_alerts(fresh.build_db, _run("R3"), only)] == [top.subject]


def test_the_same_exception_is_not_alerted_twice(built: Built, tmp_path: Path) -> None:
    db = _copy_build(built, tmp_path).build_db
    config = replace(OFF, exception_exposure=ExposureRule(threshold=Decimal("1000.00")))
    first = raise_alerts(db, _run("R1"), config)
    assert first
    assert raise_alerts(db, _run("R2"), config) == []
    # A new exception over the threshold is the only alert of the next run.
    with duckdb.connect(str(db)) as con:
        con.execute("insert into main.fct_exceptions by name select 'crafted-dup' as "
                    "exception_id, 'DUPLICATE_CHARGE' as exception_type, 'T0001' as "
                    "terminal_id, '000123' as trace_no, date '2026-10-09' as business_date, "
                    "1500.00 as amount, 1500.00 as exposure_amount, 'OPEN' as status")
    third = raise_alerts(db, _run("R3"), config)
    assert [(a.subject, a.run_id) for a in third] == [("crafted-dup", "R3")]
    assert "DUPLICATE_CHARGE on terminal T0001 trace 000123, 2026-10-09" in third[0].message
    counts = _rows(db, "select run_id, count(*) from audit.alerts group by 1 order by 1")
    assert counts == [("R1", len(first)), ("R3", 1)]
    assert _rows(db, "select count(distinct alert_id) = count(*) from audit.alerts") == [(True,)]


def test_terminal_out_of_control_day(built: Built, tmp_path: Path) -> None:
    db = _copy_build(built, tmp_path).build_db
    # The generated landing zone has no out-of-control day: the crafted one is the only one.
    assert _rows(db, "select count(*) from main.mart_terminal_daily_controls "
                     "where is_out_of_control") == [(0,)]
    day_id, older = _rows(db, "select terminal_day_id, business_date from "
                              "main.mart_terminal_daily_controls where transactions > 0 and "
                              "business_date < (select max(business_date) from "
                              "main.mart_terminal_daily_controls) order by business_date, "
                              "terminal_id limit 1")[0]
    with duckdb.connect(str(db)) as con:
        con.execute("update main.mart_terminal_daily_controls set transactions = 200, "
                    "errors = 18, error_rate = 0.09, center_rate = 0.01, ucl = 0.04, "
                    "is_out_of_control = true where terminal_day_id = ?", [day_id])
    # Only the latest business date is in a 0-day lookback: the crafted day is older.
    recent = replace(OFF, terminal_error_rate=TerminalErrorRateRule(lookback_days=0))
    assert raise_alerts(db, _run("R0"), recent) == []

    config = replace(OFF, terminal_error_rate=TerminalErrorRateRule(severity="critical"))
    alerts = raise_alerts(db, _run("R1"), config)
    assert [(a.subject_type, a.subject, a.severity) for a in alerts] == [
        ("terminal_day", day_id, "critical")]
    alert = alerts[0]
    assert (alert.value, alert.threshold) == (Decimal("0.09"), Decimal("0.04"))
    assert older.isoformat() in alert.message
    assert "error rate 9.00% (18 errors in 200 transactions)" in alert.message
    assert "upper control limit 4.00%" in alert.message
    assert raise_alerts(db, _run("R2"), config) == []


def test_failed_checks_alert_at_or_above_the_configured_severity(tmp_path: Path) -> None:
    checks = [
        CheckResult("marts.fct_exceptions", "exposure_not_negative", CRITICAL, FAILED,
                    "1 of 220 rows unexpected", "exposure_amount >= 0"),
        CheckResult("marts.fct_exceptions", "exposure_not_negative", CRITICAL, FAILED,
                    "-5.00", "exposure_amount >= 0", detail="exception e1 (FEE_MISMATCH)"),
        CheckResult("marts.terminal_daily_controls", "volume_within_baseline", WARNING,
                    FAILED, "2 of 120 rows unexpected", "volume not far below"),
        CheckResult("marts.fct_exceptions", "exception_keys_present", CRITICAL, PASSED,
                    "0", "keys set"),
    ]
    db = tmp_path / "absent.duckdb"  # checks need no database
    critical = raise_alerts(db, _run("R1", "REFUSED", 2, checks),
                            replace(OFF, data_quality=DataQualityRule()))
    assert [(a.rule, a.subject, a.severity, a.value) for a in critical] == [
        ("data_quality", "R1 marts.fct_exceptions.exposure_not_negative", "critical",
         Decimal(2))]
    assert "exception e1 (FEE_MISMATCH)" in critical[0].message
    both = raise_alerts(db, _run("R1", "REFUSED", 2, checks),
                        replace(OFF, data_quality=DataQualityRule(min_severity=WARNING)))
    assert sorted(a.subject for a in both) == [
        "R1 marts.fct_exceptions.exposure_not_negative",
        "R1 marts.terminal_daily_controls.volume_within_baseline"]
    assert not db.exists()


def test_a_feed_problem_alerts_although_warnings_do_not(tmp_path: Path) -> None:
    checks = [
        CheckResult("marts.exception_spikes", "exception_spike", WARNING, FAILED,
                    "is_spike=True", "no exception type above 20 × its trailing median",
                    detail="UNMATCHED_SETTLEMENT on 2026-10-05: 466 exceptions against a "
                           "trailing median of 2"),
        CheckResult("marts.terminal_daily_controls", "volume_within_baseline", WARNING,
                    FAILED, "2 of 120 rows unexpected", "volume not far below"),
    ]
    db = tmp_path / "absent.duckdb"
    alerts = raise_alerts(db, _run("R1", "PUBLISHED_WITH_WARNINGS", 1, checks),
                          replace(OFF, data_quality=DataQualityRule()))
    assert [(a.subject, a.severity) for a in alerts] == [
        ("R1 marts.exception_spikes.exception_spike", "warning")]
    assert "466 exceptions" in alerts[0].message
    # Listed by name: without it, a warning stays below the rule's floor.
    quiet = DataQualityRule(warning_checks=frozenset())
    assert raise_alerts(db, _run("R2", "PUBLISHED_WITH_WARNINGS", 1, checks),
                        replace(OFF, data_quality=quiet)) == []


def test_an_overdue_source_file_alerts_once(built: Built, tmp_path: Path) -> None:
    db = _copy_build(built, tmp_path).build_db
    # The generated zone has every file: nothing is overdue.
    assert _rows(db, "select count(*) from main.mart_pending_sources "
                     "where days_overdue > 2") == [(0,)]
    with duckdb.connect(str(db)) as con:
        con.execute("""
            insert into main.mart_pending_sources by name
            select * from (values
                ('p-journal', 'JOURNAL', 'SETTLEMENT_LINE', null, 'M0001', date '2026-10-05',
                 date '2026-10-05', 155, 32246.86, date '2026-10-10', true, date '2026-10-10',
                 5),
                ('p-bank', 'BANK', 'NET_SETTLEMENT', 'UMS', 'M0002', date '2026-10-07',
                 date '2026-10-08', 1, 900.00, date '2026-10-08', false, date '2026-10-10', 2)
            ) as t(pending_id, source, item_kind, acquirer, merchant_id, pending_date,
                   due_date, waiting_items, waiting_amount, covered_through, is_gap,
                   as_of_date, days_overdue)""")
    config = replace(OFF, pending_overdue=PendingOverdueRule())
    alerts = raise_alerts(db, _run("R1"), config)
    assert [(a.rule, a.subject_type, a.subject, a.severity, a.value, a.threshold)
            for a in alerts] == [("pending_overdue", "pending_source", "p-journal", "warning",
                                  Decimal(5), Decimal(2))]
    assert alerts[0].message == (
        "terminal journal of merchant M0001 for 2026-10-05 has not arrived: 155 settlement "
        "line(s) (32,246.86) wait for it, 5 day(s) past due; later days have arrived (a gap "
        "in the feed)")
    assert raise_alerts(db, _run("R2"), config) == []
    # A lower bar takes in the row only 2 days past due, once.
    lower = replace(OFF, pending_overdue=PendingOverdueRule(overdue_days=1, severity="critical"))
    assert [(a.subject, a.severity) for a in raise_alerts(db, _run("R3"), lower)] == [
        ("p-bank", "critical")]


def test_a_refresh_whose_build_failed_still_alerts(generated_landing: Path,
                                                   tmp_path: Path) -> None:
    """Ingest ran, dbt did not build: no marts. The failed run alerts and is stored."""
    warehouse = Warehouse(tmp_path / "wh")
    report = run_ingest(generated_landing, warehouse, "R1")
    assert not _rows(warehouse.build_db, "select * from information_schema.tables where "
                                         "table_name = 'fct_exceptions'")
    result = _run("R1", "REFUSED", 2, report.checks,
                  ["dbt build failed (fct_exceptions): the last snapshot stays published"])
    warnings: list[str] = []
    with hook_server() as server:
        config = replace(AlertsConfig(), webhook=_webhook(server.url))
        alerts = raise_alerts(warehouse.build_db, result, config, warn=warnings.append)
    assert warnings == []
    assert [(a.rule, a.subject, a.severity, a.value) for a in alerts] == [
        ("refresh_failed", "R1", "critical", Decimal(2))]
    assert "ended REFUSED (exit 2)" in alerts[0].message
    assert "dbt build failed (fct_exceptions)" in alerts[0].message
    body = json.loads(server.posted[0].body)
    assert (body["run_id"], body["outcome"], body["published"]) == ("R1", "REFUSED", False)
    assert _rows(warehouse.build_db, "select rule, run_outcome, webhook_status from "
                                     "audit.alerts") == [("refresh_failed", "REFUSED", "SENT")]
    # Every failed run alerts: the subject is the run.
    again = raise_alerts(warehouse.build_db, replace(result, run_id="R2"), AlertsConfig())
    assert [a.subject for a in again] == ["R2"]
    # A run that failed before the warehouse existed alerts too, and stores nothing.
    missing = tmp_path / "never" / "build.duckdb"
    assert [a.rule for a in raise_alerts(missing, replace(result, run_id="R3"),
                                         AlertsConfig())] == ["refresh_failed"]
    assert not missing.exists()


def test_the_alerts_view_follows_the_table(built: Built, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from posaudit.pipeline.dbt_runner import run_dbt

    snapshot = (built.warehouse / "snapshots" / (
        (built.warehouse / "CURRENT").read_text().strip() + ".duckdb"))
    with duckdb.connect(str(snapshot), read_only=True) as con:
        has_table = con.execute("select count(*) from information_schema.tables where "
                                "table_schema = 'audit' and table_name = 'alerts'").fetchone()
        stored = (con.execute("select count(*) from audit.alerts").fetchone()
                  if has_table and has_table[0] else (0,))
        assert con.execute("select count(*) from main.alerts").fetchone() == stored

    warehouse = _copy_build(built, tmp_path)
    config = replace(OFF, exception_exposure=ExposureRule(),
                     refresh_failed=RefreshFailedRule())
    alerts = raise_alerts(warehouse.build_db, _run("R1", "REFUSED", 2), config)
    monkeypatch.setenv("POSAUDIT_DB_PATH", str(warehouse.build_db))
    outcome = run_dbt(warehouse, ["build", "--select", "stg_audit__alerts+"], quiet=True)
    assert outcome.success, outcome.failures or outcome.error
    tests = [n for n in outcome.nodes if n["resource_type"] == "test"]
    assert len(tests) >= 10 and all(n["status"] == "pass" for n in tests)
    rows = _rows(warehouse.build_db, "select alert_id, rule, severity, value from main.alerts")
    assert sorted(rows) == sorted((a.alert_id, a.rule, a.severity, a.value) for a in alerts)


# --- delivery ---------------------------------------------------------------------------------


def test_webhook_posts_one_json_body_per_run(built: Built, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    db = _copy_build(built, tmp_path).build_db
    monkeypatch.setenv("POSAUDIT_TEST_HOOK_TOKEN", "Bearer t0ken")
    with hook_server() as server:
        channel = _webhook(server.url, headers={"X-Source": "posaudit-test"},
                           headers_env={"Authorization": "POSAUDIT_TEST_HOOK_TOKEN"})
        config = replace(OFF, exception_exposure=ExposureRule(), webhook=channel)
        alerts = raise_alerts(db, _run("R1", "PUBLISHED_WITH_WARNINGS", 1), config)
    assert alerts and len(server.posted) == 1
    posted = server.posted[0]
    assert posted.path == "/hooks/posaudit"
    assert posted.headers["Content-Type"].startswith("application/json")
    assert posted.headers["X-Source"] == "posaudit-test"
    assert posted.headers["Authorization"] == "Bearer t0ken"
    body = json.loads(posted.body)
    assert (body["run_id"], body["outcome"], body["exit_code"], body["published"]) == (
        "R1", "PUBLISHED_WITH_WARNINGS", 1, True)
    assert body["counts"] == {"alerts": len(alerts), "by_severity": {"warning": len(alerts)},
                              "by_rule": {"exception_exposure": len(alerts)}}
    assert [a["alert_id"] for a in body["alerts"]] == [a.alert_id for a in alerts]
    first = body["alerts"][0]
    assert first["value"] == str(alerts[0].value) and first["message"] == alerts[0].message
    assert first["subject_type"] == "exception"
    assert first["threshold"] == str(alerts[0].threshold) == "1000.00"
    assert _rows(db, "select distinct webhook_status, webhook_error, email_status "
                     "from audit.alerts") == [("SENT", None, "NOT_CONFIGURED")]


@pytest.mark.parametrize(("statuses", "retries", "requests", "status", "error"), [
    ((500, 200), 2, 2, "SENT", None),
    ((503, 503, 503), 2, 3, "FAILED", "HTTP 503 Service Unavailable (after 3 attempt(s))"),
    ((400,), 2, 1, "FAILED", "HTTP 400 Bad Request"),
])
def test_webhook_retries_server_errors_only(tmp_path: Path, statuses: tuple[int, ...],
                                            retries: int, requests: int, status: str,
                                            error: str | None) -> None:
    warnings: list[str] = []
    with hook_server(*statuses) as server:
        config = replace(OFF, refresh_failed=RefreshFailedRule(),
                         webhook=_webhook(server.url, retries=retries))
        alerts = raise_alerts(tmp_path / "absent.duckdb", _run("R1", "REFUSED", 2), config,
                              warn=warnings.append)
    assert len(server.posted) == requests
    assert len({p.body for p in server.posted}) == 1  # every attempt sends the same body
    assert [(a.webhook_status, a.webhook_error) for a in alerts] == [(status, error)]
    assert bool(warnings) == (error is not None)


def test_unreachable_channels_are_recorded_not_raised(built: Built, tmp_path: Path) -> None:
    db = _copy_build(built, tmp_path).build_db
    port = _closed_port()
    config = replace(OFF, refresh_failed=RefreshFailedRule(),
                     webhook=_webhook(f"http://127.0.0.1:{port}/hook", retries=1),
                     email=_email(port))
    warnings: list[str] = []
    alerts = raise_alerts(db, _run("R1", "REFUSED", 2), config, warn=warnings.append)
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.webhook_status == "FAILED" and "cannot reach the webhook" in (
        alert.webhook_error or "")
    assert "after 2 attempt(s)" in (alert.webhook_error or "")
    assert str(port) not in (alert.webhook_error or "")  # the URL (and its token) stay out
    assert alert.email_status == "FAILED" and "ConnectionRefusedError" in (
        alert.email_error or "")
    assert any("webhook delivery failed" in w for w in warnings)
    assert any("email delivery failed" in w for w in warnings)
    assert _rows(db, "select webhook_status, email_status from audit.alerts") == [
        ("FAILED", "FAILED")]


def test_email_lists_the_alerts(built: Built, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    db = _copy_build(built, tmp_path).build_db
    monkeypatch.setenv("POSAUDIT_TEST_SMTP_PASSWORD", "s3cret")
    checks = [CheckResult("marts.terminal_daily_controls", "volume_within_baseline", WARNING,
                          FAILED, "1 of 120 rows unexpected", "volume not far below",
                          detail="terminal T9 on 2026-10-08: 3 transactions")]
    with smtp_server() as server:
        channel = _email(server.server_address[1], user="posaudit",
                         password_env="POSAUDIT_TEST_SMTP_PASSWORD",
                         subject_prefix="[posaudit test]")
        config = replace(OFF, exception_exposure=ExposureRule(),
                         data_quality=DataQualityRule(min_severity=WARNING), email=channel)
        alerts = raise_alerts(db, _run("R1", "PUBLISHED_WITH_WARNINGS", 1, checks), config)
    box = server.box
    assert box.auth == ["\0posaudit\0s3cret"]
    assert box.senders == ["posaudit@shop.test"]
    assert box.recipients == ["audit@shop.test", "ops@shop.test"]
    assert len(box.messages) == 1
    message = email.message_from_bytes(box.messages[0], policy=email.policy.default)
    assert message["Subject"] == (f"[posaudit test] WARNING: {len(alerts)} alert(s) from "
                                  "refresh R1 (PUBLISHED_WITH_WARNINGS)")
    assert message["To"] == "audit@shop.test, ops@shop.test"
    body = message.get_content()
    assert f"raised {len(alerts)} new alert(s) after refresh R1" in body
    for a in alerts:
        assert a.message in body
    assert "terminal T9 on 2026-10-08" in body
    assert {a.email_status for a in alerts} == {"SENT"}


def test_a_test_alert_goes_out_on_every_channel() -> None:
    with hook_server() as hook, smtp_server() as smtp:
        config = replace(OFF, webhook=_webhook(hook.url), email=_email(smtp.server_address[1]))
        alert = send_test_alert(config)
    assert (alert.rule, alert.severity, alert.webhook_status, alert.email_status) == (
        "delivery_test", "info", "SENT", "SENT")
    body = json.loads(hook.posted[0].body)
    assert body["outcome"] == "DELIVERY_TEST" and body["alerts"][0]["alert_id"] == alert.alert_id
    message = email.message_from_bytes(smtp.box.messages[0], policy=email.policy.default)
    assert message["Subject"] == f"[posaudit] INFO: 1 alert(s) from refresh {alert.run_id} " \
                                 "(DELIVERY_TEST)"


def test_no_card_number_reaches_a_payload(built: Built, tmp_path: Path) -> None:
    pan = _pan()
    db = _copy_build(built, tmp_path).build_db
    with duckdb.connect(str(db)) as con:
        con.execute("insert into main.fct_exceptions by name select 'crafted-pan' as "
                    "exception_id, 'ONE_SIDED' as exception_type, 'T0002' as terminal_id, "
                    "date '2026-10-09' as business_date, 5000.00 as exposure_amount, "
                    "'OPEN' as status, ? as detail", [f"customer quoted card {pan}"])
    checks = [CheckResult("incoming.pos_journal_v1", "no_card_number", CRITICAL, FAILED,
                          f"found {pan}", "no card number", file_name="terminal/x.csv",
                          line_no=3, detail=f"line 3 holds {pan}")]
    result = _run("R1", "REFUSED", 2, checks, [f"refused: card {pan} in terminal/x.csv"])
    with hook_server() as hook, smtp_server() as smtp:
        config = replace(AlertsConfig(), webhook=_webhook(hook.url),
                         email=_email(smtp.server_address[1]))
        alerts = raise_alerts(db, result, config)
    assert {a.rule for a in alerts} >= {"exception_exposure", "data_quality", "refresh_failed"}
    texts = {
        "webhook": hook.posted[0].body.decode("utf-8"),
        "email": email.message_from_bytes(smtp.box.messages[0],
                                          policy=email.policy.default).get_content(),
        "table": json.dumps(_rows(db, "select * from audit.alerts"), default=str),
    }
    for where, text in texts.items():
        assert pan not in text, where
        assert [f for f in scan_text(where, text) if f.kind == "card_number"] == []
        assert mask_pan(pan) in text, where  # the text was there, masked
