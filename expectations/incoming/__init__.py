"""Incoming checks: what a parsed landing file must satisfy before it is accepted.

A parser says whether a file can be read; these checks say whether what it holds can be trusted:
every column typed as its raw table expects, line keys set and not repeated, amounts and dates
plausible, the file's own totals (summary row, footer, payout line) tying to its lines, a bank
balance that chains, and no full card number in a stored text column (identifiers with a
format aside: they are checked against it when the file is parsed). A card number that ingest
masked in a free-text column is reported too (``card_numbers_masked``), but the file loads:
what it flags was made safe where it stood, and one value never costs a whole file.

Work is split so that it stays cheap at volume. :func:`prepare` runs beside the parser (in the
ingest worker threads) and derives a few check columns per file in polars: which key column is
empty, the largest amount, each line's date and the period it must fall in, the expected
balance, which text column holds something card-like. :func:`validate_window` then runs one
Great Expectations validation per layout for all files of an ingest window (up to a million
rows), suite ``incoming.<layout>`` on the lines and ``incoming.<layout>.controls`` on the column
types and the stated totals. Failing rows come back by ``file_idx`` and ``line_no``, so each
failure names its file and line; a file with any failure but ``card_numbers_masked`` is
quarantined.

The modules: ``rules`` (what each layout is held to), ``prepare`` (the check columns),
``suites`` (the expectations), ``runner`` (one window), ``messages`` (what a failure says).
:class:`IncomingChecker` is what the pipeline hands ingest
(``posaudit.ingest.checks.IncomingChecks``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from posaudit.expectations.config import DQConfig
from posaudit.expectations.incoming.prepare import Prepared, prepare
from posaudit.expectations.incoming.rules import CHECKS, LOADS_ANYWAY, RULES, Rules, rules_for
from posaudit.ingest.checks import WindowFile, WindowVerdict
from posaudit.ingest.layouts.base import Layout, Parsed

if TYPE_CHECKING:
    from posaudit.expectations.core import CheckResult, DQContext

# Great Expectations (``core``, ``runner``, ``suites``, ``messages``) is imported only when a
# window is validated: ingest's parsing processes import this package for ``prepare`` alone,
# and importing GX takes seconds.
__all__ = [
    "CHECKS", "LOADS_ANYWAY", "RULES", "IncomingChecker", "Prepared", "Rules", "prepare",
    "rules_for",
]


def _new_context() -> DQContext:
    from posaudit.expectations.core import DQContext

    return DQContext()


@dataclass
class IncomingChecker:
    """The incoming checks as ingest calls them: ``config`` is the data-quality policy,
    ``dq`` keeps the GX results, ``today`` bounds the dates a file may hold."""

    config: DQConfig
    dq: DQContext = field(default_factory=_new_context)
    today: date = field(default_factory=date.today)

    def prepare(self, layout: Layout, parsed: Parsed) -> Prepared:
        return prepare(layout, parsed, self.config, self.today)

    def preparer(self) -> Callable[[Layout, Parsed], Prepared]:
        return partial(prepare, config=self.config, today=self.today)

    def check_window(self, files: Sequence[WindowFile[Prepared]], window: int
                     ) -> WindowVerdict[CheckResult]:
        from posaudit.expectations.incoming.messages import noted, refusal
        from posaudit.expectations.incoming.runner import validate_window

        checked = validate_window(files, self.dq, self.config, window=window)
        return WindowVerdict(
            results=checked.results,
            refused={i: refusal(found) for i, found in checked.failures.items()},
            notes={i: noted(found) for i, found in checked.notes.items()},
            seconds=checked.seconds,
        )
