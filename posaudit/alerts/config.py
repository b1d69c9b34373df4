"""The alerting policy (``alerts.yml``): which rules raise alerts after a refresh, at what
thresholds, and where they are delivered. Delivery is off unless a channel is configured.

Every error names the file and the field (``rules.exception_exposure.threshold``), and
unknown keys are errors: a misspelt threshold must not silently fall back to a default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal, NoReturn, TypeVar
from urllib.parse import urlparse

from posaudit.resources import read_policy

CONFIG_ENV = "POSAUDIT_ALERTS_CONFIG"

AlertSeverity = Literal["info", "warning", "critical"]
SEVERITIES: tuple[AlertSeverity, ...] = ("info", "warning", "critical")
MinSeverity = Literal["warning", "critical"]
MIN_SEVERITIES: tuple[MinSeverity, ...] = ("warning", "critical")
SecurityMode = Literal["starttls", "ssl", "none"]
SECURITY_MODES: tuple[SecurityMode, ...] = ("starttls", "ssl", "none")
Choice = TypeVar("Choice", bound=str)
OUTCOMES = ("PUBLISHED", "PUBLISHED_WITH_WARNINGS", "REFUSED", "FAILED", "INTERRUPTED")

# The exception types (docs/exceptions.md); a misspelt one would never match and never alert.
EXCEPTION_TYPES = frozenset({
    "DUPLICATE_CHARGE", "AMOUNT_MISMATCH", "MISSING_IN_SETTLEMENT", "UNMATCHED_SETTLEMENT",
    "VOID_SETTLED", "ONE_SIDED", "FEE_MISMATCH", "LATE_SETTLEMENT", "REFUND_EXCEEDS_ORIGINAL",
    "DEPOSIT_MISMATCH", "MISSING_DEPOSIT",
})


@dataclass(frozen=True)
class ExposureRule:
    """One alert per exception whose exposure_amount exceeds its type's threshold."""

    enabled: bool = True
    severity: AlertSeverity = "warning"
    threshold: Decimal = Decimal("1000.00")
    by_type: Mapping[str, Decimal] = field(default_factory=dict)
    exception_types: frozenset[str] = frozenset()  # empty: every type
    skip_recovered: bool = True  # status RECOVERED: later data paid it back
    lookback_days: int | None = None  # from the latest business_date in fct_exceptions

    def threshold_for(self, exception_type: str) -> Decimal:
        return self.by_type.get(exception_type, self.threshold)


@dataclass(frozen=True)
class TerminalErrorRateRule:
    """One alert per terminal-day flagged is_out_of_control in mart_terminal_daily_controls."""

    enabled: bool = True
    severity: AlertSeverity = "warning"
    lookback_days: int | None = None  # from the latest business_date in the mart


@dataclass(frozen=True)
class DataQualityRule:
    """One alert per failed check (suite and check name) of the run at or above a severity;
    the checks in ``warning_checks`` alert on a warning too (a feed problem must be seen)."""

    enabled: bool = True
    min_severity: MinSeverity = "critical"
    warning_checks: frozenset[str] = frozenset({"exception_spike"})


@dataclass(frozen=True)
class PendingOverdueRule:
    """One alert per row of mart_pending_sources (source, merchant, day) whose awaited file is
    more than ``overdue_days`` past its due date."""

    enabled: bool = True
    severity: AlertSeverity = "warning"
    overdue_days: int = 2


@dataclass(frozen=True)
class RefreshFailedRule:
    enabled: bool = True
    severity: AlertSeverity = "critical"
    outcomes: frozenset[str] = frozenset({"REFUSED", "FAILED"})
    exit_codes: frozenset[int] = frozenset({2})


@dataclass(frozen=True)
class WebhookChannel:
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    # Header name → environment variable holding its value (tokens stay out of the file).
    headers_env: Mapping[str, str] = field(default_factory=dict)
    timeout_seconds: float = 10.0
    retries: int = 2
    backoff_seconds: float = 2.0


@dataclass(frozen=True)
class EmailChannel:
    host: str
    sender: str
    to: tuple[str, ...]
    port: int = 587
    security: SecurityMode = "starttls"
    user: str | None = None
    password_env: str | None = None
    subject_prefix: str = "[posaudit]"
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class AlertsConfig:
    exception_exposure: ExposureRule = ExposureRule()
    terminal_error_rate: TerminalErrorRateRule = TerminalErrorRateRule()
    data_quality: DataQualityRule = DataQualityRule()
    refresh_failed: RefreshFailedRule = RefreshFailedRule()
    pending_overdue: PendingOverdueRule = PendingOverdueRule()
    webhook: WebhookChannel | None = None
    email: EmailChannel | None = None
    source: str = "built-in defaults"

    @classmethod
    def load(cls, path: Path | None = None) -> AlertsConfig:
        """``path``, else $POSAUDIT_ALERTS_CONFIG, else the project's alerts.yml, else
        defaults (rules on, delivery off)."""
        found = read_policy(path, CONFIG_ENV, "alerts.yml", "alerts config")
        if found is None:
            return cls()
        data, chosen = found
        return parse(data, str(chosen))


class _Fields:
    """Typed reads from one mapping of the file; errors name the file and the dotted field."""

    def __init__(self, data: object, where: str, source: str) -> None:
        self.where, self.source = where, source
        if not isinstance(data, dict):
            self.fail("", "expected a mapping")
        self.data: dict[str, Any] = data

    def fail(self, name: str, problem: str) -> NoReturn:
        dotted = ".".join(p for p in (self.where, name) if p) or "(top level)"
        raise ValueError(f"alerts config {self.source}: {dotted}: {problem}")

    def only(self, *allowed: str) -> None:
        for key in self.data:
            if key not in allowed:
                self.fail(str(key), f"unknown field (expected one of: {', '.join(allowed)})")

    def section(self, name: str) -> _Fields | None:
        value = self.data.get(name)
        if value is None:
            return None
        return _Fields(value, f"{self.where}.{name}" if self.where else name, self.source)

    def boolean(self, name: str, default: bool) -> bool:
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            self.fail(name, f"expected true or false, got {value!r}")
        return bool(value)

    def text(self, name: str, default: str | None = None, *, required: bool = False) -> str:
        value = self.data.get(name, default)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(name, "is required")
            return default or ""
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            self.fail(name, f"expected text, got {value!r}")
        return str(value).strip()

    def choice(self, name: str, default: Choice, options: tuple[Choice, ...]) -> Choice:
        value = self.data.get(name, default)
        if value not in options:
            self.fail(name, f"expected one of {', '.join(options)}, got {value!r}")
        return options[options.index(value)]

    def amount(self, name: str, raw: object) -> Decimal:
        if raw is None or isinstance(raw, bool):
            self.fail(name, f"expected an amount, got {raw!r}")
        try:
            # str() first: a YAML float 1000.1 must mean 1000.10, not its binary expansion.
            out = Decimal(str(raw))
        except InvalidOperation:
            self.fail(name, f"expected an amount, got {raw!r}")
        if not out.is_finite() or out < 0:
            self.fail(name, f"expected an amount of 0 or more, got {raw!r}")
        return out

    def number(self, name: str, default: float, *, low: float, high: float) -> float:
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(name, f"expected a number, got {value!r}")
        if not low <= value <= high:
            self.fail(name, f"expected a number from {low:g} to {high:g}, got {value!r}")
        return float(value)

    def integer(self, name: str, default: int | None, *, low: int, high: int) -> int | None:
        value = self.data.get(name, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, f"expected a whole number, got {value!r}")
        if not low <= value <= high:
            self.fail(name, f"expected a whole number from {low} to {high}, got {value!r}")
        return int(value)

    def strings(self, name: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self.data.get(name)
        if value is None:
            return default
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.fail(name, f"expected a list of text, got {value!r}")
        return tuple(value)

    def text_map(self, name: str) -> dict[str, str]:
        value = self.data.get(name) or {}
        if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, (str, int)) and not isinstance(v, bool)
                for k, v in value.items()):
            self.fail(name, f"expected a mapping of names to text, got {value!r}")
        return {k: str(v) for k, v in value.items()}


def parse(data: object, source: str) -> AlertsConfig:
    top = _Fields(data, "", source)
    top.only("rules", "channels")
    rules = top.section("rules") or _Fields({}, "rules", source)
    rules.only("exception_exposure", "terminal_error_rate", "data_quality", "refresh_failed",
               "pending_overdue")
    channels = top.section("channels") or _Fields({}, "channels", source)
    channels.only("webhook", "email")
    webhook = channels.section("webhook")
    email = channels.section("email")
    return AlertsConfig(
        exception_exposure=_exposure(rules.section("exception_exposure")),
        terminal_error_rate=_terminal(rules.section("terminal_error_rate")),
        data_quality=_data_quality(rules.section("data_quality")),
        refresh_failed=_refresh_failed(rules.section("refresh_failed")),
        pending_overdue=_pending_overdue(rules.section("pending_overdue")),
        webhook=_webhook(webhook) if webhook and webhook.boolean("enabled", True) else None,
        email=_email(email) if email and email.boolean("enabled", True) else None,
        source=source,
    )


def _severity(f: _Fields, default: AlertSeverity) -> AlertSeverity:
    return f.choice("severity", default, SEVERITIES)


def _exception_types(f: _Fields, name: str, values: tuple[str, ...]) -> frozenset[str]:
    unknown = sorted(set(values) - EXCEPTION_TYPES)
    if unknown:
        f.fail(name, f"unknown exception type {', '.join(unknown)} "
                     f"(expected one of: {', '.join(sorted(EXCEPTION_TYPES))})")
    return frozenset(values)


def _exposure(f: _Fields | None) -> ExposureRule:
    base = ExposureRule()
    if f is None:
        return base
    f.only("enabled", "severity", "threshold", "by_type", "exception_types", "skip_recovered",
           "lookback_days")
    by_type_raw = f.data.get("by_type") or {}
    if not isinstance(by_type_raw, dict):
        f.fail("by_type", "expected a mapping of exception type to amount")
    _exception_types(f, "by_type", tuple(str(k) for k in by_type_raw))
    by_type = {str(k): f.amount(f"by_type.{k}", v) for k, v in by_type_raw.items()}
    return ExposureRule(
        enabled=f.boolean("enabled", base.enabled),
        severity=_severity(f, base.severity),
        threshold=f.amount("threshold", f.data.get("threshold", base.threshold)),
        by_type=by_type,
        exception_types=_exception_types(f, "exception_types", f.strings("exception_types")),
        skip_recovered=f.boolean("skip_recovered", base.skip_recovered),
        lookback_days=f.integer("lookback_days", base.lookback_days, low=0, high=36_500),
    )


def _terminal(f: _Fields | None) -> TerminalErrorRateRule:
    base = TerminalErrorRateRule()
    if f is None:
        return base
    f.only("enabled", "severity", "lookback_days")
    return TerminalErrorRateRule(
        enabled=f.boolean("enabled", base.enabled),
        severity=_severity(f, base.severity),
        lookback_days=f.integer("lookback_days", base.lookback_days, low=0, high=36_500),
    )


def _data_quality(f: _Fields | None) -> DataQualityRule:
    base = DataQualityRule()
    if f is None:
        return base
    f.only("enabled", "min_severity", "warning_checks")
    return DataQualityRule(
        enabled=f.boolean("enabled", base.enabled),
        min_severity=f.choice("min_severity", base.min_severity, MIN_SEVERITIES),
        warning_checks=frozenset(f.strings("warning_checks", tuple(base.warning_checks))),
    )


def _pending_overdue(f: _Fields | None) -> PendingOverdueRule:
    base = PendingOverdueRule()
    if f is None:
        return base
    f.only("enabled", "severity", "overdue_days")
    return PendingOverdueRule(
        enabled=f.boolean("enabled", base.enabled),
        severity=_severity(f, base.severity),
        overdue_days=f.integer("overdue_days", base.overdue_days, low=0, high=36_500)
        or 0,
    )


def _refresh_failed(f: _Fields | None) -> RefreshFailedRule:
    base = RefreshFailedRule()
    if f is None:
        return base
    f.only("enabled", "severity", "outcomes", "exit_codes")
    outcomes = f.strings("outcomes", tuple(sorted(base.outcomes)))
    if set(outcomes) - set(OUTCOMES):
        f.fail("outcomes", f"expected some of {', '.join(OUTCOMES)}, got {list(outcomes)!r}")
    codes = f.data.get("exit_codes", sorted(base.exit_codes))
    if not isinstance(codes, list) or not all(
            isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in codes):
        f.fail("exit_codes", f"expected a list of exit codes (0-255), got {codes!r}")
    return RefreshFailedRule(
        enabled=f.boolean("enabled", base.enabled),
        severity=_severity(f, base.severity),
        outcomes=frozenset(outcomes),
        exit_codes=frozenset(codes),
    )


def _webhook(f: _Fields) -> WebhookChannel:
    f.only("enabled", "url", "headers", "headers_env", "timeout_seconds", "retries",
           "backoff_seconds")
    url = f.text("url", required=True)
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        f.fail("url", f"expected an http:// or https:// URL, got {url!r}")
    return WebhookChannel(
        url=url,
        headers=f.text_map("headers"),
        headers_env=f.text_map("headers_env"),
        timeout_seconds=f.number("timeout_seconds", 10.0, low=0.1, high=300),
        retries=f.integer("retries", 2, low=0, high=10) or 0,
        backoff_seconds=f.number("backoff_seconds", 2.0, low=0, high=60),
    )


def _email(f: _Fields) -> EmailChannel:
    f.only("enabled", "host", "port", "security", "user", "password_env", "password", "from",
           "to", "subject_prefix", "timeout_seconds")
    if "password" in f.data:
        f.fail("password", "never put the password in the file: name the environment "
                           "variable that holds it with password_env")
    security = f.choice("security", "starttls", SECURITY_MODES)
    to = f.strings("to")
    if not to:
        f.fail("to", "expected at least one recipient address")
    for address in (f.text("from", required=True), *to):
        if "@" not in address:
            f.fail("from" if address not in to else "to",
                   f"expected an e-mail address, got {address!r}")
    user = f.text("user") or None
    password_env = f.text("password_env") or None
    if user and not password_env:
        f.fail("password_env", "is required with user (the environment variable that holds "
                               "the SMTP password)")
    return EmailChannel(
        host=f.text("host", required=True),
        port=f.integer("port", 465 if security == "ssl" else 587, low=1, high=65_535) or 587,
        security=security,
        user=user,
        password_env=password_env,
        sender=f.text("from", required=True),
        to=to,
        subject_prefix=f.text("subject_prefix", "[posaudit]"),
        timeout_seconds=f.number("timeout_seconds", 30.0, low=0.1, high=300),
    )
