"""The data-quality policy (``dq.yml``): which checks are critical, and their thresholds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from posaudit.expectations.severity import CRITICAL, WARNING, Severity
from posaudit.resources import policy_file

CONFIG_ENV = "POSAUDIT_DQ_CONFIG"


@dataclass(frozen=True)
class DQConfig:
    incoming_critical: frozenset[str] = frozenset({"summary_ties", "balance_chain",
                                                   "keys_unique"})
    amount_limit: float = 10_000_000
    earliest_date: date = date(2000, 1, 1)
    marts_critical: frozenset[str] = frozenset({
        "row_count_not_shrunk", "exception_keys_present", "exposure_not_negative",
        "reconciliation_identity", "settlement_identity", "transaction_keys_present",
        "match_status_consistent", "amount_positive",
    })
    row_count_drop_tolerance: float = 0.05
    facts_compared: tuple[str, ...] = ("fct_transactions", "fct_settlement_lines",
                                       "fct_file_manifest")
    # exception_spike: a day's count of one exception type above spike_ratio × its median over
    # the previous spike_trailing_days days and above spike_min_exceptions (with at least
    # spike_min_history_days of those days in the warehouse).
    spike_ratio: float = 20.0
    spike_min_exceptions: int = 50
    spike_trailing_days: int = 28
    spike_min_history_days: int = 3
    source: str = "built-in defaults"
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def incoming_severity(self, check: str) -> Severity:
        return CRITICAL if check in self.incoming_critical else WARNING

    def marts_severity(self, check: str) -> Severity:
        return CRITICAL if check in self.marts_critical else WARNING

    @classmethod
    def load(cls, path: Path | None = None) -> DQConfig:
        """``path``, else $POSAUDIT_DQ_CONFIG, else the project's dq.yml, else defaults."""
        path = policy_file(path, CONFIG_ENV, "dq.yml")
        if path is None:
            return cls()
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ValueError(f"data-quality config {path}: {exc}") from None
        if not isinstance(data, dict):
            raise ValueError(f"data-quality config {path}: expected a mapping at the top")
        incoming = _section(data, "incoming", path)
        marts = _section(data, "marts", path)
        spike = _section(marts, "exception_spike", path)
        base = cls()
        try:
            return cls(
                incoming_critical=frozenset(incoming.get("critical", base.incoming_critical)),
                amount_limit=float(incoming.get("amount_limit", base.amount_limit)),
                earliest_date=_as_date(incoming.get("earliest_date", base.earliest_date)),
                marts_critical=frozenset(marts.get("critical", base.marts_critical)),
                row_count_drop_tolerance=float(
                    marts.get("row_count_drop_tolerance", base.row_count_drop_tolerance)
                ),
                facts_compared=tuple(marts.get("facts_compared", base.facts_compared)),
                spike_ratio=_positive(float(spike.get("ratio", base.spike_ratio)), "ratio"),
                spike_min_exceptions=int(spike.get("min_exceptions",
                                                   base.spike_min_exceptions)),
                spike_trailing_days=int(_positive(
                    int(spike.get("trailing_days", base.spike_trailing_days)),
                    "trailing_days")),
                spike_min_history_days=int(spike.get("min_history_days",
                                                     base.spike_min_history_days)),
                source=str(path),
                raw=data,
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(f"data-quality config {path}: {exc}") from None


def _section(data: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    section = data.get(name) or {}
    if not isinstance(section, dict):
        raise ValueError(f"data-quality config {path}: '{name}' must be a mapping")
    return section


def _positive(value: float, name: str) -> float:
    if value <= 0:
        raise ValueError(f"marts.exception_spike.{name} must be above 0, got {value}")
    return value


def _as_date(value: object) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
