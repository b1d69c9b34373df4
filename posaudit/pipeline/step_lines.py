"""What the ingest and dbt build steps show while they run: one progress line per file
decided, and per dbt node as dbt's log file reports it."""

from __future__ import annotations

import re
from collections.abc import Callable

from posaudit.pipeline.progress import Step


def ingest_lines(step: Step, verbose: bool) -> Callable[[str], None]:
    """Ingest says one line per file decided: a terminal's bar shows it in passing, and it is
    printed only when ``verbose`` (every file is in the run record; a quarantined one is also
    among the run's warnings, with the reason)."""

    def on_line(message: str) -> None:
        step.advance(message.split("  (")[0] if step.console.live else "")
        if verbose:
            step.log(message)

    return on_line


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_DBT_NODE = re.compile(r"\]: (\d+) of (\d+) (OK|PASS|WARN|ERROR|FAIL|SKIP|NO-OP)\b\s*(.*)")
_DBT_NOISE = re.compile(r"\s*\.{2,}.*$")


def dbt_lines(step: Step) -> Callable[[str], None]:
    """dbt's log file says `N of M STATUS …` as each node finishes."""

    def on_line(line: str) -> None:
        m = _DBT_NODE.search(_ANSI.sub("", line))
        if not m:
            return
        _, total, status, rest = m.groups()
        what = _DBT_NOISE.sub("", rest)
        step.advance(f"{status} {what}", total=int(total))
        if status in ("WARN", "ERROR", "FAIL"):
            step.log(f"{status} {what}")

    return on_line
