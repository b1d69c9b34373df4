"""How the loss figures split an exception's exposure, and with which settings.

pending + open + recovered + written off + past the ageing limit = exposure, to the fen, and
net loss = written off + past the ageing limit (docs/analysts-guide.md, "Exposure and loss").
The ageing limit is a setting (``$POSAUDIT_AGEING_LIMIT_DAYS``, 30 days by default); the grace
days are the dbt project's, the same ones that decided when the exception was raised.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from posaudit import resources

AGEING_ENV = "POSAUDIT_AGEING_LIMIT_DAYS"
DEFAULT_AGEING_DAYS = 30
# The frame of exceptions awaiting a source, as queries.LOSS_ITEMS reads it.
AWAITING_FRAME = "awaiting_source"
# The parts, in the order the pages show them; they add up to the exposure.
PARTS = ("pending_amount", "open_amount", "recovered_amount", "written_off_amount",
         "past_limit_amount")


@dataclass(frozen=True)
class Settings:
    settlement_grace_days: int
    deposit_grace_days: int
    ageing_days: int

    def params(self) -> tuple[int]:
        """The values queries.LOSS_ITEMS binds after the filters, in its order."""
        return (self.ageing_days,)

    def awaiting_params(self) -> tuple[int, int]:
        """The values queries.AWAITING_SOURCE binds, in its order."""
        return self.settlement_grace_days, self.deposit_grace_days


def ageing_days(setting: str | None = None) -> int:
    """The ageing limit in days: ``$POSAUDIT_AGEING_LIMIT_DAYS``, else 30; anything but a
    whole number of days ≥ 0 is an error naming the setting."""
    text = (setting if setting is not None else os.environ.get(AGEING_ENV, "")).strip()
    if not text:
        return DEFAULT_AGEING_DAYS
    try:
        days = int(text)
    except ValueError:
        days = -1
    if days < 0:
        raise ValueError(f"{AGEING_ENV}: {text!r} is not a whole number of days (0 or more)")
    return days


def grace_days(project: Path) -> tuple[int, int]:
    """(settlement, deposit) grace days from the dbt project's vars."""
    with (project / "dbt_project.yml").open(encoding="utf-8") as f:
        found = (yaml.safe_load(f) or {}).get("vars", {})
    return int(found["settlement_grace_days"]), int(found["deposit_grace_days"])


def settings() -> Settings:
    settlement, deposit = grace_days(resources.project_dir())
    return Settings(settlement, deposit, ageing_days())
