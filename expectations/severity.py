"""How grave a failed check is: what the data-quality policy and every check share, kept apart
from Great Expectations so that reading the policy does not import it."""

from __future__ import annotations

from typing import Literal

Severity = Literal["critical", "warning"]
CRITICAL: Severity = "critical"
WARNING: Severity = "warning"
