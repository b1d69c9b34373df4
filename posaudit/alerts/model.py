"""The alert record: one row of ``audit.alerts``, and its id."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from posaudit.alerts.notify import NOT_CONFIGURED

SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}


@dataclass
class Alert:
    """One row of ``audit.alerts``."""

    alert_id: str
    run_id: str
    run_outcome: str | None
    raised_at: datetime
    rule: str
    severity: str
    subject_type: str
    subject: str
    message: str
    value: Decimal | None = None
    threshold: Decimal | None = None
    webhook_status: str = NOT_CONFIGURED
    webhook_error: str | None = None
    email_status: str = NOT_CONFIGURED
    email_error: str | None = None

    def as_payload(self) -> dict[str, Any]:
        out = asdict(self)
        out["raised_at"] = self.raised_at.isoformat(timespec="seconds")
        # Strings keep money and rates exact for any JSON reader.
        out["value"] = None if self.value is None else str(self.value)
        out["threshold"] = None if self.threshold is None else str(self.threshold)
        for key in ("webhook_status", "webhook_error", "email_status", "email_error"):
            out.pop(key)
        return out


def alert_id(rule: str, subject: str) -> str:
    return hashlib.md5(f"{rule}|{subject}".encode()).hexdigest()
