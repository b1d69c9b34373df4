"""How long a case may take (its SLA) and how urgent it is (its priority).

A case's clock starts when the business knew of the error, not when the store opened the
case (a refresh opens hundreds of cases in the same second): the exception's business date,
else the report's time. The SLA gives, per state, how many days after that start a case may
still be in it — ``OPEN`` days to take it on, ``INVESTIGATING`` days to resolve it, and so on;
a kind (exception type) may set its own days for any state. ``cases.yml`` (next to alerts.yml;
$POSAUDIT_CASES_CONFIG or the dashboard's environment names another) holds them; without it
the defaults below apply. A closed case has no SLA.

Priority: exposure × age in days, breaches first (see ``posaudit.dashboards.casework``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from posaudit.cases import lifecycle
from posaudit.resources import read_policy

CONFIG_ENV = "POSAUDIT_CASES_CONFIG"
CONFIG_NAME = "cases.yml"
BREACHED, DUE_SOON, ON_TIME, NO_SLA = "BREACHED", "DUE_SOON", "ON_TIME", "NO_SLA"
STATUSES = (BREACHED, DUE_SOON, ON_TIME, NO_SLA)
# Days after the case's start a case may still be in each state. Taking a case on is quick;
# resolving it takes a few days (acquirer queries, customer refunds); a resolved case is
# closed once its paperwork is in.
DEFAULT_DAYS: dict[str, int] = {
    lifecycle.OPEN: 3, lifecycle.INVESTIGATING: 10, lifecycle.FUNDS_FROZEN: 10,
    lifecycle.REFUNDED: 30, lifecycle.RECOVERED: 30, lifecycle.WRITTEN_OFF: 30,
}
DEFAULT_WARN_DAYS = 1
WITH_SLA = tuple(s for s in lifecycle.STATES if s != lifecycle.CLOSED)


@dataclass(frozen=True)
class SlaPolicy:
    days: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_DAYS))
    kinds: dict[str, dict[str, int]] = field(default_factory=dict)
    warn_days: int = DEFAULT_WARN_DAYS
    source: str = "built-in defaults"

    def days_for(self, kind: str | None, state: str) -> int | None:
        """The days a case of ``kind`` may be in ``state`` after its start; None: no SLA."""
        if state not in WITH_SLA:
            return None
        own = self.kinds.get(kind or "", {})
        return own.get(state, self.days.get(state))

    def due(self, kind: str | None, state: str, start: datetime | None) -> datetime | None:
        days = self.days_for(kind, state)
        if days is None or start is None:
            return None
        return start + timedelta(days=days)

    def status(self, due: datetime | None, now: datetime) -> str:
        if due is None:
            return NO_SLA
        if now > due:
            return BREACHED
        return DUE_SOON if now >= due - timedelta(days=self.warn_days) else ON_TIME

    @classmethod
    def load(cls, path: Path | None = None) -> SlaPolicy:
        """``path``, else $POSAUDIT_CASES_CONFIG, else the project's cases.yml, else the
        defaults."""
        found = read_policy(path, CONFIG_ENV, CONFIG_NAME, "cases config")
        if found is None:
            return cls()
        data, chosen = found
        return parse(data, str(chosen))


def parse(data: object, source: str) -> SlaPolicy:
    """The ``sla`` section of a cases config; every problem names the file and the field."""

    def fail(where: str, problem: str) -> ValueError:
        return ValueError(f"cases config {source}: {where}: {problem}")

    top = _mapping(data, "(top level)", fail)
    unknown = set(top) - {"sla"}
    if unknown:
        raise fail(sorted(map(str, unknown))[0], "unknown field (expected: sla)")
    sla = _mapping(top.get("sla") or {}, "sla", fail)
    unknown = set(sla) - {"days", "kinds", "warn_days"}
    if unknown:
        raise fail(f"sla.{sorted(map(str, unknown))[0]}",
                   "unknown field (expected one of: days, kinds, warn_days)")
    days = {**DEFAULT_DAYS, **_days(sla.get("days") or {}, "sla.days", fail)}
    kinds = {str(kind): _days(value, f"sla.kinds.{kind}", fail)
             for kind, value in _mapping(sla.get("kinds") or {}, "sla.kinds", fail).items()}
    warn = sla.get("warn_days", DEFAULT_WARN_DAYS)
    if not isinstance(warn, int) or isinstance(warn, bool) or warn < 0:
        raise fail("sla.warn_days", f"expected a whole number of days >= 0, got {warn!r}")
    return SlaPolicy(days=days, kinds=kinds, warn_days=warn, source=source)


def _mapping(value: object, where: str, fail: Any) -> dict[Any, Any]:
    if not isinstance(value, dict):
        raise fail(where, "expected a mapping")
    return value


def _days(value: object, where: str, fail: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for state, days in _mapping(value, where, fail).items():
        if state not in WITH_SLA:
            raise fail(f"{where}.{state}", f"not a state with an SLA (one of: "
                                           f"{', '.join(WITH_SLA)})")
        if not isinstance(days, int) or isinstance(days, bool) or days < 0:
            raise fail(f"{where}.{state}", f"expected a whole number of days >= 0, got {days!r}")
        out[str(state)] = days
    return out
