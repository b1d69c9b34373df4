"""What ingest asks of the incoming data-quality checks, and what it gets back.

Ingest owns this interface; the checks themselves live downstream
(``posaudit.expectations.incoming``) and the pipeline passes them in, so that ingest never
imports what comes after it. Ingest sees a file's check columns and the window's check results
only as opaque values (``P`` and ``R``): it keeps them, passes them on and reports them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from posaudit.ingest.layouts.base import Layout, Parsed

P = TypeVar("P")  # what the checks derive from one parsed file
R = TypeVar("R")  # one check result, as the run record stores it


@dataclass(frozen=True)
class WindowFile(Generic[P]):
    """A parsed file of an ingest window, as the checks see it."""

    name: str
    layout: Layout
    prepared: P


@dataclass(frozen=True)
class Refusal:
    """Why the checks refuse a file: what its manifest row and quarantine error say."""

    line: int | None
    field: str | None
    reason: str
    checks: str  # failed check names, comma-separated
    severity: str


@dataclass
class WindowVerdict(Generic[R]):
    """The checks' answer for one window; files are named by their position in it."""

    results: list[R] = field(default_factory=list)
    refused: dict[int, Refusal] = field(default_factory=dict)
    # What was reported about a file that loads anyway (a card number masked where it stood).
    notes: dict[int, str] = field(default_factory=dict)
    seconds: float = 0.0


class IncomingChecks(Protocol[P, R]):
    def prepare(self, layout: Layout, parsed: Parsed) -> P:
        """Derive one file's check columns; runs in ingest's worker threads (thread-safe)."""
        ...

    def preparer(self) -> Callable[[Layout, Parsed], P]:
        """``prepare`` as a function that can be sent to a worker process (picklable)."""
        ...

    def check_window(self, files: Sequence[WindowFile[P]], window: int) -> WindowVerdict[R]:
        """Validate every file of a window at once."""
        ...
