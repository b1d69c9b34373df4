"""Early-warning alerts: delivery to a real local HTTP and SMTP server, retries, unreachable
channels, and no card number in a payload."""

from __future__ import annotations

import email
import email.policy
import json
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from posaudit.alerts.config import (
    AlertsConfig,
    DataQualityRule,
    ExposureRule,
    RefreshFailedRule,
)
from posaudit.alerts.runner import raise_alerts, send_test_alert
from posaudit.expectations.core import CRITICAL, FAILED, WARNING, CheckResult
from posaudit.privacy import scan_text
from tests.helpers.alert_servers import hook_server, smtp_server
from tests.helpers.alerts import (
    OFF,
    card_number,
    closed_port,
    copy_build,
    email_channel,
    fetch_rows,
    refresh_result,
    webhook_channel,
)
from tests.helpers.cli import Built

pytestmark = pytest.mark.slow




def test_webhook_posts_one_json_body_per_run(built: Built, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    db = copy_build(built, tmp_path).build_db
    monkeypatch.setenv("POSAUDIT_TEST_HOOK_TOKEN", "Bearer t0ken")
    with hook_server() as server:
        channel = webhook_channel(server.url, headers={"X-Source": "posaudit-test"},
                           headers_env={"Authorization": "POSAUDIT_TEST_HOOK_TOKEN"})
        config = replace(OFF, exception_exposure=ExposureRule(), webhook=channel)
        alerts = raise_alerts(db, refresh_result("R1", "PUBLISHED_WITH_WARNINGS", 1), config)
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
    assert fetch_rows(db, "select distinct webhook_status, webhook_error, email_status "
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
                         webhook=webhook_channel(server.url, retries=retries))
        alerts = raise_alerts(tmp_path / "absent.duckdb", refresh_result("R1", "REFUSED", 2),
                              config, warn=warnings.append)
    assert len(server.posted) == requests
    assert len({p.body for p in server.posted}) == 1  # every attempt sends the same body
    assert [(a.webhook_status, a.webhook_error) for a in alerts] == [(status, error)]
    assert bool(warnings) == (error is not None)


def test_unreachable_channels_are_recorded_not_raised(built: Built, tmp_path: Path) -> None:
    db = copy_build(built, tmp_path).build_db
    port = closed_port()
    config = replace(OFF, refresh_failed=RefreshFailedRule(),
                     webhook=webhook_channel(f"http://127.0.0.1:{port}/hook", retries=1),
                     email=email_channel(port))
    warnings: list[str] = []
    alerts = raise_alerts(db, refresh_result("R1", "REFUSED", 2), config, warn=warnings.append)
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
    assert fetch_rows(db, "select webhook_status, email_status from audit.alerts") == [
        ("FAILED", "FAILED")]


def test_email_lists_the_alerts(built: Built, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    db = copy_build(built, tmp_path).build_db
    monkeypatch.setenv("POSAUDIT_TEST_SMTP_PASSWORD", "s3cret")
    checks = [CheckResult("marts.terminal_daily_controls", "volume_within_baseline", WARNING,
                          FAILED, "1 of 120 rows unexpected", "volume not far below",
                          detail="terminal T9 on 2026-10-08: 3 transactions")]
    with smtp_server() as server:
        channel = email_channel(server.server_address[1], user="posaudit",
                         password_env="POSAUDIT_TEST_SMTP_PASSWORD",
                         subject_prefix="[posaudit test]")
        config = replace(OFF, exception_exposure=ExposureRule(),
                         data_quality=DataQualityRule(min_severity=WARNING), email=channel)
        alerts = raise_alerts(db, refresh_result("R1", "PUBLISHED_WITH_WARNINGS", 1, checks),
                              config)
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
        config = replace(OFF, webhook=webhook_channel(hook.url),
                         email=email_channel(smtp.server_address[1]))
        alert = send_test_alert(config)
    assert (alert.rule, alert.severity, alert.webhook_status, alert.email_status) == (
        "delivery_test", "info", "SENT", "SENT")
    body = json.loads(hook.posted[0].body)
    assert body["outcome"] == "DELIVERY_TEST" and body["alerts"][0]["alert_id"] == alert.alert_id
    message = email.message_from_bytes(smtp.box.messages[0], policy=email.policy.default)
    assert message["Subject"] == f"[posaudit] INFO: 1 alert(s) from refresh {alert.run_id} " \
                                 "(DELIVERY_TEST)"


def test_no_card_number_reaches_a_payload(built: Built, tmp_path: Path) -> None:
    pan = card_number()
    db = copy_build(built, tmp_path).build_db
    with duckdb.connect(str(db)) as con:
        con.execute("insert into main.fct_exceptions by name select 'crafted-pan' as "
                    "exception_id, 'ONE_SIDED' as exception_type, 'T0002' as terminal_id, "
                    "date '2026-10-09' as business_date, 5000.00 as exposure_amount, "
                    "'OPEN' as status, ? as detail", [f"customer quoted card {pan}"])
    checks = [CheckResult("incoming.pos_journal_v1", "no_card_number", CRITICAL, FAILED,
                          f"found {pan}", "no card number", file_name="terminal/x.csv",
                          line_no=3, detail=f"line 3 holds {pan}")]
    result = refresh_result("R1", "REFUSED", 2, checks, [f"refused: card {pan} in terminal/x.csv"])
    with hook_server() as hook, smtp_server() as smtp:
        config = replace(AlertsConfig(), webhook=webhook_channel(hook.url),
                         email=email_channel(smtp.server_address[1]))
        alerts = raise_alerts(db, result, config)
    assert {a.rule for a in alerts} >= {"exception_exposure", "data_quality", "refresh_failed"}
    texts = {
        "webhook": hook.posted[0].body.decode("utf-8"),
        "email": email.message_from_bytes(smtp.box.messages[0],
                                          policy=email.policy.default).get_content(),
        "table": json.dumps(fetch_rows(db, "select * from audit.alerts"), default=str),
    }
    for where, text in texts.items():
        assert pan not in text, where
        assert [f for f in scan_text(where, text) if f.kind == "card_number"] == []
