"""Early-warning alerts: the policy file, its loading and its errors."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from posaudit.alerts.config import (
    AlertsConfig,
)
from posaudit.expectations.core import CRITICAL
from tests.helpers.paths import ROOT

pytestmark = pytest.mark.slow



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
