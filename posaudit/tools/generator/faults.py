"""Which terminal events the labelled root causes need, and where no fault may appear.

The default root-cause rules read the event log: "a fault nearby" is an ERROR, OFFLINE or
KEY_SYNC_FAILED on the same terminal from 10 minutes before to 2 minutes after a transaction;
a MISSING sale is a SYSTEM_FAULT when the terminal logged SIGN_IN_FAILED or KEY_SYNC_FAILED
earlier that business day. Injections *require* events (for SYSTEM_FAULT causes) or *forbid*
them (for the other causes); random background events are dropped where they are forbidden.
Forbidden windows are wider than the rule's (15 minutes before, 5 after) so nothing sits on
an edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from posaudit.tools.generator.config import DAY

NEARBY_FAULTS = frozenset({"ERROR", "OFFLINE", "KEY_SYNC_FAILED"})
DAY_FAULTS = frozenset({"SIGN_IN_FAILED", "KEY_SYNC_FAILED"})
CLEAN_BEFORE, CLEAN_AFTER = 900, 300


@dataclass(frozen=True)
class Event:
    term: int
    ts: int
    type: str
    detail: str


@dataclass
class FaultPlan:
    required: list[Event] = field(default_factory=list)
    clean_windows: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    clean_days: set[tuple[int, int]] = field(default_factory=set)
    tainted_days: set[tuple[int, int]] = field(default_factory=set)

    def allows(self, term: int, ts: int, type_: str) -> bool:
        """Could an event of this type sit here without changing a labelled cause?"""
        if type_ in NEARBY_FAULTS and any(
                lo <= ts <= hi for lo, hi in self.clean_windows.get(term, ())):
            return False
        return not (type_ in DAY_FAULTS and (term, ts // DAY) in self.clean_days)

    def window_is_clean(self, term: int, t: int) -> bool:
        lo, hi = t - CLEAN_BEFORE, t + CLEAN_AFTER
        return not any(e.term == term and e.type in NEARBY_FAULTS and lo <= e.ts <= hi
                       for e in self.required)

    def keep_clean(self, term: int, t: int) -> None:
        self.clean_windows.setdefault(term, []).append((t - CLEAN_BEFORE, t + CLEAN_AFTER))

    def can_keep_day_clean(self, term: int, day: int) -> bool:
        return (term, day) not in self.tainted_days

    def keep_day_clean(self, term: int, day: int) -> None:
        self.clean_days.add((term, day))

    def can_taint_day(self, term: int, day: int) -> bool:
        return (term, day) not in self.clean_days

    def require(self, event: Event) -> None:
        if event.type in DAY_FAULTS:
            self.tainted_days.add((event.term, event.ts // DAY))
        self.required.append(event)
