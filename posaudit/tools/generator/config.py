"""What the generator is asked for, what it reports, and the calendar it works on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

DAY = 86_400


@dataclass(frozen=True)
class GenerateConfig:
    out: Path
    seed: int = 1
    days: int = 28
    terminals: int = 40
    transactions: int = 60_000  # terminal journal lines in total, approximately
    start: date = date(2026, 10, 1)
    per_type: int = 20  # injected exceptions of each definite type (at least)
    id_style: str = "default"  # or "host": plain host-assigned numbers (generate/host_ids.py)

    def validate(self) -> None:
        if self.id_style not in ("default", "host"):
            raise ValueError(f"id_style must be default or host, not {self.id_style!r}")
        if self.days < 7:
            raise ValueError("days must be at least 7 (settlement coverage and grace need room)")
        if self.terminals < 11:
            raise ValueError("terminals must be at least 11 (five merchants and their stores)")
        if self.per_type < 1:
            raise ValueError("per_type must be at least 1")
        if self.per_type > 4 * (self.days - 2):
            raise ValueError(f"per_type={self.per_type} needs more settlement dates for the "
                             f"deposit exceptions: at most {4 * (self.days - 2)} with {self.days} "
                             "days")
        floor = 250 * self.per_type
        if self.transactions < floor:
            raise ValueError(f"transactions must be at least {floor} for per_type={self.per_type}")


@dataclass
class GenerateSummary:
    files: dict[str, int] = field(default_factory=dict)  # layout -> files written
    rows: dict[str, int] = field(default_factory=dict)  # layout -> data rows written
    labels: dict[str, int] = field(default_factory=dict)  # exception type -> labels
    decoys: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "files": dict(sorted(self.files.items())),
            "rows": dict(sorted(self.rows.items())),
            "labels": dict(sorted(self.labels.items())),
            "decoys": dict(sorted(self.decoys.items())),
            "seconds": round(self.seconds, 2),
        }

    def add(self, layout: str, files: int, rows: int) -> None:
        self.files[layout] = self.files.get(layout, 0) + files
        self.rows[layout] = self.rows.get(layout, 0) + rows


@dataclass(frozen=True)
class Window:
    """Business days 0..days-1 from ``start``. Settlement files cover settlement days up to
    ``settle_end`` (the second-to-last business day), so the last days' sales are legitimately
    PENDING; bank statements cover up to ``bank_end`` (the last business day), one day after
    the last covered settlement date, so every covered payout can be judged."""

    start: date
    days: int

    @property
    def last(self) -> int:
        return self.days - 1

    @property
    def settle_end(self) -> int:
        return self.days - 2

    @property
    def bank_end(self) -> int:
        return self.days - 1

    def date(self, day: int) -> date:
        return self.start + timedelta(days=int(day))

    def ymd(self, day: int) -> str:
        return self.date(day).strftime("%Y%m%d")

    def iso(self, day: int) -> str:
        return self.date(day).isoformat()

    def weekday(self, day: int) -> int:
        return self.date(day).weekday()
